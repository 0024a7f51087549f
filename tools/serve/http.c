/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmicrohttpd glue: one thread per connection (a request's work runs in
 * its connection's thread, the gate bounds how many at once), connections
 * bounded per address and in time (conns.c), the body cap checked on
 * Content-Length and while reading, the key, routing, the answers, and the
 * shutdown on SIGTERM (stop accepting, finish, exit 0). */
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../json_out.h"
#include "request.h"
#include "webhook.h"

static int route(const char *url, const char *method, srv_endpoint *ep) {
  static const struct {
    const char *path, *method;
    srv_endpoint ep;
  } k[] = {
      {"/v1/check", "POST", EP_CHECK},
      {"/v1/convert", "POST", EP_CONVERT},
      {"/process-audio", "POST", EP_PROCESS_AUDIO},
      {"/healthz", "GET", EP_HEALTHZ},
      {"/metrics", "GET", EP_METRICS},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    if (strcmp(url, k[i].path) != 0)
      continue;
    *ep = k[i].ep;
    if (!strcmp(method, k[i].method) ||
        (!strcmp(method, "HEAD") && !strcmp(k[i].method, "GET")))
      return 0;
    return 405;
  }
  *ep = EP_OTHER;
  return 404;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, srv_req *r,
                                     int status, struct MHD_Response *resp,
                                     const char *reason, uint64_t size) {
  if (!resp)
    return MHD_NO;
  r->status = status;
  r->reason = reason;
  r->bytes_out = size;
  enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static struct MHD_Response *json_response(json_t *j, uint64_t *size) {
  char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
  if (!text)
    return NULL;
  size_t n = strlen(text);
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(text);
    return NULL;
  }
  MHD_add_response_header(resp, "Content-Type", "application/json");
  *size = n;
  return resp;
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, srv_req *r,
                                   srv_answer *a) {
  struct MHD_Response *resp = NULL;
  uint64_t size = 0;
  if (a->file) {
    int fd = open(a->file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 &&
        (resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd))) {
      char cd[128];
      size = (uint64_t)st.st_size;
      snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", a->filename);
      MHD_add_response_header(resp, "Content-Type", a->mime);
      MHD_add_response_header(resp, "Content-Disposition", cd);
      if (a->report)
        MHD_add_response_header(resp, "X-Preflight-Report", a->report);
    } else if (fd >= 0) {
      close(fd);
    }
    if (!resp)
      answer_error(a, 500, "internal", "cannot read the converted file");
  }
  if (!resp)
    resp = json_response(a->json, &size);
  if (resp && a->retry_after) {
    char v[16];
    snprintf(v, sizeof v, "%d", a->retry_after);
    MHD_add_response_header(resp, "Retry-After", v);
  }
  return send_response(conn, r, a->status, resp, a->reason, size);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, srv_req *r,
                                  int status, const char *reason,
                                  const char *msg) {
  srv_answer a;
  memset(&a, 0, sizeof a);
  answer_error(&a, status, reason, "%s", msg);
  enum MHD_Result ok = send_answer(conn, r, &a);
  answer_free(&a);
  return ok;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, srv_req *r,
                                 char *text, const char *ctype) {
  if (!text)
    return MHD_NO;
  size_t n = strlen(text);
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", ctype);
  return send_response(conn, r, 200, resp, "", n);
}

/* Query parameters as convert options, through the CLI's own option
 * table (tools/opts.c), so both take the same values. */
static const opt_id k_check_query[] = {OPT_AS, OPT_STEREO, OPT_PNG, OPT_NONE};
static const opt_id k_convert_query[] = {
    OPT_AS,         OPT_STEREO,    OPT_AUDIO_TRACK,
    OPT_START,      OPT_DURATION,  OPT_PNG,
    OPT_BACKGROUND, OPT_FIT,       OPT_KEEP_METADATA,
    OPT_PACK_ID,    OPT_PACK_NAME, OPT_PUBLISHER,
    OPT_EMOJI,      OPT_NONE};

