/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Facts built in memory for the rules tests, a checked run of wapf_check,
 * and the rule coverage ledger: every rule of the table must be seen
 * passing and failing (coverage_of() fails the binary otherwise). */
#ifndef WAPF_RULES_FX_H
#define WAPF_RULES_FX_H

#include "rules.h"
#include "t.h"

#include <string.h>

#define FX_MAX_STREAMS 8
#define FX_MAX_DELAYS 64

typedef struct fx {
  wapf_facts f;
  wapf_stream s[FX_MAX_STREAMS];
  int delays[FX_MAX_DELAYS];
  char path[256];
  char mime[256];
  char damage[256];
} fx;

/* ---- builders ---- */

static inline void fx_init(fx *x, const char *path, const char *format,
                           const char *mime, wapf_media media, int64_t size) {
  memset(x, 0, sizeof *x);
  snprintf(x->path, sizeof x->path, "%s", path);
  x->f.path = x->path;
  x->f.size = size;
  snprintf(x->mime, sizeof x->mime, "%s", mime);
  x->f.mime = x->mime;
  x->f.damage = x->damage;
  snprintf(x->f.format, sizeof x->f.format, "%s", format);
  x->f.media = media;
  x->f.duration = -1;
  x->f.bit_rate = -1;
  x->f.moov_at_end = -1;
  x->f.streams = x->s;
}

static inline wapf_stream *fx_stream(fx *x, wapf_stream_type type,
                                     const char *codec) {
  wapf_stream *s = &x->s[x->f.n_streams];
  memset(s, 0, sizeof *s);
  s->index = x->f.n_streams++;
  s->type = type;
  snprintf(s->codec, sizeof s->codec, "%s", codec);
  s->level = -1;
  s->bit_depth = -1;
  s->chroma = -1;
  s->frames = -1;
  s->decoder_available = 1;
  return s;
}

static inline wapf_stream *fx_video(fx *x, const char *codec,
                                    const char *profile, const char *pix_fmt,
                                    int w, int h) {
  wapf_stream *s = fx_stream(x, WAPF_STREAM_VIDEO, codec);
  snprintf(s->profile, sizeof s->profile, "%s", profile);
  snprintf(s->pix_fmt, sizeof s->pix_fmt, "%s", pix_fmt);
  s->bit_depth = strstr(pix_fmt, "10") ? 10 : 8;
  s->chroma = strstr(pix_fmt, "422") ? 422 : 420;
  s->width = w;
  s->height = h;
  s->fps = 30;
  s->frames = 300;
  s->duration = 10;
  return s;
}

static inline wapf_stream *fx_audio(fx *x, const char *codec, int channels) {
  wapf_stream *s = fx_stream(x, WAPF_STREAM_AUDIO, codec);
  s->channels = channels;
  s->sample_rate = 48000;
  s->duration = 10;
  s->is_default = 1;
  return s;
}

/* Cover art: a one-frame attached picture. */
static inline wapf_stream *fx_cover(fx *x) {
  wapf_stream *s = fx_stream(x, WAPF_STREAM_VIDEO, "mjpeg");
  s->attached_pic = 1;
  s->frames = 1;
  s->width = s->height = 500;
  return s;
}

/* A compliant MP4: H.264 High yuv420p 1280x720 + AAC stereo, faststart. */
static inline void fx_mp4(fx *x) {
  fx_init(x, "/media/clip.mp4", "mp4", "video/mp4", WAPF_MEDIA_AV, 5000000);
  x->f.moov_at_end = 0;
  x->f.duration = 10;
  fx_video(x, "h264", "High", "yuv420p", 1280, 720);
  fx_audio(x, "aac", 2);
}

static inline void fx_sound(fx *x, const char *path, const char *format,
                            const char *mime, const char *codec, int channels,
                            int64_t size) {
  fx_init(x, path, format, mime, WAPF_MEDIA_AV, size);
  if (strcmp(format, "mp4") == 0)
    x->f.moov_at_end = 0;
  fx_audio(x, codec, channels);
}

/* A still 8-bit sRGB picture without alpha or metadata. */
static inline void fx_picture(fx *x, const char *path, const char *format,
                              const char *mime, int w, int h, int64_t size) {
  fx_init(x, path, format, mime, WAPF_MEDIA_IMAGE, size);
  wapf_image_facts *im = &x->f.image;
  im->width = w;
  im->height = h;
  im->bands = 3;
  im->bit_depth = 8;
  im->alpha_used = -1;
  snprintf(im->interpretation, sizeof im->interpretation, "srgb");
  im->frames = 1;
  snprintf(im->loader, sizeof im->loader, "%sload", format);
}

/* Make the picture animated: n frames of delay_ms each. */
static inline void fx_animate(fx *x, int n, int delay_ms) {
  wapf_image_facts *im = &x->f.image;
  im->frames = n;
  im->animated = n > 1;
  im->n_delays = n;
  im->delays_ms = x->delays;
  im->duration = 0;
  for (int i = 0; i < n && i < FX_MAX_DELAYS; i++) {
    x->delays[i] = delay_ms;
    im->duration += delay_ms / 1000.0;
  }
}

static inline void fx_other(fx *x, const char *path, const char *mime,
                            int64_t size) {
  fx_init(x, path, "", mime, WAPF_MEDIA_OTHER, size);
}

/* ---- running the check ---- */

static wapf_context *ctx_;
static wapf_report *rep_;

/* The report's own consistency: ids from the table, severities as the
 * table says, each id once, compliant iff no FAIL, a known plan (plan none
 * iff no FAIL, except that a trim may raise the plan of a compliant file). */
