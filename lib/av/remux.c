/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stream copy: which streams may be copied into a compliant MP4, and
 * the timestamp shift of a copied packet (REMUX, AUDIO_ONLY). */
#include "av.h"

#include <libavutil/pixdesc.h>

int wapf__copy_video_ok(const AVStream *st, int max_long_side) {
  const AVCodecParameters *p = st->codecpar;
  if (p->codec_id != AV_CODEC_ID_H264)
    return 0;
  if (p->format != AV_PIX_FMT_YUV420P && p->format != AV_PIX_FMT_YUVJ420P)
    return 0;
  if (p->width <= 0 || p->height <= 0 || (p->width | p->height) & 1)
    return 0;
  if ((p->width > p->height ? p->width : p->height) > max_long_side)
    return 0;
  if (p->field_order > AV_FIELD_PROGRESSIVE)
    return 0;
  if (p->video_delay > 0) /* B-frames: Android clients do not play them */
    return 0;
  switch (p->profile) {
  case FF_PROFILE_H264_BASELINE:
  case FF_PROFILE_H264_CONSTRAINED_BASELINE:
  case FF_PROFILE_H264_MAIN:
  case FF_PROFILE_H264_HIGH: return 1;
  default: return 0;
  }
}

int wapf__copy_audio_ok(const AVStream *st) {
  const AVCodecParameters *p = st->codecpar;
  return p->codec_id == AV_CODEC_ID_AAC &&
         (p->profile == FF_PROFILE_AAC_LOW ||
          p->profile == FF_PROFILE_UNKNOWN) &&
         (p->sample_rate == 44100 || p->sample_rate == 48000) &&
         p->ch_layout.nb_channels >= 1 && p->ch_layout.nb_channels <= 2;
}

int wapf__copy_prepare(const wapf_av_in *in, const AVStream *ist, int *started,
                       AVPacket *pkt) {
  int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  if (ts == AV_NOPTS_VALUE)
    return 1;
  int64_t zero = av_rescale_q(in->zero, AV_TIME_BASE_Q, ist->time_base);
  int video = ist->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
  if (in->cut_end) {
    int64_t end = zero + av_rescale_q((int64_t)(in->span * AV_TIME_BASE),
                                      AV_TIME_BASE_Q, ist->time_base);
    int64_t dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : ts;
    if ((video ? dts : ts) >= end)
      return 2;
  }
  if (video && !*started) {
    if (!(pkt->flags & AV_PKT_FLAG_KEY))
      return 1;
    *started = 1;
  }
  if (!video && ts < zero)
    return 1;
  if (pkt->pts != AV_NOPTS_VALUE)
    pkt->pts -= zero;
  if (pkt->dts != AV_NOPTS_VALUE)
    pkt->dts -= zero;
  return 0;
}
