/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf_batch_run(): a folder into a mirrored folder of compliant files.
 * The steps: walk, read the state, probe + check what is not done (in
 * parallel), name the outputs, record the intent, write the outputs (in
 * parallel), recording each one after its rename; then the report. */
#include "batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const k_actions[] = {"converted", "copied", "skipped",
                                        "failed"};

const char *wapf_batch_action_name(wapf_batch_action action) {
  if ((int)action < 0 || (size_t)action >= sizeof k_actions / sizeof *k_actions)
    return "?";
  return k_actions[action];
}

void wapf_batch_default_settings(wapf_batch_settings *bs) {
  memset(bs, 0, sizeof *bs);
  wapf_default_options(&bs->options);
}

static int cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (int)n;
}

static char *error_line(wapf_context *w, int rc) {
  const char *d = wapf_last_error(w);
  return strdup(d && *d ? d : wapf_strerror(rc));
}

static void set_failed(wapf__bentry *e, int rc, char *error) {
  e->action = WAPF_BATCH_FAILED;
  e->status = rc;
  free(e->error);
  e->error = error;
}

/* ---- the work of one file, on a worker thread ---- */

static int job_check(wapf__batch *b, wapf_context *w, wapf__bentry *e) {
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  e->status = WAPF_OK;
  e->kind = WAPF_KIND_AUTO;
  e->plan = WAPF_PLAN_NONE;
  int rc = wapf_probe(w, e->abs, &f);
  if (rc == WAPF_OK)
    rc = wapf_check(w, f, &b->bs.options, &r);
  if (rc != WAPF_OK) {
    set_failed(e, rc, error_line(w, rc));
    wapf_facts_free(&f);
    return rc;
  }
  e->facts = f;
  e->rep = r;
  return WAPF_OK;
}

static void add_note(wapf__bentry *e, const char *note) {
  size_t n = strlen(e->note);
  if (note[0])
    snprintf(e->note + n, sizeof e->note - n, "%s%s", n ? "; " : "", note);
}

/* The folders above path, made as mkdir -p does (GLib). */
static int mkdir_parents(const char *path) {
  char *dir = g_path_get_dirname(path);
  int rc =
      g_mkdir_with_parents(dir, 0755) == 0 ? WAPF_OK : wapf__errno_code(errno);
  g_free(dir);
  return rc;
}

static int job_write(wapf__batch *b, wapf_context *w, wapf__bentry *e) {
  char *dst = g_build_filename(b->outdir, e->out, NULL);
  wapf_options opt = b->bs.options;
  opt.overwrite = 1;
  opt.progress = NULL;
  opt.progress_cookie = NULL;
  wapf_result res;
  memset(&res, 0, sizeof res);
  double t0 = wapf__now();
  int rc = mkdir_parents(dst);
  if (rc != WAPF_OK)
    wapf__fail(w, rc, "cannot create the folder of %s", e->out);
  if (rc == WAPF_OK && !e->in_hash[0] &&
      wapf__sha256_file(NULL, e->abs, e->in_hash) != WAPF_OK)
    rc = wapf__fail(w, WAPF_EIO, "cannot read %s", e->rel);
  if (rc == WAPF_OK)
    rc = wapf_convert(w, e->facts, e->rep, &opt, dst, &res);
  if (rc == WAPF_OK &&
      (wapf__stat_ns(dst, &e->out_size, &e->out_mtime_ns) != WAPF_OK ||
       wapf__sha256_file(NULL, dst, e->out_hash) != WAPF_OK))
    rc = wapf__fail(w, WAPF_EIO, "cannot read back %s", e->out);
  e->seconds = wapf__now() - t0;
  if (rc == WAPF_OK)
    add_note(e, res.note);
  else
    set_failed(e, rc, error_line(w, rc));
  wapf_facts_free(&e->facts);
  g_free(dst);
  return rc;
}

/* ---- outcomes, on the caller's thread ---- */

static void record(wapf__batch *b, wapf__bentry *e) {
  if (b->bs.dry_run || !b->state || e->status == WAPF_ECANCELLED)
    return;
  const char *status = NULL;
  if (e->action == WAPF_BATCH_SKIPPED)
    status = e->refresh ? "done" : NULL;
  else if (e->action == WAPF_BATCH_FAILED)
    status = e->from_state                    ? NULL
             : wapf__code_is_final(e->status) ? "failed"
                                              : "error";
  else
    status = "done";
  const char *opts =
      status && !strcmp(status, "failed") ? b->opt_fail : b->opt_print;
  if (status && wapf__state_put(b->state, e, opts, status) != WAPF_OK)
    wapf__log(b->ctx, WAPF_LOG_WARNING, "%s", wapf_last_error(b->ctx));
}

static void finish(wapf__batch *b, wapf__bentry *e) {
  if (e->status == WAPF_ECANCELLED)
    return;
  record(b, e);
  b->n_done++;
  b->bytes_done += e->size;
  wapf__report_count(b, e);
  wapf__report_event(b, e, WAPF_BATCH_EV_FINISHED, b->n_done, (int64_t)b->n);
  wapf_report_free(&e->rep);
}

