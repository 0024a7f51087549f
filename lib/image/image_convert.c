/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf__image_convert(): the plans ENCODE_IMAGE and STRIP_METADATA.
 *
 * STRIP_METADATA rewrites the file's metadata segments and copies the
 * compressed pixels unchanged (strip.c). ENCODE_IMAGE decodes once, with
 * shrink-on-load when the picture is larger than WAPF_WORK_MAX_PIXELS,
 * makes it upright, 8-bit sRGB without alpha, and encodes it within
 * 5,000,000 bytes at the best quality that fits (encode_budget.c). */
#include "image.h"

#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* Start the output over (after a lossless attempt gave up). */
static int rewind_out(wapf_context *ctx, wapf_tmpfile *out) {
  if (ftruncate(out->fd, 0) != 0 || lseek(out->fd, 0, SEEK_SET) != 0)
    return wapf__fail(ctx, WAPF_EIO, "cannot rewind the output");
  return WAPF_OK;
}

typedef struct opener {
  wapf_context *ctx;
  const char *path;
  uint64_t max_pixels;
  int exact;
  uint32_t background;
} opener;

/* A JPEG read by libjpeg (row by row) that needs no rotation; other
 * loaders decode whole pictures or tiles, and a rotation needs the whole
 * picture: the in-memory route does those. */
static int streamable(VipsImage *im) {
  const char *loader = NULL;
  int orientation = 1;
  if (vips_image_get_typeof(im, VIPS_META_ORIENTATION))
    vips_image_get_int(im, VIPS_META_ORIENTATION, &orientation);
  if (vips_image_get_typeof(im, VIPS_META_LOADER))
    vips_image_get_string(im, VIPS_META_LOADER, &loader);
  return orientation <= 1 && loader && strcmp(loader, "jpegload") == 0;
}

/* The picture streamed: shrunk on load, 8-bit sRGB, alpha flattened;
 * *out stays NULL when it is not streamable. */
static int open_streamed(void *arg, VipsImage **out) {
  opener *o = arg;
  VipsImage *im = NULL;
  int rc = wapf__img_open(o->ctx, o->path, o->max_pixels, o->exact, &im);
  if (rc == WAPF_OK && streamable(im))
    rc = wapf__img_to_srgb8(o->ctx, im, 0, o->background, out);
  if (im)
    g_object_unref(im);
  return rc;
}

/* A JPEG without metadata from a picture that needs no rotation can be
 * encoded without holding its pixels (wapf__img_encode_streamed). */
static int try_streamed(wapf_context *ctx, const wapf_facts *f,
                        const wapf_options *opt, int png, uint64_t max_pixels,
                        int exact, wapf_budget_result *br) {
  memset(br, 0, sizeof *br);
  if (f->media != WAPF_MEDIA_IMAGE || png || opt->keep_metadata ||
      f->image.orientation > 1)
    return WAPF_OK;
  opener o = {ctx, f->path, max_pixels, exact, opt->background};
  int rc = wapf__img_encode_streamed(ctx, opt, open_streamed, &o,
                                     WAPF_IMAGE_LIMIT, br);
  if (rc == WAPF_ECANCELLED || rc == WAPF_ENOMEM)
    return rc;
  if (rc != WAPF_OK) /* the in-memory route decodes it again, and says */
    wapf__log(ctx, WAPF_LOG_DEBUG, "streamed route failed (%s)",
              wapf_last_error(ctx));
  if (!br->buf)
    wapf__log(ctx, WAPF_LOG_DEBUG, "not streamed: decoding into memory");
  return WAPF_OK;
}

/* Load (at most max_pixels, exact: resampled to it) and encode within
 * the budget. *loaded receives the pixel count decoded. */
static int load_encode(wapf_context *ctx, const wapf_facts *f,
                       const wapf_options *opt, int png, uint64_t max_pixels,
                       int exact, wapf_budget_result *br, uint64_t *loaded) {
  int rc = try_streamed(ctx, f, opt, png, max_pixels, exact, br);
  if (rc != WAPF_OK || br->buf) {
    *loaded = (uint64_t)br->width * (uint64_t)br->height;
    return rc;
  }
  VipsImage *im = NULL;
  rc = f->media == WAPF_MEDIA_AV
           ? wapf__img_first_frame(ctx, f, opt->background, &im)
           : wapf__img_load_upright(ctx, f->path, max_pixels, exact, 0,
                                    opt->background, &im);
  if (rc != WAPF_OK)
    return rc;
  *loaded = (uint64_t)im->Xsize * (uint64_t)im->Ysize;
  rc = wapf__progress(ctx, opt, 0.3);
  if (rc == WAPF_OK)
    rc = wapf__img_encode_budget(ctx, opt, im, png, !opt->keep_metadata,
                                 WAPF_IMAGE_LIMIT, br);
  g_object_unref(im);
  return rc;
}

/* A picture shrunk on load by a power of two may have left much of the
 * budget unused: the size that should fit, from bytes per pixel (a
 * larger picture of the same scene costs fewer bytes per pixel, so this
 * errs on the safe side). 0 when a second decode is not worth it. */
