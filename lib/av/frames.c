/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf__av_decode_frames(): upright RGBA frames from a video, for the
 * image module's animated stickers. Same demux/decode/filter stages as
 * the conversions. */
#include "av.h"

#include <math.h>

#include <libavfilter/buffersink.h>

typedef struct frames_state {
  wapf_context *ctx;
  wapf_av_in *in;
  AVStream *st;
  wapf_av_graph graph;
  wapf_vfilter_opts vf;
  AVRational sar;
  double max_ms, max_fps;
  int64_t last_slot; /* fps grid slot of the last frame handed out */
  int64_t emitted;
  int done;
  wapf_frame_fn fn;
  void *cookie;
} frames_state;

static int emit(void *cookie, AVFrame *f) {
  frames_state *s = cookie;
  AVRational tb = av_buffersink_get_time_base(s->graph.sink);
  int64_t ms = av_rescale_q(f->pts, tb, (AVRational){1, 1000});
  if (f->pts == AV_NOPTS_VALUE || ms < 0)
    return 0;
  if (ms >= s->max_ms) {
    s->done = 1;
    return 0;
  }
  if (s->max_fps > 0) {
    int64_t slot = (int64_t)floor((double)ms * s->max_fps / 1000.0);
    if (s->emitted > 0 && slot <= s->last_slot)
      return 0;
    s->last_slot = slot;
  }
  s->emitted++;
  return s->fn(s->cookie, f->data[0], f->width, f->height, f->linesize[0], ms);
}

static int on_frame(void *cookie, AVFrame *f) {
  frames_state *s = cookie;
  if (wapf__graph_changed(&s->graph, f)) {
    wapf__graph_close(&s->graph);
    int rc = wapf__vgraph_open(s->ctx, &s->graph, f, s->st->time_base, s->sar,
                               &s->vf);
    if (rc != WAPF_OK)
      return rc;
  }
  if (f->pts != AV_NOPTS_VALUE)
    f->pts -= av_rescale_q(s->in->zero, AV_TIME_BASE_Q, s->st->time_base);
  return wapf__graph_run(s->ctx, &s->graph, f, emit, s);
}

/* Fit a w x h picture inside box x box, long side = box. */
static void fit_box(int w, int h, int box, int *ow, int *oh) {
  if (w >= h) {
    *ow = box;
    *oh = (int)lround((double)box * h / w);
  } else {
    *oh = box;
    *ow = (int)lround((double)box * w / h);
  }
  *ow = *ow < 1 ? 1 : *ow;
  *oh = *oh < 1 ? 1 : *oh;
}

static int setup(wapf_context *ctx, frames_state *s, double start,
                 double max_seconds, int box) {
  int vidx = wapf__demux_video(s->in->fmt);
  if (vidx < 0)
    return wapf__fail(ctx, WAPF_EUNSUPPORTED, "the file has no video stream");
  s->in->vidx = vidx;
  s->st = s->in->fmt->streams[vidx];
  int w, h, rot = wapf__demux_rotation(s->st, &s->vf.orient);
  wapf__demux_display(s->in->fmt, s->st, rot, &w, &h, &s->sar);
  fit_box(w, h, box, &s->vf.width, &s->vf.height);
  s->vf.pix_fmt = AV_PIX_FMT_RGBA;
  s->vf.trim = max_seconds;
  s->vf.deinterlace = s->st->codecpar->field_order > AV_FIELD_PROGRESSIVE;
  s->max_ms = max_seconds > 0 ? max_seconds * 1000.0 : INFINITY;
  return wapf__demux_trim(ctx, s->in, start, max_seconds, 0);
}

static int decode_loop(wapf_context *ctx, frames_state *s, wapf_av_dec *d) {
  AVPacket *pkt = av_packet_alloc();
  if (!pkt)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  int rc = WAPF_OK;
  while (rc == WAPF_OK && !s->done) {
    if (wapf__cancelled(ctx)) {
      rc = wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
      break;
    }
    int r = wapf__demux_read(s->in, pkt);
    if (r < 0)
      break; /* end of file, or damage: keep what was decoded */
    if (pkt->stream_index == s->in->vidx)
      rc = wapf__dec_send(ctx, d, pkt, on_frame, s);
    av_packet_unref(pkt);
  }
  if (rc == WAPF_OK && !s->done)
    rc = wapf__dec_send(ctx, d, NULL, on_frame, s);
  if (rc == WAPF_OK && !s->done && s->graph.g)
    rc = wapf__graph_run(ctx, &s->graph, NULL, emit, s);
  av_packet_free(&pkt);
  return rc;
}

int wapf__av_decode_frames(wapf_context *ctx, const wapf_facts *f, double start,
                           double max_seconds, double max_fps, int box,
                           wapf_frame_fn fn, void *cookie) {
  if (!ctx || !f || !fn || box < 1 || box > 16384)
    return ctx ? wapf__fail(ctx, WAPF_EINVAL, "bad frame request")
               : WAPF_EINVAL;
  wapf_av_in in;
  wapf_av_dec dec = {0};
  frames_state s = {.ctx = ctx, .in = &in, .fn = fn, .cookie = cookie};
  s.max_fps = max_fps;
  int rc = wapf__demux_open(ctx, f, &in);
  if (rc != WAPF_OK)
    return rc;
  rc = setup(ctx, &s, start, max_seconds, box);
  if (rc == WAPF_OK)
    rc = wapf__dec_open(ctx, s.st, ctx->s.threads, &dec);
  if (rc == WAPF_OK)
    rc = decode_loop(ctx, &s, &dec);
  if (rc == WAPF_OK)
    rc = wapf__dec_verdict(ctx, &dec, "the video stream");
  if (rc == WAPF_OK && s.emitted == 0)
    rc = wapf__fail(ctx, WAPF_ECORRUPT, "no video frame in the range asked");
  wapf__graph_close(&s.graph);
  wapf__dec_close(&dec);
  wapf__demux_close(&in);
  return rc;
}
