/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connection deadlines: libmicrohttpd's --client-timeout drops a client
 * that is silent, not one that sends a byte now and then, so a client
 * trickling its headers would hold its slot for ever. Every connection is
 * listed here from accept to close with a deadline; the timer thread shuts
 * the socket of a late one down (libmicrohttpd then closes it as a client
 * that went away). The socket stays open until libmicrohttpd's close
 * notice, which takes the lock, so the descriptor shut down is always the
 * connection's own. */
#include <stdlib.h>
#include <sys/socket.h>

#include "serve.h"

srv_conn *conns_open(srv_state *s, int fd) {
  srv_conn *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->fd = fd;
  c->deadline = cli_now() + s->c->header_timeout;
  g_mutex_lock(&s->lock);
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  g_mutex_unlock(&s->lock);
  return c;
}

void conns_close(srv_state *s, srv_conn *c) {
  if (!c)
    return;
  g_mutex_lock(&s->lock);
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  g_mutex_unlock(&s->lock);
  free(c);
}

void conns_deadline(srv_state *s, srv_conn *c, double deadline) {
  if (!c)
    return;
  g_mutex_lock(&s->lock);
  c->deadline = deadline;
  g_mutex_unlock(&s->lock);
}

/* Linger 0: libmicrohttpd's close then resets the connection and drops
 * what the kernel still holds to send (a slow reader would otherwise get
 * megabytes more after the deadline). */
void conns_tick(srv_state *s, double now) {
  static const struct linger reset = {1, 0};
  for (srv_conn *c = s->conns; c; c = c->next)
    if (c->deadline > 0 && now > c->deadline) {
      setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      shutdown(c->fd, SHUT_RDWR);
      c->deadline = 0; /* once */
      s->conns_dropped++;
    }
}

void conns_inflight(srv_state *s, int delta) {
  g_mutex_lock(&s->lock);
  s->inflight += delta;
  g_mutex_unlock(&s->lock);
}

int conns_inflight_now(srv_state *s) {
  g_mutex_lock(&s->lock);
  int n = s->inflight;
  g_mutex_unlock(&s->lock);
  return n;
}
