/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audio/video facts from libavformat. The file is read through our own
 * AVIOContext (content only: no file name, so no guess from the
 * extension; no protocol prefixes; no nested opens such as playlists or
 * external references), and every read and analysis step polls an
 * interrupt callback that stops on wapf_cancel() and on a time budget, so
 * a hostile file cannot hang the probe. */
#include "probe_av.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define AV_IO_BUF 65536
#define AV_PROBESIZE (5 * 1000 * 1000)
#define AV_ANALYZE_US (5 * AV_TIME_BASE)
#define AV_BUDGET_US (20 * 1000 * 1000)
/* Bytes a probe may read. Demuxers read far less (probesize, the index),
 * but a parser that looks for the next picture reads on until it finds
 * one: a PNG head followed by 20 GB of zeros. */
#define AV_READ_MAX (128 << 20)
/* Audio channels a stream may declare (7th-order ambisonics is 64). */
#define AV_MAX_CHANNELS 255

typedef struct av_io {
  wapf_context *ctx;
  int fd;
  int64_t pos, size;
  double deadline; /* wapf__now() limit */
  int timed_out;
  int64_t read;     /* bytes read so far, up to read_max */
  int64_t read_max; /* AV_READ_MAX while the streams are analysed */
  int read_out;
} av_io;

static int av_interrupt(void *opaque) {
  av_io *io = opaque;
  if (wapf__cancelled(io->ctx))
    return 1;
  if (wapf__now() > io->deadline) {
    io->timed_out = 1;
    return 1;
  }
  return 0;
}

static int io_read(void *opaque, uint8_t *buf, int n) {
  av_io *io = opaque;
  if (av_interrupt(io))
    return AVERROR_EXIT;
  if (io->read >= io->read_max) {
    io->read_out = 1;
    return AVERROR_EXIT;
  }
  for (;;) {
    ssize_t got = pread(io->fd, buf, (size_t)n, (off_t)io->pos);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return AVERROR(errno);
    if (got == 0)
      return AVERROR_EOF;
    io->pos += got;
    io->read += got;
    return (int)got;
  }
}

static int64_t io_seek(void *opaque, int64_t offset, int whence) {
  av_io *io = opaque;
  int64_t to;
  switch (whence & ~AVSEEK_FORCE) {
  case AVSEEK_SIZE: return io->size;
  case SEEK_SET: to = offset; break;
  case SEEK_CUR: to = io->pos + offset; break;
  case SEEK_END: to = io->size + offset; break;
  default: return AVERROR(EINVAL);
  }
  if (to < 0)
    return AVERROR(EINVAL);
  io->pos = to;
  return to;
}

/* Demuxers may try to open other files (playlists, references, image
 * sequences): a probe reads the one file it was given, nothing else. */
static int refuse_open(AVFormatContext *s, AVIOContext **pb, const char *url,
                       int flags, AVDictionary **options) {
  (void)s, (void)pb, (void)url, (void)flags, (void)options;
  return AVERROR(EPERM);
}

void wapf__av_close(wapf_av *av) {
  wapf__av_queue_free(&av->q);
  if (av->fc)
    avformat_close_input(&av->fc);
  if (av->pb) {
    av_freep(&av->pb->buffer);
    avio_context_free(&av->pb);
  }
  if (av->io) {
    av_io *io = av->io;
    if (io->fd >= 0)
      close(io->fd);
    av_free(io);
    av->io = NULL;
  }
}

static int make_io(wapf_context *ctx, const char *path, int64_t size,
                   wapf_av *av) {
  av_io *io = av_mallocz(sizeof *io);
  if (!io)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  av->io = io;
  io->ctx = ctx;
  io->size = size;
  io->deadline = wapf__now() + AV_BUDGET_US / 1e6;
  io->read_max = AV_READ_MAX;
  io->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (io->fd < 0)
    return wapf__from_errno(ctx, errno, path);
  if (fstat(io->fd, &av->st) != 0)
    return wapf__from_errno(ctx, errno, path);
  uint8_t *buf = av_malloc(AV_IO_BUF);
  if (buf)
    av->pb = avio_alloc_context(buf, AV_IO_BUF, 0, io, io_read, NULL, io_seek);
  if (!av->pb) {
    av_free(buf);
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  }
  return WAPF_OK;
}

