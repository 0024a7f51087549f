/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The webhook intake of serve: GET /webhooks/meta (Meta's verification
 * handshake against WA_WEBHOOK_VERIFY_TOKEN, constant time), POST
 * /webhooks/{meta,360dialog,onprem,qikchat,lipachat}[/SECRET]: the raw
 * body (at most 1 MiB) to wapf_webhook_ingest(), which checks the proof
 * before parsing and commits before this answers 200. */
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "webhook.h"

typedef struct wh_req {
  srv_endpoint ep; /* EP_WEBHOOK, as the first member of srv_req */
  double start;
  srv_conn *conn; /* its deadlines (conns.c) */
  wapf_provider provider;
  int known; /* provider parsed */
  char secret[256];
  char *body;
  size_t len, cap;
  int over, status;
  const char *reason;
} wh_req;

int webhook_path(const char *url) {
  return strncmp(url, "/webhooks/", 10) == 0;
}

int webhook_is(void *con_cls) {
  return con_cls && *(srv_endpoint *)con_cls == EP_WEBHOOK;
}

/* "/webhooks/P" or "/webhooks/P/SECRET". */
static int parse_url(wh_req *w, const char *url) {
  char name[32];
  const char *p = url + 10, *slash = strchr(p, '/');
  size_t n = slash ? (size_t)(slash - p) : strlen(p);
  if (n == 0 || n >= sizeof name)
    return -1;
  memcpy(name, p, n);
  name[n] = '\0';
  if (wapf_provider_from_name(name, &w->provider) != WAPF_OK)
    return -1;
  if (slash) {
    if (!slash[1] || strchr(slash + 1, '/') ||
        strlen(slash + 1) >= sizeof w->secret)
      return -1;
    strcpy(w->secret, slash + 1);
  }
  w->known = 1;
  return 0;
}

static enum MHD_Result answer(struct MHD_Connection *conn, wh_req *w,
                              int status, const char *reason, const char *text,
                              const char *ctype) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", ctype);
  w->status = status;
  w->reason = reason;
  enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result json_error(struct MHD_Connection *conn, wh_req *w,
                                  int status, const char *reason,
                                  const char *msg) {
  json_t *j = json_pack("{s:s,s:s}", "error", reason, "message", msg);
  char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
  json_decref(j);
  enum MHD_Result ok =
      answer(conn, w, status, reason, text ? text : "{}", "application/json");
  free(text);
  return ok;
}

static char *config_value(const char *key) {
  wapf_context *ctx = NULL;
  char *v = NULL;
  if (wapf_open(&ctx, NULL) == WAPF_OK)
    wapf_config_get(ctx, NULL, key, &v);
  wapf_close(&ctx);
  return v;
}

/* GET /webhooks/meta?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C */
static enum MHD_Result handshake(struct MHD_Connection *conn, wh_req *w) {
  const char *mode =
      MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.mode");
  const char *token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
                                                  "hub.verify_token");
  const char *challenge =
      MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.challenge");
  char *want = config_value("WA_WEBHOOK_VERIFY_TOKEN");
  int ok = want && *want && mode && strcmp(mode, "subscribe") == 0 && token &&
           ct_equal(token, want) && challenge && *challenge &&
           strlen(challenge) <= 512;
  if (want) {
    memset(want, 0, strlen(want));
    free(want);
  }
  if (!ok)
    return answer(conn, w, 403, "forbidden", "forbidden\n", "text/plain");
  return answer(conn, w, 200, "", challenge, "text/plain");
}

static const char *lookup(void *cookie, const char *name) {
  return MHD_lookup_connection_value(cookie, MHD_HEADER_KIND, name);
}

static int status_for(int rc, const char **reason) {
  switch (rc) {
  case WAPF_OK: return *reason = "", 200;
  case WAPF_EREFUSED: return *reason = "unauthorized", 401;
  case WAPF_ECORRUPT: return *reason = "bad_request", 400;
  case WAPF_ELIMIT: return *reason = "too_large", 413;
  case WAPF_ECONFIG: return *reason = "not_configured", 503;
  default: return *reason = "journal", 500;
  }
}

