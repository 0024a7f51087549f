/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What WhatsApp accepts, per kind: the data every check reads.
 * Sources: docs/whatsapp-media.md (Meta's Cloud API tables, 360dialog,
 * Qikchat, the WhatsApp/stickers validator). Limits are decimal and
 * strict: one byte over fails. docs/rules.md is generated from here. */
#include "rules.h"

#include <string.h>

#define MB 1000000LL
#define KB 1000LL

static const wapf__kind_rules k_kinds[] = {
    {WAPF_KIND_VIDEO, 16 * MB, 16 * MB, ".mp4", "video/mp4", NULL, NULL,
     "a video"},
    {WAPF_KIND_AUDIO, 16 * MB, 16 * MB, ".ogg", "audio/ogg", ".m4a",
     "audio/mp4", "audio"},
    {WAPF_KIND_VOICE, 16 * MB, 16 * MB, ".ogg", "audio/ogg", NULL, NULL,
     "a voice note"},
    {WAPF_KIND_IMAGE, 5 * MB, 5 * MB, ".jpg", "image/jpeg", ".png", "image/png",
     "an image"},
    {WAPF_KIND_STICKER, 100 * KB, 500 * KB, ".webp", "image/webp", NULL, NULL,
     "a sticker"},
    {WAPF_KIND_DOCUMENT, 100 * MB, 100 * MB, NULL, NULL, NULL, NULL,
     "a document"},
};

const wapf__kind_rules *wapf__kind_rules_of(wapf_kind kind) {
  for (size_t i = 0; i < sizeof k_kinds / sizeof k_kinds[0]; i++)
    if (k_kinds[i].kind == kind)
      return &k_kinds[i];
  return NULL;
}

int64_t wapf_kind_limit(wapf_kind kind, int animated) {
  const wapf__kind_rules *k = wapf__kind_rules_of(kind);
  if (!k)
    return 0;
  return animated ? k->limit_animated : k->limit;
}

/* ---- video ---- */
static const wapf__form k_video_containers[] = {
    {"mp4", "video/mp4", "MP4"},
    {"3gp", "video/3gpp", "3GP"},
    {NULL, NULL, NULL},
};
static const char *const k_video_codecs[] = {"h264", NULL};
static const char *const k_h264_profiles[] = {
    "Baseline", "Constrained Baseline", "Main", "High", NULL};
static const char *const k_pix_fmts[] = {"yuv420p", "yuvj420p", NULL};
static const char *const k_video_audio_codecs[] = {"aac", NULL};

const wapf__video_rules wapf__video = {
    .containers = k_video_containers,
    .codecs = k_video_codecs,
    .profiles = k_h264_profiles,
    .pix_fmts = k_pix_fmts,
    .bit_depth = 8,
    .chroma = 420,
    .audio_codecs = k_video_audio_codecs,
    .max_audio_streams = 1,
};

/* ---- audio and voice ---- */
const wapf__audio_form wapf__audio_forms[] = {
    {"aac", "aac", 0, "audio/aac", "AAC (ADTS)"},
    {"mp4", "aac", 0, "audio/mp4", "M4A (AAC)"},
    {"m4a", "aac", 0, "audio/mp4", "M4A (AAC)"},
    {"mp3", "mp3", 0, "audio/mpeg", "MP3"},
    {"amr", "amr_nb", 0, "audio/amr", "AMR-NB"},
    {"amr", "amr_wb", 0, "audio/amr", "AMR-WB"},
    {"ogg", "opus", 1, "audio/ogg", "Ogg/Opus mono"},
    {NULL, NULL, 0, NULL, NULL},
};
const wapf__audio_form wapf__voice_forms[] = {
    {"ogg", "opus", 1, "audio/ogg", "Ogg/Opus mono"},
    {NULL, NULL, 0, NULL, NULL},
};
const int64_t wapf__voice_play_icon_limit = 512 * KB;

/* ---- image ---- */
static const wapf__form k_image_formats[] = {
    {"jpeg", "image/jpeg", "JPEG"},
    {"png", "image/png", "PNG"},
    {NULL, NULL, NULL},
};
/* 16-bit "rgb16"/"grey16" are reported by image.bit_depth only. */
static const char *const k_interpretations[] = {"srgb", "b-w", "rgb16",
                                                "grey16", NULL};

const wapf__image_rules wapf__image = {
    .formats = k_image_formats,
    .interpretations = k_interpretations,
    .bit_depth = 8,
    .max_orientation = 1,
};

/* ---- sticker ---- */
const wapf__sticker_rules wapf__sticker = {
    .format = "webp",
    .mime = "image/webp",
    .width = 512,
    .height = 512,
    .min_frame_ms = 8,
    .max_total_ms = 10000,
};

/* ---- helpers ---- */
int wapf__in_list(const char *const *list, const char *s) {
  for (; list && *list; list++)
    if (s && strcmp(*list, s) == 0)
      return 1;
  return 0;
}

const wapf__form *wapf__find_form(const wapf__form *forms, const char *fmt) {
  for (; forms && forms->format; forms++)
    if (fmt && strcmp(forms->format, fmt) == 0)
      return forms;
  return NULL;
}
