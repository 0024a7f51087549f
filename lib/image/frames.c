/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Frames of an animated sticker from its source, each fitted on the
 * 512x512 canvas, with their start times.
 *
 * Sources: an animated GIF (libvips, read sequentially page by page), an
 * animated WebP (libwebp's demuxer and scaled decoding, composed here:
 * Debian's FFmpeg cannot decode it), or anything with a video stream (lib/av's
 * wapf__av_decode_frames). Frames closer together than 1000/max_fps ms are
 * dropped as they arrive, and nothing past WAPF_ANIM_MAX_MS after the start is
 * kept, so memory is bounded by max_fps * 10 s canvases (150 MiB at 15 fps). */
#include "image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#define GIF_MIN_DELAY_MS 20 /* browsers show shorter GIF delays as 100 */
#define GIF_DEFAULT_DELAY_MS 100
#define ANIM_READ_MAX (64u << 20)
/* Source pixels an animation may make us decode (GIF pages, WebP frames):
 * about 10 s of CPU. Past it the file is refused, whatever its size. */
#define ANIM_PIXEL_BUDGET (1000ull * 1000 * 1000)

static int over_budget(wapf_context *ctx, const char *path, int frame, int w,
                       int h) {
  return wapf__fail(ctx, WAPF_ELIMIT,
                    "%s: the animation's frames hold more than %llu million "
                    "pixels (frame %d is %dx%d): too much to decode",
                    path, ANIM_PIXEL_BUDGET / 1000000, frame, w, h);
}

/* The same bound, known from the header before anything is decoded. */
static int over_budget_declared(wapf_context *ctx, const char *path, int n,
                                int w, int h) {
  return wapf__fail(ctx, WAPF_ELIMIT,
                    "%s: the %d frames to show are %dx%d each, more than %llu "
                    "million pixels: too much to decode",
                    path, n, w, h, ANIM_PIXEL_BUDGET / 1000000);
}

void wapf__frames_free(wapf_frames *fr) {
  for (int i = 0; i < fr->n; i++)
    g_free(fr->v[i].rgba);
  free(fr->v);
  memset(fr, 0, sizeof *fr);
}

static int push(wapf_context *ctx, wapf_frames *fr, uint8_t *rgba, int64_t t) {
  if (fr->n == fr->cap) {
    int cap = fr->cap ? fr->cap * 2 : 64;
    wapf_frame *v = realloc(fr->v, (size_t)cap * sizeof *v);
    if (!v) {
      g_free(rgba);
      return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
    }
    fr->v = v;
    fr->cap = cap;
  }
  fr->v[fr->n].rgba = rgba;
  fr->v[fr->n].t_ms = t;
  fr->n++;
  fr->bytes += (size_t)fr->side * fr->side * 4;
  return WAPF_OK;
}

/* Fit one source frame (an sRGB image of any band count) on the canvas. */
static int add_image(wapf_context *ctx, wapf_frames *fr, VipsImage *src,
                     int64_t t, wapf_fit fit) {
  VipsImage *rgba = NULL, *c = NULL;
  int rc = wapf__img_to_srgb8(ctx, src, 1, 0, &rgba);
  if (rc == WAPF_OK)
    rc = wapf__img_fit_canvas(ctx, rgba, fit, fr->side, fr->scale, &c);
  if (rgba)
    g_object_unref(rgba);
  if (rc != WAPF_OK)
    return rc;
  size_t len = 0;
  uint8_t *mem = vips_image_write_to_memory(c, &len);
  g_object_unref(c);
  if (!mem || len != (size_t)fr->side * fr->side * 4) {
    g_free(mem);
    return wapf__from_vips(ctx, "animation frame");
  }
  return push(ctx, fr, mem, t);
}

/* Whether a frame starting at t (ms from the source's start) is kept. */
static int wanted(const wapf_frames *fr, int64_t t, int64_t min_gap) {
  /* a frame must be able to last 8 ms and still end by max_ms */
  if (t < 0 || t > fr->max_ms - WAPF_ANIM_MIN_FRAME_MS)
    return 0;
  return fr->n == 0 || t - fr->v[fr->n - 1].t_ms >= min_gap;
}

/* A frame that already fits the canvas exactly (lib/av scaled it) is
 * only centred: no resampling, no libvips round trip. */
