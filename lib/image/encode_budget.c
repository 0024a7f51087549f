/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A picture to JPEG or PNG within a byte budget.
 *
 * The quality is searched on predictions, not on full encodes: JPEG and
 * PNG compress each row band almost independently, so the size of a few
 * bands spread over the picture, scaled to its height, predicts the whole
 * file within a few percent at a fraction of the cost. Only the chosen
 * setting is encoded in full (and verified against the budget).
 *
 * A large JPEG is encoded in one pass with Huffman tables fitted on the
 * same bands (jpeg_onepass.c), and a large picture that needs no rotation
 * is not even held in memory: one streamed decode collects the bands,
 * a second one feeds the encoder (wapf__img_encode_streamed). */
#include "image.h"

#include <math.h>

#define Q_MAX 90
#define Q_MIN 75
#define Q_RESIZE 85 /* quality aimed at when the size must shrink */
#define SAMPLE_BANDS WAPF_SAMPLE_BANDS
#define SAMPLE_MIN_PIXELS 3000000 /* below this, encode the whole image */

typedef struct enc {
  wapf_context *ctx;
  const wapf_options *opt;
  int png, strip;
  /* Large JPEG: the bands of the picture (bands.c), the height of the
   * picture they sample, and their last encode (at quality sq). */
  VipsImage *stack;
  int full_h;
  void *sbuf;
  size_t slen;
  int sq;
} enc;

static void enc_clear(enc *e) {
  if (e->stack)
    g_object_unref(e->stack);
  g_free(e->sbuf);
  e->stack = NULL;
  e->sbuf = NULL;
  e->sq = 0;
}

static int encode(enc *e, VipsImage *im, int q, void **buf, size_t *len) {
  int r;
  if (e->png)
    r = vips_pngsave_buffer(im, buf, len, "compression", 6, "strip", e->strip,
                            NULL);
  else
    r = vips_jpegsave_buffer(im, buf, len, "Q", q, "optimize_coding", TRUE,
                             "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_ON,
                             "strip", e->strip, NULL);
  if (r)
    return wapf__from_vips(e->ctx, e->png ? "PNG encode" : "JPEG encode");
  return WAPF_OK;
}

static int encode_len(enc *e, VipsImage *im, int q, size_t *len) {
  void *buf = NULL;
  int rc = encode(e, im, q, &buf, len);
  g_free(buf);
  return rc;
}

/* Predicted JPEG size from the stacked bands: their entropy-coded data
 * scaled to the picture's height, plus the headers once. The encode is
 * kept for the one-pass encoder's tables. */
static int predict_stack(enc *e, int q, size_t *out) {
  g_free(e->sbuf);
  e->sbuf = NULL;
  e->sq = 0;
  int rc = encode(e, e->stack, q, &e->sbuf, &e->slen);
  if (rc != WAPF_OK)
    return rc;
  e->sq = q;
  size_t hdr = wapf__jpeg_header_len(e->sbuf, e->slen);
  size_t data = e->slen > hdr ? e->slen - hdr : 0;
  *out = hdr + (size_t)((double)data * e->full_h / e->stack->Ysize);
  return WAPF_OK;
}

/* Predicted size of the whole picture at quality q. */
static int predict(enc *e, VipsImage *im, int q, size_t *out) {
  if (e->stack)
    return predict_stack(e, q, out);
  uint64_t pixels = (uint64_t)im->Xsize * im->Ysize;
  int bh = im->Ysize / (SAMPLE_BANDS * 8) / 16 * 16;
  if (pixels <= SAMPLE_MIN_PIXELS || bh < 16)
    return encode_len(e, im, q, out);
  size_t header = 0, sum = 0;
  VipsImage *t = NULL;
  if (vips_crop(im, &t, 0, 0, im->Xsize < 16 ? im->Xsize : 16, 16, NULL))
    return wapf__from_vips(e->ctx, "crop");
  int rc = encode_len(e, t, q, &header);
  g_object_unref(t);
  for (int i = 0; rc == WAPF_OK && i < SAMPLE_BANDS; i++) {
    int top = (int)((int64_t)(im->Ysize - bh) * i / (SAMPLE_BANDS - 1));
    size_t n = 0;
    if (vips_crop(im, &t, 0, top, im->Xsize, bh, NULL))
      return wapf__from_vips(e->ctx, "crop");
    rc = encode_len(e, t, q, &n);
    g_object_unref(t);
    sum += n > header ? n - header : 0;
  }
  if (rc == WAPF_OK)
    *out = header + (size_t)((double)sum * im->Ysize / (bh * SAMPLE_BANDS));
  return rc;
}

