/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Redaction, the one place for it: no run of WAPF_REDACT_RUN or more
 * characters of a secret (a token, an API key, an S3 key) survives in a
 * text that reaches a log line, an error detail, a result or the journal,
 * so a provider that echoes part of a token ("Malformed access token
 * EAAGm0PX4ZCpsB...") shows none of it. A secret shorter than the run is
 * matched whole (and never when shorter than 4 characters: it would match
 * ordinary words). */
#include "send.h"

#include <stdlib.h>
#include <string.h>

#define WAPF_REDACT_RUN 8
#define WAPF_REDACT_SHORT 4
static const char k_mark[] = "[redacted]";

/* The first WAPF_REDACT_RUN bytes at p, as a number for a sorted table. */
static uint64_t gram(const char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Every run-long window of every long secret, sorted: one look-up tells
 * whether a run of a secret may start at a position. */
static uint64_t *windows(const char *const *sec, int n, size_t *count) {
  size_t total = 0;
  for (int i = 0; i < n; i++)
    if (sec[i] && strlen(sec[i]) >= WAPF_REDACT_RUN)
      total += strlen(sec[i]) - WAPF_REDACT_RUN + 1;
  uint64_t *w = total ? malloc(total * sizeof *w) : NULL;
  *count = 0;
  for (int i = 0; w && i < n; i++) {
    size_t m = sec[i] ? strlen(sec[i]) : 0;
    for (size_t j = 0; m >= WAPF_REDACT_RUN && j + WAPF_REDACT_RUN <= m; j++)
      w[(*count)++] = gram(sec[i] + j);
  }
  if (w)
    qsort(w, *count, sizeof *w, cmp_u64);
  return w;
}

/* The longest piece of a long secret that text starts with (at least a
 * run; the window table said one may start here). */
static size_t longest_piece(const char *text, size_t left,
                            const char *const *sec, int n) {
  size_t best = 0;
  for (int i = 0; i < n; i++) {
    size_t m = sec[i] ? strlen(sec[i]) : 0;
    for (size_t j = 0; m >= WAPF_REDACT_RUN && j + WAPF_REDACT_RUN <= m; j++) {
      if (memcmp(sec[i] + j, text, WAPF_REDACT_RUN) != 0)
        continue;
      size_t k = WAPF_REDACT_RUN;
      while (j + k < m && k < left && sec[i][j + k] == text[k])
        k++;
      best = k > best ? k : best;
    }
  }
  return best;
}

/* A short secret that text starts with, whole: its length, else 0. */
static size_t short_secret(const char *text, size_t left,
                           const char *const *sec, int n) {
  for (int i = 0; i < n; i++) {
    size_t m = sec[i] ? strlen(sec[i]) : 0;
    if (m >= WAPF_REDACT_SHORT && m < WAPF_REDACT_RUN && m <= left &&
        memcmp(text, sec[i], m) == 0)
      return m;
  }
  return 0;
}

char *wapf__redact_text(const char *const *secrets, int n, const char *text) {
  const char *t = text ? text : "";
  size_t len = strlen(t), nw = 0;
  uint64_t *w = windows(secrets, n, &nw);
  GString *out = g_string_sized_new(len + 1);
  for (size_t i = 0; i < len;) {
    size_t k = 0;
    if (w && len - i >= WAPF_REDACT_RUN) {
      uint64_t g = gram(t + i);
      if (bsearch(&g, w, nw, sizeof *w, cmp_u64))
        k = longest_piece(t + i, len - i, secrets, n);
    }
    if (!k)
      k = short_secret(t + i, len - i, secrets, n);
    if (k) {
      g_string_append(out, k_mark);
      i += k;
    } else {
      g_string_append_c(out, t[i++]);
    }
  }
  free(w);
  char *r = strdup(out->str);
  g_string_free(out, TRUE);
  return r;
}

char *wapf__redact_dup(const wapf__send *s, const char *text) {
  return wapf__redact_text(s->secrets, WAPF_SEND_MAX_SECRETS, text);
}

void wapf__redact(const wapf__send *s, char *buf, size_t size) {
  char *r = wapf__redact_dup(s, buf); /* redact first, then cut */
  if (r)
    wapf__strlcpy(buf, r, size);
  else if (size) /* out of memory: show nothing rather than a secret */
    buf[0] = '\0';
  free(r);
}

void wapf__provider_error(wapf__send *s, const char *msg) {
  char *r = wapf__redact_dup(s, msg);
  wapf__strlcpy(s->res->provider_error, r ? r : "",
                sizeof s->res->provider_error);
  free(r);
}

/* The whole formatted text, redacted, before anything cuts it. */
static char *format_redacted(const wapf__send *s, const char *fmt, va_list ap) {
  char *full = g_strdup_vprintf(fmt, ap);
  char *r = wapf__redact_dup(s, full);
  g_free(full);
  return r;
}

int wapf__sfail(wapf__send *s, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *r = format_redacted(s, fmt, ap);
  va_end(ap);
  if (!r)
    return wapf__fail(s->ctx, code, "(out of memory)");
  int rc = wapf__fail(s->ctx, code, "%s", r);
  free(r);
  return rc;
}

void wapf__slog(wapf__send *s, wapf_log_level level, const char *fmt, ...) {
  if (!s->ctx->s.logger || level > s->ctx->s.log_level)
    return;
  va_list ap;
  va_start(ap, fmt);
  char *r = format_redacted(s, fmt, ap);
  va_end(ap);
  if (r)
    wapf__log(s->ctx, level, "%s", r);
  free(r);
}
