/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kind --as auto picks, and the stream helpers every checker uses.
 *
 *   a real video stream (more than one frame, not cover art) -> video
 *   an animated picture -> video (GIF, AVIF, APNG, ...), except an
 *     animated WebP -> sticker (FFmpeg 5.1 cannot decode animated WebP,
 *     so a video cannot be made from it; a sticker can)
 *   audio only -> audio (voice only when asked)
 *   a still picture -> image; a static 512x512 WebP -> sticker
 *   anything else -> document */
#include "rules.h"

#include <stdio.h>
#include <string.h>

int wapf__is_real_video(const wapf_stream *s) {
  /* frames 0 or -1: unknown (a stream without a frame count) */
  return s->type == WAPF_STREAM_VIDEO && !s->attached_pic && s->frames != 1;
}

const wapf_stream *wapf__main_video(const wapf_facts *f) {
  for (size_t i = 0; i < f->n_streams; i++)
    if (wapf__is_real_video(&f->streams[i]))
      return &f->streams[i];
  return NULL;
}

int wapf__count_audio(const wapf_facts *f) {
  int n = 0;
  for (size_t i = 0; i < f->n_streams; i++)
    n += f->streams[i].type == WAPF_STREAM_AUDIO;
  return n;
}

const wapf_stream *wapf__pick_audio(const wapf_facts *f, int track) {
  const wapf_stream *first = NULL;
  int k = 0;
  for (size_t i = 0; i < f->n_streams; i++) {
    const wapf_stream *s = &f->streams[i];
    if (s->type != WAPF_STREAM_AUDIO)
      continue;
    if (track >= 0 && k++ == track)
      return s;
    if (track < 0 && s->is_default)
      return s;
    if (!first)
      first = s;
  }
  return track < 0 ? first : NULL;
}

static int is_webp(const wapf_facts *f) {
  return strcmp(f->format, "webp") == 0 || strcmp(f->mime, "image/webp") == 0;
}

static wapf_kind picture_kind(const wapf_facts *f) {
  const wapf_image_facts *im = &f->image;
  if (im->animated || im->frames > 1)
    return is_webp(f) ? WAPF_KIND_STICKER : WAPF_KIND_VIDEO;
  if (is_webp(f) && im->width == wapf__sticker.width &&
      im->height == wapf__sticker.height)
    return WAPF_KIND_STICKER;
  return WAPF_KIND_IMAGE;
}

wapf_kind wapf__auto_kind(const wapf_facts *f) {
  if (!f)
    return WAPF_KIND_DOCUMENT;
  if (f->media == WAPF_MEDIA_IMAGE)
    return picture_kind(f);
  if (f->media != WAPF_MEDIA_AV || (f->n_streams > 0 && !f->streams))
    return WAPF_KIND_DOCUMENT;
  if (wapf__main_video(f))
    return WAPF_KIND_VIDEO;
  if (wapf__count_audio(f) > 0)
    return WAPF_KIND_AUDIO;
  return WAPF_KIND_DOCUMENT;
}

/* Stream kinds in the order other_streams() lists them. */
static const char *const k_kind_names[] = {
    "video", "cover art", "audio", "subtitle", "data", "attachment"};

static int kind_of(const wapf_stream *s) {
  switch (s->type) {
  case WAPF_STREAM_VIDEO: return s->attached_pic ? 1 : 0;
  case WAPF_STREAM_AUDIO: return 2;
  case WAPF_STREAM_SUBTITLE: return 3;
  case WAPF_STREAM_DATA: return 4;
  default: return 5;
  }
}

int wapf__other_streams(const wapf_facts *f, const wapf_stream *keep,
                        int with_audio, int with_covers, char *buf,
                        size_t size) {
  int count[6] = {0}, n = 0;
  for (size_t i = 0; i < f->n_streams; i++) {
    int k = kind_of(&f->streams[i]);
    if (&f->streams[i] == keep || (k == 2 && !with_audio) ||
        (k == 1 && !with_covers))
      continue;
    count[k]++;
    n++;
  }
  buf[0] = '\0';
  for (int k = 0; k < 6; k++) {
    size_t len = strlen(buf);
    if (count[k] && len < size)
      snprintf(buf + len, size - len, "%s%d %s", len ? ", " : "", count[k],
               k_kind_names[k]);
  }
  return n;
}
