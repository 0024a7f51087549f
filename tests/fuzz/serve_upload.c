/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The upload path of `wa-preflight serve` as libmicrohttpd delivers it:
 * the fuzz bytes are the body of a POST under a multipart (or urlencoded)
 * Content-Type, sent over a socket pair to a real libmicrohttpd daemon
 * whose request handler is the service's upload code (tools/serve/
 * upload.c: MHD's post processor calling the real on_field). The service
 * must answer every body with a clear reason or take it, never crash,
 * never name its own folders in a reason, and leave no request folder. */
#include "serve_upload.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "request.h"

static srv_config g_conf;
static srv_state g_srv;
static struct MHD_Daemon *g_daemon;
static size_t g_step;   /* the pieces the upload code is fed in */
static int g_completed; /* the request's end was notified */

/* What the upload code made of a body: a reason, or a consistent input. */
static void check_outcome(const srv_req *r) {
  struct stat st;
  if (r->failed) {
    if (r->err_status < 400 || r->err_status > 599 || !r->err[0] ||
        !r->err_reason || strstr(r->err, g_srv.root))
      abort();
    return;
  }
  if (r->n_sources > 1 || r->url_len >= sizeof r->url ||
      strlen(r->url) != r->url_len)
    abort();
  if (r->got_file && (stat(r->in, &st) != 0 || st.st_size < 0 ||
                      (uint64_t)st.st_size != r->file_bytes))
    abort();
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **con_cls) {
  srv_req *r = *con_cls;
  (void)cls, (void)url, (void)method, (void)version;
  if (!r) {
    if (!(r = calloc(1, sizeof *r)))
      abort();
    r->s = &g_srv;
    r->fd = -1;
    r->ep = EP_PROCESS_AUDIO;
    *con_cls = r;
    r->form = content_type_form(
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"));
    upload_begin(r, conn); /* a failure is kept in r */
    return MHD_YES;
  }
  if (*size) {
    for (size_t i = 0; i < *size; i += g_step)
      upload_data(r, data + i, *size - i < g_step ? *size - i : g_step);
    r->body += *size;
    *size = 0;
    return MHD_YES;
  }
  upload_end(r);
  check_outcome(r);
  static char ok[] = "{}";
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      sizeof ok - 1, ok, MHD_RESPMEM_PERSISTENT);
  enum MHD_Result rc =
      MHD_queue_response(conn, r->failed ? (unsigned)r->err_status : 200, resp);
  MHD_destroy_response(resp);
  return rc;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode code) {
  srv_req *r = *con_cls;
  (void)cls, (void)conn, (void)code;
  if (r) {
    upload_free(r);
    free(r);
  }
  *con_cls = NULL;
  g_completed = 1;
}

static void stop(void) {
  if (g_daemon)
    MHD_stop_daemon(g_daemon);
  g_daemon = NULL;
  spool_shutdown(&g_srv);
}

static void start(void) {
  g_conf.workers = 1;
  g_conf.quiet = 1;
  g_conf.max_body = 1 << 20;
  if (srv_init(&g_srv, &g_conf) != 0)
    abort();
  g_daemon = MHD_start_daemon(
      MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request, NULL,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)256 * 1024,
      MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
  if (!g_daemon)
    abort();
  atexit(stop);
}

/* Nothing but the owner marker in the server's folder. */
static void check_clean(void) {
  DIR *d = opendir(g_srv.root);
  struct dirent *e;
  if (!d)
    abort();
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      abort();
  closedir(d);
  if (spool_count(&g_srv) != 0)
    abort();
}

/* Send req over a socket pair to the daemon and run it until it closes
 * the connection (Connection: close); a hang is a bug. */
static void exchange(const char *req, size_t n) {
  int sv[2];
  struct sockaddr_in peer;
  memset(&peer, 0, sizeof peer);
  peer.sin_family = AF_INET;
  peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
      fcntl(sv[0], F_SETFL, O_NONBLOCK) != 0)
    abort();
  if (MHD_add_connection(g_daemon, sv[1], (struct sockaddr *)&peer,
                         sizeof peer) != MHD_YES)
    abort();
  g_completed = 0;
  size_t sent = 0;
  int closed = 0;
  for (int i = 0; i < 200000 && !closed; i++) {
    ssize_t k = sent < n ? send(sv[0], req + sent, n - sent, MSG_NOSIGNAL) : 0;
    if (k > 0)
      sent += (size_t)k;
    MHD_run(g_daemon);
    char buf[4096];
    k = recv(sv[0], buf, sizeof buf, 0);
    closed = k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
  close(sv[0]);
  for (int i = 0; i < 100 && !g_completed; i++)
    MHD_run(g_daemon);
  if (!closed || !g_completed)
    abort();
}

void fuzz_serve_upload(const uint8_t *data, size_t size) {
  static const char *const k_types[] = {
      "multipart/form-data; boundary=wapfB",
      "multipart/form-data; boundary=\"wapf B\"",
      "application/x-www-form-urlencoded",
  };
  if (size == 0 || size > 256 * 1024)
    return;
  if (!g_daemon)
    start();
  g_step = (size_t)data[0] % 17 + 1;
  const char *ctype = k_types[(data[0] / 17) % 3];
  size_t body = size - 1;
  char head[300];
  int hn = snprintf(head, sizeof head,
                    "POST /process-audio HTTP/1.1\r\nHost: f\r\n"
                    "Content-Type: %s\r\nContent-Length: %zu\r\n"
                    "Connection: close\r\n\r\n",
                    ctype, body);
  char *req = malloc((size_t)hn + body);
  if (!req)
    abort();
  memcpy(req, head, (size_t)hn);
  memcpy(req + hn, data + 1, body);
  exchange(req, (size_t)hn + body);
  free(req);
  check_clean();
}
