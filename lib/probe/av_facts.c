/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf__probe_av: container and stream facts of an audio/video file, the
 * limits (duration, pixels), MP4 layout (moov position, fragments) and
 * sample tables that point past the end of the file. */
#include "probe_av.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int wapf__av_not_media_demuxer(const char *name) {
  static const char *const names[] = {"tty",    "bin",       "xbin",    "idf",
                                      "adf",    "image2",    "srt",     "ass",
                                      "webvtt", "subviewer", "microdvd"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0)
      return 1;
  size_t n = strlen(name);
  return n > 5 && strcmp(name + n - 5, "_pipe") == 0;
}

static int is_mov_family(const char *name) {
  return strncmp(name, "mov,", 4) == 0;
}

/* Containers that are media even when they hold only data tracks. */
static int known_container(const char *name) {
  static const char *const names[] = {"matroska,webm", "mpegts", "avi", "ogg",
                                      "asf",           "flv",    "mpeg"};
  if (is_mov_family(name))
    return 1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i]) == 0)
      return 1;
  return 0;
}

static int real_video(const AVStream *st) {
  enum AVCodecID id = st->codecpar->codec_id;
  return st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
         !(st->disposition & AV_DISPOSITION_ATTACHED_PIC) &&
         id != AV_CODEC_ID_ANSI && id != AV_CODEC_ID_BINTEXT &&
         id != AV_CODEC_ID_XBIN && id != AV_CODEC_ID_IDF;
}

/* A real audio stream, or a video stream that is not cover art, or a
 * known media container. */
static int is_media(const AVFormatContext *fc, int *has_video) {
  int audio = 0;
  *has_video = 0;
  if (wapf__av_not_media_demuxer(fc->iformat->name))
    return 0;
  for (unsigned i = 0; i < fc->nb_streams; i++) {
    const AVStream *st = fc->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
      audio = 1;
    if (real_video(st))
      *has_video = 1;
  }
  return audio || *has_video ||
         (fc->nb_streams > 0 && known_container(fc->iformat->name));
}

/* The short container name of the header: "mp4", "mov", "webm", ... */
static void format_name(const AVFormatContext *fc, const wapf_boxinfo *bi,
                        const char *mime, char *out, size_t n) {
  const char *name = fc->iformat->name;
  if (is_mov_family(name)) {
    if (bi->has_avis) /* an image sequence: animated AVIF / HEIF */
      name = strcmp(bi->brand, "msf1") == 0 ? "heifs" : "avifs";
    else if (!bi->brand[0] || strcmp(bi->brand, "qt  ") == 0)
      name = "mov";
    else if (strncmp(bi->brand, "3g", 2) == 0)
      name = "3gp";
    else
      name = "mp4";
  } else if (strcmp(name, "matroska,webm") == 0) {
    name = strstr(mime, "webm") ? "webm" : "matroska";
  } else if (strncmp(name, "amr", 3) == 0) {
    name = "amr";
  }
  size_t len = strcspn(name, ",");
  if (len >= n)
    len = n - 1;
  memcpy(out, name, len);
  out[len] = '\0';
}

/* MP4 sample tables that point past the end of the file: the file was cut
 * after its moov was written (a header read does not notice). */
static void check_samples(AVFormatContext *fc, wapf_facts *f) {
  for (unsigned i = 0; i < fc->nb_streams; i++) {
    AVStream *st = fc->streams[i];
    int n = avformat_index_get_entries_count(st);
    int64_t end = 0;
    for (int k = 0; k < n; k++) {
      const AVIndexEntry *e = avformat_index_get_entry(st, k);
      if (e && e->pos + e->size > end)
        end = e->pos + e->size;
    }
    if (end > f->size) {
      wapf__set_damage(f,
                       "the file is truncated: stream %u's samples reach "
                       "byte %lld but the file has %lld bytes",
                       i, (long long)end, (long long)f->size);
      return;
    }
  }
}

/* Streams whose header says they cannot be played: audio without
 * channels, video of which no picture could be decoded from its start
 * (libavformat's analysis decodes a few frames). Codecs this FFmpeg cannot
 * decode at all are "unsupported", not damaged. */
static void check_stream_sanity(wapf_facts *f) {
  for (size_t i = 0; i < f->n_streams; i++) {
    const wapf_stream *s = &f->streams[i];
    if (!s->decoder_available)
      continue;
    if (s->type == WAPF_STREAM_AUDIO && s->channels < 1)
      wapf__set_damage(f, "audio stream %d (%s) declares no channels", s->index,
                       s->codec);
    if (s->type == WAPF_STREAM_VIDEO && !s->attached_pic &&
        (!s->pix_fmt[0] || s->width < 1 || s->height < 1))
      wapf__set_damage(f,
                       "video stream %d (%s): no picture could be decoded "
                       "from its start",
                       s->index, s->codec);
  }
}

