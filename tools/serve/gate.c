/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Admission: at most `workers` jobs run at once, `queue` more wait, the
 * rest are refused (503). The timer thread (state.c) cancels a job past
 * its deadline through the library (wapf_cancel on the job's context);
 * the job's progress callback and the checks between library calls stop
 * it too. */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

void gate_tick(srv_state *s, double now) {
  for (int i = 0; i < s->c->workers; i++) {
    srv_job *j = s->slots[i];
    if (j && now > j->deadline) {
      atomic_store(&j->timed_out, 1);
      if (j->ctx) /* again each tick: a call that started meanwhile */
        wapf_cancel(j->ctx);
    }
  }
}

/* Wait for a free slot for at most one second, on the tools' one
 * monotonic clock (cli_now, GLib's), the clock of every deadline. */
static void wait_free(srv_state *s) {
  g_cond_wait_until(&s->worker_free, &s->lock,
                    g_get_monotonic_time() + G_TIME_SPAN_SECOND);
}

int gate_enter(srv_state *s, srv_job *job) {
  const int workers = s->c->workers;
  job->s = s;
  job->slot = -1;
  g_mutex_lock(&s->lock);
  if (s->running >= workers && s->waiting >= s->c->queue) {
    g_mutex_unlock(&s->lock);
    return -1;
  }
  s->waiting++;
  while (s->running >= workers && cli_now() < job->deadline)
    wait_free(s);
  s->waiting--;
  if (s->running >= workers) { /* waited past the deadline */
    atomic_store(&job->timed_out, 1);
    g_mutex_unlock(&s->lock);
    return -2;
  }
  s->running++;
  for (int i = 0; i < workers; i++)
    if (!s->slots[i]) {
      s->slots[i] = job;
      job->slot = i;
      break;
    }
  g_mutex_unlock(&s->lock);
  return 0;
}

void gate_leave(srv_job *job) {
  srv_state *s = job->s;
  g_mutex_lock(&s->lock);
  if (job->slot >= 0 && job->slot < s->c->workers && s->slots[job->slot] == job)
    s->slots[job->slot] = NULL;
  job->slot = -1;
  s->running--;
  g_cond_signal(&s->worker_free);
  g_mutex_unlock(&s->lock);
}

int gate_late(const srv_job *job) {
  return atomic_load(&job->timed_out) || cli_now() > job->deadline;
}

int gate_progress(void *cookie, double fraction) {
  (void)fraction;
  return gate_late(cookie);
}

void gate_attach(srv_job *job, wapf_context *ctx) {
  g_mutex_lock(&job->s->lock);
  job->ctx = ctx;
  g_mutex_unlock(&job->s->lock);
}