/* Highest quality in [Q_MIN, Q_MAX] predicted to fit target; Q_MIN - 1
 * when none does. *at_min receives the prediction at Q_MIN. */
static int search_quality(enc *e, VipsImage *im, size_t target, int *q_out,
                          size_t *at_min) {
  size_t n = 0;
  int rc = predict(e, im, Q_MAX, &n);
  if (rc != WAPF_OK || n <= target) {
    *q_out = Q_MAX;
    return rc;
  }
  rc = predict(e, im, Q_MIN, at_min);
  if (rc != WAPF_OK || *at_min > target) {
    *q_out = Q_MIN - 1;
    return rc;
  }
  int lo = Q_MIN, hi = Q_MAX; /* lo fits, hi does not */
  while (rc == WAPF_OK && hi - lo > 1) {
    int mid = (lo + hi) / 2;
    rc = predict(e, im, mid, &n);
    if (n <= target)
      lo = mid;
    else
      hi = mid;
    if (rc == WAPF_OK)
      rc = wapf__progress(e->ctx, e->opt, -1);
  }
  *q_out = lo;
  return rc;
}

static int resize_to(enc *e, VipsImage **im, double f) {
  VipsImage *x = NULL;
  int w = (int)((*im)->Xsize * f), h = (int)((*im)->Ysize * f);
  if (w < 1 || h < 1)
    f = 1.0 / ((*im)->Xsize < (*im)->Ysize ? (*im)->Xsize : (*im)->Ysize);
  if (vips_resize(*im, &x, f, NULL))
    return wapf__from_vips(e->ctx, "resize");
  /* Keep the reduced picture in memory: it is encoded several times. */
  VipsImage *m = vips_image_copy_memory(x);
  g_object_unref(x);
  if (!m)
    return wapf__from_vips(e->ctx, "resize");
  g_object_unref(*im);
  *im = m;
  return WAPF_OK;
}

/* Large pictures go through the stacked bands and the one-pass encoder
 * when they lose their metadata anyway (PNG keeps the per-band
 * prediction and libvips' encoder). */
static int use_stack(const enc *e, VipsImage *im) {
  uint64_t pixels = (uint64_t)im->Xsize * im->Ysize;
  return !e->png && e->strip && pixels > SAMPLE_MIN_PIXELS &&
         wapf__bands_height(im->Ysize) > 0;
}

/* The bands of im, when it takes the one-pass route. */
static int prepare_stack(enc *e, VipsImage *im) {
  enc_clear(e);
  if (!use_stack(e, im))
    return WAPF_OK;
  e->full_h = im->Ysize;
  return wapf__bands_crop(e->ctx, im, &e->stack);
}

/* One pass over im at q with tables fitted on the bands' encode at q. */
static int encode_onepass(enc *e, VipsImage *im, int q, void **buf,
                          size_t *len) {
  size_t pred = 0;
  int rc = e->sq == q ? WAPF_OK : predict_stack(e, q, &pred);
  size_t hint = (size_t)((double)e->slen * im->Ysize / e->stack->Ysize * 1.1);
  if (rc == WAPF_OK)
    rc = wapf__jpeg_onepass(e->ctx, im, e->sbuf, e->slen, q, hint, buf, len);
  return rc;
}

/* Encode at q and keep it when within budget (*done = 1). */
static int try_final(enc *e, VipsImage *im, int q, size_t budget,
                     wapf_budget_result *res, int *done, size_t *got) {
  void *buf = NULL;
  size_t len = 0;
  int rc = e->stack ? encode_onepass(e, im, q, &buf, &len)
                    : encode(e, im, q, &buf, &len);
  *got = len;
  if (rc == WAPF_OK && len <= budget) {
    res->buf = buf;
    res->len = len;
    res->quality = e->png ? 0 : q;
    res->width = im->Xsize;
    res->height = im->Ysize;
    *done = 1;
    return WAPF_OK;
  }
  g_free(buf);
  return rc;
}

