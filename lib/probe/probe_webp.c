/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* WebP facts from libwebp's demuxer: canvas, animation (frames, delays,
 * loop), alpha, EXIF and ICC chunks. A first-frame decode at a small scale
 * finds broken bitstreams that the container parse accepts. */
#include "probe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <webp/decode.h>
#include <webp/demux.h>

/* Decode check only up to this many pixels: a lossless WebP is decoded
 * into a full ARGB frame whatever the output scale. */
#define WEBP_CHECK_MAX_PIXELS (16 * 1000 * 1000)
#define WEBP_CHECK_BOX 64

static const char *vp8_status_text(VP8StatusCode st) {
  switch (st) {
  case VP8_STATUS_OK: return "ok";
  case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
  case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
  case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
  case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
  case VP8_STATUS_SUSPENDED: return "suspended";
  case VP8_STATUS_USER_ABORT: return "aborted";
  case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data (truncated)";
  }
  return "unknown error";
}

/* libwebp status -> a damage line (ENOMEM is an error, not damage). */
static int from_vp8_status(wapf_context *ctx, wapf_facts *f, VP8StatusCode st,
                           int frame) {
  if (st == VP8_STATUS_OK)
    return WAPF_OK;
  if (st == VP8_STATUS_OUT_OF_MEMORY)
    return wapf__fail(ctx, WAPF_ENOMEM, "libwebp: out of memory");
  wapf__set_damage(f, "WebP frame %d cannot be decoded: %s", frame,
                   vp8_status_text(st));
  return WAPF_OK;
}

/* Decode the frame's bitstream into a thumbnail and drop it. */
static int decode_check(wapf_context *ctx, wapf_facts *f,
                        const WebPIterator *it) {
  WebPDecoderConfig cfg;
  if (!WebPInitDecoderConfig(&cfg))
    return WAPF_OK;
  const uint8_t *p = it->fragment.bytes;
  size_t n = it->fragment.size;
  VP8StatusCode st = WebPGetFeatures(p, n, &cfg.input);
  if (st == VP8_STATUS_OK &&
      (int64_t)cfg.input.width * cfg.input.height <= WEBP_CHECK_MAX_PIXELS) {
    int w = cfg.input.width, h = cfg.input.height;
    int big = w > h ? w : h;
    cfg.options.use_scaling = big > WEBP_CHECK_BOX;
    cfg.options.scaled_width =
        big > WEBP_CHECK_BOX ? (w * WEBP_CHECK_BOX + big - 1) / big : w;
    cfg.options.scaled_height =
        big > WEBP_CHECK_BOX ? (h * WEBP_CHECK_BOX + big - 1) / big : h;
    cfg.output.colorspace = MODE_RGBA;
    st = WebPDecode(p, n, &cfg);
    WebPFreeDecBuffer(&cfg.output);
  }
  return from_vp8_status(ctx, f, st, it->frame_num);
}

/* Per-frame delays, alpha, and the decode check of the first frame. */
static int frame_facts(wapf_context *ctx, WebPDemuxer *d, wapf_facts *f) {
  wapf_image_facts *img = &f->image;
  int n = img->frames;
  WebPIterator it;
  if (n < 1 || !WebPDemuxGetFrame(d, 1, &it))
    return WAPF_OK;
  if (img->animated) {
    img->delays_ms = calloc((size_t)n, sizeof *img->delays_ms);
    if (!img->delays_ms) {
      WebPDemuxReleaseIterator(&it);
      return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
    }
    img->n_delays = (size_t)n;
  }
  int rc = decode_check(ctx, f, &it);
  int i = 0;
  do {
    img->has_alpha |= it.has_alpha;
    if (img->delays_ms && i < n) {
      img->delays_ms[i++] = it.duration;
      img->duration += it.duration / 1000.0;
    }
  } while (WebPDemuxNextFrame(&it));
  WebPDemuxReleaseIterator(&it);
  return rc;
}

