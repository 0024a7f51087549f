/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* send to many recipients (tools/send_many.c), and the pieces of
 * tools/cmd_send.c it shares. */
#ifndef WAPF_SEND_MANY_H
#define WAPF_SEND_MANY_H

#include <jansson.h>

#include "cli.h"

/* Upload (or check the link) once, then one message per recipient, paced,
 * journaled; prints a line (or a JSON object) per recipient. Returns the
 * exit status. */
int send_many(const cli_args *a, wapf_context *ctx, wapf_send_request *q,
              const char *const *to, int n);

/* cmd_send.c */
int send_exit_for(int rc);
const char *send_outcome(int rc, const wapf_send_result *r);
void send_set_str(json_t *o, const char *k, const char *v);

#endif
