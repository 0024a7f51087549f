/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What one request asks the library to do, and what to answer. */
#ifndef WAPF_SERVE_WORK_H
#define WAPF_SERVE_WORK_H

#include "serve.h"

typedef enum audio_format {
  FMT_OGG = 0,
  FMT_MP3 = 1,
  FMT_MP4 = 2
} audio_format;

typedef struct srv_work {
  srv_endpoint ep;
  const char *in;   /* the spooled input (the url's file goes there) */
  const char *url;  /* a url to fetch into in first, or NULL */
  const char *dir;  /* the request's folder (outputs go there) */
  const char *name; /* the client's name for the file, for reports */
  wapf_options opt;
  audio_format format;
  int want_json; /* convert: Accept: application/json */
  double deadline;
} srv_work;

typedef struct srv_answer {
  int status;
  const char *reason; /* metrics label and "error" value; "" when ok */
  char message[600];
  json_t *json; /* body (owned), or NULL when file is set */
  char *file;   /* path of a file to send as the body (owned, g_free) */
  char mime[128];
  char *report;      /* X-Preflight-Report (owned) */
  char filename[64]; /* Content-Disposition name */
  int retry_after;   /* seconds, 0 = no header */
} srv_answer;

/* Set an error answer {"error": reason, "message": ...}. */
void answer_error(srv_answer *a, int status, const char *reason,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Take a worker (or answer 503/504), fetch the url if any, run the work
 * and fill the answer. */
void work_run(srv_state *s, srv_work *w, srv_answer *a);
void answer_free(srv_answer *a);

#endif
