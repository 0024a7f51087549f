/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to lib/rules: the rule tables (data) and the check helpers.
 *
 * Everything WhatsApp accepts lives in table.c (per kind: limits, formats,
 * codecs, MIME types) and rule_list.c (every finding id with its kind,
 * severity, the cheapest plan that fixes it and a one-sentence summary).
 * The check_*.c files read facts, compare them with those tables and add
 * findings; plan.c turns the findings into the plan. */
#ifndef WAPF_RULES_H
#define WAPF_RULES_H

#include "modules.h"

/* ---- rule_list.c: the rule definitions ---- */

/* Index of a rule id in wapf_rules(), or -1. */
int wapf__rule_index(const char *id);
/* The cheapest plan that fixes a FAIL of rule i. */
wapf_plan wapf__rule_fix(size_t i);

/* ---- table.c: what each kind accepts ---- */

/* A container or picture format and the MIME type it is sent as. */
typedef struct wapf__form {
  const char *format; /* facts->format: "mp4", "jpeg", ... */
  const char *mime;   /* "video/mp4", ... */
  const char *label;  /* for messages and docs: "MP4", "JPEG" */
} wapf__form;

/* An audio format accepted as it is: container + codec (+ channels). */
typedef struct wapf__audio_form {
  const char *format; /* facts->format */
  const char *codec;  /* stream codec */
  int max_channels;   /* 0 = any */
  const char *mime;   /* what it is sent as */
  const char *label;  /* "MP3", "Ogg/Opus mono" */
} wapf__audio_form;

typedef struct wapf__video_rules {
  const wapf__form *containers;    /* {NULL} terminated */
  const char *const *codecs;       /* NULL terminated */
  const char *const *profiles;     /* H.264 profiles phones play */
  const char *const *pix_fmts;     /* 8-bit 4:2:0 */
  int bit_depth, chroma;           /* when pix_fmt is unknown */
  const char *const *audio_codecs; /* NULL terminated */
  int max_audio_streams;
} wapf__video_rules;

typedef struct wapf__image_rules {
  const wapf__form *formats;          /* JPEG, PNG */
  const char *const *interpretations; /* libvips names accepted */
  int bit_depth;                      /* 8 */
  int max_orientation;                /* 1: upright or absent */
} wapf__image_rules;

typedef struct wapf__sticker_rules {
  const char *format; /* "webp" */
  const char *mime;
  int width, height; /* 512 x 512 */
  int min_frame_ms;  /* 8 */
  int max_total_ms;  /* 10,000 */
} wapf__sticker_rules;

/* What a file extension claims, for documents. */
typedef struct wapf__ext_type {
  const char *ext;             /* lower case, without dot: "mp4" */
  const char *mime;            /* canonical MIME type */
  const char *const *accepted; /* content MIME types that fit; an entry
                                  ending in '/' is a prefix ("text/") */
} wapf__ext_type;

typedef struct wapf__document_rules {
  const char *const *listed_mimes; /* Meta's list; others warn */
  const wapf__ext_type *exts;      /* {NULL} terminated */
  const char *const *generic;      /* content MIME types that say little
                                      ("application/zip"): the
                                      extension's MIME is sent instead */
} wapf__document_rules;

/* Per kind: size limit and what convert produces. */
typedef struct wapf__kind_rules {
  wapf_kind kind;
  int64_t limit;          /* bytes, decimal and strict */
  int64_t limit_animated; /* stickers: animated limit; else = limit */
  const char *out_ext, *out_mime;
  const char *alt_ext, *alt_mime; /* audio --stereo, image --png */
  const char *noun;               /* "a video", "audio", ... */
} wapf__kind_rules;

extern const wapf__video_rules wapf__video;
extern const wapf__audio_form wapf__audio_forms[];
extern const wapf__audio_form wapf__voice_forms[];
extern const int64_t wapf__voice_play_icon_limit;
extern const wapf__image_rules wapf__image;
extern const wapf__sticker_rules wapf__sticker;
extern const wapf__document_rules wapf__document;

/* The kind's row (never NULL for VIDEO..DOCUMENT; NULL otherwise). */
const wapf__kind_rules *wapf__kind_rules_of(wapf_kind kind);
/* 1 when s is in the NULL-terminated list (case-sensitive). */
int wapf__in_list(const char *const *list, const char *s);
/* The form of format in a {NULL}-terminated list, or NULL. */
const wapf__form *wapf__find_form(const wapf__form *forms, const char *fmt);

/* ---- check.c: report helpers shared by the checkers ---- */

/* What every checker receives. */
typedef struct wapf__check {
  const wapf_settings *settings;
  const wapf_facts *f;
  const wapf_options *opt;
  wapf_report *r;
} wapf__check;

/* Append a finding; id must be a rule of rule_list.c (static storage).
 * A second finding with the same id is ignored. */
void wapf__add_finding(wapf_report *r, const char *id, wapf_severity sev,
                       const char *fmt, ...) WAPF_PRINTF(4, 5);
/* 1 when r has a finding with this id. */
int wapf__has_finding(const wapf_report *r, const char *id);
/* "17,234,001" into buf. */
const char *wapf__commas(char *buf, size_t size, int64_t v);
/* The extension of path's file name, with the dot ("" when none). */
const char *wapf__path_ext(const char *path);
/* Add "<kind>.size" when size is over limit. */
void wapf__check_size(const wapf__check *c, const char *id, int64_t limit,
                      const char *what);
/* Add file.kind: "not <noun> (<why>)". */
void wapf__not_kind(const wapf__check *c, const char *why);
/* The audio stream convert keeps (opt->audio_track); adds
 * file.audio_track when the track asked for does not exist. */
const wapf_stream *wapf__selected_audio(const wapf__check *c);
/* Add file.decodable for a stream this build cannot decode. */
void wapf__not_decodable(const wapf__check *c, const char *what);

/* ---- autokind.c: streams ---- */

/* 1 when s is a moving picture: video, not cover art, not one frame. */
int wapf__is_real_video(const wapf_stream *s);
/* The first real video stream, or NULL. */
const wapf_stream *wapf__main_video(const wapf_facts *f);
/* Number of audio streams. */
int wapf__count_audio(const wapf_facts *f);
/* The audio stream convert would keep: the track-th (0-based) when
 * track >= 0, else the default one, else the first; NULL when none. */
const wapf_stream *wapf__pick_audio(const wapf_facts *f, int track);

/* Count the streams other than keep into buf by kind, in a fixed order
 * ("1 video, 2 subtitle"); audio streams count when with_audio, cover art
 * when with_covers. Returns the count. */
int wapf__other_streams(const wapf_facts *f, const wapf_stream *keep,
                        int with_audio, int with_covers, char *buf,
                        size_t size);

/* ---- one checker per kind ---- */
void wapf__check_video(const wapf__check *c);
void wapf__check_audio(const wapf__check *c); /* audio and voice */
void wapf__check_image(const wapf__check *c);
void wapf__check_sticker(const wapf__check *c);
void wapf__check_document(const wapf__check *c);

/* The MIME type a document is sent as (the extension's when the content
 * type is generic, e.g. a .docx read as application/zip). */
const char *wapf__document_mime(const wapf_facts *f);

/* ---- plan.c ---- */

/* Set r->plan and r->plan_reason from r's findings. */
void wapf__choose_plan(const wapf__check *c);
/* Set r->out_ext and r->out_mime from r->kind and r->plan. */
void wapf__choose_output(const wapf__check *c);

#endif
