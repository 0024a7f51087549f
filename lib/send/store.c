/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which store the journal and the media-id cache use: the context's
 * choice (wapf_set_store), else WA_PREFLIGHT_DB from the environment or
 * the config file (also as "db"): a PostgreSQL connection string, or
 * SQLite files. The SQLite journal is state and lives under
 * $XDG_STATE_HOME/wa-preflight (moved there once from the cache folder,
 * where it was kept before); the media-id cache stays a cache. */
#include "send.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

enum { STORE_DEFAULT = 0, STORE_URL = 1, STORE_SQLITE = 2 };

static int is_pg(const char *v) {
  return g_str_has_prefix(v, "postgresql://") ||
         g_str_has_prefix(v, "postgres://") || strchr(v, '=');
}

static int is_sqlite(const char *v) {
  return !*v || g_ascii_strcasecmp(v, "sqlite") == 0;
}

int wapf_set_store(wapf_context *ctx, const char *url) {
  if (!ctx)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  if (url && !is_pg(url) && !is_sqlite(url))
    return wapf__fail(ctx, WAPF_EINVAL,
                      "store: want postgresql://..., postgres://..., "
                      "key=value connection words, or sqlite");
  char *copy = url && is_pg(url) ? strdup(url) : NULL;
  if (url && is_pg(url) && !copy)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  wapf__store_release(ctx);
  ctx->store_url = copy;
  ctx->store_mode = !url ? STORE_DEFAULT : copy ? STORE_URL : STORE_SQLITE;
  return WAPF_OK;
}

void wapf__store_release(wapf_context *ctx) {
  if (ctx->store_url) {
    memset(ctx->store_url, 0, strlen(ctx->store_url)); /* may hold a password */
    free(ctx->store_url);
  }
  ctx->store_url = NULL;
  ctx->store_mode = STORE_DEFAULT;
}

/* The config file could not be read: the line says that the store was
 * looked for in it (WA_PREFLIGHT_DB not set), and the file's own reason
 * (which file, and why). With WA_PREFLIGHT_DB set, the file is not read. */
static int config_refused(wapf_context *ctx, int rc) {
  char *why = g_strdup(wapf_last_error(ctx));
  rc = wapf__fail(ctx, rc,
                  "the store: WA_PREFLIGHT_DB is not set, so the config "
                  "file was read for it (db =): %s",
                  why);
  g_free(why);
  return rc;
}

int wapf__store_url(wapf_context *ctx, const char *config_path, char **url) {
  *url = NULL;
  if (ctx->store_mode == STORE_SQLITE)
    return WAPF_OK;
  if (ctx->store_mode == STORE_URL)
    return (*url = strdup(ctx->store_url))
               ? WAPF_OK
               : wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  static const char *const keys[] = {"WA_PREFLIGHT_DB", "db"};
  char *v = NULL;
  int rc = wapf__config_lookup(ctx, config_path, keys, 2, 1, &v);
  if (rc != WAPF_OK)
    return config_refused(ctx, rc);
  if (!v)
    return WAPF_OK;
  if (is_pg(v)) {
    *url = v;
    return WAPF_OK;
  }
  rc = is_sqlite(v) ? WAPF_OK
                    : wapf__fail(ctx, WAPF_ECONFIG,
                                 "WA_PREFLIGHT_DB: want postgresql://USER@HOST"
                                 ":PORT/DB (or postgres://, or key=value "
                                 "connection words), or sqlite");
  memset(v, 0, strlen(v));
  free(v);
  return rc;
}

int wapf__state_dir(char *out, size_t size) {
  const char *x = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  int n;
  if (x && *x)
    n = snprintf(out, size, "%s/wa-preflight", x);
  else if (home && *home)
    n = snprintf(out, size, "%s/.local/state/wa-preflight", home);
  else
    return -1;
  if (n < 0 || (size_t)n >= size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

/* Move one file (a missing one is nothing to do); across file systems a
 * copy under a temporary name, renamed, then the original removed. */
static int move_file(const char *from, const char *to) {
  if (rename(from, to) == 0 || errno == ENOENT)
    return 0;
  if (errno != EXDEV)
    return -1;
  char *tmp = g_strconcat(to, ".moving", NULL);
  GFile *a = g_file_new_for_path(from), *b = g_file_new_for_path(tmp);
  int ok =
      g_file_copy(a, b, G_FILE_COPY_OVERWRITE | G_FILE_COPY_NOFOLLOW_SYMLINKS,
                  NULL, NULL, NULL, NULL) &&
      rename(tmp, to) == 0;
  if (ok)
    unlink(from);
  else
    unlink(tmp);
  g_object_unref(a);
  g_object_unref(b);
  g_free(tmp);
  return ok ? 0 : -1;
}

/* The journal of the cache folder, moved into the state folder once,
 * under a lock so that two processes starting at once do not both move
 * (or one open a new empty journal while the other moves). The main file
 * goes last: while it is not there, a later start moves again. */
static int move_old_journal(wapf_context *ctx, const char *state) {
  char old[1024], lock[1100];
  if (wapf__cache_dir(NULL, old, sizeof old) != 0 || strcmp(old, state) == 0)
    return WAPF_OK;
  snprintf(lock, sizeof lock, "%s/.journal-move.lock", state);
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return wapf__from_errno(ctx, errno, "journal folder");
  while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
    ;
  int rc = WAPF_OK;
  static const char *const suffix[] = {"-wal", "-shm", ""};
  char *to = g_strdup_printf("%s/send-journal.sqlite", state);
  if (access(to, F_OK) != 0)
    for (int i = 0; rc == WAPF_OK && i < 3; i++) {
      char *a = g_strdup_printf("%s/send-journal.sqlite%s", old, suffix[i]);
      char *b = g_strdup_printf("%s%s", to, suffix[i]);
      if (move_file(a, b) != 0)
        rc = wapf__fail(ctx, WAPF_EIO, "moving the journal %s to %s: %s", a,
                        state, strerror(errno));
      else if (i == 2 && access(b, F_OK) == 0)
        wapf__log(ctx, WAPF_LOG_INFO, "the send journal moved from %s to %s",
                  old, state);
      g_free(a);
      g_free(b);
    }
  g_free(to);
  close(fd); /* releases the lock */
  return rc;
}

int wapf__journal_path(wapf_context *ctx, const char *cache_dir, char **path) {
  char dir[1024];
  int given = cache_dir && *cache_dir;
  int e = given ? wapf__cache_dir(cache_dir, dir, sizeof dir)
                : wapf__state_dir(dir, sizeof dir);
  if (e != 0 || wapf__make_dirs(dir) != 0)
    return wapf__from_errno(ctx, errno ? errno : ENOENT, "journal folder");
  int rc = given ? WAPF_OK : move_old_journal(ctx, dir);
  if (rc == WAPF_OK)
    *path = g_strdup_printf("%s/send-journal.sqlite", dir);
  return rc;
}