static void chunk_facts(WebPDemuxer *d, wapf_image_facts *img, uint32_t flags) {
  WebPChunkIterator c;
  img->has_icc = (flags & ICCP_FLAG) != 0;
  if (WebPDemuxGetChunk(d, "ICCP", 1, &c)) {
    img->has_icc = 1;
    WebPDemuxReleaseChunkIterator(&c);
  }
  if (WebPDemuxGetChunk(d, "EXIF", 1, &c)) {
    img->has_exif = 1;
    wapf__exif_scan(c.chunk.bytes, c.chunk.size, &img->orientation,
                    &img->has_gps);
    WebPDemuxReleaseChunkIterator(&c);
  }
}

static int demux_facts(wapf_context *ctx, WebPDemuxer *d, wapf_facts *f) {
  wapf_image_facts *img = &f->image;
  uint32_t flags = WebPDemuxGetI(d, WEBP_FF_FORMAT_FLAGS);
  img->width = (int)WebPDemuxGetI(d, WEBP_FF_CANVAS_WIDTH);
  img->height = (int)WebPDemuxGetI(d, WEBP_FF_CANVAS_HEIGHT);
  int rc = wapf__check_pixels(ctx, "WebP", img->width, img->height);
  if (rc != WAPF_OK)
    return rc;
  img->frames = (int)WebPDemuxGetI(d, WEBP_FF_FRAME_COUNT);
  img->animated = (flags & ANIMATION_FLAG) && img->frames > 1;
  img->loop =
      (flags & ANIMATION_FLAG) ? (int)WebPDemuxGetI(d, WEBP_FF_LOOP_COUNT) : 0;
  img->has_alpha = (flags & ALPHA_FLAG) != 0;
  img->alpha_used = -1;
  img->bit_depth = 8;
  wapf__strlcpy(img->interpretation, "srgb", sizeof img->interpretation);
  wapf__strlcpy(img->loader, "webpdemux", sizeof img->loader);
  chunk_facts(d, img, flags);
  rc = frame_facts(ctx, d, f);
  img->bands = img->has_alpha ? 4 : 3;
  if (img->frames < 1)
    img->frames = 1;
  return rc;
}

static int probe_mapped(wapf_context *ctx, const uint8_t *p, wapf_facts *f) {
  WebPData data = {p, (size_t)f->size};
  WebPDemuxState state;
  WebPDemuxer *d = WebPDemuxPartial(&data, &state);
  if (!d)
    return wapf__fail(ctx, WAPF_EUNSUPPORTED,
                      "%s: libwebp cannot parse this WebP container", f->path);
  if (state != WEBP_DEMUX_DONE)
    wapf__set_damage(f, "the WebP is truncated: its chunks end before %s",
                     state == WEBP_DEMUX_PARSED_HEADER ? "the last frame"
                                                       : "the header");
  int rc = WAPF_OK;
  if (state == WEBP_DEMUX_PARSING_HEADER)
    rc = wapf__fail(ctx, WAPF_EUNSUPPORTED, "%s: WebP header incomplete",
                    f->path);
  else
    rc = demux_facts(ctx, d, f);
  WebPDemuxDelete(d);
  return rc;
}

int wapf__probe_webp(wapf_context *ctx, wapf_facts *f) {
  if (f->size < 12 || (uint64_t)f->size > SIZE_MAX)
    return WAPF_EUNSUPPORTED;
  int fd = open(f->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wapf__from_errno(ctx, errno, f->path);
  void *p = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  close(fd);
  if (p == MAP_FAILED)
    return wapf__from_errno(ctx, err, f->path);
  int rc = probe_mapped(ctx, p, f);
  munmap(p, (size_t)f->size);
  if (rc == WAPF_OK) {
    f->media = WAPF_MEDIA_IMAGE;
    wapf__strlcpy(f->format, "webp", sizeof f->format);
  }
  return rc;
}
