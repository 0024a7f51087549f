/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decide: the size a video is encoded at when the byte budget binds,
 * measured on the file itself rather than read off a bits-per-pixel table.
 *
 * Which resolution looks best at a given bitrate depends on the content
 * (sharp text keeps its size, grain and fast motion want fewer pixels).
 * Short segments spread over the clip, each from a keyframe of the source
 * (where its cuts usually are), are decoded once and encoded at the
 * target bitrate at up to four sizes with the final encoder's settings.
 * Every encoded frame is decoded, scaled back to the reference size (the
 * source's display size within the long-side cap) and compared with the
 * source frame by libavfilter's ssim filter. The size with the highest
 * mean SSIM, brought to the bytes aimed at (equal_bytes_ssim), is
 * encoded: the convex hull of per-title encoding, sampled at one rate.
 * The trials' frame count is set so that their encodes cost about 8 % of
 * the two final passes; a size far behind after the first segment is not
 * measured again (prune), so they took 5-10 % of the conversion's time on
 * the benchmark sources. A clip too short for that is encoded at the
 * ladder's size (budget.c). */
#include "av.h"

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/time.h>
#include <math.h>

#define MAX_CANDS 4
#define SEGMENTS 3
#define COST_SHARE 0.08 /* trial frames x sizes, against the final encode */
#define MIN_SEGMENT 8   /* frames: fewer measure the encoder's start only */
#define MAX_SEGMENT_S 2.0

typedef struct trial trial;

typedef struct cand {
  trial *t;
  int w, h;
  wapf_vplan vp;
  wapf_av_graph down; /* reference -> w x h */
  AVCodecContext *enc, *dec;
  AVFilterGraph *sg; /* [dist] scaled back, [ref] -> ssim */
  AVFilterContext *ref_src, *dist_src, *sink;
  AVFrame *dist, *scored;
  int64_t bytes;
  double ssim_sum;
  int n;
  int dropped; /* left out after the first segment */
} cand;

struct trial {
  wapf_context *ctx;
  cand c[MAX_CANDS];
  int nc;
  int ref_w, ref_h;
  AVRational tb, fr;
  wapf_av_graph refg; /* source -> reference size */
  wapf_vfilter_opts rvf;
  AVRational sar;
  AVStream *ist;
  int step;        /* keep one source frame in step (frame-rate cap) */
  int64_t seen;    /* source frames of this segment */
  int64_t counter; /* reference frames so far (their pts) */
  int want, got;   /* frames per segment, taken in this one */
  int segments;    /* segments to run, 0: SEGMENTS */
  int ran;         /* segments run */
  AVPacket *epkt;
};

/* ---- scoring: decoded trial frames against the reference ---- */

static int pull_scores(cand *c) {
  for (;;) {
    int rc = av_buffersink_get_frame(c->sink, c->scored);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
      return WAPF_OK;
    if (rc < 0)
      return wapf__from_averror(c->t->ctx, rc, "measuring a trial");
    AVDictionaryEntry *e =
        av_dict_get(c->scored->metadata, "lavfi.ssim.All", NULL, 0);
    if (e) {
      c->ssim_sum += strtod(e->value, NULL);
      c->n++;
    }
    av_frame_unref(c->scored);
  }
}

static int decode_trial(cand *c, const AVPacket *pkt) {
  int rc = avcodec_send_packet(c->dec, pkt);
  if (rc < 0 && rc != AVERROR_EOF)
    return wapf__from_averror(c->t->ctx, rc, "decoding a trial");
  for (;;) {
    rc = avcodec_receive_frame(c->dec, c->dist);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
      return WAPF_OK;
    if (rc < 0)
      return wapf__from_averror(c->t->ctx, rc, "decoding a trial");
    c->dist->pts = c->dist->best_effort_timestamp;
    rc = av_buffersrc_add_frame_flags(c->dist_src, c->dist, 0);
    av_frame_unref(c->dist);
    if (rc < 0)
      return wapf__from_averror(c->t->ctx, rc, "measuring a trial");
    rc = pull_scores(c);
    if (rc != WAPF_OK)
      return rc;
  }
}

static int on_trial_packet(void *cookie, AVPacket *pkt) {
  cand *c = cookie;
  c->bytes += pkt->size;
  return decode_trial(c, pkt);
}

static int on_down(void *cookie, AVFrame *f) {
  cand *c = cookie;
  f->pict_type = AV_PICTURE_TYPE_NONE;
  return wapf__enc_send(c->t->ctx, c->enc, f, c->t->epkt, on_trial_packet, c);
}

/* ---- setting up one candidate ---- */

static int buffer_src(AVFilterGraph *g, AVFilterContext **out, const char *name,
                      int w, int h, AVRational tb) {
  char args[160];
  snprintf(args, sizeof args,
           "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=1/1", w, h,
           AV_PIX_FMT_YUV420P, tb.num, tb.den);
  return avfilter_graph_create_filter(out, avfilter_get_by_name("buffer"), name,
                                      args, NULL, g);
}

static AVFilterInOut *inout(const char *name, AVFilterContext *fc,
                            AVFilterInOut *next) {
  AVFilterInOut *io = avfilter_inout_alloc();
  if (!io)
    return NULL;
  io->name = av_strdup(name);
  io->filter_ctx = fc;
  io->next = next;
  return io;
}

static int open_scorer(cand *c) {
  trial *t = c->t;
  char chain[160];
  c->sg = avfilter_graph_alloc();
  if (!c->sg)
    return wapf__fail(t->ctx, WAPF_ENOMEM, "out of memory");
  c->sg->nb_threads = 1;
  int rc = buffer_src(c->sg, &c->dist_src, "dist", c->w, c->h, t->tb);
  if (rc >= 0)
    rc = buffer_src(c->sg, &c->ref_src, "ref", t->ref_w, t->ref_h, t->tb);
  if (rc >= 0)
    rc = avfilter_graph_create_filter(
        &c->sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL, c->sg);
  if (rc < 0)
    return wapf__from_averror(t->ctx, rc, "trial measure graph");
  AVFilterInOut *outs = inout("dist", c->dist_src, inout("ref", c->ref_src, 0));
  AVFilterInOut *ins = inout("out", c->sink, NULL);
  snprintf(chain, sizeof chain,
           "[dist]scale=%d:%d:flags=bicubic,format=yuv420p[d];[d][ref]ssim"
           "[out]",
           t->ref_w, t->ref_h);
  rc = outs && ins ? avfilter_graph_parse_ptr(c->sg, chain, &ins, &outs, NULL)
                   : AVERROR(ENOMEM);
  if (rc >= 0)
    rc = avfilter_graph_config(c->sg, NULL);
  avfilter_inout_free(&ins);
  avfilter_inout_free(&outs);
  return rc < 0 ? wapf__from_averror(t->ctx, rc, "trial measure graph")
                : WAPF_OK;
}

static int open_decoder(cand *c) {
  const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
  if (!codec)
    return wapf__fail(c->t->ctx, WAPF_EUNSUPPORTED,
                      "this FFmpeg build has no H.264 decoder");
  c->dec = avcodec_alloc_context3(codec);
  if (!c->dec)
    return wapf__fail(c->t->ctx, WAPF_ENOMEM, "out of memory");
  c->dec->thread_count = 1;
  c->dec->pkt_timebase = c->t->tb;
  if (c->enc->extradata_size > 0) {
    c->dec->extradata =
        av_mallocz(c->enc->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!c->dec->extradata)
      return wapf__fail(c->t->ctx, WAPF_ENOMEM, "out of memory");
    memcpy(c->dec->extradata, c->enc->extradata, c->enc->extradata_size);
    c->dec->extradata_size = c->enc->extradata_size;
  }
  int rc = avcodec_open2(c->dec, codec, NULL);
  return rc < 0 ? wapf__from_averror(c->t->ctx, rc, "trial decoder") : WAPF_OK;
}

/* A candidate's encoder, decoder and scorer, for one segment: each
 * segment is its own short encode, drained at its end, so that every
 * frame of it is scored before the next one starts. */
static int open_cand(trial *t, cand *c) {
  c->t = t;
  if (!c->dist)
    c->dist = av_frame_alloc();
  if (!c->scored)
    c->scored = av_frame_alloc();
  if (!c->dist || !c->scored)
    return wapf__fail(t->ctx, WAPF_ENOMEM, "out of memory");
  int rc =
      wapf__enc_video(t->ctx, &c->vp, t->tb, t->fr, t->ctx->s.threads, &c->enc);
  if (rc == WAPF_OK)
    rc = open_decoder(c);
  if (rc == WAPF_OK)
    rc = open_scorer(c);
  return rc;
}

static void close_coders(cand *c) {
  avcodec_free_context(&c->enc);
  avcodec_free_context(&c->dec);
  avfilter_graph_free(&c->sg);
}

static void close_cand(cand *c) {
  close_coders(c);
  wapf__graph_close(&c->down);
  av_frame_free(&c->dist);
  av_frame_free(&c->scored);
}

/* ---- feeding the source ---- */

/* One reference frame: into every candidate's scorer, scaled down to its
 * size and encoded. */
static int on_ref(void *cookie, AVFrame *r) {
  trial *t = cookie;
  r->pts = t->counter++;
  t->got++;
  for (int i = 0; i < t->nc; i++) {
    cand *c = &t->c[i];
    if (c->dropped)
      continue;
    int rc =
        av_buffersrc_add_frame_flags(c->ref_src, r, AV_BUFFERSRC_FLAG_KEEP_REF);
    if (rc < 0)
      return wapf__from_averror(t->ctx, rc, "measuring a trial");
    if (!c->down.g) {
      wapf_vfilter_opts o = {.width = c->w,
                             .height = c->h,
                             .orient = "",
                             .pix_fmt = AV_PIX_FMT_YUV420P,
                             .trim = -1};
      rc =
          wapf__vgraph_open(t->ctx, &c->down, r, t->tb, (AVRational){1, 1}, &o);
      if (rc != WAPF_OK)
        return rc;
    }
    AVFrame *copy = av_frame_clone(r);
    if (!copy)
      return wapf__fail(t->ctx, WAPF_ENOMEM, "out of memory");
    rc = wapf__graph_run(t->ctx, &c->down, copy, on_down, c);
    av_frame_free(&copy);
    if (rc == WAPF_OK)
      rc = pull_scores(c);
    if (rc != WAPF_OK)
      return rc;
  }
  return WAPF_OK;
}

#define SEGMENT_FULL 1 /* callback return: stop decoding this segment */

static int on_source(void *cookie, AVFrame *f) {
  trial *t = cookie;
  if (t->got >= t->want)
    return SEGMENT_FULL;
  if (t->seen++ % t->step)
    return WAPF_OK;
  if (wapf__graph_changed(&t->refg, f)) {
    wapf__graph_close(&t->refg);
    wapf_vfilter_opts o = t->rvf;
    o.deinterlace |= f->interlaced_frame;
    int rc = wapf__vgraph_open(t->ctx, &t->refg, f, t->tb, t->sar, &o);
    if (rc != WAPF_OK)
      return rc;
  }
  f->pts = t->counter;
  return wapf__graph_run(t->ctx, &t->refg, f, on_ref, t);
}

static int segment(trial *t, wapf_av_in *in, wapf_av_dec *dec, int64_t at) {
  t->got = 0;
  t->seen = 0;
  if (wapf__input_seek(in->src, at) < 0)
    return WAPF_OK; /* unseekable: this segment is skipped */
  avcodec_flush_buffers(dec->cc);
  AVPacket *pkt = av_packet_alloc();
  if (!pkt)
    return wapf__fail(t->ctx, WAPF_ENOMEM, "out of memory");
  int rc = WAPF_OK, e = 0;
  while (rc == WAPF_OK && (e = wapf__demux_read(in, pkt)) >= 0) {
    if (pkt->stream_index == in->vidx)
      rc = wapf__dec_send(t->ctx, dec, pkt, on_source, t);
    av_packet_unref(pkt);
    if (rc == WAPF_OK && wapf__cancelled(t->ctx))
      rc = wapf__fail(t->ctx, WAPF_ECANCELLED, "cancelled");
  }
  if (rc == WAPF_OK && e == AVERROR_EOF)
    rc = wapf__dec_send(t->ctx, dec, NULL, on_source, t);
  av_packet_free(&pkt);
  return rc == SEGMENT_FULL ? WAPF_OK : rc;
}

/* End of the trials: drain the encoders and decoders, close the scorers'
 * inputs, collect the last scores. */
static int finish(trial *t) {
  for (int i = 0; i < t->nc; i++) {
    cand *c = &t->c[i];
    if (c->dropped)
      continue;
    int rc = wapf__enc_send(t->ctx, c->enc, NULL, t->epkt, on_trial_packet, c);
    if (rc == WAPF_OK)
      rc = decode_trial(c, NULL);
    if (rc == WAPF_OK &&
        (av_buffersrc_add_frame_flags(c->dist_src, NULL, 0) < 0 ||
         av_buffersrc_add_frame_flags(c->ref_src, NULL, 0) < 0))
      rc = wapf__fail(t->ctx, WAPF_EINVAL, "closing a trial's measure");
    if (rc == WAPF_OK)
      rc = pull_scores(c);
    if (rc != WAPF_OK)
      return rc;
  }
  return WAPF_OK;
}

static int measuring(const trial *t) {
  int n = 0;
  for (int i = 0; i < t->nc; i++)
    n += !t->c[i].dropped;
  return n;
}

static void prune(trial *t);

static int run_trials(trial *t, const wapf_facts *f, const wapf_av_job *job) {
  wapf_av_in in;
  wapf_av_dec dec;
  memset(&dec, 0, sizeof dec);
  int rc = wapf__demux_open(t->ctx, f, &in);
  if (rc != WAPF_OK)
    return rc;
  in.vidx = job->in.vidx;
  t->ist = in.fmt->streams[in.vidx];
  rc = wapf__dec_open(t->ctx, t->ist, t->ctx->s.threads, &dec);
  int least = t->nc > 1 ? 2 : 1; /* sizes to compare, or one setting */
  int last = t->segments > 0 ? t->segments : SEGMENTS;
  for (int s = 0; rc == WAPF_OK && s < last && measuring(t) >= least; s++) {
    t->ran++;
    double at = job->in.span * (2 * s + 1) / (2.0 * SEGMENTS);
    for (int i = 0; rc == WAPF_OK && i < t->nc; i++)
      if (!t->c[i].dropped)
        rc = open_cand(t, &t->c[i]);
    if (rc == WAPF_OK)
      rc = segment(t, &in, &dec, job->in.zero + (int64_t)(at * AV_TIME_BASE));
    if (rc == WAPF_OK && t->got > 0)
      rc = finish(t);
    for (int i = 0; i < t->nc; i++)
      close_coders(&t->c[i]);
    if (rc == WAPF_OK && s == 0)
      prune(t);
  }
  wapf__dec_close(&dec);
  wapf__demux_close(&in);
  return rc;
}

/* ---- the candidates and the choice ---- */

static int same_size(const trial *t, int w, int h) {
  for (int i = 0; i < t->nc; i++)
    if (t->c[i].w == w && t->c[i].h == h)
      return 1;
  return 0;
}

/* Up to four ladder sizes around the budget's own guess (job->vp), the
 * largest first: the guess's neighbours above and below are measured. */
static void list_candidates(trial *t, const wapf_vsource *s,
                            const wapf_vplan *guess) {
  static const int ladder[] = {3840, 2560, 1920, 1600, 1280,
                               960,  854,  640,  480,  426};
  int top_w, top_h;
  wapf__fit_long_side(s, s->max_long_side, &top_w, &top_h);
  int sizes[16][2], n = 0, gi = 0;
  sizes[n][0] = top_w;
  sizes[n++][1] = top_h;
  int top = top_w > top_h ? top_w : top_h;
  for (size_t i = 0; i < sizeof ladder / sizeof ladder[0]; i++) {
    if (ladder[i] >= top)
      continue;
    wapf__fit_long_side(s, ladder[i], &sizes[n][0], &sizes[n][1]);
    n++;
  }
  for (int i = 0; i < n; i++)
    if (sizes[i][0] == guess->width && sizes[i][1] == guess->height)
      gi = i;
  int first = gi - 2 < 0 ? 0 : gi - 2;
  int last = first + MAX_CANDS < n ? first + MAX_CANDS : n;
  first = last - MAX_CANDS < 0 ? 0 : last - MAX_CANDS;
  t->nc = 0;
  for (int i = first; i < last; i++)
    if (!same_size(t, sizes[i][0], sizes[i][1])) {
      t->c[t->nc].w = sizes[i][0];
      t->c[t->nc++].h = sizes[i][1];
    }
}

/* Frames per segment within the cost share: the trials encode every frame
 * at every size, the final encode the whole clip at (about) the guess, in
 * two passes (twopass.c);
 * each with the preset its size gets (encode.c). */
static int segment_frames(const trial *t, const wapf_vsource *s,
                          const wapf_vplan *guess) {
  double fps = av_q2d(t->fr);
  double costs = 0;
  for (int i = 0; i < t->nc; i++)
    costs += wapf__enc_cost(&t->c[i].vp, fps);
  double final =
      s->seconds * fps *
      (wapf__enc_cost(guess, fps) + wapf__enc_first_pass_cost(guess, fps));
  double frames = costs > 0 ? COST_SHARE * final / costs / SEGMENTS : 0;
  double cap = MAX_SEGMENT_S * fps;
  return (int)(frames < cap ? frames : cap);
}

/* A trial's SSIM brought to the bytes aimed at. One-pass ABR over a few
 * short segments misses its rate, by more at the larger sizes (each
 * segment opens with a keyframe): compared as measured, the size that
 * overspends wins. SSIM in dB (-10 log10(1 - SSIM)) rises about linearly
 * with log2 of the bytes; SLOPE is that rise per doubling, measured with
 * bench/av/slope.py on cuts of the equal-bytes sources at 1080p and 720p
 * (0.3 to 1.0 dB, median 0.7). The ratio is held within [1/2, 2]. */
#define SLOPE_DB 0.7

static double equal_bytes_ssim(const trial *t, const cand *c) {
  if (c->n <= 0)
    return 0;
  double ssim = c->ssim_sum / c->n;
  double aim = (double)c->vp.vbitrate / 8 / av_q2d(t->fr);
  double spent = (double)c->bytes / c->n;
  if (aim <= 0 || spent <= 0 || ssim >= 1)
    return ssim;
  double ratio = fmin(2, fmax(0.5, aim / spent));
  double db = -10 * log10(1 - ssim) + SLOPE_DB * log2(ratio);
  return 1 - pow(10, -db / 10);
}

static void report(wapf_context *ctx, const trial *t, int best, double secs,
                   const wapf_vplan *vp) {
  char line[800];
  int n = 0;
  for (int i = 0; i < t->nc; i++) {
    const cand *c = &t->c[i];
    double kbps =
        c->n > 0 ? (double)c->bytes * 8 * av_q2d(t->fr) / c->n / 1000 : 0;
    n += snprintf(line + n, sizeof line - (size_t)n,
                  "%s%dx%d SSIM %.4f (measured %.4f at %.0f kbit/s%s)",
                  i ? ", " : "", c->w, c->h, equal_bytes_ssim(t, c),
                  c->n ? c->ssim_sum / c->n : 0, kbps,
                  c->dropped ? ", first segment only" : "");
    if (n >= (int)sizeof line)
      break;
  }
  wapf__log(ctx, WAPF_LOG_INFO,
            "video decision: %d frames x %d sizes at %lld kbit/s in %.2f s: "
            "%s; chose %dx%d",
            t->want * SEGMENTS, t->nc, (long long)(vp->vbitrate / 1000), secs,
            line, t->c[best].w, t->c[best].h);
}

static uint16_t u16(double v) {
  return v <= 0 ? 0 : v >= 65535 ? 65535 : (uint16_t)lround(v);
}

static void fill(wapf_video_decision *d, uint8_t *dropped, const trial *t,
                 int best, double secs) {
  d->candidates = (uint8_t)t->nc;
  d->chosen = (uint8_t)best;
  *dropped = 0;
  for (int i = 0; i < t->nc; i++) {
    d->height[i] = u16(t->c[i].h);
    d->ssim[i] = u16(equal_bytes_ssim(t, &t->c[i]) * 10000);
    if (t->c[i].dropped)
      *dropped |= (uint8_t)(1u << i);
  }
  d->frames = u16((double)t->counter);
  d->trial_cs = u16(secs * 100);
}

static int choose(const trial *t) {
  int best = -1;
  for (int i = 0; i < t->nc; i++)
    if (!t->c[i].dropped && (best < 0 || equal_bytes_ssim(t, &t->c[i]) >
                                             equal_bytes_ssim(t, &t->c[best])))
      best = i;
  return best < 0 ? 0 : best;
}

static double ssim_db(double ssim) {
  return ssim >= 1 ? 100 : -10 * log10(1 - ssim);
}

/* After the first segment, a size further behind the best than a doubling
 * of its bytes would make up (SLOPE_DB) is not measured again: on a
 * screen recording the sizes below the source's, on heavy grain the
 * source's own (the costliest to encode). */
static void prune(trial *t) {
  double top = ssim_db(equal_bytes_ssim(t, &t->c[choose(t)]));
  for (int i = 0; i < t->nc; i++) {
    cand *c = &t->c[i];
    if (c->n >= MIN_SEGMENT && top - ssim_db(equal_bytes_ssim(t, c)) > SLOPE_DB)
      c->dropped = 1;
  }
}

static void close_trial(trial *t) {
  for (int i = 0; i < t->nc; i++)
    close_cand(&t->c[i]);
  wapf__graph_close(&t->refg);
  av_packet_free(&t->epkt);
}

/* ---- adaptive quantisation, at --speed best ---- */

/* tune ssim's auto-variance AQ (x264 aq-mode 2) against variance AQ
 * (aq-mode 1) at the chosen size, on the same segments and frames. Neither
 * wins everywhere: with ffmpeg's two passes at equal bitrate, variance AQ
 * was ahead on a screen recording (SSIM 0.999946 against 0.999929,
 * medium) and on heavy grain (0.81308 against 0.81283), behind on camera
 * pans (0.94108 against 0.94134) and a dark scene (0.86829 against
 * 0.86868; bench/av/RESULTS.md section 14). One more candidate's trial,
 * spent where --speed best asks for the time. */
static trial *aq_trial(wapf_context *ctx, const trial *t,
                       const wapf_av_job *job) {
  trial *v = calloc(1, sizeof *v);
  if (!v)
    return NULL;
  v->ctx = ctx;
  v->fr = t->fr;
  v->tb = t->tb;
  v->step = t->step;
  v->ref_w = t->ref_w;
  v->ref_h = t->ref_h;
  v->rvf = t->rvf;
  v->sar = t->sar;
  v->want = t->want;
  v->segments = t->ran; /* those the chosen size was measured on */
  v->nc = 1;
  v->c[0].w = job->vp.width;
  v->c[0].h = job->vp.height;
  v->c[0].vp = job->vp;
  v->c[0].vp.aq_variance = 1;
  v->epkt = av_packet_alloc();
  if (!v->epkt) {
    free(v);
    return NULL;
  }
  return v;
}

static int measure_aq(wapf_context *ctx, const wapf_facts *f, wapf_av_job *job,
                      const trial *t, int best, wapf_result *res) {
  int64_t t0 = av_gettime_relative();
  trial *v = aq_trial(ctx, t, job);
  if (!v)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  int rc = run_trials(v, f, job);
  double secs = (double)(av_gettime_relative() - t0) / 1e6;
  if (rc == WAPF_OK && v->c[0].n > 0) {
    double var = equal_bytes_ssim(v, &v->c[0]);
    double autov = equal_bytes_ssim(t, &t->c[best]);
    job->vp.aq_variance = var > autov;
    res->video_aq =
        job->vp.aq_variance ? WAPF_AQ_VARIANCE : WAPF_AQ_AUTO_VARIANCE;
    res->video_aq_ssim = u16(var * 10000);
    res->video.trial_cs = u16(res->video.trial_cs + secs * 100);
    wapf__log(ctx, WAPF_LOG_INFO,
              "video decision: adaptive quantisation at %dx%d in %.2f s: "
              "variance SSIM %.4f, auto-variance %.4f; chose %s",
              v->c[0].w, v->c[0].h, secs, var, autov,
              job->vp.aq_variance ? "variance" : "auto-variance");
  }
  close_trial(v);
  free(v);
  return rc;
}

static int measure_sizes(wapf_context *ctx, const wapf_facts *f,
                         const wapf_vsource *s, wapf_av_job *job, trial *t,
                         wapf_result *res) {
  int64_t t0 = av_gettime_relative();
  int rc = WAPF_OK;
  t->epkt = av_packet_alloc();
  if (!t->epkt)
    rc = wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  if (rc == WAPF_OK)
    rc = run_trials(t, f, job);
  double secs = (double)(av_gettime_relative() - t0) / 1e6;
  if (rc == WAPF_OK && t->c[0].n > 0) {
    int best = choose(t);
    report(ctx, t, best, secs, &job->vp);
    fill(&res->video, &res->video_dropped, t, best, secs);
    wapf__budget_resize(s, t->c[best].w, t->c[best].h, &job->vp);
    if (job->vp.speed == WAPF_SPEED_BEST)
      rc = measure_aq(ctx, f, job, t, best, res);
  }
  close_trial(t);
  return rc;
}

int wapf__decide_video(wapf_context *ctx, const wapf_facts *f,
                       const wapf_vsource *s, wapf_av_job *job,
                       wapf_result *res) {
  wapf_video_decision *d = &res->video;
  memset(d, 0, sizeof *d);
  res->video_dropped = 0;
  res->video_aq = 0;
  res->video_aq_ssim = 0;
  d->made = 1;
  d->kbps = u16((double)job->vp.vbitrate / 1000);
  d->height[0] = u16(job->vp.height);
  if (job->vp.mode != WAPF_RC_ABR) {
    d->skipped = WAPF_TRIALS_FITS;
    return WAPF_OK;
  }
  trial *t = calloc(1, sizeof *t);
  if (!t)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  t->ctx = ctx;
  AVStream *vs = job->in.fmt->streams[job->in.vidx];
  AVRational fr = job->vp.fps.num > 0          ? job->vp.fps
                  : vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate
                                               : (AVRational){30, 1};
  double src_fps = s->fps > 0 ? s->fps : av_q2d(fr);
  t->fr = fr;
  t->tb = av_inv_q(fr);
  t->step = (int)lround(src_fps / av_q2d(fr));
  t->step = t->step < 1 ? 1 : t->step;
  list_candidates(t, s, &job->vp);
  for (int i = 0; i < t->nc; i++) {
    t->c[i].vp = job->vp;
    wapf__budget_resize(s, t->c[i].w, t->c[i].h, &t->c[i].vp);
  }
  t->want = segment_frames(t, s, &job->vp);
  wapf__fit_long_side(s, s->max_long_side, &t->ref_w, &t->ref_h);
  t->rvf = job->vf;
  t->rvf.width = t->ref_w;
  t->rvf.height = t->ref_h;
  t->rvf.fps = (AVRational){0, 1};
  t->rvf.trim = -1;
  t->sar = vs->sample_aspect_ratio.num > 0 ? vs->sample_aspect_ratio
                                           : vs->codecpar->sample_aspect_ratio;
  int rc = WAPF_OK;
  if (t->nc < 2)
    d->skipped = WAPF_TRIALS_ONE;
  else if (t->want < MIN_SEGMENT)
    d->skipped = WAPF_TRIALS_SHORT;
  else
    rc = measure_sizes(ctx, f, s, job, t, res);
  if (rc != WAPF_OK && rc != WAPF_ECANCELLED) {
    wapf__log(ctx, WAPF_LOG_WARNING,
              "video decision: the trials failed; encoding at %dx%d",
              job->vp.width, job->vp.height);
    rc = WAPF_OK;
  }
  if (d->skipped)
    wapf__log(ctx, WAPF_LOG_INFO, "video decision: no trials (%s); %dx%d",
              d->skipped == WAPF_TRIALS_ONE ? "one size"
                                            : "too short to measure",
              job->vp.width, job->vp.height);
  free(t);
  return rc;
}
