/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf_check(): the front end. It resolves the kind, runs that kind's
 * checker on the facts (never on the file: no FFmpeg, no libvips here),
 * then lets plan.c choose the plan and the output type. */
#include "rules.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- findings ---- */

void wapf__add_finding(wapf_report *r, const char *id, wapf_severity sev,
                       const char *fmt, ...) {
  size_t n_rules;
  wapf_rules(&n_rules);
  int i = wapf__rule_index(id);
  if (wapf__has_finding(r, id) || r->n_findings >= n_rules)
    return;
  wapf_finding *fd = &r->findings[r->n_findings++];
  /* The table's copy is static storage; an unknown id (a bug the unit
   * tests catch) keeps the caller's literal. */
  fd->id = i >= 0 ? wapf_rules(NULL)[i].id : id;
  fd->severity = sev;
  va_list ap;
  va_start(ap, fmt);
  /* Out of memory leaves it NULL: wapf_check() then fails. */
  (void)wapf__set_vstrf(&fd->message, fmt, ap);
  va_end(ap);
}

int wapf__has_finding(const wapf_report *r, const char *id) {
  for (size_t i = 0; i < r->n_findings; i++)
    if (strcmp(r->findings[i].id, id) == 0)
      return 1;
  return 0;
}

const char *wapf__commas(char *buf, size_t size, int64_t v) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
  size_t o = 0;
  if (v < 0 && o + 1 < size)
    buf[o++] = '-';
  for (int i = 0; i < n && o + 1 < size; i++) {
    if (i > 0 && (n - i) % 3 == 0 && o + 2 < size)
      buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = '\0';
  return buf;
}

const char *wapf__path_ext(const char *path) {
  if (!path)
    return "";
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  /* ".bashrc" has no extension; "name." neither. */
  if (!dot || dot == base || dot[1] == '\0')
    return "";
  return dot;
}

void wapf__check_size(const wapf__check *c, const char *id, int64_t limit,
                      const char *what) {
  char got[32], lim[32];
  if (c->f->size <= limit)
    return;
  wapf__add_finding(c->r, id, WAPF_SEV_FAIL,
                    "size is %s bytes, over the %s-byte limit for %s",
                    wapf__commas(got, sizeof got, c->f->size),
                    wapf__commas(lim, sizeof lim, limit), what);
}

void wapf__not_kind(const wapf__check *c, const char *why) {
  const wapf__kind_rules *k = wapf__kind_rules_of(c->r->kind);
  wapf__add_finding(c->r, "file.kind", WAPF_SEV_FAIL, "not %s (%s)",
                    k ? k->noun : "this kind", why);
}

/* Codecs FFmpeg 5.1 does not know show as their container tag. */
static const char *const k_codec_names[][2] = {
    {"vvc1", "vvc (H.266)"},
    {"vvi1", "vvc (H.266)"},
    {"vvc", "vvc (H.266)"},
};

void wapf__not_decodable(const wapf__check *c, const char *what) {
  for (size_t i = 0; what && i < sizeof k_codec_names / sizeof *k_codec_names;
       i++)
    if (strcmp(what, k_codec_names[i][0]) == 0)
      what = k_codec_names[i][1];
  wapf__add_finding(c->r, "file.decodable", WAPF_SEV_FAIL,
                    "unsupported: this build's FFmpeg cannot decode %s",
                    what && what[0] ? what : "this stream's codec");
}

const wapf_stream *wapf__selected_audio(const wapf__check *c) {
  const wapf_stream *a = wapf__pick_audio(c->f, c->opt->audio_track);
  int n = wapf__count_audio(c->f);
  if (c->opt->audio_track < 0 || a)
    return a;
  if (n == 0)
    wapf__add_finding(c->r, "file.audio_track", WAPF_SEV_FAIL,
                      "audio track %d asked for, but the file has no audio "
                      "stream",
                      c->opt->audio_track);
  else
    wapf__add_finding(c->r, "file.audio_track", WAPF_SEV_FAIL,
                      "audio track %d asked for, but the file has %d audio "
                      "stream%s (tracks 0 to %d)",
                      c->opt->audio_track, n, n > 1 ? "s" : "", n - 1);
  return NULL;
}