static int add_centred(wapf_context *ctx, wapf_frames *fr, const uint8_t *rgba,
                       int w, int h, int stride, int64_t t) {
  size_t side = (size_t)fr->side;
  uint8_t *c = g_try_malloc0(side * side * 4);
  if (!c)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  size_t x0 = (side - (size_t)w) / 2, y0 = (side - (size_t)h) / 2;
  for (int y = 0; y < h; y++)
    memcpy(c + ((y0 + (size_t)y) * side + x0) * 4, rgba + (size_t)y * stride,
           (size_t)w * 4);
  return push(ctx, fr, c, t);
}

int wapf__frames_add(wapf_context *ctx, wapf_frames *fr, const uint8_t *rgba,
                     int w, int h, int stride, int64_t t_ms, wapf_fit fit,
                     int64_t min_gap_ms) {
  if (!wanted(fr, t_ms, min_gap_ms))
    return WAPF_OK;
  if (w <= 0 || h <= 0 || stride < w * 4)
    return wapf__fail(ctx, WAPF_EINTERNAL, "bad frame geometry");
  if (fit == WAPF_FIT_CONTAIN && fr->scale == 1.0 && w <= fr->side &&
      h <= fr->side && (w == fr->side || h == fr->side))
    return add_centred(ctx, fr, rgba, w, h, stride, t_ms);
  uint8_t *packed = g_try_malloc((size_t)w * h * 4);
  if (!packed)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  for (int y = 0; y < h; y++)
    memcpy(packed + (size_t)y * w * 4, rgba + (size_t)y * stride,
           (size_t)w * 4);
  VipsImage *im = vips_image_new_from_memory(packed, (size_t)w * h * 4, w, h, 4,
                                             VIPS_FORMAT_UCHAR);
  int rc = im ? add_image(ctx, fr, im, t_ms, fit)
              : wapf__from_vips(ctx, "animation frame");
  if (im)
    g_object_unref(im);
  g_free(packed);
  return rc;
}

/* Close the list: the last frame lasts like the one before it (or
 * last_ms), and the total is capped at 10 s. */
static void finish(wapf_frames *fr, int64_t end_ms) {
  if (end_ms > fr->max_ms)
    end_ms = fr->max_ms;
  if (fr->n && end_ms < fr->v[fr->n - 1].t_ms + WAPF_ANIM_MIN_FRAME_MS)
    end_ms = fr->v[fr->n - 1].t_ms + WAPF_ANIM_MIN_FRAME_MS;
  fr->end_ms = end_ms;
}

/* ---- GIF through libvips ---- */

static int gif_delay(const int *d, int nd, int i) {
  int v = i < nd ? d[i] : GIF_DEFAULT_DELAY_MS;
  return v < GIF_MIN_DELAY_MS ? GIF_DEFAULT_DELAY_MS : v;
}

/* Read page i of the column of pages without keeping it: libvips' GIF
 * loader is sequential, and a crop further down makes it skip ahead at a
 * cost that grows with the lines skipped (one 480x33247 page skipped took
 * over 80 s). libnsgif decodes every page anyway to compose the next. */
static int gif_drain(wapf_context *ctx, VipsImage *all, int i, int ph) {
  VipsRegion *reg = vips_region_new(all);
  int rc = reg ? WAPF_OK : wapf__from_vips(ctx, "GIF page");
  for (int y = 0; rc == WAPF_OK && y < ph; y += 64) {
    VipsRect r = {0, i * ph + y, all->Xsize, ph - y < 64 ? ph - y : 64};
    if (vips_region_prepare(reg, &r))
      rc = wapf__from_vips(ctx, "GIF page");
  }
  if (reg)
    g_object_unref(reg);
  return rc;
}

/* Pages shown before max_ms (from t0, negative with --start) and the
 * pixels libvips renders for them: each page is the whole screen. */
static uint64_t gif_work(const int *d, int nd, int pages, int64_t t0,
                         int64_t max_ms, uint64_t page_px, int *needed) {
  int64_t t = t0;
  int n = 0;
  for (; n < pages && t < max_ms; n++)
    t += gif_delay(d, nd, n);
  *needed = n;
  return page_px * (uint64_t)n;
}

