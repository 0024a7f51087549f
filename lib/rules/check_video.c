/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Video: MP4/3GP, H.264 8-bit 4:2:0 without B-frames, AAC, one audio
 * stream, faststart.
 * The accepted values are in table.c (wapf__video). */
#include "rules.h"

#include <stdio.h>
#include <string.h>

static const char *or_unknown(const char *s) {
  return s && s[0] ? s : "unknown";
}

static void check_container(const wapf__check *c) {
  if (wapf__find_form(wapf__video.containers, c->f->format))
    return;
  wapf__add_finding(c->r, "video.container", WAPF_SEV_FAIL,
                    "container is %s (%s); WhatsApp takes MP4 or 3GP only",
                    or_unknown(c->f->format), or_unknown(c->f->mime));
}

static void check_codec(const wapf__check *c, const wapf_stream *v) {
  if (!wapf__in_list(wapf__video.codecs, v->codec))
    wapf__add_finding(c->r, "video.codec", WAPF_SEV_FAIL,
                      "video codec is %s; WhatsApp plays H.264 only",
                      or_unknown(v->codec));
  else if (v->profile[0] && !wapf__in_list(wapf__video.profiles, v->profile))
    wapf__add_finding(c->r, "video.profile", WAPF_SEV_FAIL,
                      "H.264 profile is %s; phones play Baseline, Main and "
                      "High only",
                      v->profile);
}

/* Meta (Video Messages): Android clients do not play H.264 with
 * B-frames; High without B-frames (phone recordings) plays. */
static void check_bframes(const wapf__check *c, const wapf_stream *v) {
  if (strcmp(v->codec, "h264") != 0 || v->b_frames != 1)
    return;
  wapf__add_finding(c->r, "video.bframes", WAPF_SEV_FAIL,
                    "the H.264 %s stream uses B-frames (reorder depth %d); "
                    "Android WhatsApp clients do not play them",
                    or_unknown(v->profile),
                    v->reorder_depth > 0 ? v->reorder_depth : 0);
}

static void check_pixels(const wapf__check *c, const wapf_stream *v) {
  int ok;
  if (v->pix_fmt[0])
    ok = wapf__in_list(wapf__video.pix_fmts, v->pix_fmt);
  else /* unknown pixel format: judge by depth and chroma when known */
    ok = (v->bit_depth <= 0 || v->bit_depth == wapf__video.bit_depth) &&
         (v->chroma <= 0 || v->chroma == wapf__video.chroma);
  if (ok)
    return;
  wapf__add_finding(c->r, "video.pixel_format", WAPF_SEV_FAIL,
                    "pixel format is %s (%d-bit, chroma %d); WhatsApp plays "
                    "8-bit 4:2:0 only",
                    or_unknown(v->pix_fmt), v->bit_depth, v->chroma);
}

static void check_geometry(const wapf__check *c, const wapf_stream *v) {
  int w = v->width, h = v->height, max = c->settings->max_long_side;
  if (w > 0 && h > 0 && (w % 2 || h % 2))
    wapf__add_finding(c->r, "video.dimensions", WAPF_SEV_FAIL,
                      "video is %dx%d; width and height must be even", w, h);
  if ((w > h ? w : h) > max)
    wapf__add_finding(c->r, "video.long_side", WAPF_SEV_FAIL,
                      "video is %dx%d; the long side must be at most %d "
                      "pixels",
                      w, h, max);
  if (v->interlaced == 1)
    wapf__add_finding(c->r, "video.interlaced", WAPF_SEV_FAIL,
                      "video is interlaced; WhatsApp plays progressive video "
                      "only");
}

static void check_audio_stream(const wapf__check *c, const wapf_stream *a) {
  int n = wapf__count_audio(c->f);
  if (a && !wapf__in_list(wapf__video.audio_codecs, a->codec))
    wapf__add_finding(c->r, "video.audio_codec", WAPF_SEV_FAIL,
                      "audio codec is %s; WhatsApp plays AAC only",
                      or_unknown(a->codec));
  if (a && n > wapf__video.max_audio_streams)
    wapf__add_finding(c->r, "video.audio_streams", WAPF_SEV_FAIL,
                      "the file has %d audio streams; WhatsApp takes one "
                      "(stream #%d is kept)",
                      n, a->index);
}

