/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Measure by demuxing what the headers do not say: how long a raw
 * elementary stream (.h264, .aac), a cut TS or a live recording lasts, and
 * how many bytes a copied audio stream takes inside the span. One read of
 * the packets (no decoding), bounded by the duration safety limit. */
#include "av.h"

#include <math.h>

typedef struct tally {
  double end;          /* seconds after the first timestamp */
  int64_t first;       /* AV_TIME_BASE units, AV_NOPTS_VALUE none yet */
  int64_t vpackets;    /* video packets without timestamps */
  int64_t audio_bytes; /* aidx packets inside [from, to) */
} tally;

static int64_t packet_start(const AVPacket *pkt, const AVStream *st) {
  int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  return ts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE
                              : av_rescale_q(ts, st->time_base, AV_TIME_BASE_Q);
}

static void count(tally *t, const AVPacket *pkt, const AVStream *st, int aidx,
                  double from, double to) {
  int64_t ts = packet_start(pkt, st);
  if (ts == AV_NOPTS_VALUE) {
    t->vpackets += st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
    return;
  }
  if (t->first == AV_NOPTS_VALUE || ts < t->first)
    t->first = ts;
  double at = (double)(ts - t->first) / AV_TIME_BASE;
  double dur =
      pkt->duration > 0 ? (double)pkt->duration * av_q2d(st->time_base) : 0;
  if (at + dur > t->end)
    t->end = at + dur;
  if (pkt->stream_index == aidx && at >= from && (to <= 0 || at < to))
    t->audio_bytes += pkt->size;
}

/* Seconds so far: from the timestamps, else from the frame count. */
static double seconds_of(const tally *t, const wapf_av_in *in) {
  if (t->end > 0 || t->vpackets == 0 || in->vidx < 0)
    return t->end;
  const AVStream *vs = in->fmt->streams[in->vidx];
  AVRational fr =
      vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate : vs->r_frame_rate;
  return (double)t->vpackets / (fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 25);
}

int wapf__av_measure(wapf_context *ctx, const wapf_facts *f, int aidx,
                     double start, double span, wapf_av_measure *m) {
  wapf_av_in in;
  int rc = wapf__demux_open(ctx, f, &in);
  if (rc != WAPF_OK)
    return rc;
  in.vidx = wapf__demux_video(in.fmt);
  AVPacket *pkt = av_packet_alloc();
  tally t = {.first = AV_NOPTS_VALUE};
  double limit = ctx->s.max_duration;
  double to = span > 0 ? start + span : 0;
  while (pkt && rc == WAPF_OK && wapf__demux_read(&in, pkt) >= 0) {
    const AVStream *st = in.fmt->streams[pkt->stream_index];
    count(&t, pkt, st, aidx, start, to);
    av_packet_unref(pkt);
    if (wapf__cancelled(ctx))
      rc = wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
    else if (seconds_of(&t, &in) > limit)
      rc = wapf__fail(ctx, WAPF_ELIMIT,
                      "%s: lasts over the limit of %.0f s (measured by "
                      "reading it)",
                      f->path, limit);
  }
  if (!pkt && rc == WAPF_OK)
    rc = wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  m->seconds = seconds_of(&t, &in);
  av_packet_free(&pkt);
  wapf__demux_close(&in);
  m->audio_bytes = t.audio_bytes;
  return rc;
}
