/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What each input needs: nothing (done by an earlier run, unchanged), a
 * remembered failure, or a probe + check and then an output. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

int wapf__code_is_final(int code) {
  switch (code) {
  case WAPF_ECORRUPT:
  case WAPF_EUNSUPPORTED:
  case WAPF_EUNFIXABLE:
  case WAPF_ELIMIT:
  case WAPF_EEMPTY: return 1;
  default: return 0;
  }
}

char *wapf__options_print(const wapf_context *ctx, const wapf_options *o) {
  const wapf_settings *s = &ctx->s;
  return g_strdup_printf(
      "1 kind=%s stereo=%d track=%d start=%.3f duration=%.3f png=%d "
      "bg=%06x fit=%d meta=%d target=%u pack=%s|%s|%s|%s pixels=%llu "
      "maxdur=%.3f long=%d",
      wapf_kind_name(o->kind), o->stereo, o->audio_track, o->start, o->duration,
      o->png, (unsigned)o->background, (int)o->fit, o->keep_metadata,
      o->target_flags, o->pack_id ? o->pack_id : "",
      o->pack_name ? o->pack_name : "", o->publisher ? o->publisher : "",
      o->emoji ? o->emoji : "", (unsigned long long)s->max_pixels,
      s->max_duration, s->max_long_side);
}

/* The input is the one the row describes: same size and mtime, or the
 * same content (a touched or copied file is not redone). */
static int same_input(wapf__bentry *e, const wapf__brow *r) {
  if (e->size != r->in_size)
    return 0;
  if (e->mtime_ns == r->in_mtime_ns) {
    wapf__strlcpy(e->in_hash, r->in_hash, sizeof e->in_hash);
    return 1;
  }
  if (!r->in_hash[0] || wapf__sha256_file(NULL, e->abs, e->in_hash) != WAPF_OK)
    return 0;
  e->refresh = 1;
  return strcmp(e->in_hash, r->in_hash) == 0;
}

/* The recorded output is still there and unaltered. */
static int same_output(wapf__batch *b, wapf__bentry *e, const wapf__brow *r) {
  char *path = r->output ? g_build_filename(b->outdir, r->output, NULL) : NULL;
  int64_t size = -1, mtime = 0;
  int ok = path && wapf__stat_ns(path, &size, &mtime) == WAPF_OK &&
           size == r->out_size;
  if (ok && mtime != r->out_mtime_ns) {
    ok = wapf__sha256_file(NULL, path, e->out_hash) == WAPF_OK &&
         strcmp(e->out_hash, r->out_hash) == 0;
    e->refresh = 1;
  } else if (ok) {
    wapf__strlcpy(e->out_hash, r->out_hash, sizeof e->out_hash);
  }
  g_free(path);
  e->out_size = size;
  e->out_mtime_ns = mtime;
  return ok;
}

static void from_row(wapf__bentry *e, const wapf__brow *r,
                     wapf_batch_action action) {
  e->todo = 0;
  e->from_state = 1;
  e->action = action;
  e->kind = r->kind;
  e->plan = r->plan;
  e->findings = r->findings ? strdup(r->findings) : NULL;
}

static void plan_one(wapf__batch *b, wapf__bentry *e) {
  const wapf__brow *r = wapf__state_get(b->state, e->rel);
  e->row = r;
  e->todo = 1;
  if (!r || !r->options)
    return;
  int failed = strcmp(r->status, "failed") == 0;
  /* A failure is remembered only by the same library version: a newer
   * one may handle the file. */
  if (strcmp(r->options, failed ? b->opt_fail : b->opt_print) != 0 ||
      !same_input(e, r))
    return;
  if (strcmp(r->status, "done") == 0 && r->want && same_output(b, e, r)) {
    from_row(e, r, WAPF_BATCH_SKIPPED);
    e->want = strdup(r->want);
    e->status = WAPF_OK;
  } else if (strcmp(r->status, "failed") == 0 && wapf__code_is_final(r->code)) {
    from_row(e, r, WAPF_BATCH_FAILED);
    e->status = r->code;
    e->error = strdup(r->error ? r->error : wapf_strerror(r->code));
    e->refresh = 0;
  } else {
    e->refresh = 0;
  }
}

void wapf__plan_from_state(wapf__batch *b) {
  for (size_t i = 0; i < b->n; i++)
    plan_one(b, &b->e[i]);
}

/* "sub/name.mov" + ".mp4" -> "sub/name.mp4". */
static char *want_name(const char *rel, const char *ext) {
  const char *slash = strrchr(rel, '/');
  const char *base = slash ? slash + 1 : rel;
  const char *dot = strrchr(base, '.');
  size_t stem = dot && dot != base ? (size_t)(dot - rel) : strlen(rel);
  return g_strdup_printf("%.*s%s", (int)stem, rel, ext);
}

int wapf__plan_checked(wapf__batch *b, wapf__bentry *e) {
  (void)b;
  const wapf_report *rep = e->rep;
  e->checked = 1;
  if (!rep)
    return WAPF_OK; /* the probe failed: status and error are set */
  e->kind = rep->kind;
  e->plan = rep->plan;
  wapf__strlcpy(e->out_ext, rep->out_ext, sizeof e->out_ext);
  free(e->findings);
  e->findings = wapf__findings_json(rep);
  free(e->want);
  e->want = NULL;
  if (rep->plan == WAPF_PLAN_UNFIXABLE) {
    e->action = WAPF_BATCH_FAILED;
    e->status = WAPF_EUNFIXABLE;
    free(e->error);
    e->error = strdup(rep->plan_reason[0] ? rep->plan_reason
                                          : wapf_strerror(WAPF_EUNFIXABLE));
    return WAPF_OK;
  }
  e->action =
      rep->plan == WAPF_PLAN_NONE ? WAPF_BATCH_COPIED : WAPF_BATCH_CONVERTED;
  e->want = rep->plan == WAPF_PLAN_NONE ? strdup(e->rel)
                                        : want_name(e->rel, rep->out_ext);
  return e->want ? WAPF_OK : WAPF_ENOMEM;
}
