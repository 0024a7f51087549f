/* libavformat access for the probe (probe_av.c opens, av_facts.c reads). */
#ifndef WAPF_PROBE_AV_H
#define WAPF_PROBE_AV_H

#include "probe_internal.h"

#include <libavformat/avformat.h>

typedef struct wapf_av {
  AVFormatContext *fc;
  AVIOContext *pb;
  void *io;       /* our reader state (file descriptor, budget) */
  int score;      /* libavformat's confidence in the demuxer, 1..100 */
  char guess[32]; /* the demuxer it guessed, "" none */
} wapf_av;

/* Open path (size bytes) from its content only and analyse its streams,
 * bounded in bytes and time. A demuxer guess below min_score is refused
 * (WAPF_EUNSUPPORTED). On failure the caller still calls wapf__av_close. */
int wapf__av_open(wapf_context *ctx, const char *path, int64_t size,
                  int min_score, wapf_av *av);
void wapf__av_close(wapf_av *av);

/* The facts of one stream (av_stream.c). */
void wapf__av_stream_facts(const AVStream *st, wapf_stream *s);

/* reorder_depth and b_frames of the H.264 streams (bframes.c): reads the
 * first packets (bounded), so it comes last. */
void wapf__av_bframes(AVFormatContext *fc, wapf_facts *f);

#endif