typedef struct query_ctx {
  srv_req *r;
  cli_args a;
  char err[300];
} query_ctx;

static int is_flag(const char *key) {
  return !strcmp(key, "stereo") || !strcmp(key, "png") ||
         !strcmp(key, "keep-metadata");
}

static enum MHD_Result on_query(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *value) {
  query_ctx *q = cls;
  (void)kind;
  if (q->err[0])
    return MHD_NO;
  if (!strcmp(key, "name")) {
    snprintf(q->r->filename, sizeof q->r->filename, "%s", value ? value : "");
    return MHD_YES;
  }
  const opt_id *allowed = q->r->ep == EP_CHECK     ? k_check_query
                          : q->r->ep == EP_CONVERT ? k_convert_query
                                                   : NULL;
  if (!allowed) {
    snprintf(q->err, sizeof q->err,
             "query parameter '%s': %s takes its fields in the form", key,
             srv_endpoint_name(q->r->ep));
    return MHD_NO;
  }
  if (is_flag(key)) {
    int f = parse_flag(value);
    if (f < 0) {
      snprintf(q->err, sizeof q->err, "%s: want 1/true or 0/false", key);
      return MHD_NO;
    }
    if (f == 0)
      return MHD_YES;
  } else if (!value || !*value) {
    snprintf(q->err, sizeof q->err, "%s: wants a value", key);
    return MHD_NO;
  }
  if (cli_set_option(&q->a, allowed, key, value, q->err, sizeof q->err))
    return MHD_NO;
  return MHD_YES;
}

/* The first call for a request: route, key, size, query, set-up. */
static enum MHD_Result begin(struct MHD_Connection *conn, srv_req *r,
                             const char *url, const char *method) {
  int rs = route(url, method, &r->ep);
  if (rs == 404)
    return send_error(conn, r, 404, "not_found", "no such endpoint");
  if (rs == 405)
    return send_error(conn, r, 405, "method_not_allowed",
                      r->ep == EP_HEALTHZ || r->ep == EP_METRICS ? "use GET"
                                                                 : "use POST");
  if (r->ep != EP_HEALTHZ &&
      !srv_key_ok(r->s->c,
                  MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "apikey")))
    return send_error(conn, r, 401, "unauthorized",
                      "missing or wrong apikey header");
  if (r->ep == EP_HEALTHZ) {
    return send_text(conn, r, strdup("{\"status\":\"ok\"}"),
                     "application/json");
  }
  if (r->ep == EP_METRICS)
    return send_text(conn, r, metrics_text(r->s),
                     "text/plain; version=0.0.4; charset=utf-8");
  const char *cl =
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
  int64_t len = parse_content_length(cl);
  if (cl && len < 0)
    return send_error(conn, r, 400, "bad_request", "malformed Content-Length");
  if (len > 0 && (uint64_t)len > r->s->c->max_body) {
    char msg[128];
    snprintf(msg, sizeof msg, "the body is over --max-body (%llu bytes)",
             (unsigned long long)r->s->c->max_body);
    return send_error(conn, r, 413, "too_large", msg);
  }
  query_ctx q;
  memset(&q, 0, sizeof q);
  q.r = r;
  q.a.cmd = "serve";
  wapf_default_options(&q.a.opt);
  MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_query, &q);
  if (q.err[0])
    return send_error(conn, r, 400, "bad_query", q.err);
  r->opt = q.a.opt;
  const char *ct =
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
  r->form = content_type_form(ct);
  if (r->ep != EP_PROCESS_AUDIO && r->form == 2)
    r->form = 0; /* curl --data-binary: a raw body */
  if (r->ep == EP_PROCESS_AUDIO && !r->form)
    return send_error(conn, r, 415, "bad_request",
                      "/process-audio wants multipart/form-data with a "
                      "field file, base64 or url");
  r->want_json =
      accept_json(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept"));
  if (upload_begin(r, conn))
    return send_error(conn, r, r->err_status, r->err_reason, r->err);
  return MHD_YES;
}

