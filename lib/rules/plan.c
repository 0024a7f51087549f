/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan: the cheapest way to compliance, and what it produces.
 *
 * Every rule names the cheapest plan that fixes it (rule_list.c). Within
 * a kind the plans are ordered by cost as the enum is (remux < audio-only
 * < transcode; strip-metadata < encode-image; anything < unfixable), and
 * the costlier plan also fixes what a cheaper one would, so the plan is
 * the costliest fix any FAIL finding needs. */
#include "rules.h"

#include <stdio.h>
#include <string.h>

static const char *const k_plan_names[] = {
    "none",         "strip-metadata", "remux",        "audio-only", "transcode",
    "encode-audio", "encode-image",   "make-sticker", "unfixable"};

const char *wapf_plan_name(wapf_plan plan) {
  if ((int)plan < 0 ||
      (size_t)plan >= sizeof k_plan_names / sizeof k_plan_names[0])
    return "?";
  return k_plan_names[plan];
}

/* ---- reasons: what convert would do ---- */

static int has(const wapf__check *c, const char *id) {
  return wapf__has_finding(c->r, id);
}

static void remux_reason(const wapf__check *c, char *buf, size_t size) {
  snprintf(buf, size,
           "remux: copy the streams unchanged into a faststart MP4%s%s",
           has(c, "video.audio_streams") ? ", keeping one audio stream" : "",
           has(c, "video.extra_streams") ? ", dropping the extra streams" : "");
}

static void transcode_reason(const wapf__check *c, char *buf, size_t size) {
  char lim[32];
  snprintf(buf, size,
           "transcode to H.264 Main 8-bit 4:2:0 without B-frames (long "
           "side at most %d) with AAC-LC audio in a faststart MP4 of at "
           "most %s bytes",
           c->settings->max_long_side,
           wapf__commas(lim, sizeof lim, wapf_kind_limit(WAPF_KIND_VIDEO, 0)));
}

static void audio_reason(const wapf__check *c, char *buf, size_t size) {
  char lim[32];
  if (c->r->kind == WAPF_KIND_VOICE)
    snprintf(buf, size,
             "encode to Ogg/Opus mono, at a bit rate that keeps the voice "
             "note under %s bytes (play icon) when the duration allows",
             wapf__commas(lim, sizeof lim, wapf__voice_play_icon_limit));
  else
    snprintf(buf, size, "encode to %s",
             c->opt->mp3      ? "MP3 (audio/mpeg)"
             : c->opt->stereo ? "AAC-LC stereo in M4A"
                              : "Ogg/Opus mono");
}

static void image_reason(const wapf__check *c, char *buf, size_t size) {
  char lim[32];
  int n = snprintf(buf, size, "re-encode as an 8-bit sRGB %s%s",
                   c->opt->png ? "PNG" : "JPEG",
                   c->f->image.animated ? " from the first frame" : "");
  if (has(c, "image.alpha") && n >= 0 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n,
                  ", transparency flattened onto #%06X",
                  (unsigned)(c->opt->background & 0xFFFFFF));
  if (has(c, "image.orientation") && n >= 0 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, ", orientation applied");
  if (!c->opt->keep_metadata && n >= 0 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, ", metadata removed");
  if (n >= 0 && (size_t)n < size)
    snprintf(
        buf + n, size - (size_t)n, ", at most %s bytes",
        wapf__commas(lim, sizeof lim, wapf_kind_limit(WAPF_KIND_IMAGE, 0)));
}

static int sticker_animated(const wapf__check *c) {
  if (c->f->media == WAPF_MEDIA_AV)
    return 1;
  return c->f->image.animated || c->f->image.frames > 1;
}

static void sticker_reason(const wapf__check *c, char *buf, size_t size) {
  char lim[32];
  int animated = sticker_animated(c);
  snprintf(buf, size,
           "make a 512x512 WebP sticker (%s), %s, at most %s bytes%s",
           c->opt->fit == WAPF_FIT_COVER ? "cropped to fill" : "padded to fit",
           animated ? "animated" : "static",
           wapf__commas(lim, sizeof lim,
                        wapf_kind_limit(WAPF_KIND_STICKER, animated)),
           animated ? ", frames of at least 8 ms, at most 10 s" : "");
}

static void describe(const wapf__check *c, char *buf, size_t size) {
  buf[0] = '\0';
  switch (c->r->plan) {
  case WAPF_PLAN_STRIP_METADATA:
    snprintf(buf, size,
             "remove the GPS position and other metadata "
             "losslessly (the pixels are not re-encoded)");
    break;
  case WAPF_PLAN_REMUX: remux_reason(c, buf, size); break;
  case WAPF_PLAN_AUDIO_ONLY:
    snprintf(buf, size,
             "copy the video unchanged and re-encode the audio to "
             "AAC-LC, into a faststart MP4");
    break;
  case WAPF_PLAN_TRANSCODE: transcode_reason(c, buf, size); break;
  case WAPF_PLAN_ENCODE_AUDIO: audio_reason(c, buf, size); break;
  case WAPF_PLAN_ENCODE_IMAGE: image_reason(c, buf, size); break;
  case WAPF_PLAN_MAKE_STICKER: sticker_reason(c, buf, size); break;
  default: break;
  }
}

