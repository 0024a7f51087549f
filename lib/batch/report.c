/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a batch tells its caller: the events, the summary counts, and the
 * JSON report with one entry per input. */
#include "batch.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void add_counts(wapf_batch_counts *c, const wapf__bentry *e) {
  switch (e->action) {
  case WAPF_BATCH_CONVERTED: c->converted++; break;
  case WAPF_BATCH_COPIED: c->copied++; break;
  case WAPF_BATCH_SKIPPED: c->skipped++; break;
  default: c->failed++; break;
  }
  c->bytes_in += e->size;
  if (e->action == WAPF_BATCH_CONVERTED || e->action == WAPF_BATCH_COPIED)
    c->bytes_out += e->out_size > 0 ? e->out_size : 0;
  c->seconds += e->seconds;
}

void wapf__report_count(wapf__batch *b, const wapf__bentry *e) {
  int k = (int)e->kind;
  if (k < 0 || k > WAPF_KIND_DOCUMENT)
    k = WAPF_KIND_AUTO;
  add_counts(&b->sum.all, e);
  add_counts(&b->sum.kinds[k], e);
  if (e->renamed && e->out && e->action != WAPF_BATCH_FAILED)
    b->sum.renamed++;
}

void wapf__report_event(wapf__batch *b, const wapf__bentry *e,
                        wapf_batch_event_type type, int64_t done,
                        int64_t total) {
  if (!b->bs.on_event)
    return;
  wapf_batch_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.path = e->rel;
  ev.output = e->action == WAPF_BATCH_FAILED ? NULL : e->out;
  ev.renamed = ev.output ? e->renamed : 0;
  ev.kind = e->kind;
  ev.plan = e->plan;
  ev.note = e->note;
  ev.report = e->rep;
  ev.bytes_in = e->size;
  ev.done = done;
  ev.total = total;
  ev.bytes_done = b->bytes_done;
  ev.bytes_total = b->bytes_total;
  ev.error = "";
  if (type == WAPF_BATCH_EV_FINISHED) {
    ev.action = e->action;
    ev.status = e->status;
    ev.error = e->error ? e->error : "";
    ev.from_state = e->from_state;
    ev.bytes_out =
        e->action == WAPF_BATCH_CONVERTED || e->action == WAPF_BATCH_COPIED
            ? e->out_size
            : 0;
    ev.seconds = e->seconds;
  }
  if (b->bs.on_event(b->bs.event_cookie, &ev) != 0)
    b->stop = 1;
}

/* A JSON string of any bytes: each byte that is not valid UTF-8 becomes
 * U+FFFD, as the CLI's JSON does (tools/json_out.c); NULL -> null. */
json_t *wapf__json_str(const char *s) {
  if (!s)
    return json_null();
  if (g_utf8_validate(s, -1, NULL))
    return json_string(s);
  char *v = g_utf8_make_valid(s, -1);
  json_t *j = json_string(v);
  g_free(v);
  return j;
}

char *wapf__findings_json(const wapf_report *rep) {
  json_t *a = json_array();
  for (size_t i = 0; rep && i < rep->n_findings; i++) {
    const wapf_finding *f = &rep->findings[i];
    json_t *o = json_object();
    json_object_set_new(o, "id", wapf__json_str(f->id ? f->id : ""));
    json_object_set_new(
        o, "severity",
        json_string(f->severity == WAPF_SEV_FAIL ? "fail" : "warning"));
    json_object_set_new(o, "message", wapf__json_str(f->message));
    json_array_append_new(a, o);
  }
  char *s = json_dumps(a, JSON_COMPACT);
  json_decref(a);
  return s;
}

static json_t *counts_json(const wapf_batch_counts *c) {
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "converted",
                   (json_int_t)c->converted, "copied", (json_int_t)c->copied,
                   "skipped", (json_int_t)c->skipped, "failed",
                   (json_int_t)c->failed, "bytes_in", (json_int_t)c->bytes_in,
                   "bytes_out", (json_int_t)c->bytes_out, "seconds",
                   c->seconds);
}

static const char *kind_key(int k) {
  return k == WAPF_KIND_AUTO ? "unknown" : wapf_kind_name((wapf_kind)k);
}

