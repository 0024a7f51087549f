/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a sending application calls before it uploads a file:
 * probe -> check -> (convert when needed). Prints which file to upload
 * and its MIME type.
 *
 *   cc preflight.c $(pkg-config --cflags --libs wapf) -o preflight
 *   ./preflight clip.mov clip.wa.mp4
 */
#include <stdio.h>

#include <wapf.h>

/* Probe and check in, convert into out when needed; returns a WAPF_ code. */
static int preflight(wapf_context *ctx, const char *in, const char *out) {
  wapf_facts *facts = NULL;
  wapf_report *rep = NULL;
  wapf_options opt;
  wapf_result res;
  wapf_default_options(&opt); /* kind auto: picked from the content */
  int rc = wapf_probe(ctx, in, &facts);
  if (rc == WAPF_OK)
    rc = wapf_check(ctx, facts, &opt, &rep);
  if (rc != WAPF_OK)
    goto out;
  printf("%s: %s as %s, plan %s\n", in,
         rep->compliant ? "compliant" : "not compliant",
         wapf_kind_name(rep->kind), wapf_plan_name(rep->plan));
  for (size_t i = 0; i < rep->n_findings; i++)
    printf("  %s %s: %s\n",
           rep->findings[i].severity == WAPF_SEV_FAIL ? "fail" : "warning",
           rep->findings[i].id, rep->findings[i].message);
  if (rep->compliant) {
    printf("upload %s as %s\n", in, rep->out_mime);
    goto out;
  }
  rc = wapf_convert(ctx, facts, rep, &opt, out, &res);
  if (rc == WAPF_OK)
    printf("upload %s as %s (%lld bytes, %s)\n", out, res.mime,
           (long long)res.bytes_out, wapf_plan_name(res.action));
out:
  wapf_report_free(&rep);
  wapf_facts_free(&facts);
  return rc;
}

int main(int argc, char **argv) {
  wapf_context *ctx = NULL;
  if (argc != 3) {
    fprintf(stderr, "usage: %s INPUT OUTPUT\n", argv[0]);
    return 2;
  }
  int rc = wapf_open(&ctx, NULL);
  if (rc == WAPF_OK)
    rc = preflight(ctx, argv[1], argv[2]);
  if (rc != WAPF_OK)
    fprintf(stderr, "%s: %s (%s)\n", argv[1], wapf_strerror(rc),
            wapf_last_error(ctx));
  wapf_close(&ctx);
  return rc == WAPF_OK ? 0 : 1;
}