/* A trim (--start/--duration) asks for an exact cut of audio or video,
 * which only an encode gives (a stream copy cuts at keyframes): it raises
 * the plan even when the file itself is compliant. */
static void plan_for_trim(const wapf__check *c) {
  wapf_report *r = c->r;
  wapf_plan need = WAPF_PLAN_NONE;
  if (c->opt->start <= 0 && c->opt->duration <= 0)
    return;
  if (r->kind == WAPF_KIND_VIDEO)
    need = WAPF_PLAN_TRANSCODE;
  else if (r->kind == WAPF_KIND_AUDIO || r->kind == WAPF_KIND_VOICE)
    need = WAPF_PLAN_ENCODE_AUDIO;
  if (r->plan != WAPF_PLAN_UNFIXABLE && need > r->plan)
    r->plan = need;
}

/* MP3 asked for (opt->mp3): audio that is not MP3 already is encoded,
 * compliant or not (the caller sends it as audio/mpeg). */
static void plan_for_mp3(const wapf__check *c) {
  wapf_report *r = c->r;
  if (c->opt->mp3 && r->kind == WAPF_KIND_AUDIO && r->plan == WAPF_PLAN_NONE &&
      strcmp(c->f->format, "mp3") != 0)
    r->plan = WAPF_PLAN_ENCODE_AUDIO;
}

void wapf__choose_plan(const wapf__check *c) {
  wapf_report *r = c->r;
  const wapf_finding *why = NULL;
  r->plan = WAPF_PLAN_NONE;
  for (size_t i = 0; i < r->n_findings; i++) {
    const wapf_finding *fd = &r->findings[i];
    if (fd->severity != WAPF_SEV_FAIL)
      continue;
    wapf_plan fix = wapf__rule_fix((size_t)wapf__rule_index(fd->id));
    if (fix > r->plan)
      r->plan = fix;
    if (fix == WAPF_PLAN_UNFIXABLE && !why)
      why = fd;
  }
  plan_for_trim(c);
  plan_for_mp3(c);
  char note[WAPF_DETAIL_MAX] = "";
  if (!why)
    describe(c, note, sizeof note);
  /* Out of memory leaves it NULL: wapf_check() then fails. */
  (void)wapf__set_str(&r->plan_reason, why ? why->message : note);
}

/* ---- the output's type ---- */

/* The MIME type the input is sent as when it is kept as it is. */
static const char *own_mime(const wapf__check *c) {
  const wapf_facts *f = c->f;
  const wapf__form *x = NULL;
  switch (c->r->kind) {
  case WAPF_KIND_VIDEO:
    x = wapf__find_form(wapf__video.containers, f->format);
    break;
  case WAPF_KIND_IMAGE:
    x = wapf__find_form(wapf__image.formats, f->format);
    break;
  case WAPF_KIND_STICKER:
    if (strcmp(f->format, wapf__sticker.format) == 0)
      return wapf__sticker.mime;
    break;
  case WAPF_KIND_AUDIO:
  case WAPF_KIND_VOICE: {
    const wapf_stream *a = wapf__pick_audio(f, c->opt->audio_track);
    for (const wapf__audio_form *af = wapf__audio_forms; a && af->format; af++)
      if (!strcmp(af->format, f->format) && !strcmp(af->codec, a->codec))
        return af->mime;
    break;
  }
  default: return wapf__document_mime(f);
  }
  return x ? x->mime : f->mime;
}

static void set_output(wapf_report *r, const char *ext, const char *mime) {
  (void)wapf__set_str(&r->out_mime, mime); /* NULL on ENOMEM: see check */
  /* An extension too long for out_ext is left out rather than cut. */
  if (ext && strlen(ext) < sizeof r->out_ext)
    wapf__strlcpy(r->out_ext, ext, sizeof r->out_ext);
  else
    r->out_ext[0] = '\0';
}

void wapf__choose_output(const wapf__check *c) {
  wapf_report *r = c->r;
  const wapf__kind_rules *k = wapf__kind_rules_of(r->kind);
  int alt = 0;
  if (r->kind == WAPF_KIND_DOCUMENT || r->plan == WAPF_PLAN_NONE ||
      r->plan == WAPF_PLAN_UNFIXABLE || !k) {
    set_output(r, wapf__path_ext(c->f->path), own_mime(c));
    return;
  }
  if (r->kind == WAPF_KIND_AUDIO && c->opt->mp3) {
    set_output(r, ".mp3", "audio/mpeg");
    return;
  }
  if (r->kind == WAPF_KIND_AUDIO)
    alt = c->opt->stereo;
  if (r->kind == WAPF_KIND_IMAGE && r->plan == WAPF_PLAN_STRIP_METADATA)
    alt = strcmp(c->f->format, "png") == 0; /* lossless: same format */
  else if (r->kind == WAPF_KIND_IMAGE)
    alt = c->opt->png;
  set_output(r, alt ? k->alt_ext : k->out_ext, alt ? k->alt_mime : k->out_mime);
}
