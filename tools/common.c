/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Context set-up, signals and error lines shared by the subcommands. */
#include <glib.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "cli.h"

static wapf_context *volatile g_running;
static volatile sig_atomic_t g_signal;

/* The tools' one signal path: remember the signal, cancel the context. */
static void on_signal(int sig) {
  g_signal = sig;
  wapf_context *ctx = g_running;
  if (ctx)
    wapf_cancel(ctx); /* async-signal-safe by contract */
}

/* Bytes s takes once escaped, without the final NUL. */
static size_t text_size(const char *s) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    n += *p == '\n' || *p == '\t' || *p == '\r' ? 2
         : *p < 0x20 || *p == 0x7f              ? 4
                                                : 1;
  return n;
}

/* s escaped into out, which holds text_size(s) + 1 bytes. */
static void text_put(char *out, const char *s) {
  static const char hex[] = "0123456789abcdef";
  char *o = out;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '\n' || *p == '\t' || *p == '\r') {
      *o++ = '\\';
      *o++ = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
    } else if (*p < 0x20 || *p == 0x7f) {
      *o++ = '\\';
      *o++ = 'x';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    } else {
      *o++ = (char)*p;
    }
  }
  *o = '\0';
}

char *cli_text_dup(const char *s) {
  if (!s)
    s = "";
  char *out = malloc(text_size(s) + 1);
  if (out)
    text_put(out, s);
  return out;
}

/* cli_text()'s last results, one ring per thread: a thread's results are
 * never freed by another thread's calls, and are freed when it ends. */
enum { TEXT_RING = 8 };
typedef struct text_ring {
  char *slot[TEXT_RING];
  unsigned next;
} text_ring;

static void ring_free(void *p) {
  text_ring *r = p;
  for (int i = 0; i < TEXT_RING; i++)
    free(r->slot[i]);
  free(r);
}

static pthread_key_t g_ring;
static pthread_once_t g_ring_once = PTHREAD_ONCE_INIT;
static int g_ring_ok;

static void ring_key(void) {
  g_ring_ok = pthread_key_create(&g_ring, ring_free) == 0;
}

/* This thread's ring, made on its first call; NULL when out of memory. */
static text_ring *ring_of_thread(void) {
  pthread_once(&g_ring_once, ring_key);
  if (!g_ring_ok)
    return NULL;
  text_ring *r = pthread_getspecific(g_ring);
  if (!r && (r = calloc(1, sizeof *r)) && pthread_setspecific(g_ring, r)) {
    free(r);
    r = NULL;
  }
  return r;
}

const char *cli_text(const char *s) {
  if (!s)
    return "";
  text_ring *r = ring_of_thread();
  char *out = r ? cli_text_dup(s) : NULL;
  if (!out)
    return "?";
  r->next = (r->next + 1) % TEXT_RING;
  free(r->slot[r->next]);
  r->slot[r->next] = out;
  return out;
}

void cli_log(void *cookie, wapf_log_level level, const char *msg) {
  static const char *const names[] = {"error", "warning", "info", "debug"};
  char small[512];
  (void)cookie;
  if (!msg)
    msg = "";
  size_t n = text_size(msg);
  char *text = n < sizeof small ? small : malloc(n + 1);
  const char *name = (unsigned)level < 4 ? names[level] : "log";
  if (!text) {
    fprintf(stderr, "wa-preflight: %s: (a %zu-byte message: out of memory)\n",
            name, n);
    return;
  }
  text_put(text, msg);
  fprintf(stderr, "wa-preflight: %s: %s\n", name, text);
  if (text != small)
    free(text);
}

wapf_context *cli_open(const cli_args *a) {
  wapf_settings s;
  wapf_default_settings(&s);
  s.logger = cli_log;
  s.log_level = a->quiet     ? WAPF_LOG_ERROR
                : a->verbose ? (a->verbose > 1 ? WAPF_LOG_DEBUG : WAPF_LOG_INFO)
                             : WAPF_LOG_WARNING;
  if (a->max_pixels)
    s.max_pixels = a->max_pixels;
  if (a->max_long_side)
    s.max_long_side = a->max_long_side;
  wapf_context *ctx = NULL;
  int rc = wapf_open(&ctx, &s);
  if (rc != WAPF_OK) {
    cli_error(NULL, "cannot start: %s", wapf_strerror(rc));
    return NULL;
  }
  g_running = ctx;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  return ctx;
}

void cli_close(wapf_context **ctx) {
  g_running = NULL; /* before the free: a late signal only records */
  wapf_close(ctx);
}

int cli_interrupted(void) {
  return (int)g_signal;
}

void cli_error(const char *path, const char *fmt, ...) {
  va_list ap;
  char *text = NULL;
  va_start(ap, fmt);
  if (vasprintf(&text, fmt, ap) < 0)
    text = NULL;
  va_end(ap);
  char *p = path ? cli_text_dup(path) : NULL;
  char *t = cli_text_dup(text ? text : fmt);
  /* one write, so that no worker's log line lands inside it */
  fprintf(stderr, "wa-preflight: %s%s%s\n", p ? p : "", p ? ": " : "",
          t ? t : "out of memory");
  free(p);
  free(t);
  free(text);
}

void cli_fail(wapf_context *ctx, const char *path, int rc) {
  const char *detail = wapf_last_error(ctx);
  if (detail && *detail)
    cli_error(path, "%s (%s)", wapf_strerror(rc), detail);
  else
    cli_error(path, "%s", wapf_strerror(rc));
}

double cli_now(void) {
  return (double)g_get_monotonic_time() / G_USEC_PER_SEC;
}