static inline int report_consistent(const wapf_report *r, int trim) {
  size_t n;
  const wapf_rule_info *rules = wapf_rules(&n);
  int fails = 0;
  for (size_t i = 0; i < r->n_findings; i++) {
    const wapf_finding *fd = &r->findings[i];
    size_t k = 0;
    while (k < n && strcmp(rules[k].id, fd->id) != 0)
      k++;
    if (k == n || rules[k].severity != fd->severity || !fd->message[0]) {
      fprintf(stderr, "  finding %s is not as the table says\n", fd->id);
      return 0;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(r->findings[j].id, fd->id) == 0)
        return 0;
    fails += fd->severity == WAPF_SEV_FAIL;
  }
  int plan_ok = trim ? (!fails || r->plan != WAPF_PLAN_NONE)
                     : (r->plan == WAPF_PLAN_NONE) == !fails;
  return r->compliant == !fails && plan_ok &&
         strcmp(wapf_plan_name(r->plan), "?") != 0 &&
         (r->plan != WAPF_PLAN_UNFIXABLE || r->plan_reason[0]);
}

static inline void dump(const wapf_report *r) {
  fprintf(stderr, "  report: kind %s, %s, plan %s (%s), out %s %s\n",
          wapf_kind_name(r->kind), r->compliant ? "compliant" : "not compliant",
          wapf_plan_name(r->plan), r->plan_reason, r->out_ext, r->out_mime);
  for (size_t i = 0; i < r->n_findings; i++)
    fprintf(stderr, "    %s %s: %s\n",
            r->findings[i].severity == WAPF_SEV_FAIL ? "FAIL" : "WARN",
            r->findings[i].id, r->findings[i].message);
}

/* Check x with opt (NULL: defaults with kind). The report lives until the
 * next call; NULL when the call failed or the report is inconsistent. */
static inline const wapf_report *check_opt(const fx *x,
                                           const wapf_options *opt) {
  wapf_report_free(&rep_);
  int rc = wapf_check(ctx_, &x->f, opt, &rep_);
  if (rc != WAPF_OK) {
    fprintf(stderr, "  wapf_check: %s\n", wapf_strerror(rc));
    return NULL;
  }
  if (!report_consistent(rep_, opt && (opt->start > 0 || opt->duration > 0))) {
    fprintf(stderr, "  inconsistent report\n");
    dump(rep_);
    return NULL;
  }
  return rep_;
}

static inline const wapf_report *check_as(const fx *x, wapf_kind kind) {
  wapf_options o;
  wapf_default_options(&o);
  o.kind = kind;
  return check_opt(x, &o);
}

static inline const char *message_of(const wapf_report *r, const char *id) {
  for (size_t i = 0; r && i < r->n_findings; i++)
    if (strcmp(r->findings[i].id, id) == 0)
      return r->findings[i].message;
  return NULL;
}

#define T_HAS(hay, needle)                                                     \
  do {                                                                         \
    const char *t_h_ = (hay);                                                  \
    if (!t_h_ || !strstr(t_h_, (needle))) {                                    \
      fprintf(stderr, "FAIL %s: %s:%d: \"%s\" does not contain \"%s\"\n",      \
              t_case_, __FILE__, __LINE__, t_h_ ? t_h_ : "(null)", (needle));  \
      t_failed_++;                                                             \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* ---- coverage: every rule seen passing and failing ---- */

#define FX_MAX_RULES 128
static unsigned char seen_pass_[FX_MAX_RULES], seen_fail_[FX_MAX_RULES];

static inline int rule_at(const char *id) {
  size_t n;
  const wapf_rule_info *rules = wapf_rules(&n);
  for (size_t i = 0; i < n && i < FX_MAX_RULES; i++)
    if (strcmp(rules[i].id, id) == 0)
      return (int)i;
  return -1;
}

/* present = 1: r must report id (a failing case); 0: r must not, and r
 * must be a check of the rule's kind (a passing case). */
static inline int expect_(const wapf_report *r, const char *id, int present) {
  int i = rule_at(id);
  if (!r || i < 0) {
    fprintf(stderr, "  %s: %s\n", id,
            r ? "not in the rule table" : "no report");
    return 0;
  }
  wapf_kind k = wapf_rules(NULL)[i].kind;
  if (!present && k != WAPF_KIND_AUTO && k != r->kind) {
    fprintf(stderr, "  %s: a pass case must check as %s\n", id,
            wapf_kind_name(k));
    return 0;
  }
  if ((message_of(r, id) != NULL) != present) {
    fprintf(stderr, "  expected %s %s\n", id, present ? "reported" : "absent");
    dump(r);
    return 0;
  }
  (present ? seen_fail_ : seen_pass_)[i] = 1;
  return 1;
}

#define EXPECT_FAIL(r, id) T_CHECK(expect_((r), (id), 1))
#define EXPECT_PASS(r, id) T_CHECK(expect_((r), (id), 0))

/* Every rule of one of these kinds was seen passing and failing. */
static inline int coverage_of(const wapf_kind *kinds, int n_kinds) {
  size_t n;
  const wapf_rule_info *rules = wapf_rules(&n);
  int ok = n <= FX_MAX_RULES;
  for (size_t i = 0; i < n && i < FX_MAX_RULES; i++) {
    int mine = 0;
    for (int k = 0; k < n_kinds; k++)
      mine |= rules[i].kind == kinds[k];
    if (mine && (!seen_pass_[i] || !seen_fail_[i])) {
      fprintf(stderr, "  rule %s has no %s case\n", rules[i].id,
              seen_pass_[i] ? "failing" : "passing");
      ok = 0;
    }
  }
  return ok;
}

static inline int fx_setup(void) {
  return wapf_open(&ctx_, NULL) == WAPF_OK;
}

static inline void fx_teardown(void) {
  wapf_report_free(&rep_);
  wapf_close(&ctx_);
}

#endif
