/* Context set-up, signals and error lines shared by the subcommands. */
#include <glib.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

const char *cli_text(const char *s) {
  static char *ring[8];
  static size_t slot;
  if (!s)
    return "";
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    n += *p < 0x20 || *p == 0x7f ? 4 : 1;
  char *out = malloc(n + 1);
  if (!out)
    return "?";
  char *o = out;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '\n' || *p == '\t' || *p == '\r') {
      *o++ = '\\';
      *o++ = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
    } else if (*p < 0x20 || *p == 0x7f) {
      o += sprintf(o, "\\x%02x", *p);
    } else {
      *o++ = (char)*p;
    }
  }
  *o = '\0';
  slot = (slot + 1) % 8;
  free(ring[slot]);
  ring[slot] = out;
  return out;
}

static void log_stderr(void *cookie, wapf_log_level level, const char *msg) {
  static const char *const names[] = {"error", "warning", "info", "debug"};
  (void)cookie;
  fprintf(stderr, "wa-preflight: %s: %s\n", names[level], cli_text(msg));
}

wapf_context *cli_open(const cli_args *a) {
  wapf_settings s;
  wapf_default_settings(&s);
  s.logger = log_stderr;
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
  fputs("wa-preflight: ", stderr);
  if (path)
    fprintf(stderr, "%s: ", cli_text(path));
  fprintf(stderr, "%s\n", text ? cli_text(text) : fmt);
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
