/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight send: check, convert when needed, upload (or publish, or
 * verify a link) and send one file through a provider. Credentials come
 * from the environment or the config file (the library reads them);
 * never from the command line. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "send_wait.h"
#include "progress.h"
#include "send_many.h"

/* Exit status of a library status (cli.md "Exit status"). */
static int exit_for(int rc) {
  switch (rc) {
  case WAPF_OK: return EXIT_OK;
  case WAPF_EINVAL:
  case WAPF_ECONFIG: return EXIT_USAGE;
  case WAPF_ENETWORK: return EXIT_RETRY;
  case WAPF_EUNKNOWN: return EXIT_UNKNOWN;
  default: return EXIT_VERDICT; /* refused, by us or by the provider */
  }
}

const char *send_outcome(int rc, const wapf_send_result *r) {
  if (r->duplicate == 2) /* another live run holds the claim */
    return "claimed-elsewhere";
  if (r->duplicate)
    return "already-sent";
  if (rc == WAPF_ECANCELLED)
    return "interrupted";
  switch (exit_for(rc)) {
  case EXIT_OK: return "sent";
  case EXIT_USAGE: return "usage";
  case EXIT_RETRY: return "unreachable";
  case EXIT_UNKNOWN: return "unknown";
  default: return "refused";
  }
}

int send_exit_for(int rc) {
  return exit_for(rc);
}

void send_set_str(json_t *o, const char *k, const char *v) {
  json_object_set_new(o, k, v && *v ? json_string(v) : json_null());
}

static void put_wait(json_t *o, const cli_args *a, int st,
                     const send_waited *w) {
  json_t *d = json_object();
  send_set_str(d, "wanted", a->wait_state);
  send_set_str(d, "outcome",
               st == EXIT_OK        ? "reached"
               : st == EXIT_VERDICT ? "failed"
                                    : "timeout");
  send_set_str(d, "status", w->status);
  json_object_set_new(d, "status_at",
                      w->at > 0 ? json_real(w->at) : json_null());
  json_error_t err;
  json_t *e = w->errors[0] ? json_loads(w->errors, 0, &err) : NULL;
  json_object_set_new(d, "errors", e ? e : json_null());
  send_set_str(d, "diagnosis", w->diagnosis);
  json_object_set_new(o, "wait", d);
}

static void print_json(const cli_args *a, wapf_context *ctx, int rc,
                       const wapf_send_result *r, int wst,
                       const send_waited *w) {
  json_t *o = json_object();
  send_set_str(o, "file", a->n_files ? a->files[0] : NULL);
  send_set_str(o, "provider", a->provider);
  send_set_str(o, "to", a->to);
  send_set_str(o, "status", send_outcome(rc, r));
  send_set_str(o, "kind", r->kind ? wapf_kind_name(r->kind) : NULL);
  send_set_str(o, "plan", wapf_plan_name(r->plan));
  send_set_str(o, "message_id", r->message_id);
  send_set_str(o, "media_id", r->media_id);
  json_object_set_new(o, "cache_hit", json_boolean(r->cache_hit));
  send_set_str(o, "url", r->url);
  send_set_str(o, "link_caching", r->link_caching);
  json_object_set_new(o, "http_status", json_integer(r->http_status));
  json_object_set_new(o, "attempts", json_integer(r->attempts));
  if (rc != WAPF_OK) {
    json_t *e = json_object();
    send_set_str(e, "code", wapf_err_name(rc));
    send_set_str(e, "message", wapf_last_error(ctx));
    json_object_set_new(e, "provider_code", json_integer(r->provider_code));
    send_set_str(e, "provider_message", r->provider_error);
    json_object_set_new(o, "error", e);
  }
  if (rc == WAPF_OK && a->wait_state)
    put_wait(o, a, wst, w);
  json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', stdout);
  json_decref(o);
}

static void print_text(const cli_args *a, const wapf_send_result *r) {
  if (a->quiet) {
    printf("%s\n", r->message_id);
    return;
  }
  printf(
      "%s: sent as %s%s via %s to %s: message id %s\n", cli_text(a->files[0]),
      a->template_name ? "the header of template " : "",
      a->template_name ? cli_text(a->template_name) : wapf_kind_name(r->kind),
      a->provider, cli_text(a->to), cli_text(r->message_id));
  if (r->plan != WAPF_PLAN_NONE)
    printf("  converted first (%s)\n", wapf_plan_name(r->plan));
  if (r->media_id[0])
    printf("  media id %s%s\n", r->media_id,
           r->cache_hit ? " (from the cache, not uploaded again)" : "");
  if (r->url[0])
    printf("  link %s\n  caching headers: %s\n", r->url, r->link_caching);
}

