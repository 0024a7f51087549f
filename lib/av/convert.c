/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf__av_convert(): turn a plan into a pipeline job, run it, and make
 * sure the result fits (one bounded retry at a lower bitrate). */
#include "av.h"

#include <math.h>

#define ICON_BYTES 512000

typedef struct attempt {
  double scale;        /* bitrate factor for the retry */
  int force_transcode; /* a copy that did not fit */
  int64_t target;      /* bytes the output must stay under */
  int width, height;   /* the size the first attempt decided, 0 none yet */
  int aq_variance;     /* and its adaptive quantisation (decide.c) */
} attempt;

static int64_t kind_limit(wapf_kind kind) {
  int64_t l = wapf_kind_limit(kind, 0);
  return l > 0 ? l : 16000000;
}

/* ---- choosing copy or encode for each stream ---- */

static void pick_modes(wapf_context *ctx, wapf_av_job *job, wapf_plan plan,
                       const attempt *at) {
  const AVFormatContext *fmt = job->in.fmt;
  int vok = job->in.vidx >= 0 && wapf__copy_video_ok(fmt->streams[job->in.vidx],
                                                     ctx->s.max_long_side);
  int aok =
      job->in.aidx >= 0 && wapf__copy_audio_ok(fmt->streams[job->in.aidx]);
  int copy = !at->force_transcode;
  job->vmode = job->amode = WAPF_AV_ENCODE;
  if (plan == WAPF_PLAN_ENCODE_AUDIO) {
    job->vmode = WAPF_AV_SKIP;
    return;
  }
  if (copy && (plan == WAPF_PLAN_REMUX || plan == WAPF_PLAN_AUDIO_ONLY) && vok)
    job->vmode = WAPF_AV_COPY;
  if (copy && plan == WAPF_PLAN_REMUX && aok)
    job->amode = WAPF_AV_COPY;
  /* compliant AAC-LC is kept as it is in a transcode too (the budget
   * counts its real size, measured) */
  if (plan == WAPF_PLAN_TRANSCODE && aok)
    job->amode = WAPF_AV_COPY;
  if (job->vmode == WAPF_AV_COPY && !vok)
    job->vmode = WAPF_AV_ENCODE;
}

/* ---- encoder settings ---- */

static void audio_format(wapf_av_job *job, const AVStream *ast, int opus,
                         int mono) {
  int src_rate = ast->codecpar->sample_rate;
  int src_ch = ast->codecpar->ch_layout.nb_channels;
  job->acodec = opus ? "libopus" : "aac";
  job->af.rate = opus || src_rate != 44100 ? 48000 : 44100;
  job->af.channels = mono || src_ch == 1 ? 1 : 2;
  job->af.fmt = opus ? AV_SAMPLE_FMT_FLT : AV_SAMPLE_FMT_FLTP;
  job->af.trim = job->in.cut_end ? job->in.span : -1;
}

/* The size: measured by trials on the first attempt (decide.c), kept on
 * the retry. */
static int decide_size(wapf_context *ctx, const wapf_facts *f,
                       const wapf_vsource *s, wapf_av_job *job, attempt *at,
                       wapf_result *res) {
  if (at->width > 0) {
    if (job->vp.mode == WAPF_RC_ABR)
      wapf__budget_resize(s, at->width, at->height, &job->vp);
    job->vp.aq_variance = at->aq_variance;
    return WAPF_OK;
  }
  int rc = wapf__decide_video(ctx, f, s, job, res);
  at->width = job->vp.width;
  at->height = job->vp.height;
  at->aq_variance = job->vp.aq_variance;
  return rc;
}

/* The note of an average-bitrate encode; more is appended ("" none). */
static void note_abr(wapf_result *res, const wapf_vplan *p, int64_t target,
                     const char *more) {
  snprintf(res->note, sizeof res->note,
           "re-encoded at %dx%d, %lld kbit/s to fit %lld bytes%s", p->width,
           p->height, (long long)(p->vbitrate / 1000), (long long)target, more);
}