static uint64_t better_pixels(const wapf_budget_result *br, uint64_t loaded,
                              uint64_t full) {
  if (loaded >= full || (uint64_t)br->width * br->height < loaded ||
      br->len * 2 > WAPF_IMAGE_LIMIT)
    return 0;
  double fit = (double)loaded * (0.9 * WAPF_IMAGE_LIMIT) / (double)br->len;
  uint64_t cap = full < WAPF_WORK_MAX_PIXELS ? full : WAPF_WORK_MAX_PIXELS;
  uint64_t want = fit < (double)cap ? (uint64_t)fit : cap;
  return want > loaded + loaded / 3 ? want : 0;
}

/* Why the picture is smaller than the source: the encoder shrank what
 * was decoded to fit the bytes, or only the working limit on decoded
 * pixels did (a 54-megapixel photo is worked on at 16). */
static void reduced_note(wapf_result *res, int src_w, int src_h,
                         const wapf_budget_result *br, uint64_t loaded,
                         int png) {
  uint64_t out = (uint64_t)br->width * (uint64_t)br->height;
  char quality[32] = "";
  if (out >= (uint64_t)src_w * (uint64_t)src_h)
    return;
  if (!png)
    snprintf(quality, sizeof quality, "; JPEG quality %d", br->quality);
  if (out * 50 < loaded * 49) /* the encoder shrank it */
    snprintf(res->note, sizeof res->note,
             "reduced from %dx%d to %dx%d to fit 5,000,000 bytes", src_w, src_h,
             br->width, br->height);
  else
    snprintf(res->note, sizeof res->note,
             "reduced from %dx%d to %dx%d, the %d-megapixel working limit%s",
             src_w, src_h, br->width, br->height,
             WAPF_WORK_MAX_PIXELS / 1000000, quality);
}

static int encode_image(wapf_context *ctx, const wapf_facts *f,
                        const wapf_options *opt, int png, wapf_tmpfile *out,
                        wapf_result *res) {
  wapf_budget_result br, br2;
  uint64_t loaded = 0, loaded2 = 0;
  int rc = wapf__progress(ctx, opt, 0.0);
  if (rc == WAPF_OK)
    rc = load_encode(ctx, f, opt, png, WAPF_WORK_MAX_PIXELS, 0, &br, &loaded);
  if (rc != WAPF_OK)
    return rc;
  int src_w = f->image.width > 0 ? f->image.width : br.width;
  int src_h = f->image.height > 0 ? f->image.height : br.height;
  uint64_t more = better_pixels(&br, loaded, (uint64_t)src_w * src_h);
  if (more) {
#if defined(__GLIBC__)
    /* hand the first decode's memory back before the second one */
    malloc_trim(0);
#endif
    wapf__log(ctx, WAPF_LOG_DEBUG,
              "%zu bytes at %dx%d: decoding again at "
              "%llu pixels",
              br.len, br.width, br.height, (unsigned long long)more);
    rc = load_encode(ctx, f, opt, png, more, 1, &br2, &loaded2);
    if (rc == WAPF_OK) {
      g_free(br.buf);
      br = br2;
      loaded = loaded2;
    }
  }
  if (rc == WAPF_OK)
    rc = wapf__img_write_all(ctx, out, br.buf, br.len);
  g_free(br.buf);
  if (rc != WAPF_OK)
    return rc;
  reduced_note(res, src_w, src_h, &br, loaded, png);
  if (!res->note[0] && !png)
    snprintf(res->note, sizeof res->note, "JPEG quality %d", br.quality);
  wapf__log(ctx, WAPF_LOG_INFO, "%s: %dx%d %s q%d, %zu bytes", f->path,
            br.width, br.height, png ? "PNG" : "JPEG", br.quality, br.len);
  return wapf__progress(ctx, opt, 1.0);
}

int wapf__image_convert(wapf_context *ctx, const wapf_facts *f,
                        const wapf_report *r, const wapf_options *opt,
                        wapf_tmpfile *out, wapf_result *res) {
  int png = strcmp(r->out_ext, ".png") == 0;
  if (f->media == WAPF_MEDIA_IMAGE &&
      (uint64_t)f->image.width * (uint64_t)f->image.height > ctx->s.max_pixels)
    return wapf__fail(ctx, WAPF_ELIMIT, "%dx%d is over the %llu-pixel limit",
                      f->image.width, f->image.height,
                      (unsigned long long)ctx->s.max_pixels);
  if (r->plan == WAPF_PLAN_STRIP_METADATA) {
    int rc = wapf__img_strip(ctx, f->path, out);
    if (rc == WAPF_OK) {
      wapf__strlcpy(res->note, "metadata removed without re-encoding",
                    sizeof res->note);
      return WAPF_OK;
    }
    if (rc != WAPF_EUNSUPPORTED)
      return rc;
    wapf__log(ctx, WAPF_LOG_INFO, "%s; re-encoding instead",
              wapf_last_error(ctx));
    rc = rewind_out(ctx, out);
    if (rc != WAPF_OK)
      return rc;
  }
  return encode_image(ctx, f, opt, png, out, res);
}