static void check_extra_streams(const wapf__check *c, const wapf_stream *v) {
  char list[160];
  int n = wapf__other_streams(c->f, v, 0, 1, list, sizeof list);
  if (n)
    wapf__add_finding(c->r, "video.extra_streams", WAPF_SEV_FAIL,
                      "the file has %d extra stream%s (%s); a WhatsApp video "
                      "holds one video and one audio stream",
                      n, n > 1 ? "s" : "", list);
}

static void check_layout(const wapf__check *c) {
  if (c->f->moov_at_end == 1)
    wapf__add_finding(c->r, "video.faststart", WAPF_SEV_FAIL,
                      "the moov atom is after mdat; phones must download "
                      "the whole file before playing");
  if (c->f->fragmented == 1)
    wapf__add_finding(c->r, "video.fragmented", WAPF_SEV_FAIL,
                      "the MP4 is fragmented (moof boxes); iPhones show "
                      "\"video not available\"");
}

static void check_decodable(const wapf__check *c, const wapf_stream *v,
                            const wapf_stream *a) {
  if (!v->decoder_available)
    wapf__not_decodable(c, v->codec);
  else if (a && !a->decoder_available)
    wapf__not_decodable(c, a->codec);
}

/* An audio/video file with a moving picture. */
static void check_av(const wapf__check *c, const wapf_stream *v) {
  const wapf_stream *a = wapf__selected_audio(c);
  check_decodable(c, v, a);
  check_container(c);
  check_codec(c, v);
  check_bframes(c, v);
  check_pixels(c, v);
  check_geometry(c, v);
  check_audio_stream(c, a);
  check_extra_streams(c, v);
  check_layout(c);
}

/* An animated picture: transcoded, except animated WebP that FFmpeg 5.1
 * cannot decode. */
static void check_picture(const wapf__check *c) {
  const wapf_facts *f = c->f;
  char why[192];
  if (!f->image.animated && f->image.frames <= 1) {
    snprintf(why, sizeof why, "a still %s picture; send it as image",
             or_unknown(f->format));
    wapf__not_kind(c, why);
  } else if (strcmp(f->format, "webp") == 0) {
    wapf__not_decodable(c, "animated WebP; send it as a sticker");
  } else {
    check_container(c);
    wapf__add_finding(c->r, "video.codec", WAPF_SEV_FAIL,
                      "video codec is %s (an animated picture); WhatsApp "
                      "plays H.264 only",
                      or_unknown(f->format));
    wapf__check_size(c, "video.size", wapf_kind_limit(WAPF_KIND_VIDEO, 0),
                     "video");
  }
}

static void check_no_video(const wapf__check *c) {
  char why[192];
  const wapf_stream *a = wapf__pick_audio(c->f, -1);
  if (c->f->media != WAPF_MEDIA_AV)
    snprintf(why, sizeof why, "content is %s", or_unknown(c->f->mime));
  else if (a)
    snprintf(why, sizeof why, "the file has audio only (%s); send it as audio",
             or_unknown(a->codec));
  else
    snprintf(why, sizeof why, "the file holds no moving picture");
  wapf__not_kind(c, why);
}

void wapf__check_video(const wapf__check *c) {
  const wapf_stream *v =
      c->f->media == WAPF_MEDIA_AV ? wapf__main_video(c->f) : NULL;
  if (v) {
    check_av(c, v);
    wapf__check_size(c, "video.size", wapf_kind_limit(WAPF_KIND_VIDEO, 0),
                     "video");
  } else if (c->f->media == WAPF_MEDIA_IMAGE) {
    check_picture(c);
  } else {
    check_no_video(c);
  }
}