/* One round at the current size: pick the quality, encode, verify. The
 * size to aim at next is returned in *next_pred (a prediction at
 * Q_RESIZE, or the last actual size). */
static int round_at_size(enc *e, VipsImage *im, size_t budget,
                         wapf_budget_result *res, int *done, size_t *over) {
  size_t target = budget - budget / 50, at_min = 0, got = 0;
  int q = Q_MAX, rc = prepare_stack(e, im);
  if (rc == WAPF_OK && !e->png)
    rc = search_quality(e, im, target, &q, &at_min);
  while (rc == WAPF_OK && q >= Q_MIN && !*done) {
    rc = try_final(e, im, q, budget, res, done, &got);
    wapf__log(e->ctx, WAPF_LOG_DEBUG, "%dx%d q%d: %zu bytes", im->Xsize,
              im->Ysize, q, got);
    if (e->png)
      break;
    q -= 3;
  }
  if (rc == WAPF_OK && !*done && !e->png)
    rc = predict(e, im, Q_RESIZE, &got);
  *over = got;
  return rc;
}

int wapf__img_encode_budget(wapf_context *ctx, const wapf_options *opt,
                            VipsImage *in, int png, int strip, size_t budget,
                            wapf_budget_result *res) {
  enc e = {ctx, opt, png, strip, NULL, 0, NULL, 0, 0};
  VipsImage *im = in;
  int done = 0, rc = WAPF_OK;
  memset(res, 0, sizeof *res);
  g_object_ref(im);
  for (int round = 0; rc == WAPF_OK && !done && round < 12; round++) {
    size_t over = 0;
    rc = round_at_size(&e, im, budget, res, &done, &over);
    if (rc == WAPF_OK && !done) {
      double f = sqrt((double)(budget - budget / 20) / (double)over);
      f = f > 0.95 ? 0.95 : f;
      wapf__log(ctx, WAPF_LOG_DEBUG, "reducing by %.3f", f);
      rc = resize_to(&e, &im, f);
    }
    if (rc == WAPF_OK)
      rc = wapf__progress(ctx, opt, -1);
  }
  g_object_unref(im);
  enc_clear(&e);
  if (rc == WAPF_OK && !done)
    rc = wapf__fail(ctx, WAPF_EUNFIXABLE,
                    "no encoding of the picture fits %zu bytes", budget);
  return rc;
}

/* The streamed route: pass 1 collects the bands, the quality is searched
 * on them, pass 2 encodes at that quality. Gives up (WAPF_OK, no buffer)
 * when the picture is small, needs a quality under Q_MIN, or the encode
 * comes out over budget: the caller then takes the in-memory route. */
int wapf__img_encode_streamed(wapf_context *ctx, const wapf_options *opt,
                              wapf_img_opener open, void *arg, size_t budget,
                              wapf_budget_result *res) {
  enc e = {ctx, opt, 0, 1, NULL, 0, NULL, 0, 0};
  VipsImage *src = NULL;
  size_t target = budget - budget / 50, at_min = 0, len = 0;
  void *buf = NULL;
  int q = 0, rc = open(arg, &src);
  memset(res, 0, sizeof *res);
  if (rc != WAPF_OK || !src || !use_stack(&e, src)) {
    if (src)
      g_object_unref(src);
    return rc;
  }
  e.full_h = src->Ysize;
  rc = wapf__bands_stream(ctx, src, &e.stack);
  g_object_unref(src);
  src = NULL;
  if (rc == WAPF_OK)
    rc = wapf__progress(ctx, opt, -1);
  if (rc == WAPF_OK)
    rc = search_quality(&e, NULL, target, &q, &at_min);
  if (rc == WAPF_OK && q >= Q_MIN)
    rc = open(arg, &src);
  if (rc == WAPF_OK && src && src->Ysize == e.full_h)
    rc = encode_onepass(&e, src, q, &buf, &len);
  wapf__log(ctx, WAPF_LOG_DEBUG, "streamed: q%d, %zu bytes", q, len);
  if (rc == WAPF_OK && buf && len <= budget) {
    res->buf = buf;
    res->len = len;
    res->quality = q;
    res->width = src->Xsize;
    res->height = src->Ysize;
    buf = NULL;
  }
  g_free(buf);
  if (src)
    g_object_unref(src);
  enc_clear(&e);
  return rc;
}
