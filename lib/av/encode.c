/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encode stage: libx264 (H.264 Main without B-frames, yuv420p, BT.709
 * tags), aac (AAC-LC), libopus. */
#include "av.h"

#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>

static int open_encoder(wapf_context *ctx, AVCodecContext *cc,
                        AVDictionary **opts) {
  int rc = avcodec_open2(cc, cc->codec, opts);
  av_dict_free(opts);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "cannot open the encoder");
  return WAPF_OK;
}

static AVCodecContext *alloc_encoder(wapf_context *ctx, const char *name,
                                     int *rc) {
  const AVCodec *codec = avcodec_find_encoder_by_name(name);
  if (!codec) {
    *rc = wapf__fail(ctx, WAPF_EUNSUPPORTED,
                     "this FFmpeg build has no %s encoder", name);
    return NULL;
  }
  AVCodecContext *cc = avcodec_alloc_context3(codec);
  *rc = cc ? WAPF_OK : wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  return cc;
}

static void video_rate_control(AVCodecContext *cc, const wapf_vplan *p,
                               AVDictionary **opts) {
  if (p->mode == WAPF_RC_CRF)
    av_dict_set_int(opts, "crf", p->crf, 0);
  else
    cc->bit_rate = p->vbitrate;
  cc->rc_max_rate = p->maxrate;
  cc->rc_buffer_size = (int)(p->bufsize > INT32_MAX ? INT32_MAX : p->bufsize);
  if (p->mode != WAPF_RC_ABR || p->pass == 0 || !p->stats)
    return;
  /* libavcodec's fastfirstpass (on by default) makes pass 1 cheap: one
   * reference, diamond search, no trellis, subme 2. Below --speed best it
   * is cheaper still: no partition search, no 8x8 transform, subme 1. On
   * the pans benchmark source at 1080p that pass took 17 % less time and
   * the second pass lost 0.0001 SSIM (0.9407), with 0.2 % more bytes.
   * Below --speed best pass 1 also runs with x264's rate tolerance off
   * (ratetol=inf): its quantiser then follows the clip's complexity
   * instead of chasing the average bitrate through easy stretches, so the
   * statistics are taken near the quantisers pass 2 plans. With the
   * default tolerance a near-black stretch of phone recordings was
   * measured at QP 20 in pass 1, took a third of the bits pass 2 predicted
   * from that, and the clip landed at 89 % of the limit; with it off,
   * 94 % (bench/av/RESULTS.md section 15). At --speed best it cost the
   * screen recording benchmark source 0.00002 SSIM (0.999938 against
   * 0.999959), behind ffmpeg's two-pass medium, and did not change its
   * fill: not used there. Below --speed best pass 2 runs with half x264's
   * default rate tolerance (ratetol=0.5): it then corrects its course
   * toward the planned size sooner, so an easy stretch that takes less than
   * planned is made up in the frames that follow; the six benchmark
   * sources landed at 95.5-97.7 % of the limit (the phone recordings at
   * 93.8 % before, with a 97 % aim), every SSIM higher (section 17).
   * At --speed best neither is used: measured there with the 98 % aim, the
   * tighter second pass lowered SSIM on four of the six sources, and
   * with the first pass's change too the screen recording fell behind
   * ffmpeg's two-pass medium (section 18). */
  cc->flags |= p->pass == 1 ? AV_CODEC_FLAG_PASS1 : AV_CODEC_FLAG_PASS2;
  av_dict_set(opts, "stats", p->stats, 0);
  if (p->speed == WAPF_SPEED_BEST)
    return;
  av_dict_set(opts, "x264-params",
              p->pass == 1 ? "ratetol=inf:subme=1:8x8dct=0:analyse=none"
                           : "ratetol=0.5",
              0);
}

/* x264 presets, all legal in Main without B-frames, with tune ssim
 * (auto-variance AQ, no psy-rd; at --speed best the trials may swap in
 * variance AQ, decide.c). Each --speed is a CPU budget per second
 * of output, in units of preset veryfast at 1920x1080 at 30 fps; the
 * slowest preset of its list that fits the budget at the output's pixel
 * rate is used, so a smaller picture gets more analysis (subme, ref,
 * trellis, lookahead) for the same time. The relative costs are x264's on
 * 1080p, measured with ffmpeg (-bf 0 -tune ssim, CPU seconds, BENCHMARKS.md):
 * veryfast 1, faster 1.45, fast 2.0, medium 2.5; superfast 0.7, slow 3.5.
 * The budget is the second pass's: an average-bitrate encode runs two
 * (twopass.c) and the trials (decide.c) come before them, and decoding
 * the source and scaling cost the same whatever the output's size. The
 * default (balanced, 0.8: veryfast at 1080p, faster at 720p, fast
 * below) so takes the time of ffmpeg's two-pass veryfast at 1080p or less
 * (at 1.0, fast at 720p took 5 % longer on the pans benchmark source, for
 * 0.0005 SSIM over faster). Medium is left out of it: at 540p it made
 * the default 14-15 % slower than that ffmpeg recipe on two benchmark
 * sources (decoding and scaling the source do not shrink), and fast in
 * its place took 0.87 and 0.97 of ffmpeg's time for 0.0005 and 0.0001
 * less SSIM (bench/av/RESULTS.md section 13). fast (0.6) costs less,
 * best (3.5: slow, slower) that of two-pass medium. */
typedef struct preset_cost {
  const char *name;
  double cost;
} preset_cost;

static const preset_cost k_fast[] = {
    {"superfast", 0.7}, {"veryfast", 1.0}, {"faster", 1.45}, {NULL, 0}};
