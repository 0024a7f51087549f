/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One media, many recipients: convert and upload once (wapf_upload), then
 * wapf_send_message for each recipient, paced at --rate messages a second.
 * A 131056 ("too many messages to this user") delays only that recipient;
 * a 130429 or HTTP 429 pauses everyone. The journal decides what was sent
 * already: a rerun after a kill sends each remaining recipient once. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"
#include "send_many.h"

#define DEFAULT_RATE 20.0
#define CLOUD_MAX_RATE 80.0
#define PAIR_TRIES 4   /* 131056: tries per recipient */
#define GLOBAL_TRIES 6 /* 130429 / 429: pauses in a row */

typedef struct item {
  const char *to;
  double not_before; /* 131056 back-off */
  int tries;
} item;

typedef struct run {
  const cli_args *a;
  wapf_context *ctx;
  wapf_send_request *q;
  wapf_send_result *media;
  int refreshed; /* a stale cached media id was uploaded again */
  cli_progress bar;
  int sent, skipped, left, failed, unknown, unreachable;
  double interval, next_slot, pause_until;
  int global_tries;
} run;

/* Sleep until t in short steps; 0 when interrupted. */
static int sleep_until(double t) {
  while (cli_now() < t) {
    if (cli_interrupted())
      return 0;
    double left = t - cli_now();
    double step = left < 0.02 ? left : 0.02;
    struct timespec ts = {0, (long)(step * 1e9)};
    if (step > 0)
      nanosleep(&ts, NULL);
  }
  return !cli_interrupted();
}

static double backoff(int n) {
  double d = 1;
  for (int i = 1; i < n && d < 30; i++)
    d *= 2;
  return d > 30 ? 30 : d;
}

static void report(run *r, const char *to, int rc,
                   const wapf_send_result *res) {
  const cli_args *a = r->a;
  progress_done(&r->bar);
  if (a->json) {
    json_t *o = json_object();
    send_set_str(o, "to", to);
    send_set_str(o, "status", send_outcome(rc, res));
    send_set_str(o, "message_id", res->message_id);
    send_set_str(o, "media_id", res->media_id);
    json_object_set_new(o, "attempts", json_integer(res->attempts));
    if (rc != WAPF_OK) {
      json_t *e = json_object();
      send_set_str(e, "code", wapf_err_name(rc));
      send_set_str(e, "message", wapf_last_error(r->ctx));
      json_object_set_new(e, "provider_code", json_integer(res->provider_code));
      json_object_set_new(o, "error", e);
    }
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
  } else if (rc == WAPF_OK && !a->quiet) {
    printf("%s: sent: message id %s\n", cli_text(to),
           cli_text(res->message_id));
  } else if (res->duplicate && !a->quiet) {
    printf("%s: skipped: %s\n", cli_text(to),
           cli_text(wapf_last_error(r->ctx)));
  } else if (rc != WAPF_OK && !res->duplicate) {
    cli_fail(r->ctx, to, rc);
  }
  fflush(stdout);
}

/* The provider no longer knows a cached media id (400/404 other than the
 * rate, window and token codes): upload once more, without the cache. */
static int stale_media(run *r, int rc, const wapf_send_result *res) {
  int c = res->provider_code;
  if (r->refreshed || !r->media || !r->media->cache_hit ||
      rc != WAPF_EPROVIDER ||
      (res->http_status != 400 && res->http_status != 404) || c == 131047 ||
      c == 190 || c == 130429 || c == 131048 || c == 80007 || c == 131056)
    return 0;
  r->refreshed = 1;
  wapf_send_request q = *r->q;
  q.no_cache = 1;
  wapf_options opt = r->a->opt;
  wapf_send_result fresh;
  if (wapf_upload(r->ctx, r->a->files[0], &opt, &q, &fresh) != WAPF_OK) {
    wapf_send_result_clear(&fresh);
    return 0;
  }
  wapf_send_result_clear(r->media);
  *r->media = fresh;
  return 1;
}

/* Send to one recipient; 1 when it must be tried again later (*again_at
 * set), 0 when it is done (whatever the outcome), -1 when interrupted. */
