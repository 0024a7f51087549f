/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Retries: exponential backoff with jitter on 429, 5xx and network
 * failures, honouring Retry-After, bounded in count and in time. Other
 * answers (2xx, 3xx, 4xx) are returned at once and never retried.
 * A request that must not be repeated (a message: no idempotency key) is
 * retried only when it provably did not reach the provider. */
#include "send.h"

#include <time.h>

#define WAPF_BACKOFF_BASE 0.5 /* seconds before the first retry */
#define WAPF_BACKOFF_CAP 30.0 /* longest computed wait */

int wapf__status_retryable(long status) {
  return status == 429 || (status >= 500 && status <= 599);
}

double wapf__backoff(int n, long retry_after, double rnd) {
  double d = WAPF_BACKOFF_BASE;
  for (int i = 1; i < n && d < WAPF_BACKOFF_CAP; i++)
    d *= 2;
  if (d > WAPF_BACKOFF_CAP)
    d = WAPF_BACKOFF_CAP;
  /* "equal jitter": half fixed, half random, so runs spread out. */
  d = d / 2 + d / 2 * rnd;
  if (retry_after >= 0 && (double)retry_after > d)
    d = (double)retry_after;
  return d;
}

/* Sleep in short steps so that wapf_cancel() is honoured. */
static int wait_for(wapf__send *s, double seconds) {
  double end = wapf__now() + seconds;
  while (wapf__now() < end) {
    if (wapf__cancelled(s->ctx))
      return wapf__fail(s->ctx, WAPF_ECANCELLED, "cancelled");
    double left = end - wapf__now();
    double step = left < 0.05 ? left : 0.05;
    struct timespec ts = {0, (long)(step * 1e9)};
    if (step > 0)
      nanosleep(&ts, NULL);
  }
  return WAPF_OK;
}

int wapf__refused_unprocessed(const wapf__http_resp *rp) {
  return rp->status == 429 || (rp->status == 503 && rp->retry_after >= 0);
}

static int should_retry(int rc, const wapf__http_resp *rp, int once) {
  if (once)
    return (rc == WAPF_ENETWORK && rp->not_sent) ||
           (rc == WAPF_OK && wapf__refused_unprocessed(rp));
  if (rc == WAPF_ENETWORK)
    return 1;
  return rc == WAPF_OK && wapf__status_retryable(rp->status);
}

int wapf__http(wapf__send *s, const wapf__http_req *rq, wapf__http_resp *rp) {
  const wapf_send_request *q = s->req;
  double t0 = wapf__now();
  for (int attempt = 1;; attempt++) {
    int rc = wapf__http_once(s, rq, rp);
    if (rc == WAPF_OK) {
      char shown[1024];
      wapf__url_for_log(rq->url, shown, sizeof shown);
      s->res->http_status = (int)rp->status;
      wapf__slog(s, WAPF_LOG_INFO, "%s: %s %s -> HTTP %ld in %.2f s", rq->what,
                 rq->method, shown, rp->status, rp->seconds);
    }
    if (!should_retry(rc, rp, rq->once) || attempt >= q->max_attempts)
      return rc;
    double d = wapf__backoff(attempt, rc == WAPF_OK ? rp->retry_after : -1,
                             g_random_double());
    if (wapf__now() + d - t0 > q->retry_budget) {
      wapf__slog(s, WAPF_LOG_INFO,
                 "%s: not retrying: a wait of %.1f s would pass the %.0f s "
                 "budget",
                 rq->what, d, q->retry_budget);
      return rc;
    }
    char why[WAPF_DETAIL_MAX];
    if (rc == WAPF_OK)
      snprintf(why, sizeof why, "%s: HTTP %ld (%s)", rq->what, rp->status,
               rp->status == 429 ? "rate limited" : "server error");
    else
      wapf__strlcpy(why, wapf_last_error(s->ctx), sizeof why);
    wapf__slog(s, WAPF_LOG_WARNING, "%s; retry %d of %d in %.1f s", why,
               attempt, q->max_attempts - 1, d);
    int w = wait_for(s, d);
    if (w != WAPF_OK)
      return w;
  }
}