/* Why there is no input to work on, or NULL when there is one (a url is
 * fetched later). The message never names the server's files. */
static const char *no_input(const srv_req *r, const char **reason) {
  struct stat st;
  if (r->url_len)
    return NULL;
  *reason = "missing_body";
  if (r->body == 0 || stat(r->in, &st) != 0)
    return r->form ? "missing field: give file, base64 or url"
                   : "missing body: send the file as the body or as the "
                     "multipart field 'file'";
  *reason = "empty";
  return st.st_size == 0 ? "the upload is empty" : NULL;
}

/* The body is complete: run the work (a url is fetched once a worker is
 * free, in work_run) and answer. */
static enum MHD_Result finish(struct MHD_Connection *conn, srv_req *r) {
  const srv_config *c = r->s->c;
  if (upload_end(r))
    return send_error(conn, r, r->err_status, r->err_reason, r->err);
  const char *reason = NULL, *why = no_input(r, &reason);
  if (why)
    return send_error(conn, r, 400, reason, why);
  int fmt = parse_audio_format(r->format);
  if (fmt < 0)
    return send_error(conn, r, 400, "bad_format",
                      "field 'format': want ogg, opus, mp3 or mp4");
  srv_work w;
  srv_answer a;
  memset(&w, 0, sizeof w);
  memset(&a, 0, sizeof a);
  w.ep = r->ep;
  w.in = r->in;
  w.dir = r->dir;
  w.url = r->url_len ? r->url : NULL;
  w.name = r->filename[0] ? r->filename : "upload";
  w.opt = r->opt;
  w.want_json = r->want_json;
  w.deadline = r->start + c->timeout;
  w.format = (audio_format)fmt;
  conns_deadline(r->s, r->conn, 0); /* the gate's deadline applies now */
  work_run(r->s, &w, &a);
  /* the answer must be read within --timeout too (a client that reads a
   * byte now and then would hold its slot and the request folder) */
  conns_deadline(r->s, r->conn, cli_now() + c->timeout);
  enum MHD_Result ok = send_answer(conn, r, &a);
  answer_free(&a);
  return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **con_cls) {
  srv_req *r = *con_cls;
  (void)version;
  if (webhook_path(url)) /* authenticated by the provider's proof */
    return webhook_access(cls, conn, url, method, data, size, con_cls);
  if (!r) {
    if (!(r = calloc(1, sizeof *r)))
      return MHD_NO;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    r->s = cls;
    r->conn = ci ? ci->socket_context : NULL;
    r->fd = -1;
    r->start = cli_now();
    *con_cls = r;
    conns_inflight(r->s, 1);
    conns_deadline(r->s, r->conn, r->start + r->s->c->timeout);
    return begin(conn, r, url, method);
  }
  if (r->status) /* answered early: discard the rest */
    return *size = 0, MHD_YES;
  if (*size) { /* no answer can be queued while the body arrives */
    uint64_t n = *size;
    *size = 0;
    r->body += n;
    if (r->body > r->s->c->max_body) { /* no Content-Length: cut it off */
      r->status = 413;
      r->reason = "too_large";
      return MHD_NO;
    }
    if (cli_now() > r->start + r->s->c->timeout) {
      r->status = 408;
      r->reason = "timeout";
      return MHD_NO;
    }
    upload_data(r, data, (size_t)n); /* a failure is answered at the end */
    return MHD_YES;
  }
  return finish(conn, r);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode code) {
  srv_req *r = *con_cls;
  srv_state *s = cls;
  (void)conn;
  if (!r)
    return;
  if (webhook_is(r)) {
    webhook_done(s, r, code == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    *con_cls = NULL;
    return;
  }
  int status = r->status ? r->status : 499; /* client went away */
  const char *reason = r->status ? r->reason : "client_closed";
  if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->status)
    reason = r->reason && *r->reason ? r->reason : "send_failed";
  metrics_request(s, r->ep, status, status >= 400 ? reason : "",
                  cli_now() - r->start);
  metrics_bytes(s, r->body,
                code == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->bytes_out : 0);
  if (s->c->verbose)
    srv_log("%s %d %.3f s", srv_endpoint_name(r->ep), status,
            cli_now() - r->start);
  /* the next request's head, on a kept-alive connection */
  conns_deadline(s, r->conn, cli_now() + s->c->header_timeout);
  upload_free(r);
  free(r);
  *con_cls = NULL;
  conns_inflight(s, -1);
}

