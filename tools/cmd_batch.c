/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight batch: a folder into a mirrored folder of compliant files.
 * The library does the work (wapf_batch_run); this file parses, draws the
 * progress bar on a terminal and prints the plan, the failures and the
 * summary. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

typedef struct failure {
  char *path, *error;
} failure;

typedef struct ui {
  const cli_args *a;
  cli_progress bar;    /* on a terminal only (tools/progress.h) */
  double t_start;      /* first STARTED event */
  int64_t bytes_start; /* bytes_done then */
  char current[256];
  failure *fail;
  size_t n_fail, cap_fail;
} ui;

static void bar_clear(ui *u) {
  progress_done(&u->bar);
}

static void fmt_eta(char *buf, size_t n, double s) {
  if (s < 0)
    snprintf(buf, n, "--:--");
  else if (s >= 3600)
    snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60,
             (int)s % 60);
  else
    snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

static double eta(const ui *u, const wapf_batch_event *ev) {
  double el = cli_now() - u->t_start;
  int64_t moved = ev->bytes_done - u->bytes_start;
  if (u->t_start <= 0 || el < 0.5 || moved <= 0)
    return -1;
  return (double)(ev->bytes_total - ev->bytes_done) * el / (double)moved;
}

/* "12/300 ETA 0:42 sub/file.mov [#####-----]  40%" (tools/progress.h). */
static void bar_draw(ui *u, const wapf_batch_event *ev, int checking) {
  if (!u->bar.enabled || ev->total <= 0)
    return;
  char e[16];
  fmt_eta(e, sizeof e, checking ? -1 : eta(u, ev));
  const char *cur = cli_text(checking ? ev->path : u->current);
  const char *slash = strrchr(cur, '/');
  if (checking)
    snprintf(u->bar.label, sizeof u->bar.label, "checking %lld/%lld %.80s",
             (long long)ev->done, (long long)ev->total,
             slash ? slash + 1 : cur);
  else
    snprintf(u->bar.label, sizeof u->bar.label, "%lld/%lld ETA %s %.80s",
             (long long)ev->done, (long long)ev->total, e,
             slash ? slash + 1 : cur);
  progress_fn(&u->bar, (double)ev->done / (double)ev->total);
}

static void keep_failure(ui *u, const wapf_batch_event *ev) {
  if (u->n_fail == u->cap_fail) {
    size_t cap = u->cap_fail ? 2 * u->cap_fail : 16;
    failure *f = realloc(u->fail, cap * sizeof *f);
    if (!f)
      return;
    u->fail = f;
    u->cap_fail = cap;
  }
  u->fail[u->n_fail].path = strdup(ev->path);
  u->fail[u->n_fail].error = strdup(ev->error);
  u->n_fail++;
}

static const char *plan_word(const wapf_batch_event *ev, int dry) {
  if (!dry)
    return wapf_batch_action_name(ev->action);
  switch (ev->action) {
  case WAPF_BATCH_CONVERTED: return "convert";
  case WAPF_BATCH_COPIED: return "copy";
  case WAPF_BATCH_SKIPPED: return "skip";
  default: return "fail";
  }
}

/* One line per file: in a dry run (the plan), with -v, and for renames. */
static void print_file(ui *u, const wapf_batch_event *ev) {
  const cli_args *a = u->a;
  int fail = ev->action == WAPF_BATCH_FAILED;
  if (a->quiet || !(a->dry_run || a->verbose || ev->renamed))
    return;
  bar_clear(u);
  printf("%-9s %s", plan_word(ev, a->dry_run), cli_text(ev->path));
  if (ev->output)
    printf(" -> %s", cli_text(ev->output));
  if (ev->kind != WAPF_KIND_AUTO)
    printf(" (%s, %s)", wapf_kind_name(ev->kind), wapf_plan_name(ev->plan));
  if (fail)
    printf(": %s", cli_text(ev->error));
  if (ev->note[0])
    printf(" [%s]", cli_text(ev->note));
  putchar('\n');
  fflush(stdout);
}

static int on_event(void *cookie, const wapf_batch_event *ev) {
  ui *u = cookie;
  switch (ev->type) {
  case WAPF_BATCH_EV_CHECKED: bar_draw(u, ev, 1); break;
  case WAPF_BATCH_EV_STARTED:
    if (u->t_start <= 0) {
      u->t_start = cli_now();
      u->bytes_start = ev->bytes_done;
    }
    snprintf(u->current, sizeof u->current, "%s", ev->path);
    bar_draw(u, ev, 0);
    break;
  case WAPF_BATCH_EV_FINISHED:
    if (ev->action == WAPF_BATCH_FAILED)
      keep_failure(u, ev);
    print_file(u, ev);
    bar_draw(u, ev, 0);
    break;
  }
  return cli_interrupted() != 0;
}

static void human(char *buf, size_t n, int64_t b) {
  if (b >= 1000000)
    snprintf(buf, n, "%.1f MB", (double)b / 1e6);
  else if (b >= 1000)
    snprintf(buf, n, "%.1f kB", (double)b / 1e3);
  else
    snprintf(buf, n, "%lld B", (long long)b);
}

