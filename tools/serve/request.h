/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One HTTP request while its body arrives (libmicrohttpd glue). */
#ifndef WAPF_SERVE_REQUEST_H
#define WAPF_SERVE_REQUEST_H

#include <microhttpd.h>

#include "parse.h"
#include "work.h"

typedef struct srv_req {
  srv_state *s;
  srv_conn *conn; /* the connection's deadline, NULL when untracked */
  srv_endpoint ep;
  double start;
  char *dir;     /* spool folder, NULL until a body is expected */
  char *in;      /* dir/in (g_free) */
  int fd;        /* the input being written, -1 when none */
  uint64_t body; /* bytes received */
  int form;      /* 0 raw body, 1 multipart, 2 urlencoded */
  struct MHD_PostProcessor *pp;
  int got_file, got_b64, n_sources;
  uint64_t file_bytes; /* written from the field file */
  b64_dec b64;
  char url[4096];
  size_t url_len;
  char format[16];
  char filename[256];
  wapf_options opt;
  int want_json;
  int status;         /* answered with, 0 until then */
  const char *reason; /* metrics label */
  uint64_t bytes_out;
  int failed; /* a body error: err_* below */
  int err_status;
  const char *err_reason;
  char err[300];
} srv_req;

/* Upload handling (upload.c). Each returns 0, or -1 with req->failed. */
int upload_begin(srv_req *r, struct MHD_Connection *conn);
int upload_data(srv_req *r, const char *data, size_t n);
int upload_end(srv_req *r);
void upload_fail(srv_req *r, int status, const char *reason, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
void upload_free(srv_req *r);

#endif
