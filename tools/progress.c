/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Progress bar on a terminal. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

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
  static double last;
  if (cli_interrupted())
    return 1;
  if (!p || !p->enabled)
    return 0;
  if (fraction > 1)
    fraction = 1;
  int permille = fraction < 0 ? -1 : (int)(fraction * 1000);
  double t = cli_now(); /* draw at most ten times a second */
  if (permille == p->last && t - last < 0.1)
    return 0;
  if (permille >= 0 && permille / 10 == p->last / 10 && t - last < 0.1)
    return 0;
  last = t;
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