static int plan_video(wapf_context *ctx, const wapf_facts *f, wapf_av_job *job,
                      attempt *at, wapf_result *res) {
  AVStream *vs = job->in.fmt->streams[job->in.vidx];
  AVRational sar;
  wapf_vsource s = {0};
  int rot = wapf__demux_rotation(vs, &job->vf.orient);
  wapf__demux_display(job->in.fmt, vs, rot, &s.width, &s.height, &sar);
  AVRational fr =
      vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate : vs->r_frame_rate;
  s.fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
  s.seconds = job->in.span;
  s.has_audio = job->in.aidx >= 0;
  s.audio_channels = job->af.channels;
  s.max_long_side = ctx->s.max_long_side;
  s.limit = at->target;
  s.audio_copy_bps = job->amode == WAPF_AV_COPY ? job->acopy_bps : 0;
  int rc = wapf__budget_video(ctx, &s, at->scale, &job->vp);
  if (rc != WAPF_OK)
    return rc;
  job->vp.speed = job->opt ? job->opt->speed : WAPF_SPEED_BALANCED;
  job->vf.width = job->vp.width;
  job->vf.height = job->vp.height;
  job->vf.fps = job->vp.fps;
  job->vf.pix_fmt = AV_PIX_FMT_YUV420P;
  job->vf.deinterlace = vs->codecpar->field_order > AV_FIELD_PROGRESSIVE;
  job->vf.trim = job->in.cut_end ? job->in.span : -1;
  rc = decide_size(ctx, f, &s, job, at, res);
  if (rc != WAPF_OK)
    return rc;
  job->vf.width = job->vp.width;
  job->vf.height = job->vp.height;
  if (job->vp.mode == WAPF_RC_ABR)
    note_abr(res, &job->vp, at->target, "");
  return WAPF_OK;
}

static int plan_audio(wapf_context *ctx, wapf_av_job *job, const wapf_report *r,
                      const wapf_options *opt, const attempt *at,
                      wapf_result *res) {
  const AVStream *ast = job->in.fmt->streams[job->in.aidx];
  if (job->vmode != WAPF_AV_SKIP) { /* audio of a video: AAC-LC */
    audio_format(job, ast, 0, 0);
    job->abitrate = job->af.channels == 1 ? 64000 : 128000;
    return WAPF_OK;
  }
  job->voice = r->kind == WAPF_KIND_VOICE;
  int mp3 = opt->mp3 && !job->voice;
  int aac = !mp3 && opt->stereo && !job->voice;
  audio_format(job, ast, !aac && !mp3, !aac && !mp3);
  if (mp3) /* MPEG-1 Layer III: 44.1 or 48 kHz, planar float */
    job->acodec = "libmp3lame";
  job->out_format = mp3 ? "mp3" : aac ? "ipod" : "ogg";
  char note[sizeof res->note];
  /* MP3 takes the AAC rates (a CBR the encoder rounds to its table) */
  int rc = wapf__budget_audio(ctx, job->in.span, job->voice, aac || mp3,
                              job->af.channels, at->scale, &job->abitrate, note,
                              sizeof note);
  if (note[0])
    wapf__strlcpy(res->note, note, sizeof res->note);
  /* no point spending more bits than a low-rate source holds (AMR...) */
  int64_t src = ast->codecpar->bit_rate, floor = aac ? 32000 : 16000;
  if (rc == WAPF_OK && src > 0 && src < job->abitrate)
    job->abitrate = src > floor             ? src
                    : floor < job->abitrate ? floor
                                            : job->abitrate;
  return rc;
}

/* What the headers leave out, read from the packets: the duration (raw
 * streams, cut TS) and the real size of an audio stream that is copied
 * next to an encoded video. */