/* The body is complete: verify, parse, commit, answer. */
static enum MHD_Result ingest(const srv_config *c, struct MHD_Connection *conn,
                              wh_req *w) {
  wapf_context *ctx = NULL;
  if (wapf_open(&ctx, NULL) != WAPF_OK)
    return json_error(conn, w, 500, "internal", "out of memory");
  wapf_webhook_request q;
  wapf_default_webhook_request(&q);
  q.provider = w->provider;
  q.body = w->body ? w->body : "";
  q.body_len = w->len;
  q.header = lookup;
  q.header_cookie = conn;
  q.path_secret = w->secret[0] ? w->secret : NULL;
  q.forward = c->forward_url != NULL;
  wapf_webhook_result res;
  int rc = wapf_webhook_ingest(ctx, &q, &res);
  const char *reason;
  int status = status_for(rc, &reason);
  enum MHD_Result ok;
  if (rc == WAPF_OK) {
    char text[160];
    snprintf(text, sizeof text,
             "{\"status\":\"ok\",\"events\":%d,\"recorded\":%d,"
             "\"matched\":%d}",
             res.events, res.recorded, res.matched);
    ok = answer(conn, w, 200, "", text, "application/json");
  } else {
    ok = json_error(conn, w, status, reason, wapf_last_error(ctx));
    if (c->verbose || status >= 500)
      srv_log("webhook %s: %d %s", wapf_provider_name(w->provider), status,
              wapf_last_error(ctx));
  }
  wapf_close(&ctx);
  return ok;
}

static int take(wh_req *w, const char *data, size_t n) {
  if (w->over || w->len + n > WAPF_WEBHOOK_MAX_BODY) {
    w->over = 1;
    return 0;
  }
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 16384;
    while (cap < w->len + n)
      cap *= 2;
    char *b = realloc(w->body, cap);
    if (!b)
      return -1;
    w->body = b;
    w->cap = cap;
  }
  memcpy(w->body + w->len, data, n);
  w->len += n;
  return 0;
}

static enum MHD_Result first_call(struct MHD_Connection *conn, wh_req *w,
                                  const char *url, const char *method) {
  if (parse_url(w, url) != 0)
    return json_error(conn, w, 404, "not_found", "no such webhook");
  int get = !strcmp(method, "GET");
  if (get && w->provider == WAPF_PROVIDER_META && !w->secret[0])
    return handshake(conn, w);
  if (strcmp(method, "POST") != 0)
    return json_error(conn, w, 405, "method_not_allowed", "use POST");
  int64_t len = parse_content_length(
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length"));
  if (len > WAPF_WEBHOOK_MAX_BODY)
    return json_error(conn, w, 413, "too_large", "the body is over 1 MiB");
  return MHD_YES;
}

enum MHD_Result webhook_access(srv_state *s, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *data, size_t *size, void **con_cls) {
  wh_req *w = *con_cls;
  if (!w) {
    if (!(w = calloc(1, sizeof *w)))
      return MHD_NO;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    w->ep = EP_WEBHOOK;
    w->start = cli_now();
    w->conn = ci ? ci->socket_context : NULL;
    *con_cls = w;
    conns_inflight(s, 1);
    /* the body within --timeout, as for every other request */
    conns_deadline(s, w->conn, w->start + s->c->timeout);
    return first_call(conn, w, url, method);
  }
  if (w->status) /* answered early: discard the rest */
    return *size = 0, MHD_YES;
  if (*size) {
    int e = take(w, data, *size);
    *size = 0;
    return e ? MHD_NO : MHD_YES;
  }
  if (w->over)
    return json_error(conn, w, 413, "too_large", "the body is over 1 MiB");
  return ingest(s->c, conn, w);
}

void webhook_done(srv_state *s, void *con_cls, int completed) {
  wh_req *w = con_cls;
  int status = w->status ? w->status : 499;
  metrics_request(s, EP_WEBHOOK, status,
                  w->status ? (status >= 400 ? w->reason : "")
                            : "client_closed",
                  cli_now() - w->start);
  metrics_bytes(s, w->len, 0);
  (void)completed;
  /* the next request's head, on a kept-alive connection */
  conns_deadline(s, w->conn, cli_now() + s->c->header_timeout);
  conns_inflight(s, -1);
  free(w->body);
  free(w);
}
