/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal declarations shared by the library's modules. Not installed. */
#ifndef WAPF_INTERNAL_H
#define WAPF_INTERNAL_H

#include "wapf.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#define WAPF_DETAIL_MAX 512

struct wapf_context {
  wapf_settings s;
  /* Set by wapf_cancel() (any thread, or a signal handler: lock-free),
   * cleared only at the start of an outermost public call. */
  atomic_int cancelled;
  atomic_int depth; /* nesting of wapf__op_begin() */
  char detail[WAPF_DETAIL_MAX];
  /* The last probe's demuxer and the facts it filled (lib/probe/input.c);
   * the facts pointer is only compared, never read. */
  struct wapf_av *input;
  const void *input_facts;
  /* The modules' handles, opened on first use by this context and closed
   * by wapf_close(); the library keeps no per-thread or global cache. */
  struct magic_set *magic;       /* libmagic (lib/probe/mime.c) */
  struct wapf__journal *journal; /* the open send journal (lib/send) */
  /* The store chosen by wapf_set_store() (lib/send/store.c): mode 0 the
   * environment or config file, 1 store_url (PostgreSQL), 2 SQLite. */
  char *store_url;
  int store_mode;
  /* While a public call runs (core/global.c): the thread running it, how
   * deep the calls nest, and the link in the list of running contexts
   * that routes the foreign libraries' messages. */
  pthread_t thread;
  int entered;
  struct wapf_context *running_next;
};

#if defined(__GNUC__)
#define WAPF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WAPF_PRINTF(a, b)
#endif

/* Log a formatted line through the context's logger (if level allows). */
void wapf__log(wapf_context *ctx, wapf_log_level level, const char *fmt, ...)
    WAPF_PRINTF(3, 4);

/* Record a one-line failure detail on ctx and return code unchanged, so
 * callers write `return wapf__fail(ctx, WAPF_EIO, "...", ...);`. */
int wapf__fail(wapf_context *ctx, int code, const char *fmt, ...)
    WAPF_PRINTF(3, 4);

/* Clear the detail at the start of a public call; also the cancel flag,
 * unless the call runs inside an operation (wapf__op_begin). */
void wapf__clear(wapf_context *ctx);

/* An operation that calls public functions itself (wapf_send calls
 * wapf_probe/check/convert; a batch worker runs several): between begin
 * and end a cancel sticks, the nested calls do not clear it. Nestable. */
void wapf__op_begin(wapf_context *ctx);
void wapf__op_end(wapf_context *ctx);

/* Non-zero once wapf_cancel() was called (or progress asked to stop). */
int wapf__cancelled(const wapf_context *ctx);

/* Report progress (fraction 0..1); returns WAPF_ECANCELLED when the
 * callback or wapf_cancel() asked to stop, else WAPF_OK. opt may be NULL. */
int wapf__progress(wapf_context *ctx, const wapf_options *opt, double frac);

/* Foreign error codes, translated once here (core/foreign.c).
 * Each records the native text in the detail, prefixed by what. */
int wapf__from_averror(wapf_context *ctx, int averr, const char *what);
int wapf__from_vips(wapf_context *ctx, const char *what);
int wapf__from_errno(wapf_context *ctx, int err, const char *what);
/* The WAPF_E* code of an errno value, without a detail (for the helpers
 * that have no context); wapf__from_errno uses the same table. */
int wapf__errno_code(int err);

/* Safe string copy that always terminates (truncates). */
void wapf__strlcpy(char *dst, const char *src, size_t size);

/* Replace the owned string *dst with a copy of src (NULL = ""); on
 * WAPF_ENOMEM *dst is left as it was. Newlines become spaces in the
 * printf form, which holds the library's one-line texts. */
int wapf__set_str(char **dst, const char *src);
int wapf__set_strf(char **dst, const char *fmt, ...) WAPF_PRINTF(2, 3);
int wapf__set_vstrf(char **dst, const char *fmt, va_list ap);