/* A status for an FFmpeg failure: cancel and time-out first. */
static int av_error(wapf_context *ctx, wapf_av *av, int err, const char *what) {
  av_io *io = av->io;
  if (wapf__cancelled(ctx))
    return wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
  if (io && io->timed_out)
    return wapf__fail(ctx, WAPF_EUNSUPPORTED,
                      "%s: gave up after %d s of reading", what,
                      AV_BUDGET_US / 1000000);
  if (io && io->read_out)
    return wapf__fail(ctx, WAPF_EUNSUPPORTED,
                      "%s: gave up after reading %d MiB without finding the "
                      "streams",
                      what, AV_READ_MAX >> 20);
  return wapf__from_averror(ctx, err, what);
}

/* What the header declares, before the stream analysis decodes anything:
 * a 103-byte WAV declaring 12,026 channels made libavformat's analysis
 * take 2 GB and 6 s (fuzz_probe; ffprobe does the same). */
static int plausible_streams(wapf_context *ctx, const AVFormatContext *fc) {
  for (unsigned i = 0; i < fc->nb_streams; i++) {
    const AVCodecParameters *p = fc->streams[i]->codecpar;
    if (p->codec_type == AVMEDIA_TYPE_AUDIO &&
        p->ch_layout.nb_channels > AV_MAX_CHANNELS)
      return wapf__fail(ctx, WAPF_ECORRUPT,
                        "%s: an audio stream declares %d channels (at most "
                        "%d are read)",
                        fc->iformat->name, p->ch_layout.nb_channels,
                        AV_MAX_CHANNELS);
  }
  return WAPF_OK;
}

int wapf__av_fd(const wapf_av *av) {
  return ((const av_io *)av->io)->fd;
}

void wapf__av_unbound(wapf_av *av, wapf_context *ctx) {
  av_io *io = av->io;
  io->ctx = ctx;
  io->deadline = INT64_MAX;
  io->read_max = INT64_MAX;
  av->q.recording = 0;
}

int wapf__av_open(wapf_context *ctx, const char *path, int64_t size,
                  int min_score, wapf_av *av) {
  memset(av, 0, sizeof *av);
  av->q.recording = 1;
  int rc = make_io(ctx, path, size, av);
  if (rc != WAPF_OK)
    return rc;
  char why[WAPF_DETAIL_MAX];
  int fd = wapf__av_fd(av);
  if (wapf__box_tables_bad(fd, size, why, sizeof why) ||
      wapf__riff_info_bad(fd, size, why, sizeof why))
    return wapf__fail(ctx, WAPF_ECORRUPT, "%s", why);
  const AVInputFormat *fmt = NULL;
  int score = av_probe_input_buffer2(av->pb, &fmt, "", NULL, 0, AV_PROBESIZE);
  if (score < 0)
    return av_error(ctx, av, score, "libavformat");
  av->score = score;
  if (fmt)
    wapf__strlcpy(av->guess, fmt->name, sizeof av->guess);
  if (!fmt || score < min_score)
    return wapf__fail(ctx, WAPF_EUNSUPPORTED,
                      "libavformat: no demuxer is sure of this content "
                      "(best %s, score %d)",
                      fmt ? fmt->name : "none", score);
  /* A picture or text demuxer holds no audio or video: its stream
   * analysis is never needed, and a picture parser looking for the end of
   * a PNG or JPEG reads (and copies) up to AV_READ_MAX of what follows. */
  if (wapf__av_not_media_demuxer(fmt->name))
    return wapf__fail(ctx, WAPF_EUNSUPPORTED, "%s: %s holds no audio or video",
                      path, fmt->name);
  av->fc = avformat_alloc_context();
  if (!av->fc)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  av->fc->pb = av->pb;
  av->fc->flags |= AVFMT_FLAG_CUSTOM_IO;
  av->fc->interrupt_callback.callback = av_interrupt;
  av->fc->interrupt_callback.opaque = av->io;
  av->fc->io_open = refuse_open;
  av->fc->probesize = AV_PROBESIZE;
  av->fc->max_analyze_duration = AV_ANALYZE_US;
  int err = avformat_open_input(&av->fc, "", fmt, NULL);
  if (err < 0) /* av->fc was freed by libavformat */
    return av_error(ctx, av, err, fmt->name);
  rc = plausible_streams(ctx, av->fc);
  if (rc != WAPF_OK)
    return rc;
  err = avformat_find_stream_info(av->fc, NULL);
  if (err < 0 && (err == AVERROR_EXIT || av->fc->nb_streams == 0))
    return av_error(ctx, av, err, fmt->name);
  if (err < 0)
    wapf__log(ctx, WAPF_LOG_INFO, "%s: stream analysis incomplete", path);
  return WAPF_OK;
}
