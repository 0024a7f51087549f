/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The first frame of an image sequence (animated AVIF/HEIF) that libvips
 * cannot read, decoded by the av module (FFmpeg), as a VipsImage: sent as
 * an image it becomes its first frame, as an animated GIF does. */
#include "image.h"

#include <string.h>

#define TAKEN 1 /* stops the decoding after the first frame */

typedef struct first {
  VipsImage *im;
} first;

static int take(void *cookie, const uint8_t *rgba, int width, int height,
                int stride, int64_t pts_ms) {
  (void)pts_ms;
  first *s = cookie;
  size_t row = (size_t)width * 4;
  uint8_t *buf = g_try_malloc(row * (size_t)height);
  if (!buf)
    return WAPF_ENOMEM;
  for (int y = 0; y < height; y++)
    memcpy(buf + row * (size_t)y, rgba + (size_t)stride * (size_t)y, row);
  s->im = vips_image_new_from_memory_copy(buf, row * (size_t)height, width,
                                          height, 4, VIPS_FORMAT_UCHAR);
  g_free(buf);
  if (!s->im)
    return WAPF_ENOMEM;
  s->im->Type = VIPS_INTERPRETATION_sRGB;
  return TAKEN;
}

static int long_side(const wapf_facts *f) {
  int best = 0;
  for (size_t i = 0; i < f->n_streams; i++) {
    const wapf_stream *s = &f->streams[i];
    if (s->type == WAPF_STREAM_VIDEO && !s->attached_pic)
      best = s->width > s->height ? s->width : s->height;
    if (best > 0)
      break;
  }
  return best;
}

int wapf__img_first_frame(wapf_context *ctx, const wapf_facts *f,
                          uint32_t background, VipsImage **out) {
  first s = {0};
  int box = long_side(f);
  if (box < 1)
    return wapf__fail(ctx, WAPF_EUNSUPPORTED, "%s: no picture to decode",
                      f->path);
  int rc = wapf__av_decode_frames(ctx, f, 0, -1, 0, box, take, &s);
  if (rc == TAKEN && s.im) {
    rc = wapf__img_to_srgb8(ctx, s.im, 0, background, out);
  } else if (rc == WAPF_ENOMEM) {
    rc = wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  } else if (rc == WAPF_OK || rc == TAKEN) {
    rc = wapf__fail(ctx, WAPF_ECORRUPT, "%s: no frame decoded", f->path);
  }
  if (s.im)
    g_object_unref(s.im);
  return rc;
}