static int fill_request(const cli_args *a, wapf_send_request *q) {
  wapf_default_send_request(q);
  if (!a->provider || wapf_provider_from_name(a->provider, &q->provider)) {
    cli_error(NULL,
              "send: --provider %s: want "
              "meta|360dialog|onprem|qikchat|lipachat",
              a->provider ? a->provider : "(missing)");
    return -1;
  }
  if (!a->n_files && !a->template_name) {
    cli_error(NULL, "send: FILE is required (only --template sends without "
                    "one)");
    return -1;
  }
  if (a->publish && !a->public_base_url) {
    cli_error(NULL, "send: --publish needs --public-base-url URL");
    return -1;
  }
  q->to = a->to;
  q->from = a->from;
  q->caption = a->caption;
  q->filename = a->filename;
  q->link = a->link;
  q->publish = a->publish;
  q->public_base_url = a->public_base_url;
  q->s3_endpoint = a->s3_endpoint;
  q->api_base = a->api_base;
  q->graph_version = a->graph_version;
  q->cacert = a->cacert;
  q->no_cache = a->no_cache;
  q->resend = a->resend;
  q->template_name = a->template_name;
  q->template_language = a->language;
  q->template_namespace = a->template_namespace;
  q->template_params = a->params;
  q->n_template_params = a->n_params;
  if (a->timeout > 0) {
    q->timeout = a->timeout;
    if (q->connect_timeout > a->timeout)
      q->connect_timeout = a->timeout;
  }
  return 0;
}

/* The outcome of --wait, on stdout (reached) or stderr. */
static void say_wait(const cli_args *a, int st, const send_waited *w) {
  if (st == EXIT_OK && !a->quiet)
    printf("  %s: reported by the status webhook\n", w->status);
  else if (st == EXIT_VERDICT)
    cli_error(a->files[0], "the provider reports the message failed: %s%s%s",
              w->errors[0] ? w->errors : "no reason given",
              w->diagnosis[0] ? "; " : "", w->diagnosis);
  else if (st == EXIT_UNKNOWN)
    cli_error(a->files[0],
              "no '%s' status within the wait (last: %s): is `serve` "
              "receiving the provider's webhooks on this journal?",
              a->wait_state, w->status[0] ? w->status : "none");
}

static int send_one(const cli_args *a, wapf_context *ctx,
                    wapf_send_request *q) {
  wapf_send_result r;
  send_waited w;
  wapf_options opt = a->opt;
  int rc = wapf_send(ctx, a->files[0], &opt, q, &r), wst = EXIT_OK;
  if (rc == WAPF_OK && !a->json)
    print_text(a, &r);
  if (rc == WAPF_OK && a->wait_state) {
    fflush(stdout);
    wst = send_wait(a, ctx, r.message_id, &w);
  }
  int sig = cli_interrupted();
  if (a->json)
    print_json(a, ctx, rc, &r, wst, &w);
  wapf_send_result_clear(&r);
  if (rc != WAPF_OK)
    cli_fail(ctx, a->files[0], rc);
  else if (a->wait_state)
    say_wait(a, wst, &w);
  if (sig && (rc == WAPF_ECANCELLED || rc == WAPF_OK))
    return 128 + sig;
  return rc == WAPF_OK ? wst : exit_for(rc);
}

int cmd_send(const cli_args *a) {
  wapf_send_request q;
  char **to = NULL;
  int n = 0;
  if (fill_request(a, &q) != 0 || cli_recipients(a, &to, &n) != 0) {
    free((void *)a->to_list);
    free((void *)a->params);
    return EXIT_USAGE;
  }
  int status = EXIT_USAGE;
  wapf_context *ctx = cli_open(a);
  if (ctx) {
    q.to = to[0];
    if (a->wait_state && (n != 1 || a->n_files != 1 || a->to_file)) {
      cli_error(NULL, "send: --wait takes one file and one recipient");
    } else if (n == 1 && a->n_files == 1 && !a->to_file) {
      cli_args one = *a;
      one.to = to[0];
      status = send_one(&one, ctx, &q);
    } else {
      status = send_many(a, ctx, &q, (const char *const *)to, n);
    }
    cli_close(&ctx);
  }
  for (int i = 0; i < n; i++)
    free(to[i]);
  free(to);
  free((void *)a->to_list);
  free((void *)a->params);
  return status;
}
