/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library contexts of serve's workers, kept between requests: a
 * context owns its caches (libmagic's database among them, whose load
 * costs milliseconds), so a worker takes an idle one instead of opening a
 * new one per request. At most --workers are kept; a context is used by
 * one request at a time, and its cancel flag is cleared by the library at
 * the next call. */
#include "serve.h"

static wapf_context *open_ctx(const srv_config *c) {
  wapf_settings s;
  wapf_default_settings(&s);
  if (c->max_pixels)
    s.max_pixels = c->max_pixels;
  if (c->max_long_side)
    s.max_long_side = c->max_long_side;
  s.threads = 1; /* --workers sets the parallelism */
  wapf_context *ctx = NULL;
  return wapf_open(&ctx, &s) == WAPF_OK ? ctx : NULL;
}

wapf_context *ctxpool_take(srv_state *s) {
  wapf_context *ctx = NULL;
  g_mutex_lock(&s->lock);
  if (s->n_idle > 0)
    ctx = s->idle[--s->n_idle];
  g_mutex_unlock(&s->lock);
  return ctx ? ctx : open_ctx(s->c);
}

void ctxpool_give(srv_state *s, wapf_context *ctx) {
  if (!ctx)
    return;
  g_mutex_lock(&s->lock);
  if (s->idle && s->n_idle < s->c->workers) {
    s->idle[s->n_idle++] = ctx;
    ctx = NULL;
  }
  g_mutex_unlock(&s->lock);
  wapf_close(&ctx); /* NULL when kept */
}

void ctxpool_free(srv_state *s) {
  for (int i = 0; i < s->n_idle; i++)
    wapf_close(&s->idle[i]);
  s->n_idle = 0;
  free(s->idle);
  s->idle = NULL;
}
