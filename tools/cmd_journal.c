/* wa-preflight journal [--json] [--since T]: the send journal, oldest
 * first: when, state, provider, recipient, kind (or template), message
 * id. --json prints one object a line. */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct listing {
  const cli_args *a;
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

static int on_row(void *cookie, const wapf_journal_entry *e) {
  listing *l = cookie;
  char at[32];
  iso(e->at, at, sizeof at);
  l->rows++;
  if (l->a->json) {
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
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
  } else {
    printf("%s  %-7s  %-9s  %-15s  %-8s  %s%s%s\n", at, e->state, e->provider,
           cli_text(e->recipient), *e->template_name ? "template" : e->kind,
           *e->message_id ? cli_text(e->message_id) : "-",
           *e->detail ? "  " : "", cli_text(e->detail));
  }
  return 0;
}

int cmd_journal(const cli_args *a) {
  wapf_context *ctx = cli_open(a);
  if (!ctx)
    return EXIT_USAGE;
  listing l = {a, 0};
  int rc = wapf_journal_list(ctx, NULL, a->since, on_row, &l);
  if (rc != WAPF_OK)
    cli_fail(ctx, NULL, rc);
  else if (!a->json && !a->quiet && l.rows == 0)
    fprintf(stderr, "wa-preflight: the journal has no sends%s\n",
            a->since > 0 ? " in that time" : "");
  cli_close(&ctx);
  return rc == WAPF_OK ? EXIT_OK : EXIT_VERDICT;
}