void cli_print_counts(const char *name, const wapf_batch_counts *c) {
  char in[32], out[32];
  human(in, sizeof in, c->bytes_in);
  human(out, sizeof out, c->bytes_out);
  printf("  %-9s %9lld %6lld %7lld %6lld %10s %10s %7.1f s\n", name,
         (long long)c->converted, (long long)c->copied, (long long)c->skipped,
         (long long)c->failed, in, out, c->seconds);
}

void cli_print_counts_header(void) {
  printf("  %-9s %9s %6s %7s %6s %10s %10s %9s\n", "kind", "converted",
         "copied", "skipped", "failed", "bytes in", "bytes out", "time");
}

static void print_summary(const ui *u, const wapf_batch_summary *s) {
  const wapf_batch_counts *c = &s->all;
  printf("%s%lld files: %lld converted, %lld copied, %lld skipped, %lld "
         "failed (%.1f s, %d jobs)\n",
         u->a->dry_run ? "dry run, " : "", (long long)s->files,
         (long long)c->converted, (long long)c->copied, (long long)c->skipped,
         (long long)c->failed, s->seconds, s->jobs);
  if (s->files > 0) {
    cli_print_counts_header();
    for (int k = 1; k <= WAPF_KIND_DOCUMENT; k++) {
      const wapf_batch_counts *kc = &s->kinds[k];
      if (kc->converted + kc->copied + kc->skipped + kc->failed)
        cli_print_counts(wapf_kind_name((wapf_kind)k), kc);
    }
    if (s->kinds[0].failed)
      cli_print_counts("unknown", &s->kinds[0]);
    cli_print_counts("total", c);
  }
  if (s->renamed)
    printf("%lld outputs renamed to avoid a collision (-v lists them)\n",
           (long long)s->renamed);
  if (s->ignored)
    printf("%lld entries ignored (links out of the folder, special files)\n",
           (long long)s->ignored);
}

static void print_failures(ui *u) {
  if (u->n_fail)
    fprintf(stderr, "failed:\n");
  for (size_t i = 0; i < u->n_fail; i++) {
    fprintf(stderr, "  %s: %s\n",
            u->fail[i].path ? cli_text(u->fail[i].path) : "?",
            u->fail[i].error ? cli_text(u->fail[i].error) : "?");
    free(u->fail[i].path);
    free(u->fail[i].error);
  }
  free(u->fail);
}

typedef struct list {
  char **v;
  size_t n, cap;
} list;

static void list_free(list *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}

/* --files-from: one path a line ("\r\n" too), empty lines ignored. */
static int read_list(const char *from, list *l) {
  FILE *f = strcmp(from, "-") == 0 ? stdin : fopen(from, "r");
  if (!f) {
    cli_error(from, "cannot open the list: %s", strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int rc = 0;
  while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    if (n == 0)
      continue;
    if (l->n == l->cap) {
      size_t c = l->cap ? 2 * l->cap : 256;
      char **v = realloc(l->v, c * sizeof *v);
      if (!v) {
        rc = -1;
        break;
      }
      l->v = v;
      l->cap = c;
    }
    if (!(l->v[l->n] = strdup(line)))
      rc = -1;
    else
      l->n++;
  }
  if (rc == 0 && ferror(f)) {
    cli_error(from, "cannot read the list: %s", strerror(errno));
    rc = -1;
  } else if (rc != 0) {
    cli_error(from, "out of memory reading the list");
  }
  free(line);
  if (f != stdin)
    fclose(f);
  return rc;
}

int cmd_batch(const cli_args *a) {
  list inputs = {NULL, 0, 0};
  if (a->files_from && read_list(a->files_from, &inputs) != 0) {
    list_free(&inputs);
    return EXIT_USAGE;
  }
  wapf_context *ctx = cli_open(a);
  if (!ctx) {
    list_free(&inputs);
    return EXIT_USAGE;
  }
  ui u;
  memset(&u, 0, sizeof u);
  u.a = a;
  progress_init(&u.bar, a->quiet);
  wapf_batch_settings bs;
  wapf_batch_default_settings(&bs);
  bs.options = a->opt;
  bs.jobs = a->jobs;
  bs.dry_run = a->dry_run;
  bs.report_path = a->report;
  bs.on_event = on_event;
  bs.event_cookie = &u;
  bs.shard_index = a->shard_index;
  bs.shard_count = a->shard_count;
  if (a->files_from) {
    bs.inputs = (const char *const *)inputs.v;
    bs.n_inputs = inputs.n;
  }
  wapf_batch_summary sum;
  memset(&sum, 0, sizeof sum);
  int rc = wapf_batch_run(ctx, a->files[0], a->files[1], &bs, &sum);
  bar_clear(&u);
  if (rc == WAPF_OK || rc == WAPF_ECANCELLED) {
    if (!a->quiet)
      print_summary(&u, &sum);
  }
  print_failures(&u);
  if (rc != WAPF_OK)
    cli_fail(ctx, rc == WAPF_ECANCELLED ? NULL : a->files[0], rc);
  cli_close(&ctx);
  list_free(&inputs);
  if (rc == WAPF_EINVAL || rc == WAPF_ENOENT)
    return EXIT_USAGE;
  if (rc != WAPF_OK || sum.all.failed > 0)
    return EXIT_VERDICT;
  return EXIT_OK;
}
