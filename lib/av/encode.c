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
}

/* x264 presets per wapf_speed, all legal in Main without B-frames, with
 * tune ssim (auto-variance AQ, no psy-rd): measured on 10 s cuts of the
 * bench sources (bench/av/tune.py, bench/av/RESULTS.md) it gains SSIM at
 * veryfast on light noise for ~the same CPU; the costs and gains of each
 * speed are in BENCHMARKS.md. */
static const char *const k_preset[] = {
    [WAPF_SPEED_BALANCED] = "veryfast",
    [WAPF_SPEED_FAST] = "superfast",
    [WAPF_SPEED_BEST] = "slow",
};

static void video_settings(AVCodecContext *cc, const wapf_vplan *p,
                           AVDictionary **opts) {
  int sp = p->speed >= 0 && p->speed <= WAPF_SPEED_BEST ? p->speed
                                                        : WAPF_SPEED_BALANCED;
  av_dict_set(opts, "preset", k_preset[sp], 0);
  av_dict_set(opts, "tune", "ssim", 0);
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
  video_settings(cc, p, &opts);
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
