/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mux stage: MP4 (faststart, not fragmented), M4A ("ipod") or Ogg.
 * The output depends on the input only: Ogg is written bit-exact with a
 * serial number derived from the input (libavformat's Ogg muxer draws a
 * random one otherwise); MP4 has no creation time unless the input's
 * metadata is kept. */
#include "av.h"

#include <fcntl.h>
#include <glib.h>
#include <unistd.h>

#define WAPF_SERIAL_HEAD (64 * 1024)

unsigned wapf__mux_serial(const char *path, int64_t size) {
  GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
  guint8 buf[4096], digest[32];
  gsize dlen = sizeof digest;
  g_checksum_update(c, (const guchar *)&size, sizeof size);
  int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  for (ssize_t n, total = 0; fd >= 0 && total < WAPF_SERIAL_HEAD &&
                             (n = read(fd, buf, sizeof buf)) > 0;
       total += n)
    g_checksum_update(c, buf, n);
  if (fd >= 0)
    close(fd);
  g_checksum_get_digest(c, digest, &dlen);
  g_checksum_free(c);
  /* 0 .. INT_MAX - 16: the option's range, with room for a stream index */
  unsigned v = (unsigned)digest[0] << 24 | (unsigned)digest[1] << 16 |
               (unsigned)digest[2] << 8 | digest[3];
  return v % (unsigned)(INT_MAX - 16);
}

int wapf__mux_open(wapf_context *ctx, wapf_av_mux *m, const char *path,
                   const char *format) {
  memset(m, 0, sizeof *m);
  int rc = avformat_alloc_output_context2(&m->fmt, NULL, format, path);
  if (rc < 0 || !m->fmt)
    return wapf__from_averror(ctx, rc, "cannot set up the output");
  rc = avio_open(&m->fmt->pb, path, AVIO_FLAG_WRITE);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "cannot write the output");
  return WAPF_OK;
}

int wapf__mux_add_enc(wapf_context *ctx, wapf_av_mux *m,
                      const AVCodecContext *enc) {
  AVStream *st = avformat_new_stream(m->fmt, NULL);
  if (!st)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory for a stream");
  int rc = avcodec_parameters_from_context(st->codecpar, enc);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "output stream");
  st->time_base = enc->time_base;
  st->disposition = AV_DISPOSITION_DEFAULT;
  return st->index;
}

/* Keep the display matrix: a copied video plays upright through it. */
static int copy_matrix(const AVStream *ist, AVStream *st) {
  size_t size = 0;
  const uint8_t *sd =
      av_stream_get_side_data(ist, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (!sd)
    return 0;
  uint8_t *dst = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, size);
  if (!dst)
    return AVERROR(ENOMEM);
  memcpy(dst, sd, size);
  return 0;
}

int wapf__mux_add_copy(wapf_context *ctx, wapf_av_mux *m, const AVStream *ist) {
  AVStream *st = avformat_new_stream(m->fmt, NULL);
  if (!st)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory for a stream");
  int rc = avcodec_parameters_copy(st->codecpar, ist->codecpar);
  if (rc >= 0)
    rc = copy_matrix(ist, st);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "copied stream");
  st->codecpar->codec_tag = 0;
  st->time_base = ist->time_base;
  st->avg_frame_rate = ist->avg_frame_rate;
  st->disposition = AV_DISPOSITION_DEFAULT;
  return st->index;
}

int wapf__mux_start(wapf_context *ctx, wapf_av_mux *m,
                    const AVDictionary *meta) {
  AVDictionary *opts = NULL;
  if (meta)
    av_dict_copy(&m->fmt->metadata, meta, 0);
  if (strcmp(m->fmt->oformat->name, "ogg") != 0 &&
      strcmp(m->fmt->oformat->name, "mp3") != 0) {
    av_dict_set(&opts, "movflags", "+faststart", 0);
  } else {
    m->fmt->flags |= AVFMT_FLAG_BITEXACT; /* serial = offset + index */
    av_dict_set_int(&opts, "serial_offset", (int64_t)m->serial, 0);
  }
  int rc = avformat_write_header(m->fmt, &opts);
  av_dict_free(&opts);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "cannot start the output");
  m->started = 1;
  return WAPF_OK;
}

int wapf__mux_write(wapf_context *ctx, wapf_av_mux *m, AVPacket *pkt,
                    AVRational tb, int index) {
  AVStream *st = m->fmt->streams[index];
  av_packet_rescale_ts(pkt, tb, st->time_base);
  pkt->stream_index = index;
  pkt->pos = -1;
  int rc = av_interleaved_write_frame(m->fmt, pkt);
  if (rc < 0)
    return wapf__from_averror(ctx, rc, "writing the output");
  return WAPF_OK;
}

int wapf__mux_finish(wapf_context *ctx, wapf_av_mux *m) {
  int rc = av_write_trailer(m->fmt);
  int rc2 = avio_closep(&m->fmt->pb);
  if (rc < 0 || rc2 < 0)
    return wapf__from_averror(ctx, rc < 0 ? rc : rc2, "finishing the output");
  return WAPF_OK;
}

void wapf__mux_close(wapf_av_mux *m) {
  if (!m->fmt)
    return;
  if (m->fmt->pb)
    avio_closep(&m->fmt->pb);
  avformat_free_context(m->fmt);
  m->fmt = NULL;
}