/* ---- the front end ---- */

static wapf_report *new_report(void) {
  size_t n_rules;
  wapf_rules(&n_rules);
  wapf_report *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  /* Each rule is reported at most once: the array never grows. */
  r->findings = calloc(n_rules, sizeof *r->findings);
  if (!r->findings) {
    free(r);
    return NULL;
  }
  return r;
}

static void run_checker(const wapf__check *c) {
  /* The probe says "unsupported: ..." when the content claims a media
   * type that no library here reads (it may be intact): no "damaged". */
  const char *d = c->f->damage[0] ? c->f->damage : "unreadable parts";
  if (c->f->damaged)
    wapf__add_finding(
        c->r, "file.damaged", WAPF_SEV_FAIL, "%s%s",
        strncmp(d, "unsupported", 11) ? "the file is damaged: " : "", d);
  switch (c->r->kind) {
  case WAPF_KIND_VIDEO: wapf__check_video(c); break;
  case WAPF_KIND_AUDIO:
  case WAPF_KIND_VOICE: wapf__check_audio(c); break;
  case WAPF_KIND_IMAGE: wapf__check_image(c); break;
  case WAPF_KIND_STICKER: wapf__check_sticker(c); break;
  default: wapf__check_document(c); break;
  }
}

/* Every string of the report was allocated (they are never NULL). */
static int all_allocated(const wapf_report *r) {
  for (size_t i = 0; i < r->n_findings; i++)
    if (!r->findings[i].message)
      return 0;
  return r->plan_reason && r->out_mime;
}

/* Facts a caller built by hand must have their strings (never NULL in
 * facts from wapf_probe()). */
static int facts_valid(const wapf_facts *f) {
  return f->mime && f->damage &&
         (f->n_streams == 0 || (f->n_streams > 0 && f->streams));
}

static int is_compliant(const wapf_report *r) {
  for (size_t i = 0; i < r->n_findings; i++)
    if (r->findings[i].severity == WAPF_SEV_FAIL)
      return 0;
  return 1;
}

int wapf_check(wapf_context *ctx, const wapf_facts *facts,
               const wapf_options *opt, wapf_report **out) {
  wapf_options def;
  if (!ctx || !facts || !out)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  if (!opt) {
    wapf_default_options(&def);
    opt = &def;
  }
  if (opt->kind < WAPF_KIND_AUTO || opt->kind > WAPF_KIND_DOCUMENT)
    return wapf__fail(ctx, WAPF_EINVAL, "unknown kind %d", (int)opt->kind);
  if (wapf__check_options(ctx, opt) != WAPF_OK)
    return WAPF_EINVAL;
  if (!facts_valid(facts))
    return wapf__fail(ctx, WAPF_EINVAL,
                      "facts without mime, damage or stream array");
  wapf_report *r = new_report();
  if (!r)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory for the report");
  r->kind = opt->kind == WAPF_KIND_AUTO ? wapf__auto_kind(facts) : opt->kind;
  wapf__check c = {&ctx->s, facts, opt, r};
  run_checker(&c);
  r->compliant = is_compliant(r);
  wapf__choose_plan(&c);
  wapf__choose_output(&c);
  if (!all_allocated(r)) {
    wapf_report_free(&r);
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory for the report");
  }
  wapf__log(ctx, WAPF_LOG_DEBUG, "check %s as %s: %zu finding(s), plan %s",
            facts->path ? facts->path : "?", wapf_kind_name(r->kind),
            r->n_findings, wapf_plan_name(r->plan));
  *out = r;
  return WAPF_OK;
}

void wapf_report_free(wapf_report **r) {
  if (!r || !*r)
    return;
  for (size_t i = 0; (*r)->findings && i < (*r)->n_findings; i++)
    free((*r)->findings[i].message);
  free((*r)->findings);
  free((*r)->plan_reason);
  free((*r)->out_mime);
  free(*r);
  *r = NULL;
}
