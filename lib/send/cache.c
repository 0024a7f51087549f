/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The media-id cache: SQLite in WAL mode with a busy timeout (safe for
 * concurrent runs), under $XDG_CACHE_HOME/wa-preflight. The key is
 * provider + base URL + sender + the file's SHA-256; an id is used for 30
 * days (Meta keeps uploaded media that long). */
#include "send.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#define WAPF_CACHE_TTL (30 * 24 * 3600)
#define WAPF_CACHE_BUSY_MS 10000

struct wapf__cache {
  sqlite3 *db;
  int lock_fd; /* upload.lock, -1 when not open */
};

int wapf__cache_dir(const char *given, char *out, size_t size) {
  const char *x = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  int n;
  if (given && *given)
    n = snprintf(out, size, "%s", given);
  else if (x && *x)
    n = snprintf(out, size, "%s/wa-preflight", x);
  else if (home && *home)
    n = snprintf(out, size, "%s/.cache/wa-preflight", home);
  else
    return -1;
  if (n < 0 || (size_t)n >= size) { /* never a cut name: another folder */
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

/* mkdir -p with 0700 for what it creates (GLib's; errno on failure). */
int wapf__make_dirs(const char *path) {
  return g_mkdir_with_parents(path, 0700);
}

static const char k_schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS media("
    " key TEXT PRIMARY KEY, media_id TEXT NOT NULL, created INTEGER NOT NULL);";

int wapf__cache_open(wapf__send *s, wapf__cache **out) {
  char dir[1024], path[1100];
  if (wapf__cache_dir(s->req->cache_dir, dir, sizeof dir) != 0 ||
      wapf__make_dirs(dir) != 0)
    return wapf__from_errno(s->ctx, errno ? errno : ENOENT, "cache folder");
  snprintf(path, sizeof path, "%s/media-ids.sqlite", dir);
  wapf__cache *c = calloc(1, sizeof *c);
  if (!c)
    return wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
  char lock[1100];
  snprintf(lock, sizeof lock, "%s/upload.lock", dir);
  c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  int e = sqlite3_open_v2(
      path, &c->db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (e == SQLITE_OK)
    e = sqlite3_busy_timeout(c->db, WAPF_CACHE_BUSY_MS);
  if (e == SQLITE_OK)
    e = sqlite3_exec(c->db, k_schema, NULL, NULL, NULL);
  if (e != SQLITE_OK) {
    int rc = wapf__fail(s->ctx, WAPF_EIO, "media-id cache %s: %s", path,
                        c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(e));
    sqlite3_close(c->db);
    if (c->lock_fd >= 0)
      close(c->lock_fd);
    free(c);
    return rc;
  }
  *out = c;
  return WAPF_OK;
}

void wapf__cache_close(wapf__cache **c) {
  if (!c || !*c)
    return;
  sqlite3_close((*c)->db);
  if ((*c)->lock_fd >= 0)
    close((*c)->lock_fd); /* also releases the lock */
  free(*c);
  *c = NULL;
}

void wapf__sender(const wapf__send *s, char *sender, size_t size) {
  /* The phone-number id, the --from number, or (for a key that is the
   * number's identity, as with 360dialog) a hash of it. */
  sender[0] = '\0';
  if (s->creds.phone_number_id)
    wapf__strlcpy(sender, s->creds.phone_number_id, size);
  else if (s->req->from)
    wapf__strlcpy(sender, s->req->from, size);
  else if (s->creds.token) {
    gchar *h =
        g_compute_checksum_for_string(G_CHECKSUM_SHA256, s->creds.token, -1);
    snprintf(sender, size, "key:%.16s", h);
    g_free(h);
  }
}

char *wapf__cache_key(const wapf__send *s) {
  char sender[80];
  wapf__sender(s, sender, sizeof sender);
  return g_strdup_printf("%s|%s|%s|%s", s->prov->name, s->base, sender,
                         s->sha256);
}

static int step_text(sqlite3_stmt *st, char *id, size_t size) {
  int found = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char *v = sqlite3_column_text(st, 0);
    if (v && *v) {
      wapf__strlcpy(id, (const char *)v, size);
      found = 1;
    }
  }
  return found;
}

int wapf__cache_get(wapf__cache *c, const char *key, char *id, size_t size) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(c->db,
                         "SELECT media_id FROM media WHERE key=?1 AND "
                         "created>?2",
                         -1, &st, NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL) - WAPF_CACHE_TTL);
  int found = step_text(st, id, size);
  sqlite3_finalize(st);
  return found;
}

static int exec_kv(wapf__cache *c, const char *sql, const char *key,
                   const char *id) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
    return WAPF_EIO;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  if (id) {
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
  }
  int e = sqlite3_step(st);
  sqlite3_finalize(st);
  return e == SQLITE_DONE ? WAPF_OK : WAPF_EIO;
}

int wapf__cache_put(wapf__cache *c, const char *key, const char *id) {
  return exec_kv(c,
                 "INSERT OR REPLACE INTO media(key, media_id, created) "
                 "VALUES(?1, ?2, ?3)",
                 key, id);
}

int wapf__cache_drop(wapf__cache *c, const char *key) {
  return exec_kv(c, "DELETE FROM media WHERE key=?1", key, NULL);
}

int wapf__cache_lock(wapf__send *s, wapf__cache *c) {
  if (!c || c->lock_fd < 0)
    return WAPF_OK; /* no lock file: the cache still works, unshared */
  while (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return WAPF_OK;
    if (wapf__cancelled(s->ctx))
      return wapf__fail(s->ctx, WAPF_ECANCELLED, "cancelled");
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return WAPF_OK;
}

void wapf__cache_unlock(wapf__cache *c) {
  if (c && c->lock_fd >= 0)
    flock(c->lock_fd, LOCK_UN);
}
