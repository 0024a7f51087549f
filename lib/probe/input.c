/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audio/video input of a conversion: the probe's own demuxer, lent to
 * the conversion that follows, so a file is opened and its streams
 * analysed once (a remux used to pay both twice).
 *
 * The probe keeps its demuxer on the context (one at most: the next probe
 * or wapf_close closes it) with the facts it filled. A conversion of those
 * same facts, of the same unchanged file, takes it; any other opens the
 * file afresh with the same reader. Either way every read of an input is
 * content-only (no name, no nested opens) and cancellable.
 *
 * No seek puts a demuxer back where it started: MP4's AAC priming packet
 * (negative dts) or Matroska's audio ahead of the first video cluster come
 * back out of order or not at all. So the packets the probe reads past
 * the stream analysis (the B-frame scan; the analysis' own packets stay
 * buffered inside libavformat) are kept, in order, and given out first.
 * Past QUEUE_MAX bytes they are dropped and the demuxer is not lent. */
#include "probe_av.h"

#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX (16 << 20)

void wapf__av_queue_free(wapf_av_queue *q) {
  for (int i = q->head; i < q->n; i++)
    av_packet_free(&q->v[i]);
  free(q->v);
  memset(q, 0, sizeof *q);
}

static void queue_lose(wapf_av_queue *q) {
  wapf__av_queue_free(q);
  q->lost = 1;
}

/* A reference to pkt at the end of the queue (or the queue lost). */
static void queue_push(wapf_av_queue *q, const AVPacket *pkt) {
  if (q->lost)
    return;
  if (q->bytes + pkt->size > QUEUE_MAX)
    return queue_lose(q);
  if (q->n == q->cap) {
    int cap = q->cap ? 2 * q->cap : 64;
    AVPacket **v = realloc(q->v, (size_t)cap * sizeof *v);
    if (!v)
      return queue_lose(q);
    q->v = v;
    q->cap = cap;
  }
  AVPacket *ref = av_packet_clone(pkt);
  if (!ref)
    return queue_lose(q);
  q->v[q->n++] = ref;
  q->bytes += pkt->size;
}

/* The same file, unchanged since the probe opened it. */
static int same_file(const wapf_av *av, const wapf_facts *f) {
  struct stat st;
  if (stat(f->path, &st) != 0)
    return 0;
  return st.st_dev == av->st.st_dev && st.st_ino == av->st.st_ino &&
         st.st_size == av->st.st_size &&
         st.st_mtim.tv_sec == av->st.st_mtim.tv_sec &&
         st.st_mtim.tv_nsec == av->st.st_mtim.tv_nsec &&
         (int64_t)st.st_size == f->size;
}

static void av_free_one(wapf_av *av) {
  if (!av)
    return;
  wapf__av_close(av);
  free(av);
}

void wapf__input_forget(wapf_context *ctx) {
  av_free_one(ctx->input);
  ctx->input = NULL;
  ctx->input_facts = NULL;
}

void wapf__input_keep(wapf_context *ctx, wapf_av *av, const wapf_facts *f) {
  wapf__input_forget(ctx);
  wapf_av *k = av->q.lost ? NULL : malloc(sizeof *k);
  if (!k) {
    wapf__av_close(av);
    return;
  }
  *k = *av;
  memset(av, 0, sizeof *av);
  ctx->input = k;
  ctx->input_facts = f;
}

int wapf__input_read(wapf_av *av, AVPacket *pkt) {
  wapf_av_queue *q = &av->q;
  if (!q->recording && q->head < q->n) {
    av_packet_move_ref(pkt, q->v[q->head]);
    av_packet_free(&q->v[q->head++]);
    if (q->head == q->n)
      wapf__av_queue_free(q);
    return 0;
  }
  int e = av_read_frame(av->fc, pkt);
  if (e >= 0 && q->recording)
    queue_push(q, pkt);
  return e;
}

int wapf__input_seek(wapf_av *av, int64_t ts) {
  wapf__av_queue_free(&av->q);
  return avformat_seek_file(av->fc, -1, INT64_MIN, ts, ts, 0);
}

/* The kept demuxer when it belongs to f, else NULL (and it is closed). */
static wapf_av *take_kept(wapf_context *ctx, const wapf_facts *f) {
  wapf_av *av = ctx->input;
  if (!av || ctx->input_facts != f || !same_file(av, f)) {
    wapf__input_forget(ctx);
    return NULL;
  }
  ctx->input = NULL;
  ctx->input_facts = NULL;
  return av;
}

int wapf__input_open(wapf_context *ctx, const wapf_facts *f, wapf_av **out) {
  *out = NULL;
  wapf_av *av = take_kept(ctx, f);
  if (av) {
    wapf__log(ctx, WAPF_LOG_DEBUG, "%s: the probe's demuxer reused", f->path);
  } else {
    av = calloc(1, sizeof *av);
    if (!av)
      return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
    int rc = wapf__av_open(ctx, f->path, f->size, 1, av);
    if (rc != WAPF_OK) {
      av_free_one(av);
      return rc;
    }
  }
  wapf__av_unbound(av, ctx);
  *out = av;
  return WAPF_OK;
}

AVFormatContext *wapf__input_format(wapf_av *av) {
  return av->fc;
}

void wapf__input_close(wapf_av **av) {
  av_free_one(*av);
  *av = NULL;
}
