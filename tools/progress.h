/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A progress bar on stderr when it is a terminal (nothing on a pipe), for
 * convert, batch and send; its callback stops the work once a signal was
 * caught (cli_interrupted). */
#ifndef WAPF_PROGRESS_H
#define WAPF_PROGRESS_H

#include "wapf.h"

typedef struct cli_progress {
  int enabled;     /* stderr is a terminal and not quiet */
  int drawn;       /* something is on the line now */
  int last;        /* last permille drawn, -1 none */
  unsigned spin;   /* spinner step when the fraction is unknown */
  char label[160]; /* what is being done, shown before the bar */
} cli_progress;

/* Enabled only when stderr is a terminal and quiet is 0. */
void progress_init(cli_progress *p, int quiet);
/* Start a new bar for label (a file name: only its last part is shown)
 * and point opt's progress callback at p. The callback is installed even
 * when the bar is disabled, so that an interrupt cancels promptly. */
void progress_start(cli_progress *p, const char *label, wapf_options *opt);
/* Erase the bar, so the next line starts clean. */
void progress_done(cli_progress *p);
/* The wapf_progress_fn: draws, and returns non-zero once interrupted. */
int progress_fn(void *cookie, double fraction);

#endif
