/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pipeline driver: packets from the demuxer go either straight to the
 * muxer (stream copy) or through decode -> filter -> encode -> mux. One
 * video and one audio output at most; everything else is dropped. */
#include "av.h"

#include <libavfilter/buffersink.h>

typedef struct run run;

typedef struct ost {
  run *r;
  wapf_av_mode mode;
  AVStream *ist;
  int index; /* output stream */
  wapf_av_dec dec;
  wapf_av_graph graph;
  AVCodecContext *enc;
  int started;      /* copy: first keyframe seen */
  int past_end;     /* a trim's end was reached */
  int64_t last_pts; /* encoder input, to keep it increasing */
  int64_t next_pts; /* decoder output, stands in for a missing pts */
  int64_t pkt_pts;  /* pts of the last packet sent to the decoder */
} ost;

struct run {
  wapf_context *ctx;
  wapf_av_job *job;
  wapf_av_mux mux;
  ost v, a;
  AVPacket *epkt;
  double last_frac;
};

/* ---- encoded side: frame -> filter -> encoder -> muxer ---- */

static int on_packet(void *cookie, AVPacket *pkt) {
  ost *o = cookie;
  if (!o->r->mux.fmt)
    return WAPF_OK; /* a first pass: x264 keeps what it learnt */
  if (o == &o->r->v)
    o->r->job->vbytes += pkt->size;
  return wapf__mux_write(o->r->ctx, &o->r->mux, pkt, o->enc->time_base,
                         o->index);
}

static int on_filtered(void *cookie, AVFrame *f) {
  ost *o = cookie;
  AVRational tb = av_buffersink_get_time_base(o->graph.sink);
  f->pts = av_rescale_q(f->pts, tb, o->enc->time_base);
  if (o->ist->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
    if (f->pts <= o->last_pts)
      return WAPF_OK; /* two frames on one tick: keep the first */
    f->pict_type = AV_PICTURE_TYPE_NONE;
  }
  o->last_pts = f->pts;
  return wapf__enc_send(o->r->ctx, o->enc, f, o->r->epkt, on_packet, o);
}

