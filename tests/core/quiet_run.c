/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Probe, check and convert each file given, through the public API only,
 * with a logger at WAPF_LOG_DEBUG that writes "log: LINE" on stdout. The
 * library itself must write nothing on stdout or stderr (test_quiet.py
 * compares). Usage: quiet_run OUTDIR FILE... */
#include "wapf.h"

#include <stdio.h>
#include <string.h>

static void on_log(void *cookie, wapf_log_level level, const char *msg) {
  (void)cookie;
  (void)level;
  /* One line each, no newline inside (the logger's contract). */
  printf("log: %s%s\n", msg, strchr(msg, '\n') ? " [NEWLINE INSIDE]" : "");
}

static void one(wapf_context *ctx, const char *outdir, int i,
                const char *path) {
  wapf_facts *f = NULL;
  if (wapf_probe(ctx, path, &f) != WAPF_OK)
    return;
  wapf_report *r = NULL;
  if (wapf_check(ctx, f, NULL, &r) == WAPF_OK &&
      r->plan != WAPF_PLAN_UNFIXABLE) {
    char out[4096];
    snprintf(out, sizeof out, "%s/out%d%s", outdir, i, r->out_ext);
    wapf_options o;
    wapf_default_options(&o);
    o.overwrite = 1;
    (void)wapf_convert(ctx, f, r, &o, out, NULL);
  }
  wapf_report_free(&r);
  wapf_facts_free(&f);
}

int main(int argc, char **argv) {
  wapf_settings s;
  wapf_default_settings(&s);
  s.logger = on_log;
  s.log_level = WAPF_LOG_DEBUG;
  s.threads = 1;
  wapf_context *ctx = NULL;
  if (argc < 2 || wapf_open(&ctx, &s) != WAPF_OK)
    return 2;
  for (int i = 2; i < argc; i++)
    one(ctx, argv[1], i, argv[i]);
  wapf_close(&ctx);
  return 0;
}
