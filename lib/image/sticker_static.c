/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Static sticker: a 512x512 WebP of at most 100,000 bytes, for any input.
 *
 * libwebp's encoder is driven directly. The levers, in order: lossless
 * (kept when it fits: best for drawings), lossy quality (binary search),
 * then method 6 with lossy alpha and the strongest filtering, then alpha
 * quality 0, and finally a smaller picture inside the 512x512 canvas. A
 * small enough picture always fits, so the search never ends above the
 * limit. The pack EXIF chunk is part of every size measured. */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#define STICKER_LOAD_SIDE 512

typedef struct lever {
  int lossless, method, alpha_q, alpha_filter, sharp, qmin;
} lever;

static const lever levers[] = {
    {1, 4, 100, 1, 0, 75}, /* lossless, quality = effort */
    {0, 4, 100, 1, 1, 30}, /* lossy, sharp RGB->YUV, quality 30..90 */
    {0, 6, 60, 2, 0, 0},   /* method 6, lossy alpha, quality 0..90 */
    {0, 6, 0, 2, 0, 0},    /* alpha quality 0 */
};

static const double scales[] = {1.0,  0.85, 0.7, 0.55, 0.4,
                                0.28, 0.18, 0.1, 0.05, 0.02};

typedef struct job {
  wapf_context *ctx;
  const wapf_options *opt;
  const uint8_t *rgba; /* side x side canvas */
  int side;
  const uint8_t *exif;
  size_t exif_n;
  size_t limit;
} job;

/* Encode the canvas with one lever at quality q; *out is the final file
 * (EXIF included). */
static int encode(job *j, const lever *l, int q, WebPData *out) {
  WebPConfig cfg;
  WebPPicture pic;
  WebPMemoryWriter w;
  if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
    return wapf__fail(j->ctx, WAPF_EINTERNAL, "libwebp version mismatch");
  cfg.lossless = l->lossless;
  cfg.quality = (float)q;
  cfg.method = l->method;
  cfg.alpha_quality = l->alpha_q;
  cfg.alpha_filtering = l->alpha_filter;
  cfg.use_sharp_yuv = l->sharp;
  cfg.exact = 0;
  cfg.thread_level = 1;
  if (!l->lossless && l->method == 6) {
    cfg.sns_strength = 80;
    cfg.filter_strength = 60;
    cfg.segments = 4;
  }
  if (!WebPValidateConfig(&cfg))
    return wapf__fail(j->ctx, WAPF_EINTERNAL, "invalid WebP configuration");
  pic.use_argb = 1;
  pic.width = pic.height = j->side;
  if (!WebPPictureImportRGBA(&pic, j->rgba, j->side * 4))
    return wapf__fail(j->ctx, WAPF_ENOMEM, "out of memory");
  WebPMemoryWriterInit(&w);
  pic.writer = WebPMemoryWrite;
  pic.custom_ptr = &w;
  int ok = WebPEncode(&cfg, &pic);
  int err = pic.error_code;
  WebPPictureFree(&pic);
  int rc = ok ? WAPF_OK : wapf__from_webp_enc(j->ctx, err, "WebP encode");
  if (rc == WAPF_OK)
    rc = wapf__webp_add_exif(j->ctx, w.mem, w.size, j->exif, j->exif_n, out);
  WebPMemoryWriterClear(&w);
  if (rc == WAPF_OK)
    rc = wapf__progress(j->ctx, j->opt, -1);
  return rc;
}

/* Keep cand in *best when it fits (returns 1), else free it (returns 0). */
static int keep_if_fits(job *j, WebPData *cand, WebPData *best) {
  if (cand->size <= j->limit) {
    WebPDataClear(best);
    *best = *cand;
    return 1;
  }
  WebPDataClear(cand);
  return 0;
}

/* The highest quality of lever l that fits; *found = 0 when none. */
static int search(job *j, const lever *l, WebPData *best, int *found) {
  WebPData d;
  int rc = encode(j, l, l->lossless ? l->qmin : 90, &d);
  if (rc != WAPF_OK || (*found = keep_if_fits(j, &d, best)) || l->lossless)
    return rc;
  int lo = l->qmin - 1, hi = 90; /* lo fits (or is below range) */
  while (rc == WAPF_OK && hi - lo > 1) {
    int mid = (lo + hi) / 2;
    rc = encode(j, l, mid, &d);
    if (rc == WAPF_OK && keep_if_fits(j, &d, best)) {
      lo = mid;
      *found = 1;
    } else {
      hi = mid;
    }
  }
  return rc;
}

static int load(wapf_context *ctx, const wapf_facts *f, const wapf_options *opt,
                VipsImage **out) {
  VipsImage *t = NULL;
  int s = STICKER_LOAD_SIDE;
  /* Shrink-on-load (and SVG rendered) at the canvas size; upright. */
  int r = opt->fit == WAPF_FIT_COVER
              ? vips_thumbnail(f->path, &t, s, "height", s, "crop",
                               VIPS_INTERESTING_CENTRE, NULL)
              : vips_thumbnail(f->path, &t, s, "height", s, NULL);
  if (r)
    return wapf__from_vips(ctx, f->path);
  int rc = wapf__img_to_srgb8(ctx, t, 1, 0, out);
  g_object_unref(t);
  return rc;
}

/* Try every lever on one canvas. */
static int try_canvas(job *j, WebPData *best, int *found, int first) {
  int rc = WAPF_OK;
  size_t n = sizeof levers / sizeof levers[0];
  for (size_t i = first ? 0 : 2; rc == WAPF_OK && !*found && i < n; i++)
    rc = search(j, &levers[i], best, found);
  return rc;
}

int wapf__sticker_static(wapf_context *ctx, const wapf_facts *f,
                         const wapf_options *opt, wapf_tmpfile *out,
                         wapf_result *res) {
  VipsImage *im = NULL;
  WebPData best;
  WebPDataInit(&best);
  job j = {ctx, opt, NULL, WAPF_STICKER_SIDE, NULL, 0, WAPF_STICKER_LIMIT};
  int rc = wapf__sticker_exif(ctx, opt, (uint8_t **)&j.exif, &j.exif_n);
  if (rc == WAPF_OK)
    rc = load(ctx, f, opt, &im);
  int found = 0;
  size_t k;
  for (k = 0; rc == WAPF_OK && !found && k < sizeof scales / sizeof *scales;
       k++) {
    VipsImage *c = NULL;
    size_t len = 0;
    rc = wapf__img_fit_canvas(ctx, im, opt->fit, j.side, scales[k], &c);
    if (rc != WAPF_OK)
      break;
    void *mem = vips_image_write_to_memory(c, &len);
    g_object_unref(c);
    if (!mem || len != (size_t)j.side * j.side * 4) {
      g_free(mem);
      rc = wapf__from_vips(ctx, "sticker canvas");
      break;
    }
    j.rgba = mem;
    rc = try_canvas(&j, &best, &found, k == 0);
    g_free(mem);
  }
  if (im)
    g_object_unref(im);
  free((void *)j.exif);
  if (rc == WAPF_OK && !found)
    rc = wapf__fail(ctx, WAPF_EUNFIXABLE, "no WebP encoding fits %d bytes",
                    WAPF_STICKER_LIMIT);
  if (rc == WAPF_OK)
    rc = wapf__img_write_all(ctx, out, best.bytes, best.size);
  if (rc == WAPF_OK && k > 1)
    snprintf(res->note, sizeof res->note,
             "picture reduced to %.0f%% of the canvas to fit %d bytes",
             scales[k - 1] * 100, WAPF_STICKER_LIMIT);
  WebPDataClear(&best);
  return rc;
}
