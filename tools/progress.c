/* Progress bar on a terminal, and interrupts as a clean cancel. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

static wapf_context *volatile g_ctx;
static volatile sig_atomic_t g_signal;

static void on_signal(int sig) {
  g_signal = sig;
  if (g_ctx)
    wapf_cancel(g_ctx); /* async-signal-safe by contract */
}

void progress_catch_signals(wapf_context *ctx) {
  struct sigaction sa;
  g_ctx = ctx;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

int progress_interrupted(void) {
  return (int)g_signal;
}

void progress_init(cli_progress *p, int quiet) {
  memset(p, 0, sizeof *p);
  p->enabled = !quiet && isatty(STDERR_FILENO);
  p->last = -1;
}

void progress_start(cli_progress *p, const char *label, wapf_options *opt) {
  const char *slash = strrchr(label, '/');
  progress_done(p);
  snprintf(p->label, sizeof p->label, "%s",
           cli_text(slash ? slash + 1 : label));
  p->last = -1;
  p->spin = 0;
  opt->progress = progress_fn;
  opt->progress_cookie = p;
}

static int term_columns(void) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
    return ws.ws_col;
  return 80;
}

/* Monotonic milliseconds, to draw at most ten times a second. */
static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(cli_progress *p, double fraction) {
  int cols = term_columns();
  int barw = cols - 12 < 30 ? cols - 12 : 30;
  int labw = cols - barw - 10;
  char bar[64];
  if (fraction < 0) { /* unknown: a moving block */
    int pos = (int)(p->spin++ % (unsigned)barw);
    memset(bar, '-', (size_t)barw);
    bar[pos] = '#';
    bar[barw] = '\0';
    fprintf(stderr, "\r%-*.*s [%s]  ...\033[K", labw, labw, p->label, bar);
  } else {
    int fill = (int)(fraction * barw + 0.5);
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '-', (size_t)(barw - fill));
    bar[barw] = '\0';
    fprintf(stderr, "\r%-*.*s [%s] %3d%%\033[K", labw, labw, p->label, bar,
            (int)(fraction * 100));
  }
  fflush(stderr);
  p->drawn = 1;
}

int progress_fn(void *cookie, double fraction) {
  cli_progress *p = cookie;
  static long long last_ms;
  if (g_signal)
    return 1;
  if (!p || !p->enabled)
    return 0;
  if (fraction > 1)
    fraction = 1;
  int permille = fraction < 0 ? -1 : (int)(fraction * 1000);
  long long t = now_ms();
  if (permille == p->last && t - last_ms < 100)
    return 0;
  if (permille >= 0 && permille / 10 == p->last / 10 && t - last_ms < 100)
    return 0;
  last_ms = t;
  p->last = permille;
  draw(p, fraction);
  return 0;
}

void progress_done(cli_progress *p) {
  if (p->enabled && p->drawn) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  p->drawn = 0;
  p->last = -1;
}
