/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service's one state struct: its lock and condition variables
 * (GLib's, whose timed waits use the monotonic clock of cli_now, the
 * clock of every deadline), the spool, the worker slots
 * and the timer thread that enforces the deadlines of jobs (gate.c) and
 * of connections (conns.c) ten times a second. */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static void *timer_main(void *arg) {
  srv_state *s = arg;
  g_mutex_lock(&s->lock);
  while (!s->stop) {
    double now = cli_now();
    gate_tick(s, now);
    conns_tick(s, now);
    g_cond_wait_until(&s->tick, &s->lock,
                      g_get_monotonic_time() + G_TIME_SPAN_SECOND / 10);
  }
  g_mutex_unlock(&s->lock);
  return NULL;
}

int srv_init(srv_state *s, const srv_config *c) {
  memset(s, 0, sizeof *s);
  s->c = c;
  s->owner_fd = -1;
  g_mutex_init(&s->lock);
  g_cond_init(&s->worker_free);
  g_cond_init(&s->tick);
  if (!(s->slots = calloc((size_t)c->workers, sizeof *s->slots)) ||
      !(s->idle = calloc((size_t)c->workers, sizeof *s->idle))) {
    srv_log("out of memory");
    return -1;
  }
  spool_sweep(s);
  if (spool_init(s) != 0)
    return -1;
  if (pthread_create(&s->timer, NULL, timer_main, s) != 0) {
    srv_log("cannot start the timer thread");
    return -1;
  }
  s->timer_started = 1;
  return 0;
}

void srv_free(srv_state *s) {
  if (s->timer_started) {
    g_mutex_lock(&s->lock);
    s->stop = 1;
    g_cond_broadcast(&s->tick);
    g_mutex_unlock(&s->lock);
    pthread_join(s->timer, NULL);
    s->timer_started = 0;
  }
  spool_shutdown(s);
  ctxpool_free(s);
  free(s->slots);
  s->slots = NULL;
  g_cond_clear(&s->tick);
  g_cond_clear(&s->worker_free);
  g_mutex_clear(&s->lock);
}