static const preset_cost k_balanced[] = {
    {"veryfast", 1.0}, {"faster", 1.45}, {"fast", 2.0}, {NULL, 0}};
static const preset_cost k_best[] = {{"slow", 3.5}, {"slower", 7.0}, {NULL, 0}};

static const struct {
  const preset_cost *list;
  double budget;
} k_speed[] = {
    [WAPF_SPEED_BALANCED] = {k_balanced, 0.8},
    [WAPF_SPEED_FAST] = {k_fast, 0.6},
    [WAPF_SPEED_BEST] = {k_best, 3.5},
};

static double pixel_rate(const wapf_vplan *p, double fps) {
  return (double)p->width * p->height * (fps > 0 ? fps : 30) /
         (1920.0 * 1080 * 30);
}

static const preset_cost *pick_preset(const wapf_vplan *p, double fps) {
  int sp = p->speed >= 0 && p->speed <= WAPF_SPEED_BEST ? p->speed
                                                        : WAPF_SPEED_BALANCED;
  const preset_cost *list = k_speed[sp].list, *pick = &list[0];
  double rate = pixel_rate(p, fps);
  for (const preset_cost *c = list; c->name; c++)
    if (c->cost * rate <= k_speed[sp].budget)
      pick = c;
  return pick;
}

const char *wapf__enc_preset(const wapf_vplan *p, double fps) {
  return pick_preset(p, fps)->name;
}

double wapf__enc_cost(const wapf_vplan *p, double fps) {
  return pick_preset(p, fps)->cost * pixel_rate(p, fps);
}

/* libavcodec's fast first pass costs about what a veryfast pass does,
 * decoding and scaling included (0.95 of it: 40 s of 1080p, ffmpeg,
 * -threads 2, CPU seconds), whatever the preset. */
double wapf__enc_first_pass_cost(const wapf_vplan *p, double fps) {
  return 0.9 * pixel_rate(p, fps);
}

static void video_settings(AVCodecContext *cc, const wapf_vplan *p, double fps,
                           AVDictionary **opts) {
  av_dict_set(opts, "preset", wapf__enc_preset(p, fps), 0);
  av_dict_set(opts, "tune", "ssim", 0);
  if (p->aq_variance)
    av_dict_set(opts, "aq-mode", "1", 0);
  av_dict_set(opts, "profile", "main", 0);
  cc->max_b_frames = 0; /* Android WhatsApp clients: no B-frames */
  cc->color_primaries = AVCOL_PRI_BT709;
  cc->color_trc = AVCOL_TRC_BT709;
  cc->colorspace = AVCOL_SPC_BT709;
}

int wapf__enc_video(wapf_context *ctx, const wapf_vplan *p, AVRational tb,
                    AVRational fr, int threads, AVCodecContext **out) {
  int rc;
  AVDictionary *opts = NULL;
  AVCodecContext *cc = alloc_encoder(ctx, "libx264", &rc);
  if (!cc)
    return rc;
  cc->width = p->width;
  cc->height = p->height;
  cc->pix_fmt = AV_PIX_FMT_YUV420P;
  cc->sample_aspect_ratio = (AVRational){1, 1};
  cc->color_range = AVCOL_RANGE_MPEG;
  cc->time_base = tb;
  cc->framerate = fr;
  cc->thread_count = threads;
  cc->level = p->level;
  cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  video_settings(cc, p, fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0, &opts);
  video_rate_control(cc, p, &opts);
  rc = open_encoder(ctx, cc, &opts);
  if (rc != WAPF_OK)
    avcodec_free_context(&cc);
  *out = cc;
  return rc;
}

int wapf__enc_audio(wapf_context *ctx, const char *codec, int rate,
                    int channels, int64_t bitrate, int voice,
                    AVCodecContext **out) {
  int rc;
  AVDictionary *opts = NULL;
  AVCodecContext *cc = alloc_encoder(ctx, codec, &rc);
  if (!cc)
    return rc;
  int opus = strcmp(codec, "libopus") == 0;
  cc->sample_fmt = opus ? AV_SAMPLE_FMT_FLT : AV_SAMPLE_FMT_FLTP;
  cc->sample_rate = rate;
  av_channel_layout_default(&cc->ch_layout, channels);
  cc->bit_rate = bitrate;
  cc->time_base = (AVRational){1, rate};
  cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (opus) {
    av_dict_set(&opts, "application", voice ? "voip" : "audio", 0);
    av_dict_set(&opts, "vbr", "constrained", 0);
  } else if (strcmp(codec, "aac") == 0) {
    cc->profile = FF_PROFILE_AAC_LOW;
  }
  rc = open_encoder(ctx, cc, &opts);
  if (rc != WAPF_OK)
    avcodec_free_context(&cc);
  *out = cc;
  return rc;
}

int wapf__enc_send(wapf_context *ctx, AVCodecContext *enc, const AVFrame *f,
                   AVPacket *pkt, wapf_av_packet_cb cb, void *cookie) {
  int rc = avcodec_send_frame(enc, f);
  if (rc < 0 && rc != AVERROR_EOF)
    return wapf__from_averror(ctx, rc, "encoding");
  for (;;) {
    rc = avcodec_receive_packet(enc, pkt);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
      return WAPF_OK;
    if (rc < 0)
      return wapf__from_averror(ctx, rc, "encoding");
    rc = cb(cookie, pkt);
    av_packet_unref(pkt);
    if (rc != WAPF_OK)
      return rc;
  }
}
