/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command's logger and cli_text() called from many threads at once,
 * as batch workers call the logger: every line arrives whole and exactly
 * once, every cli_text() result stays intact until eight more calls on its
 * own thread, and nothing is freed twice or leaked (ASan/LSan builds). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "t.h"

enum { THREADS = 8, LINES = 400, HELD = 8 };

/* Message i of thread t: control bytes, and every 7th one longer than the
 * logger's own small buffer. */
static char *message(int t, int i) {
  size_t pad = i % 7 == 0 ? 1500 : 10;
  char *m = malloc(pad + 64);
  int n = snprintf(m, 64, "thread %d line %d\n\t\x1b[31m", t, i);
  memset(m + n, 'a' + t, pad);
  m[n + (int)pad] = '\0';
  return m;
}

/* What the logger prints for message(t, i) at level. */
static char *expected(int t, int i, const char *level) {
  char *m = message(t, i);
  char *e = cli_text_dup(m);
  char *line = NULL;
  if (asprintf(&line, "wa-preflight: %s: %s\n", level, e) < 0)
    line = NULL;
  free(m);
  free(e);
  return line;
}

typedef struct worker {
  int t;
  int bad; /* cli_text() results found changed */
} worker;

static void *work(void *p) {
  worker *w = p;
  const char *held[HELD];
  char *want[HELD];
  for (int i = 0; i < LINES; i++) {
    char *m = message(w->t, i);
    cli_log(NULL, i % 2 ? WAPF_LOG_DEBUG : WAPF_LOG_INFO, m);
    held[i % HELD] = cli_text(m);
    want[i % HELD] = cli_text_dup(m);
    free(m);
    if (i % HELD == HELD - 1)
      for (int k = 0; k < HELD; k++) {
        w->bad += strcmp(held[k], want[k]) != 0;
        free(want[k]);
      }
  }
  return NULL;
}

static char *slurp(FILE *f, long *len) {
  fflush(f);
  *len = ftell(f);
  char *buf = malloc((size_t)*len + 1);
  rewind(f);
  size_t got = fread(buf, 1, (size_t)*len, f);
  buf[got] = '\0';
  *len = (long)got;
  return buf;
}

static void eight_threads_log_whole_lines_exactly_once(void) {
  FILE *f = tmpfile();
  T_CHECK(f != NULL);
  int saved = dup(STDERR_FILENO);
  fflush(stderr);
  T_CHECK(dup2(fileno(f), STDERR_FILENO) == STDERR_FILENO);
  pthread_t th[THREADS];
  worker w[THREADS];
  int started = 0;
  for (int t = 0; t < THREADS; t++) {
    w[t] = (worker){.t = t};
    started += pthread_create(&th[t], NULL, work, &w[t]) == 0;
  }
  for (int t = 0; t < started; t++)
    pthread_join(th[t], NULL);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  T_EQ_INT(started, THREADS);
  for (int t = 0; t < THREADS; t++)
    T_EQ_INT(w[t].bad, 0);

  long len;
  char *all = slurp(f, &len);
  fclose(f);
  long total = 0;
  int missing = 0;
  for (int t = 0; t < THREADS; t++)
    for (int i = 0; i < LINES; i++) {
      char *line = expected(t, i, i % 2 ? "debug" : "info");
      char *at = strstr(all, line);
      missing += !at || (at != all && at[-1] != '\n');
      total += (long)strlen(line);
      free(line);
    }
  free(all);
  T_EQ_INT(missing, 0);
  T_EQ_INT(len, total); /* nothing else, nothing twice */
}

static void escapes_and_null(void) {
  T_EQ_STR(cli_text(NULL), "");
  T_EQ_STR(cli_text("a\nb\tc\rd\x1b\x7f"), "a\\nb\\tc\\rd\\x1b\\x7f");
  char *d = cli_text_dup(NULL);
  T_EQ_STR(d, "");
  free(d);
  const char *r[HELD];
  char name[HELD][16];
  for (int i = 0; i < HELD; i++) {
    snprintf(name[i], sizeof name[i], "name %d", i);
    r[i] = cli_text(name[i]);
  }
  for (int i = 0; i < HELD; i++)
    T_EQ_STR(r[i], name[i]);
}

int main(void) {
  T_RUN(escapes_and_null);
  T_RUN(eight_threads_log_whole_lines_exactly_once);
  return T_DONE();
}
