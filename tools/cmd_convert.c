/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight convert: probe -> check -> wapf_convert for each file, with
 * the output names of cli.md ("Where outputs go"). */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "json_out.h"
#include "progress.h"

/* The outputs chosen so far in this run (absolute, normalised paths). */
typedef struct taken {
  char **paths;
  int n, cap;
} taken;

typedef struct run {
  const cli_args *a;
  wapf_context *ctx;
  cli_progress bar;
  taken used;
  json_t *files; /* NULL unless --json */
  int failed;
} run;

static int taken_has(const taken *t, const char *key) {
  for (int i = 0; i < t->n; i++)
    if (strcmp(t->paths[i], key) == 0)
      return 1;
  return 0;
}

static int taken_add(taken *t, const char *key) {
  if (t->n == t->cap) {
    int cap = t->cap ? t->cap * 2 : 16;
    char **p = realloc(t->paths, (size_t)cap * sizeof *p);
    if (!p)
      return -1;
    t->paths = p;
    t->cap = cap;
  }
  if (!(t->paths[t->n] = strdup(key)))
    return -1;
  t->n++;
  return 0;
}

static void taken_free(taken *t) {
  for (int i = 0; i < t->n; i++)
    free(t->paths[i]);
  free(t->paths);
  memset(t, 0, sizeof *t);
}

/* Usage errors found before any work: exit status 2. */
static int check_usage(const cli_args *a) {
  struct stat st;
  if (a->output && a->outdir) {
    cli_error(NULL, "convert: -o and -d cannot be used together");
    return -1;
  }
  if (a->output && a->n_files != 1) {
    cli_error(NULL, "convert: -o takes one input only (use -d DIR for "
                    "several)");
    return -1;
  }
  if (!a->outdir)
    return 0;
  if (stat(a->outdir, &st) != 0) {
    if (errno == ENOENT && mkdir(a->outdir, 0777) == 0)
      return 0;
    cli_error(a->outdir, "cannot use as the output folder (%s)",
              strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    cli_error(a->outdir, "-d wants a folder; this is a file");
    return -1;
  }
  return 0;
}

/* Split path into its folder ("." when none) and its name without the
 * last extension. Both are malloc'd. */
static int split_name(const char *path, char **dir, char **stem) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t stem_len = dot && dot > base ? (size_t)(dot - base) : strlen(base);
  *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
               : strdup(".");
  *stem = strndup(base, stem_len);
  return *dir && *stem ? 0 : -1;
}

/* A key for "same output path": the real folder plus the name (g_free). */
static char *path_key(const char *dir, const char *name) {
  char real[PATH_MAX];
  const char *d = realpath(dir, real) ? real : dir;
  return g_build_filename(d, name, NULL);
}

/* Choose the output path of one input (cli.md): -o exactly, -d DIR/<stem>
 * <ext>, else <stem>.wa<ext> beside the input; a name already chosen in
 * this run gets -2, -3, ... and *renamed is set. NULL when out of memory;
 * freed with g_free. */
static char *output_for(run *r, const char *in, const char *ext, int *renamed) {
  char *dir = NULL, *stem = NULL, *out = NULL;
  *renamed = 0;
  if (r->a->output)
    return g_strdup(r->a->output);
  if (split_name(in, &dir, &stem) != 0)
    goto done;
  const char *odir = r->a->outdir ? r->a->outdir : dir;
  const char *mid = r->a->outdir ? "" : ".wa";
  for (int n = 1; n < 100000 && !out; n++) {
    char name[NAME_MAX * 2], sfx[16] = "";
    if (n > 1)
      snprintf(sfx, sizeof sfx, "-%d", n);
    snprintf(name, sizeof name, "%s%s%s%s", stem, sfx, mid, ext);
    char *key = path_key(odir, name);
    if (!taken_has(&r->used, key) && taken_add(&r->used, key) == 0)
      out = g_build_filename(odir, name, NULL);
    *renamed = n > 1;
    g_free(key);
  }
done:
  free(dir);
  free(stem);
  return out;
}

static void print_done(const char *in, const char *out, const wapf_result *res,
                       const char *note) {
  char a[32], b[32];
  snprintf(a, sizeof a, "%" PRId64, res->bytes_in);
  snprintf(b, sizeof b, "%" PRId64, res->bytes_out);
  if (res->action == WAPF_PLAN_NONE)
    printf("%s -> %s (already compliant, copied unchanged", cli_text(in),
           cli_text(out));
  else
    printf("%s -> %s (%s, %s -> %s bytes, %.1f s", cli_text(in), cli_text(out),
           wapf_plan_name(res->action), a, b, res->seconds);
  printf("%s%s)\n", note[0] ? "; " : "", cli_text(note));
  fflush(stdout);
}