static int measure(wapf_context *ctx, const wapf_facts *f, wapf_av_job *job,
                   const wapf_options *opt) {
  wapf_av_in *in = &job->in;
  int copy_audio = job->vmode == WAPF_AV_ENCODE && job->amode == WAPF_AV_COPY;
  if (in->span > 0 && !copy_audio)
    return WAPF_OK;
  wapf_av_measure m;
  double start = opt->start > 0 ? opt->start : 0;
  int rc =
      wapf__av_measure(ctx, f, copy_audio ? in->aidx : -1, start, in->span, &m);
  if (rc != WAPF_OK)
    return rc;
  if (in->span <= 0) {
    if (m.seconds <= start)
      return wapf__fail(ctx, WAPF_EINVAL,
                        "--start %.3f s is past the end (the file lasts "
                        "%.3f s)",
                        start, m.seconds);
    in->span = m.seconds - start;
    if (opt->duration > 0 && opt->duration < in->span)
      in->span = opt->duration;
    wapf__log(ctx, WAPF_LOG_INFO, "duration %.3f s, measured by reading",
              m.seconds);
  }
  if (copy_audio && in->span > 0)
    job->acopy_bps = (int64_t)((double)m.audio_bytes * 8 * 1.02 / in->span);
  if (copy_audio && job->acopy_bps <= 0)
    job->amode = WAPF_AV_ENCODE; /* nothing to copy in the span */
  return WAPF_OK;
}

/* ---- one attempt ---- */

static int prepare(wapf_context *ctx, const wapf_facts *f, const wapf_report *r,
                   const wapf_options *opt, wapf_av_job *job, attempt *at,
                   wapf_result *res) {
  wapf_av_in *in = &job->in;
  in->vidx =
      r->plan == WAPF_PLAN_ENCODE_AUDIO ? -1 : wapf__demux_video(in->fmt);
  int rc = wapf__demux_audio(ctx, in->fmt, opt->audio_track, &in->aidx);
  if (rc != WAPF_OK)
    return rc;
  if (r->plan == WAPF_PLAN_ENCODE_AUDIO && in->aidx < 0)
    return wapf__fail(ctx, WAPF_EUNSUPPORTED, "the file has no audio stream");
  pick_modes(ctx, job, r->plan, at);
  rc = wapf__demux_trim(ctx, in, opt->start, opt->duration,
                        job->vmode == WAPF_AV_COPY);
  if (rc == WAPF_OK)
    rc = measure(ctx, f, job, opt);
  if (rc == WAPF_OK && in->aidx >= 0)
    rc = plan_audio(ctx, job, r, opt, at, res);
  if (rc == WAPF_OK && job->vmode == WAPF_AV_ENCODE)
    rc = plan_video(ctx, f, job, at, res);
  if (rc == WAPF_OK && job->vmode == WAPF_AV_ENCODE && in->aidx >= 0)
    job->abitrate = job->vp.abitrate;
  return rc;
}

static const char *mode_name(wapf_av_mode m) {
  return m == WAPF_AV_COPY ? "copy" : m == WAPF_AV_ENCODE ? "encode" : "none";
}

/* One line with every choice, so a run can be reproduced (bench/av). */
static void log_job(wapf_context *ctx, const wapf_av_job *job) {
  const wapf_vplan *p = &job->vp;
  AVRational fr = wapf__job_frame_rate(job);
  wapf__log(ctx, WAPF_LOG_INFO,
            "av job: video %s %dx%d fps %d/%d %s crf %d bitrate %lld "
            "maxrate %lld bufsize %lld level %d preset %s aq %s; audio %s %s "
            "%d Hz %d ch %lld bit/s; span %.3f s",
            mode_name(job->vmode), p->width, p->height, p->fps.num, p->fps.den,
            p->mode == WAPF_RC_CRF ? "crf" : "abr", p->crf,
            (long long)p->vbitrate, (long long)p->maxrate,
            (long long)p->bufsize, p->level,
            job->vmode == WAPF_AV_ENCODE
                ? wapf__enc_preset(p, fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0)
                : "-",
            job->vmode != WAPF_AV_ENCODE ? "-"
            : p->aq_variance             ? "variance"
                                         : "auto-variance",
            job->in.aidx < 0 ? "none" : mode_name(job->amode),
            job->acodec ? job->acodec : "-", job->af.rate, job->af.channels,
            (long long)job->abitrate, job->in.span);
}

