/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight serve: the preflight as an HTTP service (README "serve").
 * The parts: config (key, listen address), spool (private temporary
 * folders), gate (workers, queue, deadlines), fetch (url inputs), metrics,
 * http (libmicrohttpd glue and routing), endpoints (what each path does),
 * parse (pure parsers of untrusted bytes, see parse.h), conns (connection
 * deadlines), state (the one struct every part gets). */
#ifndef WAPF_SERVE_H
#define WAPF_SERVE_H

#include <glib.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
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
  double header_timeout; /* seconds a request head may take to arrive */
  int max_per_ip;        /* connections at once from one address */
  int allow_private_urls;
  char *key;               /* NULL when none: loopback only */
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
/* Connections at once: every worker and queue place, and 64 more for
 * /healthz, /metrics and clients still sending. */
int srv_max_connections(const srv_config *c);
/* 1 when the apikey header value matches the key (constant time). */
int srv_key_ok(const srv_config *c, const char *given);

/* --- log --- */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* One job between gate_enter and gate_leave. timed_out is set by the
 * timer thread and read by the job's own thread: atomic. */
typedef struct srv_job {
  struct srv_state *s;
  wapf_context *ctx; /* under s->lock */
  double deadline;   /* monotonic seconds */
  atomic_int timed_out;
  int slot;
} srv_job;

/* One connection from accept to close (libmicrohttpd's socket context):
 * the timer thread shuts its socket down once deadline has passed; 0 = no
 * deadline. The head of a request must arrive by --header-timeout after
 * the connection or the previous answer, its body by --timeout after the
 * head; while the work runs, the gate's deadline applies instead; the
 * answer must be read within --timeout after the work. */
typedef struct srv_conn {
  int fd;
  double deadline; /* under s->lock */
  struct srv_conn *prev, *next;
} srv_conn;

#define SRV_BUCKETS 10
#define SRV_STATUSES 16
#define SRV_REASONS 24
/* Counters of one endpoint, for GET /metrics. */
typedef struct srv_ep_stats {
  int status[SRV_STATUSES];
  long status_n[SRV_STATUSES];
  char reason[SRV_REASONS][32];
  long reason_n[SRV_REASONS];
  long bucket[SRV_BUCKETS];
  long count;
  double sum;
} srv_ep_stats;

/* The whole state of a running service, made by srv_init and passed to
 * every part; one lock guards every field that more than one thread
 * touches (marked "lock"). */
typedef struct srv_state {
  const srv_config *c;
  GMutex lock;
  GCond worker_free; /* a worker slot was left (lock) */
  GCond tick;        /* wakes the timer thread (lock) */
  pthread_t timer;
  int timer_started, stop; /* stop: lock */
  /* gate.c (lock) */
  srv_job **slots;
  int running, waiting;
  /* conns.c (lock) */
  srv_conn *conns;
  long conns_dropped; /* shut down past their deadline */
  int inflight;       /* requests between their head and their end */
  /* spool.c: root and its owner marker are set once at start */
  char root[1024];
  int owner_fd;
  int folders; /* lock */
  /* metrics.c (lock) */
  srv_ep_stats ep[EP_COUNT];
  uint64_t bytes_in, bytes_out;
  /* ctxpool.c (lock): idle library contexts, at most --workers */
  wapf_context **idle;
  int n_idle;
  /* webhook_forward.c: set at start; stop is read by its thread */
  struct {
    pthread_t thread;
    atomic_int stop;
    int running;
    const char *url;
    char *secret;
  } fwd;
} srv_state;

/* --- ctxpool.c: a worker's library context, kept between requests. --- */
/* An idle context, or a new one (NULL when it cannot be opened). */
wapf_context *ctxpool_take(srv_state *s);
/* Back to the idle list (or closed when --workers are already idle). */
void ctxpool_give(srv_state *s, wapf_context *ctx);
void ctxpool_free(srv_state *s);

/* --- state.c: set up (spool, timer thread) and tear down. --- */
/* 0, or -1 with a line printed; srv_free is needed either way. */
int srv_init(srv_state *s, const srv_config *c);
void srv_free(srv_state *s);

/* --- spool.c: one private folder (0700) for the server, one inside it
 * for each request, removed when the request ends. The server's folder
 * holds an owner marker locked while the server runs: a folder whose
 * marker nobody holds is left by a killed server, and the next server
 * removes it at start. --- */
int spool_init(srv_state *s);      /* -1 (line printed) on failure */
void spool_shutdown(srv_state *s); /* removes the server's folder */
/* Remove the folders of servers that are gone from $TMPDIR (only folders
 * of our naming, of this user, whose marker is not held). How many. */
int spool_sweep(srv_state *s);
/* A new request folder; its path (spool_drop frees it), NULL on failure. */
char *spool_new(srv_state *s);
/* Remove a request folder and everything in it; frees path. */
void spool_drop(srv_state *s, char *path);
/* How many request folders exist now (tests look at the disk too). */
int spool_count(srv_state *s);

/* --- gate.c: at most `workers` jobs run, `queue` wait, others refused;
 * the timer thread cancels jobs past their deadline. --- */
/* Wait for a worker. 0 = running (call gate_leave), -1 = queue full,
 * -2 = no worker became free before the job's deadline. */
int gate_enter(srv_state *s, srv_job *job);
void gate_leave(srv_job *job);
/* Set (or clear, NULL) the context the timer cancels. */
void gate_attach(srv_job *job, wapf_context *ctx);
/* One tick of the timer thread, lock held: cancel jobs past deadline. */
void gate_tick(srv_state *s, double now);
/* A progress callback that stops a job past its deadline (cookie: job). */
int gate_progress(void *cookie, double fraction);
/* 1 when the job is past its deadline. */
int gate_late(const srv_job *job);

/* --- conns.c: connection deadlines and requests in flight. --- */
srv_conn *conns_open(srv_state *s, int fd);
void conns_close(srv_state *s, srv_conn *c);
/* Set c's deadline (0 = none); c may be NULL. */
void conns_deadline(srv_state *s, srv_conn *c, double deadline);
/* One tick of the timer thread, lock held: shut down late connections. */
void conns_tick(srv_state *s, double now);
void conns_inflight(srv_state *s, int delta);
int conns_inflight_now(srv_state *s);

/* --- metrics.c --- */
const char *srv_endpoint_name(srv_endpoint e);
/* One finished request: status, reason ("" when it succeeded), seconds. */
void metrics_request(srv_state *s, srv_endpoint e, int status,
                     const char *reason, double seconds);
void metrics_bytes(srv_state *s, uint64_t in, uint64_t out);
/* The Prometheus text; malloc'd. */
char *metrics_text(srv_state *s);

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
/* Block SIGTERM, SIGINT, SIGHUP and SIGPIPE in the calling thread, before
 * any other starts: every thread inherits the mask, so the signals wait for
 * http_run's sigwait instead of killing the process in a helper thread. */
void http_block_signals(void);
int http_run(srv_state *s); /* until SIGTERM/SIGINT; exit status */

#endif