static int check_duration(wapf_context *ctx, const wapf_facts *f) {
  double longest = f->duration;
  for (size_t i = 0; i < f->n_streams; i++)
    if (f->streams[i].duration > longest)
      longest = f->streams[i].duration;
  if (longest > ctx->s.max_duration)
    return wapf__fail(ctx, WAPF_ELIMIT,
                      "%s: duration %.1f s is over the limit of %.0f s",
                      f->path, longest, ctx->s.max_duration);
  return WAPF_OK;
}

static int fill_streams(wapf_context *ctx, const AVFormatContext *fc,
                        wapf_facts *f) {
  f->streams = calloc(fc->nb_streams ? fc->nb_streams : 1, sizeof *f->streams);
  if (!f->streams)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  f->n_streams = fc->nb_streams;
  for (unsigned i = 0; i < fc->nb_streams; i++) {
    wapf_stream *s = &f->streams[i];
    wapf__av_stream_facts(fc->streams[i], s);
    if (s->type == WAPF_STREAM_VIDEO && s->frames < 0 && s->fps > 0 &&
        f->duration > 0) /* Matroska: no per-stream duration */
      s->frames = llround(f->duration * s->fps);
    if (s->type == WAPF_STREAM_VIDEO && !s->attached_pic && s->width > 0 &&
        s->height > 0) {
      int rc = wapf__check_pixels(ctx, "video", s->width, s->height);
      if (rc != WAPF_OK)
        return rc;
    }
  }
  return check_duration(ctx, f);
}

static void layout_facts(const wapf_boxinfo *bi, wapf_facts *f) {
  f->moov_at_end = -1;
  f->fragmented = 0;
  if (!bi->is_isobmff)
    return;
  f->fragmented = bi->has_moof || bi->has_mvex;
  if (bi->moov_pos >= 0)
    f->moov_at_end = bi->mdat_pos >= 0 && bi->moov_pos > bi->mdat_pos;
}

static int read_facts(wapf_context *ctx, wapf_av *av, wapf_facts *f,
                      int has_video) {
  AVFormatContext *fc = av->fc;
  wapf_boxinfo bi;
  memset(&bi, 0, sizeof bi);
  if (is_mov_family(fc->iformat->name)) /* the reader's descriptor */
    wapf__box_scan(wapf__av_fd(av), f->size, &bi);
  format_name(fc, &bi, f->mime, f->format, sizeof f->format);
  const char *mime = wapf__av_format_mime(f->format, has_video);
  if (mime && wapf__set_str(&f->mime, mime) != WAPF_OK)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  f->duration = fc->duration != AV_NOPTS_VALUE && fc->duration > 0
                    ? (double)fc->duration / AV_TIME_BASE
                    : -1;
  f->bit_rate = fc->bit_rate > 0 ? fc->bit_rate : -1;
  layout_facts(&bi, f);
  int rc = fill_streams(ctx, fc, f);
  if (rc == WAPF_OK && is_mov_family(fc->iformat->name))
    check_samples(fc, f);
  if (rc == WAPF_OK)
    check_stream_sanity(f);
  if (rc == WAPF_OK)
    wapf__av_bframes(av, f);
  return rc;
}

/* How sure libavformat must be of its demuxer guess. Content libmagic
 * calls audio/video is taken at any score; other content needs a firm
 * signature, and a weak guess marks the file as damaged media rather than
 * reading it (200 KB of junk before MP3 frames scores 26 as AMR). */
#define AV_SCORE_FIRM AVPROBE_SCORE_EXTENSION
#define AV_SCORE_WEAK (AVPROBE_SCORE_RETRY + 1)

static int min_score(const wapf_facts *f) {
  int media =
      strncmp(f->mime, "audio/", 6) == 0 || strncmp(f->mime, "video/", 6) == 0;
  return media ? 1 : AV_SCORE_FIRM;
}

static void weak_guess(wapf_facts *f, const wapf_av *av) {
  if (av->score >= AV_SCORE_WEAK && av->score < AV_SCORE_FIRM)
    wapf__set_damage(f,
                     "the content (%s to libmagic) holds only weak signs of "
                     "%s (score %d of 100): damaged or not media",
                     f->mime, av->guess, av->score);
}

int wapf__probe_av(wapf_context *ctx, wapf_facts *f) {
  wapf_av av;
  int rc = wapf__av_open(ctx, f->path, f->size, min_score(f), &av);
  if (rc == WAPF_EUNSUPPORTED && !wapf__av_not_media_demuxer(av.guess))
    weak_guess(f, &av);
  int has_video = 0;
  if (rc == WAPF_OK && !is_media(av.fc, &has_video))
    rc = wapf__fail(ctx, WAPF_EUNSUPPORTED, "%s: %s holds no audio or video",
                    f->path, av.fc->iformat->name);
  if (rc == WAPF_OK)
    rc = read_facts(ctx, &av, f, has_video);
  if (rc == WAPF_OK) {
    f->media = WAPF_MEDIA_AV;
    wapf__input_keep(ctx, &av, f); /* for the conversion that may follow */
  }
  wapf__av_close(&av);
  return rc;
}
