/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service's settings: command line, the key from the environment or
 * the config file (never argv), and the loopback rule without a key. */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "serve.h"

#define KEY_NAME "WA_PREFLIGHT_API_KEY"

void srv_log(const char *fmt, ...) {
  va_list ap;
  char line[1024];
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "wa-preflight serve: %s\n", line);
}

/* *key from the environment or the config file, by the library's rules
 * (NULL when set nowhere); -1 when the file is unsafe (line printed). */
static int read_key(char **key) {
  wapf_context *ctx = NULL;
  int rc = wapf_open(&ctx, NULL);
  if (rc == WAPF_OK)
    rc = wapf_config_get(ctx, NULL, KEY_NAME, key);
  if (rc != WAPF_OK)
    srv_log("%s: %s", wapf_strerror(rc), ctx ? wapf_last_error(ctx) : "");
  wapf_close(&ctx);
  return rc == WAPF_OK ? 0 : -1;
}

/* Is every address host resolves to a loopback address? */
static int host_is_loopback(const char *host) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host, NULL, &hints, &res) != 0)
    return 0;
  int ok = res != NULL;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
    ok &= addr_is_loopback(ai->ai_addr);
  freeaddrinfo(res);
  return ok;
}

int srv_config_load(srv_config *c, const cli_args *a) {
  memset(c, 0, sizeof *c);
  if (parse_listen(a->listen ? a->listen : "127.0.0.1:8480", c->host,
                   sizeof c->host, &c->port)) {
    srv_log("--listen %s: want HOST:PORT or [V6]:PORT", a->listen);
    return -1;
  }
  c->workers = a->workers ? a->workers : 2;
  c->queue = a->queue >= 0 ? a->queue : 16;
  c->max_body = a->max_body ? a->max_body : (uint64_t)100 << 20;
  c->timeout = a->timeout > 0 ? a->timeout : 120;
  c->client_timeout = a->client_timeout > 0 ? a->client_timeout : 30;
  c->header_timeout = a->header_timeout > 0 ? a->header_timeout : 20;
  /* one address may hold half the connection slots (http.c), never all */
  c->max_per_ip = a->max_per_ip ? a->max_per_ip : srv_max_connections(c) / 2;
  c->allow_private_urls = a->allow_private_urls;
  c->verbose = a->verbose;
  c->quiet = a->quiet;
  c->max_pixels = a->max_pixels;
  c->max_long_side = a->max_long_side;
  c->forward_url = a->forward;
  if (read_key(&c->key) != 0)
    return -1;
  if (!c->key && !host_is_loopback(c->host)) {
    srv_log("--listen %s: without a key (%s, or the config file) the "
            "service listens on loopback only",
            c->host, KEY_NAME);
    return -1;
  }
  return 0;
}

int srv_max_connections(const srv_config *c) {
  return c->workers + c->queue + 64;
}

void srv_config_free(srv_config *c) {
  if (c->key) {
    memset(c->key, 0, strlen(c->key));
    free(c->key);
  }
  c->key = NULL;
}

int srv_key_ok(const srv_config *c, const char *given) {
  if (!c->key)
    return 1;
  return given && ct_equal(given, c->key);
}