static int open_graph(ost *o, const AVFrame *f) {
  wapf_av_job *job = o->r->job;
  if (o->ist->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
    return wapf__agraph_open(o->r->ctx, &o->graph, f, o->ist->time_base,
                             &job->af);
  AVRational sar = o->ist->sample_aspect_ratio.num > 0
                       ? o->ist->sample_aspect_ratio
                       : o->ist->codecpar->sample_aspect_ratio;
  wapf_vfilter_opts vf = job->vf;
  vf.deinterlace |= f->interlaced_frame;
  return wapf__vgraph_open(o->r->ctx, &o->graph, f, o->ist->time_base, sar,
                           &vf);
}

/* A frame whose size or format changed mid-stream gets a new graph; the
 * old one is drained into the encoder first. */
static int ensure_graph(ost *o, const AVFrame *f) {
  if (!wapf__graph_changed(&o->graph, f))
    return WAPF_OK;
  if (o->graph.g) {
    int rc = wapf__graph_run(o->r->ctx, &o->graph, NULL, on_filtered, o);
    wapf__graph_close(&o->graph);
    if (rc != WAPF_OK)
      return rc;
  }
  return open_graph(o, f);
}

/* Timestamps: a missing one is guessed. Audio runs on a sample clock
 * (decoders that cut a packet into several frames give unreliable frame
 * times); a real gap in the source (a packet over 0.1 s ahead of the
 * clock) moves the clock on, and aresample fills it with silence. */
static void stamp(ost *o, AVFrame *f) {
  AVRational tb = o->ist->time_base;
  int audio = f->nb_samples > 0 && f->sample_rate > 0;
  if (audio && o->next_pts != AV_NOPTS_VALUE) {
    int64_t gap = av_rescale_q(1, (AVRational){1, 10}, tb);
    int jump = o->pkt_pts != AV_NOPTS_VALUE && o->pkt_pts > o->next_pts + gap;
    f->pts = jump ? o->pkt_pts : o->next_pts;
  } else if (f->pts == AV_NOPTS_VALUE) {
    f->pts = o->next_pts != AV_NOPTS_VALUE ? o->next_pts : 0;
  }
  if (audio)
    o->next_pts = f->pts + av_rescale_q(f->nb_samples,
                                        (AVRational){1, f->sample_rate}, tb);
  else
    o->next_pts = f->pts + (f->pkt_duration > 0 ? f->pkt_duration : 1);
}

static int on_decoded(void *cookie, AVFrame *f) {
  ost *o = cookie;
  const wapf_av_job *job = o->r->job;
  int rc = WAPF_OK;
  if (o->ist->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && job->opt)
    rc = wapf__flatten_alpha(o->r->ctx, f, job->opt->background);
  if (rc == WAPF_OK)
    rc = ensure_graph(o, f);
  if (rc != WAPF_OK)
    return rc;
  stamp(o, f);
  f->pts -= av_rescale_q(o->r->job->in.zero, AV_TIME_BASE_Q, o->ist->time_base);
  return wapf__graph_run(o->r->ctx, &o->graph, f, on_filtered, o);
}

/* ---- setup ---- */

static AVRational video_tb(const ost *o, const wapf_av_job *job) {
  if (job->vp.fps.num > 0)
    return av_inv_q(job->vp.fps);
  AVRational tb = o->ist->time_base;
  return tb.num > 0 && tb.den / tb.num >= 1000 ? tb : (AVRational){1, 90000};
}

AVRational wapf__job_frame_rate(const wapf_av_job *job) {
  if (job->vp.fps.num > 0 || job->in.vidx < 0)
    return job->vp.fps;
  return av_guess_frame_rate(job->in.fmt, job->in.fmt->streams[job->in.vidx],
                             NULL);
}

static int open_encoder(run *r, ost *o) {
  wapf_av_job *job = r->job;
  int rc = wapf__dec_open(r->ctx, o->ist, job->threads, &o->dec);
  if (rc != WAPF_OK)
    return rc;
  if (o->ist->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
    rc = wapf__enc_audio(r->ctx, job->acodec, job->af.rate, job->af.channels,
                         job->abitrate, job->voice, &o->enc);
    if (rc == WAPF_OK &&
        !(o->enc->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
      job->af.frame_size = o->enc->frame_size;
    return rc;
  }
  AVRational fr = wapf__job_frame_rate(job);
  return wapf__enc_video(r->ctx, &job->vp, video_tb(o, job), fr, job->threads,
                         &o->enc);
}

static int setup_ost(run *r, ost *o, wapf_av_mode mode, int idx) {
  o->r = r;
  o->mode = idx >= 0 ? mode : WAPF_AV_SKIP;
  o->last_pts = AV_NOPTS_VALUE;
  o->next_pts = o->pkt_pts = AV_NOPTS_VALUE;
  if (o->mode == WAPF_AV_SKIP)
    return WAPF_OK;
  o->ist = r->job->in.fmt->streams[idx];
  int rc = WAPF_OK;
  if (o->mode == WAPF_AV_ENCODE)
    rc = open_encoder(r, o);
  if (rc != WAPF_OK)
    return rc;
  if (!r->mux.fmt)
    return WAPF_OK;
  o->index = o->mode == WAPF_AV_COPY
                 ? wapf__mux_add_copy(r->ctx, &r->mux, o->ist)
                 : wapf__mux_add_enc(r->ctx, &r->mux, o->enc);
  return o->index < 0 ? o->index : WAPF_OK;
}

/* ---- the packet loop ---- */

static int progress(run *r, const AVPacket *pkt) {
  const AVStream *st = r->job->in.fmt->streams[pkt->stream_index];
  int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  if (ts == AV_NOPTS_VALUE || r->job->in.span <= 0)
    return wapf__cancelled(r->ctx) ? WAPF_ECANCELLED : WAPF_OK;
  double t = (double)ts * av_q2d(st->time_base) -
             (double)r->job->in.zero / AV_TIME_BASE;
  double frac = t / r->job->in.span;
  frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
  if (frac - r->last_frac < 0.002 && frac < 1)
    return wapf__cancelled(r->ctx) ? WAPF_ECANCELLED : WAPF_OK;
  r->last_frac = frac;
  return wapf__progress(r->ctx, r->job->opt,
                        r->job->prog_base + r->job->prog_share * frac);
}

/* A raw elementary stream (.h264) has no timestamps: a copied video
 * (never with B-frames, so decode order is display order) gets them from
 * the frame durations. */
static void stamp_raw(ost *o, AVPacket *pkt) {
  if (pkt->pts != AV_NOPTS_VALUE || pkt->dts != AV_NOPTS_VALUE ||
      o->ist->codecpar->codec_type != AVMEDIA_TYPE_VIDEO)
    return;
  AVRational fr = o->ist->avg_frame_rate.num > 0 ? o->ist->avg_frame_rate
                                                 : o->ist->r_frame_rate;
  if (pkt->duration <= 0 && fr.num > 0 && fr.den > 0)
    pkt->duration = av_rescale_q(1, av_inv_q(fr), o->ist->time_base);
  if (o->next_pts == AV_NOPTS_VALUE)
    o->next_pts = 0;
  pkt->pts = pkt->dts = o->next_pts;
  o->next_pts += pkt->duration > 0 ? pkt->duration : 1;
}

static int route(run *r, ost *o, AVPacket *pkt) {
  if (o->mode == WAPF_AV_COPY) {
    stamp_raw(o, pkt);
    int keep = wapf__copy_prepare(&r->job->in, o->ist, &o->started, pkt);
    o->past_end |= keep == 2;
    if (keep != 0)
      return WAPF_OK;
    return wapf__mux_write(r->ctx, &r->mux, pkt, o->ist->time_base, o->index);
  }
  if (r->job->in.cut_end) {
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    double t = ts == AV_NOPTS_VALUE
                   ? 0
                   : (double)ts * av_q2d(o->ist->time_base) -
                         (double)r->job->in.zero / AV_TIME_BASE;
    o->past_end |= t > r->job->in.span + 1.0; /* decoder delay margin */
  }
  o->pkt_pts = pkt->pts;
  return wapf__dec_send(r->ctx, &o->dec, pkt, on_decoded, o);
}

static int all_past_end(const run *r) {
  return (r->v.mode == WAPF_AV_SKIP || r->v.past_end) &&
         (r->a.mode == WAPF_AV_SKIP || r->a.past_end);
}

static int read_loop(run *r) {
  AVPacket *pkt = av_packet_alloc();
  if (!pkt)
    return wapf__fail(r->ctx, WAPF_ENOMEM, "out of memory");
  int rc = WAPF_OK;
  while (rc == WAPF_OK && !all_past_end(r)) {
    int e = wapf__demux_read(&r->job->in, pkt);
    if (e == AVERROR_EXIT || wapf__cancelled(r->ctx)) {
      av_packet_unref(pkt);
      rc = wapf__fail(r->ctx, WAPF_ECANCELLED, "cancelled");
      break;
    }
    if (e < 0)
      break; /* end of file (or unreadable rest: keep what we have) */
    ost *o = pkt->stream_index == r->job->in.vidx   ? &r->v
             : pkt->stream_index == r->job->in.aidx ? &r->a
                                                    : NULL;
    if (o && o->mode != WAPF_AV_SKIP && !o->past_end) {
      rc = progress(r, pkt);
      if (rc == WAPF_OK)
        rc = route(r, o, pkt);
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  return rc;
}

/* End of input: drain decoder, graph and encoder of an encoded stream. */
static int drain(run *r, ost *o) {
  if (o->mode != WAPF_AV_ENCODE)
    return WAPF_OK;
  int rc = wapf__dec_send(r->ctx, &o->dec, NULL, on_decoded, o);
  if (rc == WAPF_OK && o->graph.g)
    rc = wapf__graph_run(r->ctx, &o->graph, NULL, on_filtered, o);
  if (rc == WAPF_OK)
    rc = wapf__enc_send(r->ctx, o->enc, NULL, r->epkt, on_packet, o);
  if (rc == WAPF_OK)
    rc = wapf__dec_verdict(
        r->ctx, &o->dec, o == &r->v ? "the video stream" : "the audio stream");
  return rc;
}

static void close_ost(ost *o) {
  wapf__graph_close(&o->graph);
  wapf__dec_close(&o->dec);
  avcodec_free_context(&o->enc);
}

static int start(run *r) {
  wapf_av_job *job = r->job;
  int rc = job->out_path
               ? wapf__mux_open(r->ctx, &r->mux, job->out_path, job->out_format)
               : WAPF_OK;
  r->mux.serial = job->serial;
  if (rc == WAPF_OK)
    rc = setup_ost(r, &r->v, job->vmode, job->in.vidx);
  if (rc == WAPF_OK)
    rc = setup_ost(r, &r->a, job->amode, job->in.aidx);
  if (rc == WAPF_OK && r->v.mode == WAPF_AV_SKIP && r->a.mode == WAPF_AV_SKIP)
    rc = wapf__fail(r->ctx, WAPF_EUNSUPPORTED, "no stream to convert");
  if (rc == WAPF_OK && r->mux.fmt)
    rc = wapf__mux_start(r->ctx, &r->mux,
                         job->keep_metadata ? job->in.fmt->metadata : NULL);
  return rc;
}

int wapf__pipeline_run(wapf_context *ctx, wapf_av_job *job) {
  run r = {.ctx = ctx, .job = job};
  job->vbytes = 0;
  r.epkt = av_packet_alloc();
  int rc = r.epkt ? start(&r) : wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  if (rc == WAPF_OK)
    rc = read_loop(&r);
  if (rc == WAPF_OK)
    rc = drain(&r, &r.v);
  if (rc == WAPF_OK)
    rc = drain(&r, &r.a);
  if (rc == WAPF_OK && r.mux.fmt)
    rc = wapf__mux_finish(ctx, &r.mux);
  if (rc == WAPF_OK)
    rc = wapf__progress(ctx, job->opt, job->prog_base + job->prog_share);
  close_ost(&r.v);
  close_ost(&r.a);
  wapf__mux_close(&r.mux);
  av_packet_free(&r.epkt);
  return rc;
}
