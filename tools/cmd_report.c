/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight report OUTDIR [--json]: one summary of every batch state
 * under OUTDIR/.wa-preflight (state.db and every shard), read-only, so
 * the result of a job of many shards reads like one batch. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"

static const char *kind_label(int k) {
  return k == WAPF_KIND_AUTO ? "unknown" : wapf_kind_name((wapf_kind)k);
}

static int64_t files_of(const wapf_batch_counts *c) {
  return c->converted + c->copied + c->skipped + c->failed;
}

static void shard_label(char *buf, size_t n, const wapf_batch_shard_state *s) {
  if (s->shard_count > 0)
    snprintf(buf, n, "shard %d/%d", s->shard_index, s->shard_count);
  else
    snprintf(buf, n, "unsharded");
}

static void print_shards(const wapf_batch_state_report *r) {
  printf("state databases:\n");
  for (size_t i = 0; i < r->n_shards; i++) {
    const wapf_batch_shard_state *s = &r->shards[i];
    char label[48];
    shard_label(label, sizeof label, s);
    if (!s->present) {
      printf("  %-14s %-22s missing: never started\n", label, s->db);
      continue;
    }
    printf("  %-14s %-22s %-12s %lld recorded", label, s->db,
           s->finished ? "finished" : "NOT FINISHED", (long long)s->recorded);
    if (s->planned >= 0)
      printf(", %lld planned", (long long)s->planned);
    putchar('\n');
  }
}

static void print_text(const char *outdir, const wapf_batch_state_report *r) {
  const wapf_batch_counts *c = &r->all;
  printf("%s: %lld files: %lld converted, %lld copied, %lld failed, %lld "
         "pending\n",
         cli_text(outdir), (long long)(files_of(c) + r->pending),
         (long long)c->converted, (long long)c->copied, (long long)c->failed,
         (long long)r->pending);
  if (files_of(c) > 0) {
    cli_print_counts_header();
    for (int k = 1; k <= WAPF_KIND_DOCUMENT; k++)
      if (files_of(&r->kinds[k]))
        cli_print_counts(kind_label(k), &r->kinds[k]);
    if (files_of(&r->kinds[0]))
      cli_print_counts("unknown", &r->kinds[0]);
    cli_print_counts("total", c);
  }
  print_shards(r);
  if (r->unfinished)
    printf("%lld of %zu shards have not finished\n", (long long)r->unfinished,
           r->n_shards);
  int header = 0;
  for (size_t i = 0; i < r->n_records; i++) {
    const wapf_batch_record *e = &r->records[i];
    if (!strcmp(e->status, "done") || !strcmp(e->status, "pending"))
      continue;
    if (!header++)
      printf("failed:\n");
    printf("  %s: %s\n", cli_text(e->path),
           e->error ? cli_text(e->error) : wapf_strerror(e->code));
  }
}

static json_t *record_json(const wapf_batch_record *e) {
  json_t *o = json_object();
  int failed = strcmp(e->status, "done") && strcmp(e->status, "pending");
  json_object_set_new(o, "path", jo_str(e->path));
  json_object_set_new(o, "status", json_string(e->status));
  json_object_set_new(o, "kind",
                      e->kind == WAPF_KIND_AUTO
                          ? json_null()
                          : json_string(wapf_kind_name(e->kind)));
  json_object_set_new(o, "action",
                      json_string(wapf_batch_action_name(e->action)));
  json_object_set_new(o, "plan", json_string(wapf_plan_name(e->plan)));
  json_object_set_new(o, "output", jo_str(failed ? NULL : e->output));
  json_object_set_new(o, "bytes_in", json_integer(e->bytes_in));
  json_object_set_new(o, "bytes_out", json_integer(e->bytes_out));
  json_object_set_new(o, "db", json_string(e->db));
  json_t *f = e->findings ? json_loads(e->findings, 0, NULL) : NULL;
  json_object_set_new(o, "findings", f ? f : json_array());
  json_object_set_new(o, "error",
                      failed ? jo_error(e->code, e->error) : json_null());
  return o;
}

static json_t *shard_json(const wapf_batch_shard_state *s) {
  json_t *o = json_object();
  json_object_set_new(o, "db", json_string(s->db));
  json_object_set_new(
      o, "shard", s->shard_count ? json_integer(s->shard_index) : json_null());
  json_object_set_new(
      o, "of", s->shard_count ? json_integer(s->shard_count) : json_null());
  json_object_set_new(o, "present", json_boolean(s->present));
  json_object_set_new(o, "finished", json_boolean(s->finished));
  json_object_set_new(o, "planned", jo_count(s->planned));
  json_object_set_new(o, "recorded", json_integer(s->recorded));
  return o;
}

static int print_json(const char *outdir, const wapf_batch_state_report *r) {
  json_t *sum = jo_counts(&r->all);
  json_object_set_new(sum, "files",
                      json_integer(files_of(&r->all) + r->pending));
  json_object_set_new(sum, "pending", json_integer(r->pending));
  json_t *kinds = json_object();
  for (int k = 0; k <= WAPF_KIND_DOCUMENT; k++)
    if (files_of(&r->kinds[k]))
      json_object_set_new(kinds, kind_label(k), jo_counts(&r->kinds[k]));
  json_object_set_new(sum, "kinds", kinds);
  json_t *shards = json_array(), *unfinished = json_array();
  for (size_t i = 0; i < r->n_shards; i++) {
    json_array_append_new(shards, shard_json(&r->shards[i]));
    if (!r->shards[i].present || !r->shards[i].finished)
      json_array_append_new(unfinished, json_string(r->shards[i].db));
  }
  json_t *files = json_array();
  for (size_t i = 0; i < r->n_records; i++)
    json_array_append_new(files, record_json(&r->records[i]));
  json_t *root = json_object();
  json_object_set_new(root, "version", json_integer(JO_SCHEMA_VERSION));
  json_object_set_new(root, "tool", json_string("wa-preflight report"));
  json_object_set_new(root, "outdir", jo_str(outdir));
  json_object_set_new(root, "summary", sum);
  json_object_set_new(root, "shards", shards);
  json_object_set_new(root, "unfinished", unfinished);
  json_object_set_new(root, "files", files);
  return jo_print(root);
}

int cmd_report(const cli_args *a) {
  wapf_context *ctx = cli_open(a);
  if (!ctx)
    return EXIT_USAGE;
  wapf_batch_state_report *r = NULL;
  int rc = wapf_batch_state_read(ctx, a->files[0], &r);
  if (rc != WAPF_OK) {
    cli_fail(ctx, a->files[0], rc);
    cli_close(&ctx);
    return rc == WAPF_ENOENT || rc == WAPF_EINVAL ? EXIT_USAGE : EXIT_VERDICT;
  }
  int out = 0;
  if (a->json)
    out = print_json(a->files[0], r);
  else if (!a->quiet)
    print_text(a->files[0], r);
  int status =
      r->unfinished || r->pending || r->all.failed ? EXIT_VERDICT : EXIT_OK;
  wapf_batch_state_report_free(&r);
  cli_close(&ctx);
  return out != 0 ? EXIT_VERDICT : status;
}