static json_t *summary_json(const wapf__batch *b) {
  json_t *s = counts_json(&b->sum.all);
  json_object_set_new(s, "files", json_integer(b->sum.files));
  json_object_set_new(s, "ignored", json_integer(b->sum.ignored));
  json_object_set_new(s, "renamed", json_integer(b->sum.renamed));
  json_object_set_new(s, "wall_seconds", json_real(b->sum.seconds));
  json_t *kinds = json_object();
  for (int k = 0; k <= WAPF_KIND_DOCUMENT; k++) {
    const wapf_batch_counts *c = &b->sum.kinds[k];
    if (c->converted + c->copied + c->skipped + c->failed > 0)
      json_object_set_new(kinds, kind_key(k), counts_json(c));
  }
  json_object_set_new(s, "kinds", kinds);
  return s;
}

static json_t *entry_json(const wapf__bentry *e) {
  int failed = e->action == WAPF_BATCH_FAILED;
  json_t *o = json_object();
  json_object_set_new(o, "path", wapf__json_str(e->rel));
  json_object_set_new(o, "kind",
                      e->kind == WAPF_KIND_AUTO
                          ? json_null()
                          : json_string(wapf_kind_name(e->kind)));
  json_object_set_new(o, "action",
                      json_string(wapf_batch_action_name(e->action)));
  json_object_set_new(o, "plan", json_string(wapf_plan_name(e->plan)));
  json_object_set_new(o, "output", wapf__json_str(failed ? NULL : e->out));
  json_object_set_new(o, "renamed", json_boolean(!failed && e->renamed));
  json_object_set_new(o, "from_state", json_boolean(e->from_state));
  json_object_set_new(o, "bytes_in", json_integer((json_int_t)e->size));
  json_object_set_new(
      o, "bytes_out",
      json_integer((json_int_t)(failed || e->action == WAPF_BATCH_SKIPPED
                                    ? 0
                                    : e->out_size)));
  json_object_set_new(o, "seconds", json_real(e->seconds));
  if (e->note[0])
    json_object_set_new(o, "note", wapf__json_str(e->note));
  json_t *f = e->findings ? json_loads(e->findings, 0, NULL) : NULL;
  json_object_set_new(o, "findings", f ? f : json_array());
  json_t *err = json_null();
  if (failed) {
    err = json_object();
    json_object_set_new(err, "code", json_string(wapf_err_name(e->status)));
    json_object_set_new(err, "message",
                        wapf__json_str(e->error ? e->error : ""));
  }
  json_object_set_new(o, "error", err);
  return o;
}

static json_t *report_json(const wapf__batch *b) {
  json_t *files = json_array();
  for (size_t i = 0; i < b->n; i++)
    json_array_append_new(files, entry_json(&b->e[i]));
  json_t *r = json_object();
  json_object_set_new(r, "tool", json_string("wa-preflight batch"));
  json_object_set_new(r, "version", json_string(wapf_version()));
  json_object_set_new(r, "indir", wapf__json_str(b->indir));
  json_object_set_new(r, "outdir", wapf__json_str(b->outdir));
  json_object_set_new(r, "dry_run", json_boolean(b->bs.dry_run));
  json_object_set_new(r, "jobs", json_integer(b->jobs));
  if (b->shard)
    json_object_set_new(r, "shard", json_string(b->shard));
  json_object_set_new(r, "summary", summary_json(b));
  json_object_set_new(r, "files", files);
  return r;
}

int wapf__report_write(wapf__batch *b) {
  const char *path = b->bs.report_path;
  json_t *root = report_json(b);
  if (!root)
    return wapf__fail(b->ctx, WAPF_ENOMEM, "report: out of memory");
  /* The outputs' own temp + rename: 0666 & ~umask, folder synced. */
  wapf_tmpfile t;
  int rc = wapf__tmp_open(b->ctx, &t, path, NULL, 1);
  if (rc == WAPF_OK && (json_dumpfd(root, t.fd, JSON_INDENT(2)) != 0 ||
                        write(t.fd, "\n", 1) != 1)) {
    rc = wapf__from_errno(b->ctx, errno ? errno : EIO, "report");
    wapf__tmp_discard(&t);
  } else if (rc == WAPF_OK) {
    rc = wapf__tmp_commit(b->ctx, &t);
  }
  json_decref(root);
  if (rc != WAPF_OK && rc != WAPF_ENOMEM) {
    char why[WAPF_DETAIL_MAX];
    wapf__strlcpy(why, wapf_last_error(b->ctx), sizeof why);
    return wapf__fail(b->ctx, WAPF_EIO, "report %s: %s", path, why);
  }
  return rc;
}
