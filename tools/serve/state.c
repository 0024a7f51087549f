/* The service's one state struct: its lock and condition variables (on
 * the monotonic clock, like every deadline), the spool, the worker slots
 * and the timer thread that enforces the deadlines of jobs (gate.c) and
 * of connections (conns.c) ten times a second. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

double srv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *timer_main(void *arg) {
  srv_state *s = arg;
  pthread_mutex_lock(&s->lock);
  while (!s->stop) {
    double now = srv_now();
    gate_tick(s, now);
    conns_tick(s, now);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 100 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&s->tick, &s->lock, &ts);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static int init_sync(srv_state *s) {
  pthread_condattr_t ca;
  if (pthread_condattr_init(&ca) != 0)
    return -1;
  int ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
           pthread_mutex_init(&s->lock, NULL) == 0 &&
           pthread_cond_init(&s->worker_free, &ca) == 0 &&
           pthread_cond_init(&s->tick, &ca) == 0;
  pthread_condattr_destroy(&ca);
  return ok ? 0 : -1;
}

int srv_init(srv_state *s, const srv_config *c) {
  memset(s, 0, sizeof *s);
  s->c = c;
  s->owner_fd = -1;
  if (init_sync(s) != 0) {
    srv_log("cannot set up the locks");
    return -1;
  }
  if (!(s->slots = calloc((size_t)c->workers, sizeof *s->slots))) {
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
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_broadcast(&s->tick);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->timer, NULL);
    s->timer_started = 0;
  }
  spool_shutdown(s);
  free(s->slots);
  s->slots = NULL;
}
