/* wa-preflight serve: the preflight as an HTTP service (README "serve").
 * The parts: config (key, listen address), spool (private temporary
 * folders), gate (workers, queue, deadlines), fetch (url inputs), metrics,
 * http (libmicrohttpd glue and routing), endpoints (what each path does),
 * parse (pure parsers of untrusted bytes, see parse.h). */
#ifndef WAPF_SERVE_H
#define WAPF_SERVE_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "../cli.h"

/* The service's settings, from the command line and the environment. */
typedef struct srv_config {
  char host[256];
  int port;
  int workers, queue;
  uint64_t max_body;
  double timeout;        /* seconds a request may take (also its upload) */
  double client_timeout; /* seconds of silence before a client is dropped */
  int allow_private_urls;
  char *key; /* NULL when none: loopback only */
  const char *forward_url; /* --forward URL, or NULL */
  int verbose, quiet;
  uint64_t max_pixels;
  int max_long_side;
} srv_config;

/* --- config.c --- */
/* Fill c from a (defaults where not given) and the key from
 * $WA_PREFLIGHT_API_KEY or the config file. Prints a line and returns -1
 * on a usage or configuration error. */
int srv_config_load(srv_config *c, const cli_args *a);
void srv_config_free(srv_config *c);
/* 1 when the apikey header value matches the key (constant time). */
int srv_key_ok(const srv_config *c, const char *given);

/* --- log --- */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- spool.c: one private folder (0700) for the server, one inside it
 * for each request, removed when the request ends. --- */
int spool_init(void);      /* -1 (line printed) on failure */
void spool_shutdown(void); /* removes the server's folder */
/* A new request folder; malloc'd path, NULL on failure. */
char *spool_new(void);
/* Remove a request folder and everything in it; frees path. */
void spool_drop(char *path);
/* How many request folders exist now (tests look at the disk too). */
int spool_count(void);
const char *spool_root(void);

/* --- gate.c: at most `workers` jobs run, `queue` wait, others refused;
 * a watchdog cancels jobs past their deadline. --- */
typedef struct srv_job {
  wapf_context *ctx;
  double deadline;        /* monotonic seconds */
  volatile int timed_out; /* set by the watchdog */
  int slot;
} srv_job;
int gate_init(int workers, int queue);
void gate_shutdown(void);
/* Wait for a worker. 0 = running (call gate_leave), -1 = queue full. */
int gate_enter(srv_job *job);
void gate_leave(srv_job *job);
/* Set (or clear, NULL) the context the watchdog cancels. */
void gate_attach(srv_job *job, wapf_context *ctx);
int gate_waiting(void);
int gate_running(void);
/* A progress callback that stops a job past its deadline (cookie: job). */
int gate_progress(void *cookie, double fraction);
double srv_now(void); /* monotonic seconds */

/* --- metrics.c --- */
typedef enum srv_endpoint {
  EP_CHECK = 0,
  EP_CONVERT,
  EP_PROCESS_AUDIO,
  EP_HEALTHZ,
  EP_METRICS,
  EP_WEBHOOK, /* /webhooks/... (webhook.c) */
  EP_OTHER,
  EP_COUNT
} srv_endpoint;
const char *srv_endpoint_name(srv_endpoint e);
/* One finished request: status, reason ("" when it succeeded), seconds. */
void metrics_request(srv_endpoint e, int status, const char *reason,
                     double seconds);
void metrics_bytes(uint64_t in, uint64_t out);
/* The Prometheus text; malloc'd. */
char *metrics_text(void);

/* --- fetch.c: url inputs with libcurl --- */
typedef struct fetch_limits {
  uint64_t max_bytes;
  double seconds;
  int allow_private;
  int max_redirects;
} fetch_limits;
/* Download url into path. 0, or an HTTP status to answer (400 refused
 * address or scheme, 413 too large, 502 upstream failure, 504 too slow)
 * with a one-line reason in why. */
int fetch_url(const char *url, const char *path, const fetch_limits *lim,
              char *why, size_t why_len);
int fetch_global_init(void);

/* --- http.c --- */
int http_run(const srv_config *c); /* until SIGTERM/SIGINT; exit status */

#endif