/* Every connection is listed with a deadline from accept to close. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  srv_state *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    conns_close(s, *socket_context);
    *socket_context = NULL;
    return;
  }
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!ci)
    return;
  *socket_context = conns_open(s, ci->connect_fd);
  if (!*socket_context) /* out of memory: no connection without a bound */
    shutdown(ci->connect_fd, SHUT_RDWR);
}

/* The address to bind; 0 or -1 (line printed). */
static int bind_addr(const srv_config *c, struct sockaddr_storage *ss,
                     int *v6) {
  struct addrinfo hints, *res = NULL;
  char port[16];
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  snprintf(port, sizeof port, "%d", c->port);
  if (getaddrinfo(c->host, port, &hints, &res) != 0 || !res) {
    srv_log("--listen: cannot resolve %s", c->host);
    return -1;
  }
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *v6 = res->ai_family == AF_INET6;
  freeaddrinfo(res);
  return 0;
}

/* poll(), not select(): the connection limit may pass FD_SETSIZE. */
static struct MHD_Daemon *start(srv_state *s) {
  const srv_config *c = s->c;
  struct sockaddr_storage ss;
  int v6 = 0;
  if (bind_addr(c, &ss, &v6))
    return NULL;
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                   MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                   MHD_USE_POLL | (v6 ? MHD_USE_IPv6 : 0);
  unsigned idle = (unsigned)(c->client_timeout + 0.999);
  unsigned limit = (unsigned)srv_max_connections(c);
  return MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, idle,
      MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned)c->max_per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)256 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
}

/* The signals that stop the server. */
static void stop_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGHUP);
}

/* Wait for a stop signal (blocked in every thread, taken here). */
static int wait_signal(void) {
  sigset_t set;
  int sig = 0;
  stop_signals(&set);
  sigwait(&set, &sig);
  return sig;
}

void http_block_signals(void) {
  sigset_t set;
  stop_signals(&set);
  sigaddset(&set, SIGPIPE); /* a closed peer is an error return, not a kill */
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int http_run(srv_state *s) {
  const srv_config *c = s->c;
  struct MHD_Daemon *d = start(s);
  if (!d) {
    srv_log("cannot listen on %s:%d", c->host, c->port);
    return EXIT_USAGE;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  srv_log("listening on http://%s%s%s:%u (workers %d, queue %d, %d "
          "connections per address, %s)",
          strchr(c->host, ':') ? "[" : "", c->host,
          strchr(c->host, ':') ? "]" : "", info ? info->port : 0, c->workers,
          c->queue, c->max_per_ip,
          c->key ? "apikey required" : "no key: loopback only");
  int sig = wait_signal();
  MHD_socket ls = MHD_quiesce_daemon(d); /* stop accepting */
  if (ls != MHD_INVALID_SOCKET)
    close(ls);
  if (!c->quiet)
    srv_log("signal %d: finishing %d request(s)", sig, conns_inflight_now(s));
  double until = cli_now() + c->timeout + c->client_timeout + 5;
  while (conns_inflight_now(s) > 0 && cli_now() < until)
    usleep(20 * 1000);
  MHD_stop_daemon(d);
  if (!c->quiet)
    srv_log("stopped");
  return EXIT_OK;
}
