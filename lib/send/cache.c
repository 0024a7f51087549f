/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The media-id cache, in the store: a SQLite file under
 * $XDG_CACHE_HOME/wa-preflight (WAL, busy timeout: safe for concurrent
 * runs), or the PostgreSQL database of the journal. The key is provider +
 * base URL + sender + the file's SHA-256; an id is used for 30 days (Meta
 * keeps uploaded media that long). Look-up + upload + store run under a
 * lock per key, so that concurrent senders upload a file once and the
 * others take its id: flock on upload.lock (SQLite), a session advisory
 * lock (PostgreSQL; released by the server if the process dies). */
#include "status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#define WAPF_CACHE_TTL (30 * 24 * 3600)

struct wapf__cache {
  wapf__db *db;
  int owned;    /* db is the cache's own file (else the journal's) */
  int lock_fd;  /* upload.lock, -1 when not open */
  char *locked; /* the key whose advisory lock is held (PostgreSQL) */
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

static const wapf__db_version k_steps[] = {
    {1,
     "CREATE TABLE IF NOT EXISTS media(key TEXT PRIMARY KEY,"
     " media_id TEXT NOT NULL, created INTEGER NOT NULL);",
     "CREATE TABLE IF NOT EXISTS media(key TEXT PRIMARY KEY,"
     " media_id TEXT NOT NULL, created BIGINT NOT NULL);",
     NULL},
};

/* The cache's SQLite file and its lock file in the cache folder. */
static int open_file(wapf__send *s, wapf__cache *c) {
  char dir[1024], path[1100], lock[1100];
  if (wapf__cache_dir(s->req->cache_dir, dir, sizeof dir) != 0 ||
      wapf__make_dirs(dir) != 0)
    return wapf__from_errno(s->ctx, errno ? errno : ENOENT, "cache folder");
  snprintf(path, sizeof path, "%s/media-ids.sqlite", dir);
  snprintf(lock, sizeof lock, "%s/upload.lock", dir);
  c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  c->owned = 1;
  return wapf__db_open(s->ctx, WAPF_DB_SQLITE, path, &c->db);
}

/* PostgreSQL: the journal's connection. */
static int open_shared(wapf__send *s, wapf__cache *c) {
  wapf__journal *j = NULL;
  int rc =
      wapf__journal_open(s->ctx, s->req->cache_dir, s->req->config_path, &j);
  if (rc == WAPF_OK)
    c->db = wapf__journal_db(j);
  wapf__journal_close(&j);
  return rc;
}

int wapf__cache_open(wapf__send *s, wapf__cache **out) {
  wapf__cache *c = calloc(1, sizeof *c);
  if (!c)
    return wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
  c->lock_fd = -1;
  char *url = NULL;
  int rc = wapf__store_url(s->ctx, s->req->config_path, &url);
  if (rc == WAPF_OK)
    rc = url ? open_shared(s, c) : open_file(s, c);
  if (url) {
    memset(url, 0, strlen(url));
    free(url);
  }
  if (rc == WAPF_OK && wapf__db_migrate(c->db, "cache", k_steps, 1) != WAPF_OK)
    rc = wapf__db_fail(s->ctx, c->db, "media-id cache");
  if (rc != WAPF_OK) {
    wapf__cache_close(&c);
    return rc;
  }
  *out = c;
  return WAPF_OK;
}

void wapf__cache_close(wapf__cache **c) {
  if (!c || !*c)
    return;
  wapf__cache_unlock(*c);
  if ((*c)->owned)
    wapf__db_close(&(*c)->db);
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

int wapf__cache_get(wapf__cache *c, const char *key, char *id, size_t size) {
  wapf__stmt *st = NULL;
  if (wapf__db_prepare(c->db,
                       "SELECT media_id FROM media WHERE key=?1 AND "
                       "created>?2",
                       &st) != WAPF_OK)
    return 0;
  wapf__db_bind_text(st, 1, key);
  wapf__db_bind_int64(st, 2, (long long)time(NULL) - WAPF_CACHE_TTL);
  int found = 0;
  if (wapf__db_step(st) == 1) {
    const char *v = wapf__db_text(st, 0);
    if (v && *v) {
      wapf__strlcpy(id, v, size);
      found = 1;
    }
  }
  wapf__db_finalize(&st);
  return found;
}

static int exec_kv(wapf__cache *c, const char *sql, const char *key,
                   const char *id) {
  wapf__stmt *st = NULL;
  if (wapf__db_prepare(c->db, sql, &st) != WAPF_OK)
    return WAPF_EIO;
  wapf__db_bind_text(st, 1, key);
  if (id) {
    wapf__db_bind_text(st, 2, id);
    wapf__db_bind_int64(st, 3, (long long)time(NULL));
  }
  int e = wapf__db_step(st);
  wapf__db_finalize(&st);
  return e >= 0 ? WAPF_OK : WAPF_EIO;
}

int wapf__cache_put(wapf__cache *c, const char *key, const char *id) {
  return exec_kv(c,
                 "INSERT INTO media(key, media_id, created) VALUES(?1, ?2, "
                 "?3) ON CONFLICT(key) DO UPDATE SET media_id="
                 "excluded.media_id, created=excluded.created",
                 key, id);
}

int wapf__cache_drop(wapf__cache *c, const char *key) {
  return exec_kv(c, "DELETE FROM media WHERE key=?1", key, NULL);
}

static void nap_20ms(void) {
  struct timespec ts = {0, 20 * 1000000L};
  nanosleep(&ts, NULL);
}

/* PostgreSQL: the key's session lock, polled so that a cancel is seen. */
static int lock_pg(wapf__send *s, wapf__cache *c, const char *key) {
  char *name = g_strconcat("media:", key, NULL);
  int got = 0;
  while (wapf__db_try_lock(c->db, name, &got) == WAPF_OK && !got) {
    if (wapf__cancelled(s->ctx)) {
      g_free(name);
      return wapf__fail(s->ctx, WAPF_ECANCELLED, "cancelled");
    }
    nap_20ms();
  }
  if (got)
    c->locked = name; /* else the store failed: the cache works unshared */
  else
    g_free(name);
  return WAPF_OK;
}

int wapf__cache_lock(wapf__send *s, wapf__cache *c, const char *key) {
  if (c && wapf__db_dialect(c->db) == WAPF_DB_PG)
    return lock_pg(s, c, key);
  if (!c || c->lock_fd < 0)
    return WAPF_OK; /* no lock file: the cache still works, unshared */
  while (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return WAPF_OK;
    if (wapf__cancelled(s->ctx))
      return wapf__fail(s->ctx, WAPF_ECANCELLED, "cancelled");
    nap_20ms();
  }
  return WAPF_OK;
}

void wapf__cache_unlock(wapf__cache *c) {
  if (c && c->locked) {
    wapf__db_unlock(c->db, c->locked);
    g_free(c->locked);
    c->locked = NULL;
  }
  if (c && c->lock_fd >= 0)
    flock(c->lock_fd, LOCK_UN);
}