/* The last pass ran again (twopass.c): the result and the note say so. */
static void report_refills(const wapf_av_job *job, wapf_result *res) {
  int64_t kbps = job->vp.vbitrate / 1000;
  char more[64];
  res->video_refills = (uint8_t)job->refills;
  res->video_first_fill = (uint8_t)(100 * job->first_bytes / job->limit);
  res->video.kbps = (uint16_t)(kbps > UINT16_MAX ? UINT16_MAX : kbps);
  snprintf(more, sizeof more,
           " (the last pass run again: %d%% of them filled the first time)",
           res->video_first_fill);
  note_abr(res, &job->vp, job->limit, more);
}

static int run_once(wapf_context *ctx, const wapf_facts *f,
                    const wapf_report *r, const wapf_options *opt,
                    wapf_tmpfile *out, attempt *at, wapf_result *res) {
  wapf_av_job job;
  memset(&job, 0, sizeof job);
  job.out_path = out->path;
  job.out_format = "mp4";
  job.keep_metadata = opt->keep_metadata;
  job.serial = wapf__mux_serial(f->path, f->size);
  job.threads = ctx->s.threads;
  job.opt = opt;
  job.prog_share = 1.0;
  job.out = out;
  job.limit = at->scale == 1.0 ? at->target : 0; /* not on the retry */
  int rc = wapf__demux_open(ctx, f, &job.in);
  if (rc != WAPF_OK)
    return rc;
  rc = prepare(ctx, f, r, opt, &job, at, res);
  if (rc == WAPF_OK) {
    log_job(ctx, &job);
    int two = job.vmode == WAPF_AV_ENCODE && job.vp.mode == WAPF_RC_ABR;
    rc = two ? wapf__twopass_run(ctx, f, &job) : wapf__pipeline_run(ctx, &job);
  }
  if (rc == WAPF_OK && job.refills)
    report_refills(&job, res);
  if (rc == WAPF_OK && job.vmode == WAPF_AV_COPY && !res->note[0])
    snprintf(res->note, sizeof res->note, "%s",
             job.in.aidx < 0 || job.amode == WAPF_AV_COPY
                 ? "streams copied, nothing re-encoded"
                 : "video copied, audio re-encoded");
  wapf__demux_close(&job.in);
  return rc;
}

static int too_big(wapf_context *ctx, int64_t size, int64_t target) {
  return wapf__fail(ctx, WAPF_EUNFIXABLE,
                    "the result is still %lld bytes, over %lld, after a "
                    "second attempt; trim it with --start/--duration",
                    (long long)size, (long long)target);
}

int wapf__av_convert(wapf_context *ctx, const wapf_facts *f,
                     const wapf_report *r, const wapf_options *opt,
                     wapf_tmpfile *out, wapf_result *res) {
  attempt at = {.scale = 1.0, .target = kind_limit(r->kind)};
  for (int n = 0; n < 2; n++) {
    res->note[0] = '\0';
    int rc = run_once(ctx, f, r, opt, out, &at, res);
    if (rc != WAPF_OK)
      return rc;
    int64_t size = wapf__file_size(out->path);
    if (size < 0)
      return wapf__fail(ctx, WAPF_EIO, "cannot read back the output");
    int icon = r->kind == WAPF_KIND_VOICE && !res->note[0];
    int64_t target = icon ? ICON_BYTES : at.target;
    if (size <= target)
      return WAPF_OK;
    if (size <= at.target && n == 1)
      return WAPF_OK; /* a voice note over the icon size still plays */
    wapf__log(ctx, WAPF_LOG_INFO, "%lld bytes is over %lld: one more try",
              (long long)size, (long long)target);
    if (res->action == WAPF_PLAN_TRANSCODE || at.force_transcode ||
        r->plan == WAPF_PLAN_ENCODE_AUDIO)
      at.scale *= 0.96 * (double)target / (double)size;
    at.force_transcode = 1; /* a copy that does not fit is re-encoded */
    if (n == 1)
      return too_big(ctx, size, target);
  }
  return WAPF_OK;
}
