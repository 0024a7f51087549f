/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight check: one verdict line per file (or JSON), exit 0 only
 * when every file is compliant. */
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "progress.h"

static int count_sev(const wapf_report *r, wapf_severity sev) {
  int n = 0;
  for (size_t i = 0; i < r->n_findings; i++)
    n += r->findings[i].severity == sev;
  return n;
}

/* The messages of one severity, "; "-separated, after sep. */
static void print_messages(const wapf_report *r, wapf_severity sev,
                           const char *prefix, const char **sep) {
  for (size_t i = 0; i < r->n_findings; i++) {
    if (r->findings[i].severity != sev)
      continue;
    printf("%s%s%s", *sep, prefix, cli_text(r->findings[i].message));
    *sep = "; ";
  }
}

static void print_plan(const wapf_report *r) {
  if (r->plan == WAPF_PLAN_UNFIXABLE)
    printf(" -> cannot be fixed: %s", r->plan_reason[0]
                                          ? cli_text(r->plan_reason)
                                          : "no conversion can help");
  else if (r->plan != WAPF_PLAN_NONE)
    printf(" -> plan: %s", wapf_plan_name(r->plan));
}

/* One line: "PATH: ok (video)", "PATH: NOT COMPLIANT (video): a; b ->
 * plan: transcode"; with verbose, each finding on its own line below. */
static void print_verdict(const char *path, const wapf_report *r, int verbose) {
  const char *kind = wapf_kind_name(r->kind);
  int fails = count_sev(r, WAPF_SEV_FAIL);
  int warns = count_sev(r, WAPF_SEV_WARNING);
  const char *sep = ": ";
  if (r->compliant)
    printf("%s: %s (%s)", cli_text(path), warns ? "ok with warnings" : "ok",
           kind);
  else
    printf("%s: NOT COMPLIANT (%s)", cli_text(path), kind);
  if (!verbose) {
    print_messages(r, WAPF_SEV_FAIL, "", &sep);
    print_messages(r, WAPF_SEV_WARNING, fails ? "warning: " : "", &sep);
  }
  if (!r->compliant)
    print_plan(r);
  printf("\n");
  for (size_t i = 0; verbose && i < r->n_findings; i++)
    printf("    %-7s %s: %s\n",
           r->findings[i].severity == WAPF_SEV_FAIL ? "FAIL" : "warning",
           r->findings[i].id, cli_text(r->findings[i].message));
  if (verbose && r->plan != WAPF_PLAN_NONE && r->plan != WAPF_PLAN_UNFIXABLE &&
      r->plan_reason[0])
    printf("    plan    %s: %s\n", wapf_plan_name(r->plan),
           cli_text(r->plan_reason));
}

/* Check one file; returns 1 when it is compliant, 0 otherwise. */
static int check_one(wapf_context *ctx, const cli_args *a, const char *path,
                     json_t *files) {
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  int rc = wapf_probe(ctx, path, &f);
  if (rc == WAPF_OK)
    rc = wapf_check(ctx, f, &a->opt, &r);
  int ok = 0;
  if (rc != WAPF_OK) {
    cli_fail(ctx, path, rc);
    if (files)
      json_array_append_new(files,
                            jo_report_error(path, rc, wapf_last_error(ctx)));
  } else {
    ok = r->compliant != 0;
    if (files)
      json_array_append_new(files, jo_report(path, r));
    else if (!(a->quiet && ok))
      print_verdict(path, r, a->verbose);
  }
  wapf_report_free(&r);
  wapf_facts_free(&f);
  return ok;
}

int cmd_check(const cli_args *a) {
  wapf_context *ctx = cli_open(a);
  if (!ctx)
    return EXIT_USAGE;
  json_t *files = a->json ? json_array() : NULL;
  int all_ok = 1;
  for (int i = 0; i < a->n_files && !cli_interrupted(); i++) {
    if (!check_one(ctx, a, a->files[i], files))
      all_ok = 0;
    if (!files)
      fflush(stdout);
  }
  cli_close(&ctx);
  if (files && jo_print(jo_document(files)) != 0) {
    cli_error(NULL, "cannot write the JSON output");
    return EXIT_VERDICT;
  }
  if (cli_interrupted())
    return 128 + cli_interrupted();
  return all_ok ? EXIT_OK : EXIT_VERDICT;
}
