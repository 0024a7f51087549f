/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight journal [--json] [--since T] [--failed]: the send journal,
 * oldest first: when, state, delivery status (from the status webhooks),
 * provider, recipient, kind (or template), message id. --json prints one
 * object a line (with status, status_at and errors). --failed lists the
 * failures with the provider's words and a diagnosis from the rules. */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct listing {
  const cli_args *a;
  wapf_context *ctx;
  long rows;
} listing;

static void iso(double at, char *buf, size_t size) {
  time_t t = (time_t)at;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void put(json_t *o, const char *k, const char *v) {
  json_object_set_new(o, k, v && *v ? json_string(v) : json_null());
}

/* errors as JSON (null when none). */
static json_t *errors_json(const char *text) {
  json_t *e = text && *text ? json_loads(text, 0, NULL) : NULL;
  return e ? e : json_null();
}

/* The provider's words of the first error: "code title: details". */
static void words(const char *errors, const char *detail, char *out,
                  size_t size) {
  json_t *a = errors && *errors ? json_loads(errors, 0, NULL) : NULL;
  json_t *e = json_array_get(a, 0);
  const char *t = json_string_value(json_object_get(e, "title"));
  const char *m = json_string_value(json_object_get(e, "message"));
  const char *d = json_string_value(
      json_object_get(json_object_get(e, "error_data"), "details"));
  long long code = json_integer_value(json_object_get(e, "code"));
  if (e)
    snprintf(out, size, "%lld %s%s%s", code,
             t   ? t
             : m ? m
                 : "",
             d ? ": " : "", d ? d : "");
  else
    snprintf(out, size, "%s", detail && *detail ? detail : "no reason given");
  json_decref(a);
}

static void print_json(listing *l, const wapf_journal_entry *e, const char *at,
                       const char *diagnosis) {
  char sat[32] = "";
  if (e->status_at > 0)
    iso(e->status_at, sat, sizeof sat);
  json_t *o = json_object();
  put(o, "at", at);
  put(o, "state", e->state);
  put(o, "provider", e->provider);
  put(o, "sender", e->sender);
  put(o, "to", e->recipient);
  put(o, "kind", e->kind);
  put(o, "media", e->media);
  put(o, "caption", e->caption);
  put(o, "template", e->template_name);
  put(o, "message_id", e->message_id);
  put(o, "detail", e->detail);
  put(o, "status", e->status);
  put(o, "status_at", sat);
  json_object_set_new(o, "errors", errors_json(e->errors));
  if (l->a->failed)
    put(o, "diagnosis", diagnosis);
  json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
  fputc('\n', stdout);
  json_decref(o);
}

static int on_row(void *cookie, const wapf_journal_entry *e) {
  listing *l = cookie;
  char at[32], diagnosis[1024] = "";
  iso(e->at, at, sizeof at);
  l->rows++;
  if (l->a->failed)
    wapf_diagnose(l->ctx, NULL, e, diagnosis, sizeof diagnosis);
  if (l->a->json) {
    print_json(l, e, at, diagnosis);
  } else if (l->a->failed) {
    char w[700];
    words(e->errors, e->detail, w, sizeof w);
    printf("%s  %-9s  %-15s  %s%s\n  provider: %s\n  diagnosis: %s\n", at,
           e->provider, cli_text(e->recipient),
           *e->message_id ? cli_text(e->message_id) : "-",
           *e->state ? "" : "  (not sent by wa-preflight)", cli_text(w),
           *diagnosis ? cli_text(diagnosis) : "none known");
  } else {
    printf("%s  %-7s  %-9s  %-9s  %-15s  %-8s  %s%s%s\n", at, e->state,
           *e->status ? e->status : "-", e->provider, cli_text(e->recipient),
           *e->template_name ? "template" : e->kind,
           *e->message_id ? cli_text(e->message_id) : "-",
           *e->detail ? "  " : "", cli_text(e->detail));
  }
  return 0;
}

int cmd_journal(const cli_args *a) {
  wapf_context *ctx = cli_open(a);
  if (!ctx)
    return EXIT_USAGE;
  listing l = {a, ctx, 0};
  int rc = a->failed ? wapf_journal_failures(ctx, NULL, a->since, on_row, &l)
                     : wapf_journal_list(ctx, NULL, a->since, on_row, &l);
  if (rc != WAPF_OK)
    cli_fail(ctx, NULL, rc);
  else if (!a->json && !a->quiet && l.rows == 0)
    fprintf(stderr, "wa-preflight: the journal has no %s%s\n",
            a->failed ? "failures" : "sends",
            a->since > 0 ? " in that time" : "");
  cli_close(&ctx);
  return rc == WAPF_OK ? EXIT_OK : EXIT_VERDICT;
}
