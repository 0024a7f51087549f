/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libavformat access for the probe (probe_av.c opens, av_facts.c reads). */
#ifndef WAPF_PROBE_AV_H
#define WAPF_PROBE_AV_H

#include "probe_internal.h"

#include <libavformat/avformat.h>
#include <sys/stat.h>

/* The packets the probe read past the stream analysis (the B-frame scan),
 * kept in order for the conversion to read first (input.c). */
typedef struct wapf_av_queue {
  AVPacket **v;
  int n, cap, head;
  int64_t bytes;
  int recording; /* while the probe reads */
  int lost;      /* over the cap: dropped, the demuxer cannot be lent */
} wapf_av_queue;

struct wapf_av {
  AVFormatContext *fc;
  AVIOContext *pb;
  void *io;       /* our reader state (file descriptor, budget) */
  int score;      /* libavformat's confidence in the demuxer, 1..100 */
  char guess[32]; /* the demuxer it guessed, "" none */
  struct stat st; /* of the file as opened */
  wapf_av_queue q;
};

/* Open path (size bytes) from its content only and analyse its streams,
 * bounded in bytes and time. A demuxer guess below min_score is refused
 * (WAPF_EUNSUPPORTED). On failure the caller still calls wapf__av_close. */
int wapf__av_open(wapf_context *ctx, const char *path, int64_t size,
                  int min_score, wapf_av *av);
void wapf__av_close(wapf_av *av);
/* Demuxers whose result is not audio/video media (av_facts.c): text shown
 * as video, single pictures ("png_pipe"), image sequences. */
int wapf__av_not_media_demuxer(const char *name);
/* The open file's descriptor (for the box walks; reads with pread). */
int wapf__av_fd(const wapf_av *av);
/* Drop the kept packets (input.c). */
void wapf__av_queue_free(wapf_av_queue *q);
/* Lift the analysis budget (time and bytes) for a whole conversion on
 * ctx; cancellation still stops every read. */
void wapf__av_unbound(wapf_av *av, wapf_context *ctx);

/* The facts of one stream (av_stream.c). */
void wapf__av_stream_facts(const AVStream *st, wapf_stream *s);

/* reorder_depth and b_frames of the H.264 streams (bframes.c): reads the
 * first packets (bounded, through wapf__input_read), so it comes last. */
void wapf__av_bframes(wapf_av *av, wapf_facts *f);

#endif
