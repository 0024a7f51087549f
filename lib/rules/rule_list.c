/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rule definitions: every finding the check can report, in one list.
 * wapf_rules() exposes it; docs/rules.md is generated from it (a test
 * fails when the two differ). Ids are stable: never rename one.
 *
 * X(id, kind, severity, plan that fixes a FAIL, one-sentence summary).
 * Kind AUTO means "whatever kind is checked". */
#include "rules.h"

#include <string.h>

#define WAPF_RULE_LIST(X)                                                      \
  X("file.damaged", AUTO, FAIL, UNFIXABLE,                                     \
    "The file must not be damaged (truncated or corrupt); a damaged file is "  \
    "neither sent nor converted.")                                             \
  X("file.kind", AUTO, FAIL, UNFIXABLE,                                        \
    "The content must be something the kind can carry: a text file is not a "  \
    "video, a video is not an image, a file without audio is not audio.")      \
  X("file.decodable", AUTO, FAIL, UNFIXABLE,                                   \
    "Every stream that is kept must be decodable by this build's FFmpeg; "     \
    "otherwise the file is unsupported.")                                      \
  X("file.audio_track", AUTO, FAIL, UNFIXABLE,                                 \
    "The audio track asked for (--audio-track N) must exist.")                 \
  X("video.container", VIDEO, FAIL, REMUX,                                     \
    "The container must be MP4 or 3GP (MOV, MKV, WebM, AVI, ... are "          \
    "rejected).")                                                              \
  X("video.codec", VIDEO, FAIL, TRANSCODE, "The video codec must be H.264.")   \
  X("video.pixel_format", VIDEO, FAIL, TRANSCODE,                              \
    "The video must be 8-bit 4:2:0 (yuv420p, or full-range yuvj420p from "     \
    "phones).")                                                                \
  X("video.profile", VIDEO, FAIL, TRANSCODE,                                   \
    "The H.264 profile must be Baseline, Constrained Baseline, Main or "       \
    "High.")                                                                   \
  X("video.bframes", VIDEO, FAIL, TRANSCODE,                                   \
    "An H.264 stream must not use B-frames, in any profile (read from the "    \
    "SPS reorder depth and the first frames' slice types): Android WhatsApp "  \
    "clients do not play them.")                                               \
  X("video.dimensions", VIDEO, FAIL, TRANSCODE,                                \
    "Width and height must be even.")                                          \
  X("video.long_side", VIDEO, FAIL, TRANSCODE,                                 \
    "The long side must be at most settings.max_long_side pixels (1920 by "    \
    "default).")                                                               \
  X("video.interlaced", VIDEO, FAIL, TRANSCODE,                                \
    "The video must be progressive, not interlaced.")                          \
  X("video.size", VIDEO, FAIL, TRANSCODE,                                      \
    "The file must be at most 16,000,000 bytes.")                              \
  X("video.audio_codec", VIDEO, FAIL, AUDIO_ONLY,                              \
    "The audio codec must be AAC.")                                            \
  X("video.audio_streams", VIDEO, FAIL, REMUX,                                 \
    "There must be at most one audio stream.")                                 \
  X("video.extra_streams", VIDEO, FAIL, REMUX,                                 \
    "There must be no subtitle, data, attachment, cover-art or second video "  \
    "stream.")                                                                 \
  X("video.faststart", VIDEO, FAIL, REMUX,                                     \
    "The moov atom must come before mdat (faststart), so phones can play "     \
    "while downloading.")                                                      \
  X("video.fragmented", VIDEO, FAIL, REMUX,                                    \
    "The MP4 must not be fragmented (no moof boxes).")                         \
  X("audio.format", AUDIO, FAIL, ENCODE_AUDIO,                                 \
    "The audio must be AAC (ADTS), M4A with AAC, MP3, AMR (NB or WB) or "      \
    "Ogg/Opus.")                                                               \
  X("audio.channels", AUDIO, FAIL, ENCODE_AUDIO,                               \
    "Ogg/Opus audio must be mono.")                                            \
  X("audio.streams", AUDIO, FAIL, ENCODE_AUDIO,                                \
    "An audio file must hold one audio stream and no video, subtitle or "      \
    "data stream.")                                                            \
  X("audio.cover_art", AUDIO, WARNING, NONE,                                   \
    "Cover art embedded in MP3/M4A is ignored by WhatsApp (warning only).")    \
  X("audio.size", AUDIO, FAIL, ENCODE_AUDIO,                                   \
    "The file must be at most 16,000,000 bytes.")                              \
  X("voice.format", VOICE, FAIL, ENCODE_AUDIO,                                 \
    "A voice note must be Ogg/Opus.")                                          \
  X("voice.channels", VOICE, FAIL, ENCODE_AUDIO, "A voice note must be mono.") \
  X("voice.streams", VOICE, FAIL, ENCODE_AUDIO,                                \
    "A voice note must hold exactly one audio stream (no cover art, no "       \
    "video).")                                                                 \
  X("voice.play_icon", VOICE, WARNING, NONE,                                   \
    "A voice note over 512,000 bytes is delivered without the play icon "      \
    "(warning only).")                                                         \
  X("voice.size", VOICE, FAIL, ENCODE_AUDIO,                                   \
    "The file must be at most 16,000,000 bytes.")                              \
  X("image.format", IMAGE, FAIL, ENCODE_IMAGE,                                 \
    "The picture must be JPEG or PNG (WebP, GIF, HEIC, AVIF, ... give "        \
    "error 131053).")                                                          \
  X("image.bit_depth", IMAGE, FAIL, ENCODE_IMAGE,                              \
    "The picture must have 8 bits per channel.")                               \
  X("image.colorspace", IMAGE, FAIL, ENCODE_IMAGE,                             \
    "The picture must be sRGB or greyscale (not CMYK, Lab, ...).")             \
  X("image.alpha", IMAGE, FAIL, ENCODE_IMAGE,                                  \
    "The picture must have no alpha channel: WhatsApp renders transparency "   \
    "black.")                                                                  \
  X("image.orientation", IMAGE, FAIL, ENCODE_IMAGE,                            \
    "The EXIF orientation must be 1 or absent: other viewers ignore the tag "  \
    "and show the picture sideways.")                                          \
  X("image.gps", IMAGE, FAIL, STRIP_METADATA,                                  \
    "The picture must carry no GPS position (unless --keep-metadata).")        \
  X("image.icc", IMAGE, WARNING, NONE,                                         \
    "An embedded ICC profile that is not sRGB may shift colours on some "      \
    "phones (warning only; not given when the picture is re-encoded).")        \
  X("image.size", IMAGE, FAIL, ENCODE_IMAGE,                                   \
    "The file must be at most 5,000,000 bytes.")                               \
  X("sticker.format", STICKER, FAIL, MAKE_STICKER,                             \
    "A sticker must be a WebP file.")                                          \
  X("sticker.dimensions", STICKER, FAIL, MAKE_STICKER,                         \
    "A sticker must be exactly 512x512 pixels.")                               \
  X("sticker.size", STICKER, FAIL, MAKE_STICKER,                               \
    "A sticker must be at most 100,000 bytes static or 500,000 bytes "         \
    "animated.")                                                               \
  X("sticker.frame_delay", STICKER, FAIL, MAKE_STICKER,                        \
    "Every frame of an animated sticker must last at least 8 ms.")             \
  X("sticker.duration", STICKER, FAIL, MAKE_STICKER,                           \
    "An animated sticker must last at most 10 s in total.")                    \
  X("sticker.animated", STICKER, FAIL, UNFIXABLE,                              \
    "The provider must take animated stickers (the On-Premises API does "      \
    "not).")                                                                   \
  X("document.size", DOCUMENT, FAIL, UNFIXABLE,                                \
    "The file must be at most 100,000,000 bytes.")                             \
  X("document.type", DOCUMENT, WARNING, NONE,                                  \
    "Meta lists PDF, text, Word, Excel and PowerPoint; another type is "       \
    "accepted but warned about.")                                              \
  X("document.extension", DOCUMENT, FAIL, UNFIXABLE,                           \
    "The file name's extension must not claim another type than the "          \
    "content (a text file named .mp4).")

#define WAPF_X_INFO(id, kind, sev, fix, text)                                  \
  {id, WAPF_KIND_##kind, WAPF_SEV_##sev, text, {0}},
static const wapf_rule_info k_rules[] = {WAPF_RULE_LIST(WAPF_X_INFO)};
#undef WAPF_X_INFO

#define WAPF_X_FIX(id, kind, sev, fix, text) WAPF_PLAN_##fix,
static const wapf_plan k_fix[] = {WAPF_RULE_LIST(WAPF_X_FIX)};
#undef WAPF_X_FIX

#define N_RULES (sizeof k_rules / sizeof k_rules[0])

const wapf_rule_info *wapf_rules(size_t *n) {
  if (n)
    *n = N_RULES;
  return k_rules;
}

int wapf__rule_index(const char *id) {
  for (size_t i = 0; id && i < N_RULES; i++)
    if (strcmp(k_rules[i].id, id) == 0)
      return (int)i;
  return -1;
}

wapf_plan wapf__rule_fix(size_t i) {
  return i < N_RULES ? k_fix[i] : WAPF_PLAN_UNFIXABLE;
}
