/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* serve --forward URL: one thread relays the outbox (bodies queued by the
 * intake in the same transaction as their events) to the application,
 * oldest first, each POSTed unchanged with X-Preflight-Signature-256:
 * sha256=<HMAC-SHA256 of the body under WA_FORWARD_SECRET>. A body is
 * removed only after a 2xx; otherwise it is tried again after a back-off
 * (1 s doubling to 60 s) and nothing after it is sent before it (order).
 * The outbox is on disk: what was not delivered is sent after a restart. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "webhook.h"

typedef struct item {
  long long id;
  char *body;
  size_t len;
  int attempts;
  char provider[32];
} item;

static void take_item(void *cookie, const wapf_outbox_item *it) {
  item *x = cookie;
  x->id = it->id;
  x->len = it->body_len;
  x->attempts = it->attempts;
  x->body = malloc(it->body_len + 1);
  if (x->body)
    memcpy(x->body, it->body, it->body_len);
  snprintf(x->provider, sizeof x->provider, "%s",
           it->provider ? it->provider : "");
}

static size_t discard(char *p, size_t size, size_t n, void *u) {
  (void)p, (void)u;
  return size * n;
}

/* 1 when the application answered 2xx. */
static int post(const srv_state *s, const item *x) {
  char hex[65], sig[100], prov[64];
  wapf_hmac_sha256_hex(s->fwd.secret, x->body, x->len, hex);
  snprintf(sig, sizeof sig, "X-Preflight-Signature-256: sha256=%s", hex);
  snprintf(prov, sizeof prov, "X-Preflight-Provider: %s", x->provider);
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  h = curl_slist_append(h, "Content-Type: application/json");
  h = curl_slist_append(h, sig);
  h = curl_slist_append(h, prov);
  long code = 0;
  if (c && h) {
    curl_easy_setopt(c, CURLOPT_URL, s->fwd.url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (curl_easy_perform(c) == CURLE_OK)
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return code >= 200 && code < 300;
}

static void nap(srv_state *s, double seconds) {
  for (double t = 0; t < seconds && !atomic_load(&s->fwd.stop); t += 0.05)
    usleep(50 * 1000);
}

static void *run(void *arg) {
  srv_state *s = arg;
  wapf_context *ctx = NULL;
  if (wapf_open(&ctx, NULL) != WAPF_OK)
    return NULL;
  while (!atomic_load(&s->fwd.stop)) {
    item x;
    int found = 0;
    memset(&x, 0, sizeof x);
    if (wapf_outbox_next(ctx, NULL, take_item, &x, &found) != WAPF_OK) {
      srv_log("forward: %s", wapf_last_error(ctx));
      nap(s, 1);
      continue;
    }
    if (!found) {
      nap(s, 0.1);
      continue;
    }
    int ok = x.body && post(s, &x);
    double wait = x.attempts >= 6 ? 60 : (double)(1 << x.attempts);
    if (wapf_outbox_done(ctx, NULL, x.id, ok, wait) != WAPF_OK)
      srv_log("forward: %s", wapf_last_error(ctx));
    free(x.body);
  }
  wapf_close(&ctx);
  return NULL;
}

int forward_start(srv_state *s) {
  const srv_config *c = s->c;
  if (!c->forward_url)
    return 0;
  if (strncmp(c->forward_url, "http://", 7) != 0 &&
      strncmp(c->forward_url, "https://", 8) != 0) {
    srv_log("--forward %s: want an http(s) URL", c->forward_url);
    return -1;
  }
  wapf_context *ctx = NULL;
  if (wapf_open(&ctx, NULL) == WAPF_OK)
    wapf_config_get(ctx, NULL, "WA_FORWARD_SECRET", &s->fwd.secret);
  wapf_close(&ctx);
  if (!s->fwd.secret || !*s->fwd.secret) {
    srv_log("--forward: WA_FORWARD_SECRET is not set (environment or the "
            "config file): the events would go unsigned");
    free(s->fwd.secret);
    s->fwd.secret = NULL;
    return -1;
  }
  s->fwd.url = c->forward_url;
  atomic_store(&s->fwd.stop, 0);
  if (pthread_create(&s->fwd.thread, NULL, run, s) != 0) {
    srv_log("--forward: cannot start its thread");
    return -1;
  }
  s->fwd.running = 1;
  return 0;
}

void forward_stop(srv_state *s) {
  if (s->fwd.running) {
    atomic_store(&s->fwd.stop, 1);
    pthread_join(s->fwd.thread, NULL);
    s->fwd.running = 0;
  }
  if (s->fwd.secret) {
    memset(s->fwd.secret, 0, strlen(s->fwd.secret));
    free(s->fwd.secret);
    s->fwd.secret = NULL;
  }
}