static void on_checked(wapf__batch *b, wapf__bentry *e, int started) {
  if (started)
    return;
  if (e->rep && wapf__plan_checked(b, e) != WAPF_OK)
    set_failed(e, WAPF_ENOMEM, strdup("out of memory"));
  b->n_checked++;
  wapf__report_event(b, e, WAPF_BATCH_EV_CHECKED, b->n_checked, b->n_to_check);
}

static void on_written(wapf__batch *b, wapf__bentry *e, int started) {
  if (started)
    wapf__report_event(b, e, WAPF_BATCH_EV_STARTED, b->n_done, (int64_t)b->n);
  else
    finish(b, e);
}

/* ---- the steps ---- */

static int writable(const wapf__bentry *e) {
  return e->todo && e->out && e->action != WAPF_BATCH_FAILED;
}

/* Probe and check the entries marked todo and not yet checked. */
static int check_pending(wapf__batch *b) {
  wapf__bentry **items = calloc(b->n + 1, sizeof *items);
  if (!items)
    return wapf__fail(b->ctx, WAPF_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < b->n; i++)
    if (b->e[i].todo && !b->e[i].checked)
      items[k++] = &b->e[i];
  b->n_checked = 0;
  b->n_to_check = (int64_t)k;
  int rc = wapf__pool_run(b, items, k, job_check, on_checked);
  free(items);
  return rc;
}

static int plan_all(wapf__batch *b) {
  int rc = check_pending(b);
  for (int round = 0; rc == WAPF_OK && round < 8; round++) {
    if (wapf__names_assign(b) == 0)
      break;
    rc = check_pending(b); /* skipped files that lost their name */
  }
  if (rc == WAPF_OK)
    wapf__names_guard(b);
  return rc;
}

/* Record the intent (status pending) of every output about to be
 * written, so that a killed run's outputs are known as ours next time. */
static int record_intent(wapf__batch *b) {
  if (b->bs.dry_run || !b->state)
    return WAPF_OK;
  int rc = wapf__state_begin(b->state);
  for (size_t i = 0; rc == WAPF_OK && i < b->n; i++)
    if (writable(&b->e[i]))
      rc = wapf__state_put(b->state, &b->e[i], b->opt_print, "pending");
  return rc == WAPF_OK ? wapf__state_commit(b->state) : rc;
}

static int write_all(wapf__batch *b) {
  wapf__bentry **items = calloc(b->n + 1, sizeof *items);
  if (!items)
    return wapf__fail(b->ctx, WAPF_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < b->n; i++) {
    wapf__bentry *e = &b->e[i];
    if (writable(e) && !b->bs.dry_run)
      items[k++] = e;
    else if (!b->stop)
      finish(b, e); /* known now: skipped, failed, or a dry run's plan */
  }
  int rc = b->stop ? wapf__fail(b->ctx, WAPF_ECANCELLED, "cancelled")
                   : record_intent(b);
  if (rc == WAPF_OK)
    rc = wapf__pool_run(b, items, k, job_write, on_written);
  free(items);
  return rc;
}

static int open_workers(wapf__batch *b) {
  b->wctx = calloc((size_t)b->jobs, sizeof *b->wctx);
  if (!b->wctx)
    return wapf__fail(b->ctx, WAPF_ENOMEM, "out of memory");
  wapf_settings s = b->ctx->s;
  s.threads = b->threads;
  for (int i = 0; i < b->jobs; i++) {
    int rc = wapf_open(&b->wctx[i], &s);
    if (rc != WAPF_OK)
      return wapf__fail(b->ctx, rc, "cannot open a worker context");
  }
  return WAPF_OK;
}

static int prepare_dirs(wapf__batch *b) {
  struct stat si, so;
  if (stat(b->indir, &si) != 0)
    return wapf__from_errno(b->ctx, errno, b->indir);
  if (!S_ISDIR(si.st_mode))
    return wapf__fail(b->ctx, WAPF_EINVAL, "%s: not a folder", b->indir);
  if (stat(b->outdir, &so) == 0 &&
      (!S_ISDIR(so.st_mode) ||
       (so.st_dev == si.st_dev && so.st_ino == si.st_ino)))
    return wapf__fail(b->ctx, WAPF_EINVAL, "%s: %s", b->outdir,
                      S_ISDIR(so.st_mode) ? "is the input folder"
                                          : "not a folder");
  if (b->bs.dry_run)
    return WAPF_OK;
  if (g_mkdir_with_parents(b->outdir, 0755) != 0)
    return wapf__fail(b->ctx, WAPF_EIO, "%s: cannot create the folder",
                      b->outdir);
  return WAPF_OK;
}

static char *strip_slash(const char *p) {
  char *s = strdup(p);
  size_t n = s ? strlen(s) : 0;
  while (n > 1 && s[n - 1] == '/')
    s[--n] = '\0';
  return s;
}

