/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's process-wide set-up, done once and only where needed, and
 * the routing of the media libraries' own messages into the logger of the
 * context that made them speak.
 *
 * - FFmpeg: one av_log callback, installed once (pthread_once in
 *   wapf_open). av_log gives no context, so each public call that may run
 *   FFmpeg or libvips marks its context as running on the calling thread
 *   (wapf__enter / wapf__leave; the thread and the nesting are members of
 *   the context, linked into one list of running contexts). A message on
 *   the thread of a running context goes to its logger; one from another
 *   thread (codec or libvips worker threads) while a call is running is
 *   dropped; any other (the host program's own FFmpeg use, outside our
 *   calls) goes to FFmpeg's default callback, exactly as if we had
 *   installed nothing. The av_log level is never changed. The list is the
 *   only process-wide state besides the callbacks and the once-flags: the
 *   library keeps nothing per thread.
 * - libvips: started on first picture use (wapf__need_vips), from
 *   whichever thread, once. Its messages (GLib log domain "VIPS"), and
 *   those of the "GLib" and "GLib-GObject" domains its loaders provoke,
 *   go through one handler for those domains only, with the same rule;
 *   outside our calls they reach g_log_default_handler (a host program's
 *   own handler for these three domains is replaced). No environment
 *   variable is set.
 * - libheif's dav1d prints one kind of message with a bare fprintf to stderr
 *   directly (its input validation), which no logger or option reaches;
 *   the probe refuses the files that trigger it before decoding (empty AV1
 *   items, lib/probe). Nothing redirects stderr. */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <libavutil/log.h>
#include <vips/vips.h>

/* The contexts inside a public call, innermost first, and their number
 * (read without the lock on every foreign message). */
static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;
static wapf_context *running;
static atomic_int active_calls;

void wapf__enter(wapf_context *ctx) {
  pthread_mutex_lock(&running_lock);
  if (ctx->entered++ == 0) {
    ctx->thread = pthread_self();
    ctx->running_next = running;
    running = ctx;
  }
  pthread_mutex_unlock(&running_lock);
  atomic_fetch_add(&active_calls, 1);
}

void wapf__leave(wapf_context *ctx) {
  pthread_mutex_lock(&running_lock);
  if (--ctx->entered == 0) {
    wapf_context **p = &running;
    while (*p && *p != ctx)
      p = &(*p)->running_next;
    if (*p)
      *p = ctx->running_next;
    ctx->running_next = NULL;
  }
  pthread_mutex_unlock(&running_lock);
  atomic_fetch_sub(&active_calls, 1);
}

/* The context running on the calling thread, or NULL. It stays valid
 * after the lock is released: only this thread can end its call. */
static wapf_context *running_here(void) {
  pthread_t self = pthread_self();
  pthread_mutex_lock(&running_lock);
  wapf_context *ctx = running;
  while (ctx && !pthread_equal(ctx->thread, self))
    ctx = ctx->running_next;
  pthread_mutex_unlock(&running_lock);
  return ctx;
}

void wapf__trim_line(char *s) {
  for (char *p = s; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  size_t n = strlen(s);
  while (n && s[n - 1] == ' ')
    s[--n] = '\0';
  size_t lead = strspn(s, " ");
  if (lead)
    memmove(s, s + lead, n - lead + 1);
}

/* The logger of the current context for a foreign message of this level,
 * or NULL when nobody asked for it. */
static wapf_context *listener(wapf_context *ctx, wapf_log_level level) {
  if (!ctx || !ctx->s.logger || level > ctx->s.log_level)
    return NULL;
  return ctx;
}

/* Foreign errors are not ours (ours come back as codes): INFO; the rest
 * DEBUG; FFmpeg's own debug chatter is not passed on. */
static int av_level(int level, wapf_log_level *out) {
  if (level > AV_LOG_VERBOSE)
    return 0;
  *out = level <= AV_LOG_ERROR ? WAPF_LOG_INFO : WAPF_LOG_DEBUG;
  return 1;
}

static void av_cb(void *avcl, int level, const char *fmt, va_list vl) {
  wapf_log_level ours;
  if (atomic_load(&active_calls) == 0) {
    av_log_default_callback(avcl, level, fmt, vl);
    return;
  }
  wapf_context *ctx =
      av_level(level, &ours) ? listener(running_here(), ours) : NULL;
  if (!ctx)
    return;
  char line[WAPF_DETAIL_MAX];
  int prefix = 1;
  av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &prefix);
  wapf__trim_line(line);
  if (line[0])
    wapf__log(ctx, ours, "ffmpeg: %s", line);
}

static void vips_cb(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                    gpointer data) {
  if (atomic_load(&active_calls) == 0) {
    g_log_default_handler(domain, level, msg, data);
    return;
  }
  wapf_log_level ours =
      level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)
          ? WAPF_LOG_INFO
          : WAPF_LOG_DEBUG;
  wapf_context *ctx = listener(running_here(), ours);
  if (!ctx || !msg)
    return;
  char line[WAPF_DETAIL_MAX];
  wapf__strlcpy(line, msg, sizeof line);
  wapf__trim_line(line);
  if (line[0])
    wapf__log(ctx, ours, "%s: %s",
              domain && strcmp(domain, "VIPS") ? domain : "libvips", line);
}

static pthread_once_t av_once = PTHREAD_ONCE_INIT;

static void av_setup(void) {
  av_log_set_callback(av_cb);
}

void wapf__global_init(void) {
  pthread_once(&av_once, av_setup);
}

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static atomic_int vips_state; /* 0 not started, 1 running, -1 failed */

/* libvips' own domain, and GLib's and GObject's, whose warnings libvips'
 * loaders provoke on damaged files (seen on fuzzed mutants). */
static const char *const glib_domains[] = {"VIPS", "GLib", "GLib-GObject"};

static void vips_setup(void) {
  for (size_t i = 0; i < sizeof glib_domains / sizeof glib_domains[0]; i++)
    g_log_set_handler(glib_domains[i],
                      G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
                          G_LOG_FLAG_RECURSION,
                      vips_cb, NULL);
  atomic_store(&vips_state, VIPS_INIT("wapf") == 0 ? 1 : -1);
}

int wapf__need_vips(wapf_context *ctx) {
  pthread_once(&vips_once, vips_setup);
  if (atomic_load(&vips_state) == 1)
    return WAPF_OK;
  return wapf__fail(ctx, WAPF_EINTERNAL, "libvips failed to start");
}

int wapf__vips_started(void) {
  return atomic_load(&vips_state) == 1;
}
