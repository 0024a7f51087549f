/* Counters for GET /metrics, in the Prometheus text format: requests by
 * endpoint and status, failures by endpoint and reason, durations as
 * histograms, bytes in and out, queue depth and running jobs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

#define N_BUCKETS 10
static const double k_buckets[N_BUCKETS] = {0.01, 0.05, 0.1, 0.25, 0.5,
                                            1,    2.5,  5,   10,   30};

#define N_STATUS 16
#define N_REASONS 24

typedef struct ep_stats {
  int status[N_STATUS];
  long status_n[N_STATUS];
  char reason[N_REASONS][32];
  long reason_n[N_REASONS];
  long bucket[N_BUCKETS];
  long count;
  double sum;
} ep_stats;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static ep_stats g_ep[EP_COUNT];
static uint64_t g_in, g_out;

const char *srv_endpoint_name(srv_endpoint e) {
  static const char *const n[] = {"/v1/check", "/v1/convert", "/process-audio",
                                  "/healthz",  "/metrics",    "/webhooks",
                                  "other"};
  return (unsigned)e < EP_COUNT ? n[e] : "other";
}

static void count_status(ep_stats *s, int status) {
  for (int i = 0; i < N_STATUS; i++) {
    if (s->status_n[i] && s->status[i] != status)
      continue;
    s->status[i] = status;
    s->status_n[i]++;
    return;
  }
}

static void count_reason(ep_stats *s, const char *reason) {
  for (int i = 0; i < N_REASONS; i++) {
    if (s->reason_n[i] && strcmp(s->reason[i], reason) != 0)
      continue;
    snprintf(s->reason[i], sizeof s->reason[i], "%s", reason);
    s->reason_n[i]++;
    return;
  }
}

void metrics_request(srv_endpoint e, int status, const char *reason,
                     double seconds) {
  if ((unsigned)e >= EP_COUNT)
    e = EP_OTHER;
  pthread_mutex_lock(&g_lock);
  ep_stats *s = &g_ep[e];
  count_status(s, status);
  if (reason && *reason)
    count_reason(s, reason);
  for (int i = 0; i < N_BUCKETS; i++)
    if (seconds <= k_buckets[i])
      s->bucket[i]++;
  s->count++;
  s->sum += seconds;
  pthread_mutex_unlock(&g_lock);
}

void metrics_bytes(uint64_t in, uint64_t out) {
  pthread_mutex_lock(&g_lock);
  g_in += in;
  g_out += out;
  pthread_mutex_unlock(&g_lock);
}

typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int k =
        vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0)
      return;
    if (b->p && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    size_t cap = (b->cap + (size_t)k + 1) * 2;
    char *np = realloc(b->p, cap);
    if (!np)
      return;
    b->p = np;
    b->cap = cap;
  }
}

static void put_requests(sbuf *b) {
  put(b, "# HELP wapf_requests_total Requests answered, by endpoint and "
         "status.\n# TYPE wapf_requests_total counter\n");
  for (int e = 0; e < EP_COUNT; e++)
    for (int i = 0; i < N_STATUS && g_ep[e].status_n[i]; i++)
      put(b, "wapf_requests_total{endpoint=\"%s\",status=\"%d\"} %ld\n",
          srv_endpoint_name(e), g_ep[e].status[i], g_ep[e].status_n[i]);
  put(b, "# HELP wapf_failures_total Requests that failed, by endpoint and "
         "reason.\n# TYPE wapf_failures_total counter\n");
  for (int e = 0; e < EP_COUNT; e++)
    for (int i = 0; i < N_REASONS && g_ep[e].reason_n[i]; i++)
      put(b, "wapf_failures_total{endpoint=\"%s\",reason=\"%s\"} %ld\n",
          srv_endpoint_name(e), g_ep[e].reason[i], g_ep[e].reason_n[i]);
}

static void put_durations(sbuf *b) {
  put(b, "# HELP wapf_request_duration_seconds Time from the first byte "
         "to the answer.\n# TYPE wapf_request_duration_seconds histogram\n");
  for (int e = 0; e < EP_COUNT; e++) {
    const ep_stats *s = &g_ep[e];
    const char *n = srv_endpoint_name(e);
    if (!s->count)
      continue;
    for (int i = 0; i < N_BUCKETS; i++)
      put(b,
          "wapf_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} "
          "%ld\n",
          n, k_buckets[i], s->bucket[i]);
    put(b,
        "wapf_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} "
        "%ld\n",
        n, s->count);
    put(b, "wapf_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", n,
        s->sum);
    put(b, "wapf_request_duration_seconds_count{endpoint=\"%s\"} %ld\n", n,
        s->count);
  }
}

char *metrics_text(void) {
  sbuf b = {0};
  int waiting = gate_waiting(), running = gate_running();
  pthread_mutex_lock(&g_lock);
  put_requests(&b);
  put_durations(&b);
  put(&b,
      "# HELP wapf_bytes_in_total Request body bytes received.\n"
      "# TYPE wapf_bytes_in_total counter\nwapf_bytes_in_total %llu\n"
      "# HELP wapf_bytes_out_total Response body bytes sent.\n"
      "# TYPE wapf_bytes_out_total counter\nwapf_bytes_out_total %llu\n",
      (unsigned long long)g_in, (unsigned long long)g_out);
  pthread_mutex_unlock(&g_lock);
  put(&b,
      "# HELP wapf_queue_depth Requests waiting for a worker.\n"
      "# TYPE wapf_queue_depth gauge\nwapf_queue_depth %d\n"
      "# HELP wapf_jobs_running Conversions and checks running.\n"
      "# TYPE wapf_jobs_running gauge\nwapf_jobs_running %d\n"
      "# HELP wapf_spool_folders Request folders on disk.\n"
      "# TYPE wapf_spool_folders gauge\nwapf_spool_folders %d\n",
      waiting, running, spool_count());
  return b.p;
}