static int settings_ok(const wapf_batch_settings *bs) {
  if (!wapf__zeroed(bs->reserved, sizeof bs->reserved) ||
      !wapf__zeroed(bs->options.reserved, sizeof bs->options.reserved))
    return 0;
  if (bs->shard_count < 0 || bs->shard_count > 100000 ||
      (bs->shard_count > 0 &&
       (bs->shard_index < 0 || bs->shard_index >= bs->shard_count)) ||
      (bs->shard_count == 0 && bs->shard_index != 0))
    return 0;
  return bs->jobs >= 0 && bs->jobs <= 256 &&
         bs->options.kind >= WAPF_KIND_AUTO &&
         bs->options.kind <= WAPF_KIND_DOCUMENT;
}

/* What the state says about the run itself (read by wapf_batch_state_read):
 * the inputs it took, and at the end whether it handled them all. */
static void record_meta(wapf__batch *b, int finished) {
  if (b->bs.dry_run || !b->state)
    return;
  char n[32];
  snprintf(n, sizeof n, "%lld", (long long)b->n);
  int rc = wapf__state_meta(b->state, "finished", finished ? "1" : "0");
  if (rc == WAPF_OK && !finished)
    rc = wapf__state_meta(b->state, "planned", n);
  if (rc == WAPF_OK && !finished && b->shard)
    rc = wapf__state_meta(b->state, "shard", b->shard);
  if (rc != WAPF_OK)
    wapf__log(b->ctx, WAPF_LOG_WARNING, "%s", wapf_last_error(b->ctx));
}

static int run_steps(wapf__batch *b) {
  int rc = prepare_dirs(b);
  if (rc == WAPF_OK)
    rc =
        wapf__state_open(b->ctx, b->outdir, b->shard, b->bs.dry_run, &b->state);
  if (rc == WAPF_OK && !b->bs.dry_run)
    wapf__names_clean_temps(b);
  if (rc == WAPF_OK)
    rc = b->bs.inputs ? wapf__batch_walk_list(b) : wapf__batch_walk(b);
  if (rc == WAPF_OK) {
    wapf__select_shard(b);
    record_meta(b, 0);
    wapf__plan_from_state(b);
    rc = open_workers(b);
  }
  if (rc == WAPF_OK)
    rc = plan_all(b);
  if (rc == WAPF_OK)
    rc = write_all(b);
  if (rc == WAPF_OK && (wapf__cancelled(b->ctx) || b->stop))
    rc = wapf__fail(b->ctx, WAPF_ECANCELLED, "cancelled");
  if (rc == WAPF_OK)
    record_meta(b, 1);
  return rc;
}

static void batch_free(wapf__batch *b) {
  for (int i = 0; b->wctx && i < b->jobs; i++)
    wapf_close(&b->wctx[i]);
  free(b->wctx);
  wapf__state_close(&b->state);
  wapf__batch_entries_free(b);
  free(b->indir);
  free(b->outdir);
  g_free(b->shard);
  g_free(b->opt_print);
  g_free(b->opt_fail);
}

int wapf_batch_run(wapf_context *ctx, const char *indir, const char *outdir,
                   const wapf_batch_settings *bs, wapf_batch_summary *sum) {
  wapf_batch_settings def;
  if (!ctx || !indir || !outdir || !*indir || !*outdir)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  if (!bs) {
    wapf_batch_default_settings(&def);
    bs = &def;
  }
  if (!settings_ok(bs))
    return wapf__fail(ctx, WAPF_EINVAL, "batch: settings out of range");
  if (wapf__inputs_check(ctx, bs) != WAPF_OK)
    return WAPF_EINVAL;
  wapf__batch b;
  memset(&b, 0, sizeof b);
  double t0 = wapf__now();
  b.ctx = ctx;
  b.bs = *bs;
  b.jobs = bs->jobs ? bs->jobs : cores();
  int budget = ctx->s.threads ? ctx->s.threads : cores();
  b.threads = budget / b.jobs > 1 ? budget / b.jobs : 1;
  b.indir = strip_slash(indir);
  b.outdir = strip_slash(outdir);
  b.opt_print = wapf__options_print(ctx, &bs->options);
  b.opt_fail = g_strdup_printf("%s lib=%s", b.opt_print, wapf_version());
  if (bs->shard_count > 0)
    b.shard =
        g_strdup_printf("shard-%d-of-%d", bs->shard_index, bs->shard_count);
  int rc = b.indir && b.outdir && b.opt_print && b.opt_fail
               ? run_steps(&b)
               : wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  b.sum.files = (int64_t)b.n;
  b.sum.ignored = b.ignored;
  b.sum.jobs = b.jobs;
  b.sum.seconds = wapf__now() - t0;
  if (rc == WAPF_OK && bs->report_path)
    rc = wapf__report_write(&b);
  if (sum)
    *sum = b.sum;
  batch_free(&b);
  return rc;
}
