/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counters for GET /metrics, in the Prometheus text format: requests by
 * endpoint and status, failures by endpoint and reason, durations as
 * histograms, bytes in and out, queue depth and running jobs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static const double k_buckets[SRV_BUCKETS] = {0.01, 0.05, 0.1, 0.25, 0.5,
                                              1,    2.5,  5,   10,   30};

const char *srv_endpoint_name(srv_endpoint e) {
  static const char *const n[] = {"/v1/check", "/v1/convert", "/process-audio",
                                  "/healthz",  "/metrics",    "/webhooks",
                                  "other"};
  return (unsigned)e < EP_COUNT ? n[e] : "other";
}

static void count_status(srv_ep_stats *s, int status) {
  for (int i = 0; i < SRV_STATUSES; i++) {
    if (s->status_n[i] && s->status[i] != status)
      continue;
    s->status[i] = status;
    s->status_n[i]++;
    return;
  }
}

static void count_reason(srv_ep_stats *s, const char *reason) {
  for (int i = 0; i < SRV_REASONS; i++) {
    if (s->reason_n[i] && strcmp(s->reason[i], reason) != 0)
      continue;
    snprintf(s->reason[i], sizeof s->reason[i], "%s", reason);
    s->reason_n[i]++;
    return;
  }
}

void metrics_request(srv_state *st, srv_endpoint e, int status,
                     const char *reason, double seconds) {
  if ((unsigned)e >= EP_COUNT)
    e = EP_OTHER;
  g_mutex_lock(&st->lock);
  srv_ep_stats *s = &st->ep[e];
  count_status(s, status);
  if (reason && *reason)
    count_reason(s, reason);
  for (int i = 0; i < SRV_BUCKETS; i++)
    if (seconds <= k_buckets[i])
      s->bucket[i]++;
  s->count++;
  s->sum += seconds;
  g_mutex_unlock(&st->lock);
}

void metrics_bytes(srv_state *s, uint64_t in, uint64_t out) {
  g_mutex_lock(&s->lock);
  s->bytes_in += in;
  s->bytes_out += out;
  g_mutex_unlock(&s->lock);
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

static void put_requests(sbuf *b, const srv_ep_stats *ep) {
  put(b, "# HELP wapf_requests_total Requests answered, by endpoint and "
         "status.\n# TYPE wapf_requests_total counter\n");
  for (int e = 0; e < EP_COUNT; e++)
    for (int i = 0; i < SRV_STATUSES && ep[e].status_n[i]; i++)
      put(b, "wapf_requests_total{endpoint=\"%s\",status=\"%d\"} %ld\n",
          srv_endpoint_name(e), ep[e].status[i], ep[e].status_n[i]);
  put(b, "# HELP wapf_failures_total Requests that failed, by endpoint and "
         "reason.\n# TYPE wapf_failures_total counter\n");
  for (int e = 0; e < EP_COUNT; e++)
    for (int i = 0; i < SRV_REASONS && ep[e].reason_n[i]; i++)
      put(b, "wapf_failures_total{endpoint=\"%s\",reason=\"%s\"} %ld\n",
          srv_endpoint_name(e), ep[e].reason[i], ep[e].reason_n[i]);
}

static void put_durations(sbuf *b, const srv_ep_stats *ep) {
  put(b, "# HELP wapf_request_duration_seconds Time from the first byte "
         "to the answer.\n# TYPE wapf_request_duration_seconds histogram\n");
  for (int e = 0; e < EP_COUNT; e++) {
    const srv_ep_stats *s = &ep[e];
    const char *n = srv_endpoint_name(e);
    if (!s->count)
      continue;
    for (int i = 0; i < SRV_BUCKETS; i++)
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

/* Lock held. */
static void put_gauges(sbuf *b, const srv_state *s) {
  put(b,
      "# HELP wapf_bytes_in_total Request body bytes received.\n"
      "# TYPE wapf_bytes_in_total counter\nwapf_bytes_in_total %llu\n"
      "# HELP wapf_bytes_out_total Response body bytes sent.\n"
      "# TYPE wapf_bytes_out_total counter\nwapf_bytes_out_total %llu\n",
      (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out);
  put(b,
      "# HELP wapf_connections_dropped_total Connections closed because "
      "a request head or body was not complete in time.\n"
      "# TYPE wapf_connections_dropped_total counter\n"
      "wapf_connections_dropped_total %ld\n",
      s->conns_dropped);
  put(b,
      "# HELP wapf_queue_depth Requests waiting for a worker.\n"
      "# TYPE wapf_queue_depth gauge\nwapf_queue_depth %d\n"
      "# HELP wapf_jobs_running Conversions and checks running.\n"
      "# TYPE wapf_jobs_running gauge\nwapf_jobs_running %d\n"
      "# HELP wapf_spool_folders Request folders on disk.\n"
      "# TYPE wapf_spool_folders gauge\nwapf_spool_folders %d\n",
      s->waiting, s->running, s->folders);
}

char *metrics_text(srv_state *s) {
  sbuf b = {0};
  g_mutex_lock(&s->lock);
  put_requests(&b, s->ep);
  put_durations(&b, s->ep);
  put_gauges(&b, s);
  g_mutex_unlock(&s->lock);
  return b.p;
}
