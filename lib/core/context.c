/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The context: settings, logging, failure detail, cancellation. */
#include "modules.h"

#include <stdlib.h>
#include <string.h>

#define WAPF_STR2(x) #x
#define WAPF_STR(x) WAPF_STR2(x)

const char *wapf_version(void) {
  return WAPF_STR(WAPF_VERSION_MAJOR) "." WAPF_STR(
      WAPF_VERSION_MINOR) "." WAPF_STR(WAPF_VERSION_PATCH);
}

unsigned wapf_version_number(void) {
  return WAPF_API_VERSION;
}

void wapf_default_settings(wapf_settings *s) {
  memset(s, 0, sizeof *s);
  s->log_level = WAPF_LOG_WARNING;
  s->max_pixels = 200000000ULL;
  s->max_duration = 21600.0;
  s->max_long_side = 1920;
  s->threads = 0;
}

static int settings_valid(const wapf_settings *s) {
  if (!wapf__zeroed(s->reserved, sizeof s->reserved))
    return 0;
  return s->max_pixels >= 1 && s->max_pixels <= (1ULL << 40) &&
         s->max_duration > 0 && s->max_long_side >= 160 &&
         s->max_long_side <= 4096 && s->threads >= 0 &&
         s->log_level >= WAPF_LOG_ERROR && s->log_level <= WAPF_LOG_DEBUG;
}

int wapf_open(wapf_context **out, const wapf_settings *s) {
  wapf_settings def;
  if (!out)
    return WAPF_EINVAL;
  if (!s) {
    wapf_default_settings(&def);
    s = &def;
  }
  if (!settings_valid(s))
    return WAPF_EINVAL;
  wapf__global_init();
  wapf_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return WAPF_ENOMEM;
  ctx->s = *s;
  *out = ctx;
  return WAPF_OK;
}

void wapf_close(wapf_context **ctx) {
  if (!ctx || !*ctx)
    return;
  wapf__input_forget(*ctx);
  wapf__magic_release(*ctx);
  wapf__journal_release(*ctx);
  wapf__store_release(*ctx);
  free(*ctx);
  *ctx = NULL;
}

void wapf_free(void *p) {
  free(p);
}

const char *wapf_last_error(const wapf_context *ctx) {
  return ctx ? ctx->detail : "";
}

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
               "wapf_cancel() must stay async-signal-safe");

void wapf_cancel(wapf_context *ctx) {
  if (ctx)
    atomic_store(&ctx->cancelled, 1);
}

int wapf__cancelled(const wapf_context *ctx) {
  return atomic_load(&((wapf_context *)ctx)->cancelled) != 0;
}

void wapf__clear(wapf_context *ctx) {
  ctx->detail[0] = '\0';
  if (atomic_load(&ctx->depth) == 0)
    atomic_store(&ctx->cancelled, 0);
}

void wapf__op_begin(wapf_context *ctx) {
  atomic_fetch_add(&ctx->depth, 1);
}

void wapf__op_end(wapf_context *ctx) {
  atomic_fetch_sub(&ctx->depth, 1);
}

static void vlog(wapf_context *ctx, wapf_log_level level, const char *fmt,
                 va_list ap) {
  char line[WAPF_DETAIL_MAX];
  if (!ctx->s.logger || level > ctx->s.log_level)
    return;
  vsnprintf(line, sizeof line, fmt, ap);
  wapf__trim_line(line); /* one line, whatever a foreign text held */
  ctx->s.logger(ctx->s.log_cookie, level, line);
}

void wapf__log(wapf_context *ctx, wapf_log_level level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(ctx, level, fmt, ap);
  va_end(ap);
}

int wapf__fail(wapf_context *ctx, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->detail, sizeof ctx->detail, fmt, ap);
  va_end(ap);
  /* One line only: callers print it as such. */
  for (char *p = ctx->detail; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  wapf__log(ctx, WAPF_LOG_DEBUG, "%s: %s", wapf_err_name(code), ctx->detail);
  return code;
}

int wapf__progress(wapf_context *ctx, const wapf_options *opt, double frac) {
  if (opt && opt->progress && opt->progress(opt->progress_cookie, frac))
    atomic_store(&ctx->cancelled, 1);
  if (wapf__cancelled(ctx))
    return wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
  return WAPF_OK;
}

void wapf__strlcpy(char *dst, const char *src, size_t size) {
  if (!size)
    return;
  size_t n = src ? strlen(src) : 0;
  if (n >= size)
    n = size - 1;
  if (n)
    memcpy(dst, src, n);
  dst[n] = '\0';
}
