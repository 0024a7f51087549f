/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* send --wait (send_wait.c). */
#ifndef WAPF_SEND_WAIT_H
#define WAPF_SEND_WAIT_H

#include "cli.h"

typedef struct send_waited {
  char status[16];      /* the last status seen, "" none */
  char errors[1024];    /* its errors (JSON), "" none */
  char diagnosis[1024]; /* for a failure */
  double at;
} send_waited;

/* Wait for a->wait_state of message_id: EXIT_OK reached, EXIT_VERDICT
 * failed, EXIT_UNKNOWN timed out or interrupted. */
int send_wait(const cli_args *a, wapf_context *ctx, const char *message_id,
              send_waited *w);

#endif
