/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sample a size prediction encodes: WAPF_SAMPLE_BANDS row bands
 * spread evenly over the picture, stacked into one small in-memory
 * picture. Taken by crops from a picture in memory, or copied from a
 * streamed one while its rows go by (the only pass that reads it). */
#include "image.h"

#include <string.h>

int wapf__bands_height(int height) {
  int bh = height / (WAPF_SAMPLE_BANDS * 8) / 16 * 16;
  return bh >= 16 ? bh : 0;
}

static int band_top(int height, int bh, int i) {
  return (int)((int64_t)(height - bh) * i / (WAPF_SAMPLE_BANDS - 1));
}

/* An in-memory copy tagged sRGB (what the encoders expect). */
static int to_memory(wapf_context *ctx, VipsImage *in, VipsImage **out) {
  VipsImage *t = NULL;
  if (vips_copy(in, &t, "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
    return wapf__from_vips(ctx, "sample");
  *out = vips_image_copy_memory(t);
  g_object_unref(t);
  return *out ? WAPF_OK : wapf__from_vips(ctx, "sample");
}

int wapf__bands_crop(wapf_context *ctx, VipsImage *im, VipsImage **out) {
  int bh = wapf__bands_height(im->Ysize);
  VipsImage *band[WAPF_SAMPLE_BANDS] = {NULL}, *joined = NULL;
  int rc = bh ? WAPF_OK : wapf__fail(ctx, WAPF_EINTERNAL, "picture too low");
  for (int i = 0; rc == WAPF_OK && i < WAPF_SAMPLE_BANDS; i++)
    if (vips_crop(im, &band[i], 0, band_top(im->Ysize, bh, i), im->Xsize, bh,
                  NULL))
      rc = wapf__from_vips(ctx, "crop");
  if (rc == WAPF_OK &&
      vips_arrayjoin(band, &joined, WAPF_SAMPLE_BANDS, "across", 1, NULL))
    rc = wapf__from_vips(ctx, "join");
  for (int i = 0; i < WAPF_SAMPLE_BANDS; i++)
    if (band[i])
      g_object_unref(band[i]);
  if (rc == WAPF_OK)
    rc = to_memory(ctx, joined, out);
  if (joined)
    g_object_unref(joined);
  return rc;
}

typedef struct collect {
  wapf_context *ctx;
  VipsImage *stack;
  int height, bh;
  size_t row; /* bytes a row */
} collect;

/* Rows of the streamed picture, top to bottom (libvips' write thread). */
static int collect_rows(VipsRegion *r, VipsRect *area, void *arg) {
  collect *c = arg;
  for (int i = 0; i < WAPF_SAMPLE_BANDS; i++) {
    int top = band_top(c->height, c->bh, i);
    int y0 = top > area->top ? top : area->top;
    int y1 = top + c->bh < VIPS_RECT_BOTTOM(area) ? top + c->bh
                                                  : VIPS_RECT_BOTTOM(area);
    for (int y = y0; y < y1; y++)
      memcpy(VIPS_IMAGE_ADDR(c->stack, 0, i * c->bh + y - top),
             VIPS_REGION_ADDR(r, area->left, y), c->row);
  }
  return wapf__cancelled(c->ctx) ? -1 : 0;
}

static int sink_failed(wapf_context *ctx) {
  if (!wapf__cancelled(ctx))
    return wapf__from_vips(ctx, "decode");
  vips_error_clear();
  return wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
}

int wapf__bands_stream(wapf_context *ctx, VipsImage *src, VipsImage **out) {
  collect c = {ctx, NULL, src->Ysize, wapf__bands_height(src->Ysize),
               VIPS_IMAGE_SIZEOF_LINE(src)};
  if (!c.bh)
    return wapf__fail(ctx, WAPF_EINTERNAL, "picture too low");
  c.stack = vips_image_new_memory();
  vips_image_init_fields(c.stack, src->Xsize, c.bh * WAPF_SAMPLE_BANDS,
                         src->Bands, src->BandFmt, VIPS_CODING_NONE,
                         VIPS_INTERPRETATION_sRGB, 1.0, 1.0);
  int rc = WAPF_OK;
  if (vips_image_write_prepare(c.stack))
    rc = wapf__from_vips(ctx, "sample");
  else if (vips_sink_disc(src, collect_rows, &c))
    rc = sink_failed(ctx);
  if (rc != WAPF_OK) {
    g_object_unref(c.stack);
    return rc;
  }
  *out = c.stack;
  return WAPF_OK;
}
