/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transparent video frames (animated GIFs, APNG, RGBA sources) become
 * opaque on the background colour before they reach an encoder without
 * alpha: otherwise whatever colour the transparent pixels hold (often
 * black) would show. */
#include "av.h"

#include <libavutil/pixdesc.h>

/* Packed 8-bit RGB with alpha, 4 bytes a pixel (RGBA, BGRA, ARGB, ABGR):
 * fills off[] with the byte offsets of R, G, B, A. */
static int packed_rgba(enum AVPixelFormat fmt, int off[4]) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
  if (!d || d->nb_components != 4 || !(d->flags & AV_PIX_FMT_FLAG_RGB) ||
      !(d->flags & AV_PIX_FMT_FLAG_ALPHA) ||
      (d->flags & AV_PIX_FMT_FLAG_PLANAR))
    return 0;
  for (int i = 0; i < 4; i++) {
    if (d->comp[i].depth != 8 || d->comp[i].step != 4 || d->comp[i].plane)
      return 0;
    off[i] = d->comp[i].offset;
  }
  return 1;
}

static uint8_t over(int c, int a, int bg) {
  return (uint8_t)((c * a + bg * (255 - a) + 127) / 255);
}

static void blend_row(uint8_t *p, int width, const int off[4],
                      const int bg[3]) {
  for (int x = 0; x < width; x++, p += 4) {
    int a = p[off[3]];
    if (a == 255)
      continue;
    for (int c = 0; c < 3; c++)
      p[off[c]] = over(p[off[c]], a, bg[c]);
    p[off[3]] = 255;
  }
}

int wapf__flatten_alpha(wapf_context *ctx, AVFrame *f, uint32_t rgb) {
  int off[4];
  if (!packed_rgba((enum AVPixelFormat)f->format, off))
    return WAPF_OK; /* nothing to do, or a format left to the encoder */
  int rc = av_frame_make_writable(f);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "flattening transparency");
  const int bg[3] = {(int)(rgb >> 16) & 255, (int)(rgb >> 8) & 255,
                     (int)rgb & 255};
  for (int y = 0; y < f->height; y++)
    blend_row(f->data[0] + (ptrdiff_t)y * f->linesize[0], f->width, off, bg);
  return WAPF_OK;
}
