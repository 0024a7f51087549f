/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The worker pool: b->jobs threads, each with its own context, take the
 * next item in order; what they report goes through one queue to the
 * caller's thread, which alone writes the state and calls the events. */
#include "batch.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct pool_msg {
  wapf__bentry *e;
  int started;
} pool_msg;

typedef struct pool {
  wapf__batch *b;
  wapf__bentry **items;
  size_t n, next;
  wapf__job_fn fn;
  GMutex mu;
  GCond cv;
  pool_msg *q; /* append-only: at most two messages per item */
  size_t q_len, q_read;
  int running;
  int stop; /* read by workers without the lock: __atomic */
} pool;

typedef struct worker {
  pool *p;
  wapf_context *ctx;
} worker;

static void push(pool *p, wapf__bentry *e, int started) {
  g_mutex_lock(&p->mu);
  p->q[p->q_len].e = e;
  p->q[p->q_len].started = started;
  p->q_len++;
  g_cond_signal(&p->cv);
  g_mutex_unlock(&p->mu);
}

static wapf__bentry *take(pool *p) {
  wapf__bentry *e = NULL;
  g_mutex_lock(&p->mu);
  if (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE) && p->next < p->n)
    e = p->items[p->next++];
  g_mutex_unlock(&p->mu);
  return e;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  pool *p = w->p;
  wapf__bentry *e;
  wapf__op_begin(w->ctx); /* stop_all's cancel sticks across the calls */
  while ((e = take(p)) != NULL) {
    push(p, e, 1);
    p->fn(p->b, w->ctx, e);
    push(p, e, 0);
  }
  wapf__op_end(w->ctx);
  g_mutex_lock(&p->mu);
  p->running--;
  g_cond_signal(&p->cv);
  g_mutex_unlock(&p->mu);
  return NULL;
}

static void stop_all(pool *p, worker *w, int nw) {
  if (__atomic_exchange_n(&p->stop, 1, __ATOMIC_ACQ_REL))
    return;
  for (int i = 0; i < nw; i++)
    wapf_cancel(w[i].ctx);
  wapf__log(p->b->ctx, WAPF_LOG_INFO, "batch: stopping");
}

/* The caller's side: drain the queue, watch for cancellation. */
static void drain(pool *p, worker *w, int nw, wapf__done_fn done) {
  g_mutex_lock(&p->mu);
  for (;;) {
    while (p->q_read < p->q_len) {
      pool_msg m = p->q[p->q_read++];
      g_mutex_unlock(&p->mu);
      done(p->b, m.e, m.started);
      g_mutex_lock(&p->mu);
    }
    if (p->running == 0)
      break;
    if (wapf__cancelled(p->b->ctx) || p->b->stop) {
      g_mutex_unlock(&p->mu);
      stop_all(p, w, nw);
      g_mutex_lock(&p->mu);
    }
    /* GCond waits on the monotonic clock: a wall-clock jump cannot
     * stretch the 100 ms between two looks at the cancel flag. */
    g_cond_wait_until(&p->cv, &p->mu,
                      g_get_monotonic_time() + 100 * G_TIME_SPAN_MILLISECOND);
  }
  g_mutex_unlock(&p->mu);
}

int wapf__pool_run(wapf__batch *b, wapf__bentry **items, size_t n,
                   wapf__job_fn fn, wapf__done_fn done) {
  if (n == 0)
    return WAPF_OK;
  pool p;
  memset(&p, 0, sizeof p);
  p.b = b;
  p.items = items;
  p.n = n;
  p.fn = fn;
  p.q = calloc(2 * n, sizeof *p.q);
  int nw = b->jobs < (int)n ? b->jobs : (int)n;
  worker *w = calloc((size_t)nw, sizeof *w);
  pthread_t *th = calloc((size_t)nw, sizeof *th);
  if (!p.q || !w || !th) {
    free(p.q);
    free(w);
    free(th);
    return wapf__fail(b->ctx, WAPF_ENOMEM, "out of memory");
  }
  g_mutex_init(&p.mu);
  g_cond_init(&p.cv);
  int started = 0;
  for (int i = 0; i < nw; i++) {
    w[i].p = &p;
    w[i].ctx = b->wctx[i];
    g_mutex_lock(&p.mu);
    p.running++;
    g_mutex_unlock(&p.mu);
    if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0) {
      g_mutex_lock(&p.mu);
      p.running--;
      g_mutex_unlock(&p.mu);
      break;
    }
    started++;
  }
  int rc = WAPF_OK;
  if (started == 0)
    rc = wapf__fail(b->ctx, WAPF_EINTERNAL, "cannot start a worker thread");
  else
    drain(&p, w, started, done);
  for (int i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  if (rc == WAPF_OK && p.stop)
    rc = wapf__fail(b->ctx, WAPF_ECANCELLED, "cancelled");
  g_cond_clear(&p.cv);
  g_mutex_clear(&p.mu);
  free(p.q);
  free(w);
  free(th);
  return rc;
}