static int one(run *r, item *it, double *again_at) {
  if (!sleep_until(r->pause_until > r->next_slot ? r->pause_until
                                                 : r->next_slot))
    return -1;
  r->next_slot =
      (cli_now() > r->next_slot ? cli_now() : r->next_slot) + r->interval;
  wapf_send_result res;
  r->q->to = it->to;
  int rc = wapf_send_message(r->ctx, r->q, r->media, &res);
  it->tries++;
  if (rc == WAPF_ECANCELLED) {
    wapf_send_result_clear(&res);
    return -1;
  }
  if (stale_media(r, rc, &res)) {
    *again_at = 0; /* refused, so not delivered: send it the new id */
    it->tries--;
    wapf_send_result_clear(&res);
    return 1;
  }
  if (rc == WAPF_EPROVIDER && res.provider_code == 131056 &&
      it->tries < PAIR_TRIES) {
    *again_at = cli_now() + backoff(it->tries);
    wapf_send_result_clear(&res);
    return 1; /* refused: not delivered, safe to try again */
  }
  int global = (rc == WAPF_EPROVIDER || rc == WAPF_ENETWORK) &&
               (res.provider_code == 130429 || res.http_status == 429);
  if (global && r->global_tries < GLOBAL_TRIES) {
    r->pause_until = cli_now() + backoff(++r->global_tries);
    *again_at = 0;
    it->tries--;
    wapf_send_result_clear(&res);
    return 1;
  }
  if (rc == WAPF_OK)
    r->global_tries = 0;
  if (rc == WAPF_OK)
    r->sent++;
  else if (res.duplicate == 2)
    r->left++; /* claimed by another run that is sending it now */
  else if (res.duplicate)
    r->skipped++;
  else if (rc == WAPF_EUNKNOWN)
    r->unknown++;
  else if (rc == WAPF_ENETWORK)
    r->unreachable++;
  else
    r->failed++;
  report(r, it->to, rc, &res);
  wapf_send_result_clear(&res);
  return 0;
}

/* The earliest deferred item that is ready, or NULL. */
static item *ready(item *d, int nd, double t) {
  for (int i = 0; i < nd; i++)
    if (d[i].not_before <= t)
      return &d[i];
  return NULL;
}

static int loop(run *r, const char *const *to, int n) {
  item *deferred = calloc((size_t)n, sizeof *deferred);
  int nd = 0, next = 0, done = 0, stop = 0;
  if (!deferred)
    return -1;
  while (!stop && (next < n || nd > 0)) {
    item *it = ready(deferred, nd, cli_now());
    item cur;
    if (it) {
      cur = *it;
      *it = deferred[--nd];
    } else if (next < n) {
      cur = (item){to[next++], 0, 0};
    } else {
      double t = deferred[0].not_before;
      for (int i = 1; i < nd; i++)
        t = deferred[i].not_before < t ? deferred[i].not_before : t;
      stop = !sleep_until(t);
      continue;
    }
    double again = 0;
    int k = one(r, &cur, &again);
    if (k < 0)
      stop = 1;
    else if (k > 0) {
      cur.not_before = again;
      deferred[nd++] = cur;
    } else {
      done++;
      progress_fn(&r->bar, (double)done / n);
    }
  }
  free(deferred);
  return stop ? -1 : 0;
}

static double pick_rate(const cli_args *a) {
  double rate = a->rate > 0 ? a->rate : DEFAULT_RATE;
  /* The Cloud API's default throughput is 80 messages/s; a gateway or a
   * test server given with --api-base may take more. */
  if (rate > CLOUD_MAX_RATE && !a->api_base) {
    cli_error(NULL,
              "send: --rate %.0f is over the Cloud API's %.0f "
              "messages/s; using %.0f",
              rate, CLOUD_MAX_RATE, CLOUD_MAX_RATE);
    rate = CLOUD_MAX_RATE;
  }
  return rate;
}

int send_many(const cli_args *a, wapf_context *ctx, wapf_send_request *q,
              const char *const *to, int n) {
  run r;
  memset(&r, 0, sizeof r);
  r.a = a;
  r.ctx = ctx;
  r.q = q;
  r.interval = 1.0 / pick_rate(a);
  progress_init(&r.bar, a->quiet || a->json);
  wapf_send_result media = {0};
  if (a->n_files && !q->filename) { /* the name a document is shown with */
    const char *sl = strrchr(a->files[0], '/');
    q->filename = sl ? sl + 1 : a->files[0];
  }
  if (a->n_files) {
    wapf_options opt = a->opt;
    progress_start(&r.bar, a->files[0], &opt);
    int rc = wapf_upload(ctx, a->files[0], &opt, q, &media);
    progress_done(&r.bar);
    if (rc != WAPF_OK) {
      wapf_send_result_clear(&media);
      cli_fail(ctx, a->files[0], rc);
      int sig = cli_interrupted();
      return sig && rc == WAPF_ECANCELLED ? 128 + sig : send_exit_for(rc);
    }
    r.media = &media;
  }
  snprintf(r.bar.label, sizeof r.bar.label, "sending to %d", n);
  r.next_slot = cli_now();
  int stopped = loop(&r, to, n);
  wapf_send_result_clear(&media);
  progress_done(&r.bar);
  if (!a->json && !a->quiet)
    printf("sent %d of %d (%d already sent, %d left to other runs, %d "
           "failed, %d unreachable, %d unknown)\n",
           r.sent, n, r.skipped, r.left, r.failed, r.unreachable, r.unknown);
  int sig = cli_interrupted();
  if (stopped && sig)
    return 128 + sig;
  if (stopped)
    return EXIT_VERDICT;
  return r.unknown       ? EXIT_UNKNOWN
         : r.unreachable ? EXIT_RETRY
         : r.failed      ? EXIT_VERDICT
                         : EXIT_OK;
}
