/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Status webhooks in serve: /webhooks/<provider>[/<secret>] (webhook.c)
 * and the forwarder of the outbox (webhook_forward.c). */
#ifndef WAPF_SERVE_WEBHOOK_H
#define WAPF_SERVE_WEBHOOK_H

#include <microhttpd.h>

#include "serve.h"

/* 1 when url is a webhook path (handled by webhook_access). */
int webhook_path(const char *url);
/* The whole access handler for a webhook path: authenticated by the
 * provider's proof (not the apikey header), 200 only after the commit.
 * *con_cls is its own state; its first member is srv_endpoint EP_WEBHOOK
 * (webhook_is/webhook_done tell it from a srv_req). */
enum MHD_Result webhook_access(srv_state *s, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *data, size_t *size, void **con_cls);
int webhook_is(void *con_cls);
/* The request ended: metrics, and its state freed. */
void webhook_done(srv_state *s, void *con_cls, int completed);

/* --forward URL: start the thread that relays the outbox (0, or -1 with
 * a line printed); stop it. */
int forward_start(srv_state *s);
void forward_stop(srv_state *s);

#endif