/* 1 when the n bytes at p are all zero (the `reserved` rule). */
int wapf__zeroed(const void *p, size_t n);
/* WAPF_EINVAL (with a detail) when opt is not NULL and its reserved
 * bytes are not zero; called by every public call that takes options. */
int wapf__check_options(wapf_context *ctx, const wapf_options *opt);

/* ---- process-wide set-up and foreign messages (core/global.c) ---- */

/* Once per process, thread-safe (wapf_open calls it): FFmpeg's messages
 * are routed to the logger of the context running on their thread. */
void wapf__global_init(void);
/* Mark ctx as running on the calling thread, for the foreign libraries'
 * messages, until the matching wapf__leave() (nestable). Every public call
 * that may run FFmpeg or libvips brackets its work so. */
void wapf__enter(wapf_context *ctx);
void wapf__leave(wapf_context *ctx);
/* Start libvips if it is not yet (first picture use, any thread);
 * WAPF_EINTERNAL with a detail if it cannot start. Call it before any
 * vips_* function. */
int wapf__need_vips(wapf_context *ctx);
/* 1 once libvips runs (for tests). */
int wapf__vips_started(void);
/* A foreign message as one line: newlines and tabs become spaces, spaces
 * at both ends are removed (in place). */
void wapf__trim_line(char *s);

/* ---- process identity (core/process.c) ---- */

/* The start time of process pid (clock ticks since boot, from /proc), -1
 * when unknown. */
long long wapf__process_start(long pid);
/* Whether process pid, started at start, still runs (a reused pid with
 * another start time does not; without /proc, kill(pid, 0) decides). */
int wapf__process_alive(long pid, long long start);

/* ---- time (core/clock.c) ---- */

/* Seconds on GLib's monotonic clock (g_get_monotonic_time), for every
 * duration and deadline in the library; a condition wait with a deadline
 * uses GCond's g_cond_wait_until, which waits on the same clock. */
double wapf__now(void);

/* ---- files (core/io.c) ---- */

/* Temporary output beside a final path: created exclusively in the same
 * folder as final, so that rename() is atomic. */
typedef struct wapf_tmpfile {
  char *final; /* the destination path */
  char *path;  /* the temporary path, NULL once committed/removed */
  int fd;      /* open descriptor, -1 after close */
} wapf_tmpfile;

/* Create the temporary file for final (ext is kept at the end of the name
 * so that muxers that look at it see the right one). Fails with
 * WAPF_EEXIST if final exists and !overwrite, WAPF_EINVAL if final is the
 * same file as input (input may be NULL). */
int wapf__tmp_open(wapf_context *ctx, wapf_tmpfile *t, const char *final,
                   const char *input, int overwrite);
/* fsync the folder that holds path (after a rename into it); returns 0
 * or an errno value. */
int wapf__sync_dir_of(const char *path);
/* fsync, close and rename onto the final path, then fsync its folder. The
 * file is created 0666 & ~umask. */
int wapf__tmp_commit(wapf_context *ctx, wapf_tmpfile *t);
/* Close and unlink the temporary file (safe to call twice). */
void wapf__tmp_discard(wapf_tmpfile *t);

/* Copy src to the open temp file t (byte for byte). */
int wapf__copy_into(wapf_context *ctx, const char *src, wapf_tmpfile *t);

/* Read a whole regular file into a malloc'd buffer (*out, freed with
 * free()). A file over max bytes fails with WAPF_ELIMIT, an empty one
 * with WAPF_EEMPTY; *out and *n are written only on success. */
int wapf__read_file(wapf_context *ctx, const char *path, size_t max,
                    uint8_t **out, size_t *n);

/* Size of a file, or a negative WAPF_E* code. */
int64_t wapf__file_size(const char *path);

/* The SHA-256 of a file's bytes as 64 lowercase hex digits and a NUL
 * (GLib's GChecksum, read in 64 KiB steps). WAPF_OK, or the errno's code
 * (wapf__errno_code); with a ctx the failure also gets the detail
 * "path: reason", with ctx NULL nothing is recorded. hex is written only
 * on success. */
int wapf__sha256_file(wapf_context *ctx, const char *path, char hex[65]);

#endif
