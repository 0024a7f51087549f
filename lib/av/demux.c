/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Demux stage: open the input, pick the streams, seek for a trim. */
#include "av.h"

#include <math.h>

#include <libavutil/display.h>

int wapf__demux_open(wapf_context *ctx, const wapf_facts *f, wapf_av_in *in) {
  memset(in, 0, sizeof *in);
  in->vidx = in->aidx = -1;
  int rc = wapf__input_open(ctx, f, &in->src);
  if (rc == WAPF_OK)
    in->fmt = wapf__input_format(in->src);
  return rc;
}

void wapf__demux_close(wapf_av_in *in) {
  wapf__input_close(&in->src);
  in->fmt = NULL;
}

int wapf__demux_video(const AVFormatContext *fmt) {
  for (unsigned i = 0; i < fmt->nb_streams; i++) {
    const AVStream *st = fmt->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
      return (int)i;
  }
  return -1;
}

int wapf__demux_audio(wapf_context *ctx, const AVFormatContext *fmt, int track,
                      int *out) {
  int n = 0, first = -1, def = -1;
  for (unsigned i = 0; i < fmt->nb_streams; i++) {
    const AVStream *st = fmt->streams[i];
    if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
      continue;
    if (track >= 0 && n == track)
      return *out = (int)i, WAPF_OK;
    if (first < 0)
      first = (int)i;
    if (def < 0 && (st->disposition & AV_DISPOSITION_DEFAULT))
      def = (int)i;
    n++;
  }
  if (track >= 0)
    return wapf__fail(ctx, WAPF_EINVAL,
                      "there is no audio track %d: the file has %d (counted "
                      "from 0)",
                      track, n);
  *out = def >= 0 ? def : first;
  return WAPF_OK;
}

static double stream_seconds(const AVStream *st) {
  if (st->duration == AV_NOPTS_VALUE || st->duration <= 0)
    return -1;
  return (double)st->duration * av_q2d(st->time_base);
}

double wapf__demux_duration(const AVFormatContext *fmt) {
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    return (double)fmt->duration / AV_TIME_BASE;
  double best = -1;
  for (unsigned i = 0; i < fmt->nb_streams; i++)
    best = fmax(best, stream_seconds(fmt->streams[i]));
  return best;
}

/* The pts (AV_TIME_BASE) of the first video keyframe from the current
 * position, or `fallback` when none shows up soon. */
static int64_t first_keyframe(wapf_av_in *in, int64_t fallback) {
  AVPacket *pkt = av_packet_alloc();
  int64_t found = fallback;
  for (int n = 0; pkt && n < 20000; n++) {
    if (av_read_frame(in->fmt, pkt) < 0)
      break;
    const AVStream *st = in->fmt->streams[pkt->stream_index];
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    int hit = pkt->stream_index == in->vidx && (pkt->flags & AV_PKT_FLAG_KEY) &&
              ts != AV_NOPTS_VALUE;
    if (hit)
      found = av_rescale_q(ts, st->time_base, AV_TIME_BASE_Q);
    av_packet_unref(pkt);
    if (hit)
      break;
  }
  av_packet_free(&pkt);
  return found;
}

static int seek_to(wapf_av_in *in, int64_t target) {
  return wapf__input_seek(in->src, target);
}

int wapf__demux_trim(wapf_context *ctx, wapf_av_in *in, double start,
                     double duration, int keyframe) {
  int64_t base =
      in->fmt->start_time != AV_NOPTS_VALUE ? in->fmt->start_time : 0;
  double total = wapf__demux_duration(in->fmt);
  if (start < 0 || !isfinite(start))
    start = 0;
  if (total > 0 && start >= total)
    return wapf__fail(ctx, WAPF_EINVAL,
                      "--start %.3f s is past the end (the file lasts %.3f s)",
                      start, total);
  double left = total > 0 ? total - start : 0;
  in->cut_end = duration > 0;
  in->span = duration > 0 && (left <= 0 || duration < left) ? duration : left;
  int64_t target = base + (int64_t)llround(start * AV_TIME_BASE);
  in->zero = target;
  if (start <= 0)
    return WAPF_OK;
  if (seek_to(in, target) < 0) {
    wapf__log(ctx, WAPF_LOG_WARNING, "seek failed; reading from the start");
    return WAPF_OK;
  }
  if (keyframe && in->vidx >= 0) {
    in->zero = first_keyframe(in, target);
    in->span += (double)(target - in->zero) / AV_TIME_BASE;
    seek_to(in, target);
  }
  return WAPF_OK;
}

int wapf__demux_rotation(const AVStream *st, const char **filter) {
  size_t size = 0;
  const uint8_t *sd =
      av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
  *filter = "";
  if (!sd || size < 9 * sizeof(int32_t))
    return 0;
  const int32_t *m = (const int32_t *)sd;
  double theta = -round(av_display_rotation_get(m));
  if (isnan(theta))
    return 0;
  theta -= 360 * floor(theta / 360 + 0.9 / 360);
  /* Mirroring read from the same matrix the way FFmpeg 6's fftools do. */
  if (fabs(theta - 90) < 1) {
    *filter = m[3] > 0 ? "transpose=cclock_flip" : "transpose=clock";
    return 90;
  }
  if (fabs(theta - 270) < 1) {
    *filter = m[3] < 0 ? "transpose=clock_flip" : "transpose=cclock";
    return 270;
  }
  if (fabs(theta - 180) < 1) {
    *filter = m[0] < 0 ? (m[4] < 0 ? "hflip,vflip" : "hflip")
                       : (m[4] < 0 ? "vflip" : "");
    return 180;
  }
  *filter = m[4] < 0 ? "vflip" : "";
  return 0;
}

int wapf__demux_read(wapf_av_in *in, AVPacket *pkt) {
  return wapf__input_read(in->src, pkt);
}

void wapf__demux_display(AVFormatContext *fmt, AVStream *st, int rotation,
                         int *w, int *h, AVRational *sar) {
  const AVCodecParameters *p = st->codecpar;
  *sar = av_guess_sample_aspect_ratio(fmt, st, NULL);
  if (sar->num <= 0 || sar->den <= 0)
    *sar = (AVRational){1, 1};
  double dw = (double)p->width * sar->num / sar->den;
  *w = dw >= 1 ? (int)lround(dw) : 1;
  *h = p->height > 0 ? p->height : 1;
  if (rotation == 90 || rotation == 270) {
    int t = *w;
    *w = *h;
    *h = t;
  }
}