static int load_gif(wapf_context *ctx, const char *path,
                    const wapf_options *opt, int64_t gap, wapf_frames *fr) {
  VipsImage *all = NULL;
  if (vips_gifload(path, &all, "n", -1, "access", VIPS_ACCESS_SEQUENTIAL, NULL))
    return wapf__from_vips(ctx, path);
  int ph = vips_image_get_page_height(all);
  int pages = all->Ysize / ph, nd = 0, *src = NULL, rc = WAPF_OK;
  if (vips_image_get_typeof(all, "delay"))
    vips_image_get_array_int(all, "delay", &src, &nd);
  /* our own copy: the loader may replace its metadata while reading */
  int *d = nd > 0 ? g_memdup2(src, (gsize)nd * sizeof *d) : NULL;
  nd = d ? nd : 0;
  int64_t t = -(int64_t)(opt->start * 1000), total = 0;
  for (int i = 0; i < pages; i++)
    total += gif_delay(d, nd, i);
  fr->src_ms = total;
  /* the work is known from the header: refuse before decoding any page */
  int needed = 0;
  if (gif_work(d, nd, pages, t, fr->max_ms, (uint64_t)all->Xsize * ph,
               &needed) > ANIM_PIXEL_BUDGET)
    rc = over_budget_declared(ctx, path, needed, all->Xsize, ph);
  for (int i = 0; rc == WAPF_OK && i < pages && t < fr->max_ms; i++) {
    int64_t next = t + gif_delay(d, nd, i);
    /* a frame under way at the trim start is shown from 0 */
    int64_t ts = t < 0 && next > 0 ? 0 : t;
    if (!wanted(fr, ts, gap)) {
      rc = gif_drain(ctx, all, i, ph);
    } else {
      VipsImage *pg = NULL;
      if (vips_crop(all, &pg, 0, i * ph, all->Xsize, ph, NULL))
        rc = wapf__from_vips(ctx, path);
      else
        rc = add_image(ctx, fr, pg, ts, opt->fit);
      if (pg)
        g_object_unref(pg);
    }
    t = next;
    if (rc == WAPF_OK)
      rc = wapf__progress(ctx, opt, -1);
  }
  g_object_unref(all);
  g_free(d);
  finish(fr, t);
  return rc;
}

/* ---- animated WebP, composed at a working size ---- */

/* libwebp's WebPAnimDecoder keeps two canvases at full size: a 4,844-byte
 * file of 100 1x1 frames on a 12999x12999 canvas made it hold 1.3 GB.
 * Here each frame is decoded already scaled (libwebp's scaled decoding)
 * and composed on a canvas of at most ANIM_WORK_SIDE, the source pixels
 * decoded are counted against ANIM_PIXEL_BUDGET, and cancellation is
 * checked after every frame. */
#define ANIM_WORK_SIDE (2 * WAPF_STICKER_SIDE)

typedef struct webp_canvas {
  uint8_t *px; /* w x h RGBA, not premultiplied */
  int w, h;
  double s; /* working size / source size */
  uint64_t decoded;
  int dx, dy, dw, dh, dispose; /* the previous frame's rectangle */
} webp_canvas;

static int scaled(int v, double s) {
  int r = (int)(v * s + 0.5);
  return r < 1 ? 1 : r;
}

/* src over dst, both RGBA not premultiplied */
static void blend_px(uint8_t *d, const uint8_t *src) {
  unsigned sa = src[3], da = d[3] * (255u - sa) / 255u, oa = sa + da;
  if (oa == 0) {
    memset(d, 0, 4);
    return;
  }
  for (int k = 0; k < 3; k++)
    d[k] = (uint8_t)((src[k] * sa + d[k] * da) / oa);
  d[3] = (uint8_t)oa;
}

static void clear_rect(webp_canvas *c) {
  for (int y = c->dy; y < c->dy + c->dh; y++)
    memset(c->px + ((size_t)y * c->w + c->dx) * 4, 0, (size_t)c->dw * 4);
}