/* Record one file's outcome (JSON entry, or lines), return rc. */
static int report(run *r, const char *in, const char *out, wapf_kind kind,
                  const wapf_result *res, int rc) {
  const char *detail = wapf_last_error(r->ctx);
  if (rc != WAPF_OK) {
    r->failed = 1;
    if (rc == WAPF_ECANCELLED)
      cli_error(in, "interrupted; no output was written");
    else
      cli_fail(r->ctx, in, rc);
  } else if (!r->files && !r->a->quiet) {
    print_done(in, out, res, res->note);
  }
  if (r->files)
    json_array_append_new(r->files, jo_result(in, out, kind, res, rc, detail));
  return rc;
}

/* A file check says nothing can fix: one line with the plan's reason. */
static int unfixable(run *r, const char *in, const wapf_facts *f,
                     const wapf_report *rep) {
  wapf_result res;
  memset(&res, 0, sizeof res);
  res.action = WAPF_PLAN_UNFIXABLE;
  res.kind = rep->kind;
  res.bytes_in = f->size;
  r->failed = 1;
  cli_error(in, "cannot be made compliant (%s)",
            rep->plan_reason[0] ? rep->plan_reason : "no conversion can help");
  if (r->files)
    json_array_append_new(r->files,
                          jo_result(in, NULL, rep->kind, &res, WAPF_EUNFIXABLE,
                                    rep->plan_reason));
  return WAPF_EUNFIXABLE;
}

static void add_note(wapf_result *res, const char *text) {
  size_t len = strlen(res->note);
  snprintf(res->note + len, sizeof res->note - len, "%s%s", len ? "; " : "",
           text);
}

static int convert_checked(run *r, const char *in, const wapf_facts *f,
                           const wapf_report *rep, wapf_options *opt) {
  int renamed = 0;
  wapf_result res;
  memset(&res, 0, sizeof res);
  char *out = output_for(r, in, rep->out_ext, &renamed);
  if (!out)
    return report(r, in, NULL, rep->kind, NULL, WAPF_ENOMEM);
  progress_start(&r->bar, in, opt);
  int rc = wapf_convert(r->ctx, f, rep, opt, out, &res);
  progress_done(&r->bar);
  if (rc == WAPF_OK && res.action == WAPF_PLAN_NONE &&
      (opt->start > 0 || opt->duration > 0))
    add_note(&res, "not trimmed: --start/--duration apply to video and "
                   "audio, and to stickers made from them");
  if (rc == WAPF_OK && renamed)
    add_note(&res, "renamed: an earlier input of this run has the same name");
  rc = report(r, in, out, rep->kind, &res, rc);
  g_free(out);
  return rc;
}

static int convert_one(run *r, const char *in) {
  wapf_facts *f = NULL;
  wapf_report *rep = NULL;
  wapf_options opt = r->a->opt;
  int rc = wapf_probe(r->ctx, in, &f);
  if (rc == WAPF_OK)
    rc = wapf_check(r->ctx, f, &opt, &rep);
  if (rc == WAPF_OK && cli_interrupted())
    rc = WAPF_ECANCELLED;
  if (rc != WAPF_OK)
    rc = report(r, in, NULL, opt.kind, NULL, rc);
  else if (rep->plan == WAPF_PLAN_UNFIXABLE)
    rc = unfixable(r, in, f, rep);
  else
    rc = convert_checked(r, in, f, rep, &opt);
  wapf_report_free(&rep);
  wapf_facts_free(&f);
  return rc;
}

int cmd_convert(const cli_args *a) {
  run r;
  memset(&r, 0, sizeof r);
  r.a = a;
  if (check_usage(a) != 0)
    return EXIT_USAGE;
  if (!(r.ctx = cli_open(a)))
    return EXIT_USAGE;
  progress_init(&r.bar, a->quiet);
  r.files = a->json ? json_array() : NULL;
  for (int i = 0; i < a->n_files && !cli_interrupted(); i++)
    convert_one(&r, a->files[i]);
  cli_close(&r.ctx);
  taken_free(&r.used);
  if (r.files && jo_print(jo_document(r.files)) != 0) {
    cli_error(NULL, "cannot write the JSON output");
    r.failed = 1;
  }
  if (cli_interrupted())
    return 128 + cli_interrupted();
  return r.failed ? EXIT_VERDICT : EXIT_OK;
}
