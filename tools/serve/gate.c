/* Admission: at most `workers` jobs run at once, `queue` more wait, the
 * rest are refused (503). A watchdog thread cancels a job past its
 * deadline through the library (wapf_cancel on the job's context); the
 * job's progress callback and the checks between library calls stop it
 * too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_free = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_tick = PTHREAD_COND_INITIALIZER;
static srv_job **g_slots;
static int g_workers, g_queue, g_running, g_waiting, g_stop;
static pthread_t g_watchdog;

double srv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *watchdog(void *arg) {
  (void)arg;
  pthread_mutex_lock(&g_lock);
  while (!g_stop) {
    double now = srv_now();
    for (int i = 0; i < g_workers; i++) {
      srv_job *j = g_slots[i];
      if (j && now > j->deadline) {
        j->timed_out = 1;
        if (j->ctx) /* again each tick: a call that started meanwhile */
          wapf_cancel(j->ctx);
      }
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&g_tick, &g_lock, &ts);
  }
  pthread_mutex_unlock(&g_lock);
  return NULL;
}

int gate_init(int workers, int queue) {
  g_workers = workers;
  g_queue = queue;
  g_slots = calloc((size_t)workers, sizeof *g_slots);
  if (!g_slots)
    return -1;
  if (pthread_create(&g_watchdog, NULL, watchdog, NULL) != 0) {
    free(g_slots);
    g_slots = NULL;
    return -1;
  }
  return 0;
}

void gate_shutdown(void) {
  if (!g_slots)
    return;
  pthread_mutex_lock(&g_lock);
  g_stop = 1;
  pthread_cond_broadcast(&g_tick);
  pthread_mutex_unlock(&g_lock);
  pthread_join(g_watchdog, NULL);
  free(g_slots);
  g_slots = NULL;
}

int gate_enter(srv_job *job) {
  pthread_mutex_lock(&g_lock);
  if (g_running >= g_workers && g_waiting >= g_queue) {
    pthread_mutex_unlock(&g_lock);
    return -1;
  }
  g_waiting++;
  while (g_running >= g_workers && srv_now() < job->deadline) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&g_free, &g_lock, &ts);
  }
  g_waiting--;
  if (g_running >= g_workers) { /* waited past the deadline */
    job->timed_out = 1;
    pthread_mutex_unlock(&g_lock);
    return -2;
  }
  g_running++;
  for (int i = 0; i < g_workers; i++)
    if (!g_slots[i]) {
      g_slots[i] = job;
      job->slot = i;
      break;
    }
  pthread_mutex_unlock(&g_lock);
  return 0;
}

void gate_leave(srv_job *job) {
  pthread_mutex_lock(&g_lock);
  if (job->slot >= 0 && job->slot < g_workers && g_slots[job->slot] == job)
    g_slots[job->slot] = NULL;
  job->slot = -1;
  g_running--;
  pthread_cond_signal(&g_free);
  pthread_mutex_unlock(&g_lock);
}

int gate_waiting(void) {
  pthread_mutex_lock(&g_lock);
  int n = g_waiting;
  pthread_mutex_unlock(&g_lock);
  return n;
}

int gate_running(void) {
  pthread_mutex_lock(&g_lock);
  int n = g_running;
  pthread_mutex_unlock(&g_lock);
  return n;
}

int gate_progress(void *cookie, double fraction) {
  const srv_job *j = cookie;
  (void)fraction;
  return j->timed_out || srv_now() > j->deadline;
}

void gate_attach(srv_job *job, wapf_context *ctx) {
  pthread_mutex_lock(&g_lock);
  job->ctx = ctx;
  pthread_mutex_unlock(&g_lock);
}