/* Decode one frame, scaled, and put it on the canvas. */
static int compose(wapf_context *ctx, webp_canvas *c, const WebPIterator *it) {
  WebPDecoderConfig dc;
  if (!WebPInitDecoderConfig(&dc))
    return wapf__fail(ctx, WAPF_EINTERNAL, "libwebp version mismatch");
  int x = (int)(it->x_offset * c->s), y = (int)(it->y_offset * c->s);
  int fw = scaled(it->width, c->s), fh = scaled(it->height, c->s);
  if (x >= c->w || y >= c->h) {
    c->dw = c->dh = c->dispose = 0; /* nothing drawn, nothing to clear */
    return WAPF_OK;
  }
  dc.output.colorspace = MODE_RGBA;
  if (fw != it->width || fh != it->height) {
    dc.options.use_scaling = 1;
    dc.options.scaled_width = fw;
    dc.options.scaled_height = fh;
  }
  int st = WebPDecode(it->fragment.bytes, it->fragment.size, &dc);
  if (st != VP8_STATUS_OK) {
    WebPFreeDecBuffer(&dc.output);
    return wapf__from_vp8(ctx, st, "animated WebP frame");
  }
  const WebPRGBABuffer *o = &dc.output.u.RGBA;
  int w = fw < c->w - x ? fw : c->w - x, h = fh < c->h - y ? fh : c->h - y;
  for (int r = 0; r < h; r++) {
    uint8_t *d = c->px + ((size_t)(y + r) * c->w + x) * 4;
    const uint8_t *src = o->rgba + (size_t)r * o->stride;
    if (it->blend_method == WEBP_MUX_NO_BLEND)
      memcpy(d, src, (size_t)w * 4);
    else
      for (int k = 0; k < w; k++)
        blend_px(d + k * 4, src + k * 4);
  }
  WebPFreeDecBuffer(&dc.output);
  c->dx = x, c->dy = y, c->dw = w, c->dh = h;
  c->dispose = it->dispose_method == WEBP_MUX_DISPOSE_BACKGROUND;
  return WAPF_OK;
}

static int webp_frame(wapf_context *ctx, webp_canvas *c, const WebPIterator *it,
                      const char *path) {
  c->decoded += (uint64_t)it->width * (uint64_t)it->height;
  if (c->decoded > ANIM_PIXEL_BUDGET)
    return over_budget(ctx, path, it->frame_num, it->width, it->height);
  if (c->dispose)
    clear_rect(c);
  return compose(ctx, c, it);
}

static int webp_frames(wapf_context *ctx, WebPDemuxer *dmx, const char *path,
                       const wapf_options *opt, int64_t gap, wapf_frames *fr) {
  int cw = (int)WebPDemuxGetI(dmx, WEBP_FF_CANVAS_WIDTH);
  int ch = (int)WebPDemuxGetI(dmx, WEBP_FF_CANVAS_HEIGHT);
  int big = cw > ch ? cw : ch;
  webp_canvas c = {0};
  c.s = big > ANIM_WORK_SIDE ? (double)ANIM_WORK_SIDE / big : 1.0;
  c.w = scaled(cw, c.s);
  c.h = scaled(ch, c.s);
  c.px = g_try_malloc0((size_t)c.w * c.h * 4);
  if (!c.px)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  WebPIterator it;
  int64_t start = (int64_t)(opt->start * 1000), prev = 0;
  int rc = WebPDemuxGetFrame(dmx, 1, &it)
               ? WAPF_OK
               : wapf__fail(ctx, WAPF_ECORRUPT, "%s: no frame", path);
  for (int more = rc == WAPF_OK; more && rc == WAPF_OK;
       more = WebPDemuxNextFrame(&it)) {
    int64_t end = prev + it.duration, t = prev - start;
    if (t < 0 && end - start > 0)
      t = 0;
    /* past the time kept, only the durations are read */
    if (t <= fr->max_ms)
      rc = webp_frame(ctx, &c, &it, path);
    if (rc == WAPF_OK && t <= fr->max_ms)
      rc = wapf__frames_add(ctx, fr, c.px, c.w, c.h, c.w * 4, t, opt->fit, gap);
    if (end <= prev) /* zero or broken durations: show 100 ms */
      end = prev + GIF_DEFAULT_DELAY_MS;
    prev = end;
    if (rc == WAPF_OK)
      rc = wapf__progress(ctx, opt, -1);
  }
  WebPDemuxReleaseIterator(&it);
  g_free(c.px);
  fr->src_ms = prev;
  finish(fr, prev - start);
  return rc;
}

static int load_webp(wapf_context *ctx, const char *path,
                     const wapf_options *opt, int64_t gap, wapf_frames *fr) {
  uint8_t *p = NULL;
  size_t n = 0;
  int rc = wapf__read_file(ctx, path, ANIM_READ_MAX, &p, &n);
  if (rc != WAPF_OK)
    return rc;
  WebPData data = {p, n};
  WebPDemuxer *dmx = WebPDemux(&data);
  if (!dmx)
    rc = wapf__from_vp8(ctx, VP8_STATUS_BITSTREAM_ERROR, path);
  else
    rc = webp_frames(ctx, dmx, path, opt, gap, fr);
  WebPDemuxDelete(dmx);
  free(p);
  return rc;
}

