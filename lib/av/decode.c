/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decode stage: packets -> frames, tolerating minor damage. */
#include "av.h"

/* A stream that produced nothing after this many packets is given up. */
#define WAPF_DEC_GIVE_UP 500

int wapf__dec_open(wapf_context *ctx, const AVStream *st, int threads,
                   wapf_av_dec *d) {
  memset(d, 0, sizeof *d);
  const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec) {
    char tag[AV_FOURCC_MAX_STRING_SIZE] = "";
    if (st->codecpar->codec_id == AV_CODEC_ID_NONE && st->codecpar->codec_tag)
      av_fourcc_make_string(tag, st->codecpar->codec_tag);
    return wapf__fail(ctx, WAPF_EUNSUPPORTED,
                      "unsupported: this FFmpeg build has no decoder for %s",
                      tag[0] ? tag : avcodec_get_name(st->codecpar->codec_id));
  }
  d->cc = avcodec_alloc_context3(codec);
  d->frame = av_frame_alloc();
  if (!d->cc || !d->frame)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory for a decoder");
  int rc = avcodec_parameters_to_context(d->cc, st->codecpar);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "decoder parameters");
  d->cc->pkt_timebase = st->time_base;
  /* audio is cheap to decode, and a frame-threaded audio decoder's delay
   * would blur the packet times the pipeline's sample clock relies on */
  d->cc->thread_count =
      st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO ? 1 : threads;
  d->cc->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  rc = avcodec_open2(d->cc, codec, NULL);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "cannot open the decoder");
  return WAPF_OK;
}

static int receive_all(wapf_context *ctx, wapf_av_dec *d, wapf_av_frame_cb cb,
                       void *cookie) {
  for (;;) {
    int rc = avcodec_receive_frame(d->cc, d->frame);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
      return WAPF_OK;
    if (rc == AVERROR(ENOMEM))
      return wapf__from_averror(ctx, rc, "decoding");
    if (rc < 0) { /* damaged data: count it and go on */
      d->errors++;
      continue;
    }
    d->frames++;
    d->frame->pts = d->frame->best_effort_timestamp;
    rc = cb(cookie, d->frame);
    av_frame_unref(d->frame);
    if (rc != 0)
      return rc;
  }
}

int wapf__dec_send(wapf_context *ctx, wapf_av_dec *d, const AVPacket *pkt,
                   wapf_av_frame_cb cb, void *cookie) {
  if (pkt)
    d->packets++;
  int rc = avcodec_send_packet(d->cc, pkt);
  if (rc == AVERROR(ENOMEM))
    return wapf__from_averror(ctx, rc, "decoding");
  if (rc < 0 && rc != AVERROR_EOF && rc != AVERROR(EAGAIN))
    d->errors++;
  rc = receive_all(ctx, d, cb, cookie);
  if (rc != WAPF_OK)
    return rc;
  if (d->frames == 0 && d->packets > WAPF_DEC_GIVE_UP)
    return wapf__dec_verdict(ctx, d, "the stream");
  return WAPF_OK;
}

int wapf__dec_verdict(wapf_context *ctx, const wapf_av_dec *d,
                      const char *what) {
  if (d->frames > 0)
    return WAPF_OK;
  if (d->packets == 0)
    return wapf__fail(ctx, WAPF_ECORRUPT, "%s holds no data to decode", what);
  return wapf__fail(ctx, WAPF_ECORRUPT,
                    "%s is damaged: none of its %lld packets could be "
                    "decoded (%s)",
                    what, (long long)d->packets,
                    d->cc ? avcodec_get_name(d->cc->codec_id) : "?");
}

void wapf__dec_close(wapf_av_dec *d) {
  avcodec_free_context(&d->cc);
  av_frame_free(&d->frame);
}