/* ---- video through lib/av ---- */

typedef struct av_sink {
  wapf_context *ctx;
  wapf_frames *fr;
  const wapf_options *opt;
  int64_t gap, last_pts, prev_pts;
} av_sink;

static int on_frame(void *cookie, const uint8_t *rgba, int w, int h, int stride,
                    int64_t pts) {
  av_sink *s = cookie;
  s->prev_pts = s->last_pts;
  s->last_pts = pts;
  int rc = wapf__frames_add(s->ctx, s->fr, rgba, w, h, stride, pts, s->opt->fit,
                            s->gap);
  return rc == WAPF_OK ? wapf__progress(s->ctx, s->opt, -1) : rc;
}

/* The box lib/av fits frames into: the canvas for contain; for cover the
 * short side must reach the canvas, so the box is the long side. */
static int av_box(const wapf_facts *f, int side) {
  for (size_t i = 0; i < f->n_streams; i++) {
    const wapf_stream *s = &f->streams[i];
    if (s->type != WAPF_STREAM_VIDEO || s->attached_pic || s->width <= 0 ||
        s->height <= 0)
      continue;
    int lo = s->width < s->height ? s->width : s->height;
    int hi = s->width < s->height ? s->height : s->width;
    double b = ceil((double)side * hi / lo);
    return b > 4096 ? 4096 : (int)b;
  }
  return side;
}

static int load_av(wapf_context *ctx, const wapf_facts *f,
                   const wapf_options *opt, double max_fps, int64_t gap,
                   wapf_frames *fr) {
  av_sink s = {ctx, fr, opt, gap, -1, -1};
  double secs = (double)fr->max_ms / 1000.0;
  int box = opt->fit == WAPF_FIT_COVER ? av_box(f, fr->side) : fr->side;
  int rc = wapf__av_decode_frames(ctx, f, opt->start, secs, max_fps, box,
                                  on_frame, &s);
  if (rc != WAPF_OK)
    return rc;
  int64_t step =
      s.prev_pts >= 0 ? s.last_pts - s.prev_pts : (int64_t)(1000 / max_fps);
  if (step < WAPF_ANIM_MIN_FRAME_MS)
    step = (int64_t)(1000 / max_fps);
  fr->src_ms = f->duration > 0 ? (int64_t)(f->duration * 1000) : -1;
  finish(fr, s.last_pts + step);
  return WAPF_OK;
}

int wapf__frames_load(wapf_context *ctx, const wapf_facts *f,
                      const wapf_options *opt, double max_fps, double scale,
                      wapf_frames *fr) {
  memset(fr, 0, sizeof *fr);
  fr->side = WAPF_STICKER_SIDE;
  fr->scale = scale;
  fr->src_ms = -1;
  fr->max_ms = WAPF_ANIM_MAX_MS;
  if (opt->duration > 0 && opt->duration * 1000 < fr->max_ms)
    fr->max_ms = (int64_t)(opt->duration * 1000);
  if (fr->max_ms < WAPF_ANIM_MIN_FRAME_MS)
    fr->max_ms = WAPF_ANIM_MIN_FRAME_MS;
  int64_t gap = (int64_t)floor(1000.0 / max_fps);
  int rc;
  const char *fmt = f->media == WAPF_MEDIA_IMAGE ? f->format : "";
  if (strcmp(fmt, "gif") == 0)
    rc = load_gif(ctx, f->path, opt, gap, fr);
  else if (strcmp(fmt, "webp") == 0)
    rc = load_webp(ctx, f->path, opt, gap, fr);
  else
    rc = load_av(ctx, f, opt, max_fps, gap, fr);
  if (rc == WAPF_OK && fr->n == 0)
    rc = wapf__fail(ctx, WAPF_EUNFIXABLE,
                    "no frame to make a sticker of "
                    "(is --start past the end?)");
  int64_t left = fr->src_ms - (int64_t)(opt->start * 1000);
  if (rc == WAPF_OK && fr->src_ms > 0 && left > WAPF_ANIM_MAX_MS + 1)
    fr->trimmed = 1;
  if (rc != WAPF_OK)
    wapf__frames_free(fr);
  return rc;
}
