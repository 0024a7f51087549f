/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The batch state: outdir/.wa-preflight/state.db (SQLite, WAL), or
 * shard-K-of-N.db for a shard, one row per input keyed by its relative
 * path, and a meta table (what the last run planned, whether it
 * finished). Read once at the start into memory; written row by row from
 * the caller's thread only. */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct wapf__state {
  sqlite3 *db;
  sqlite3_stmt *put;
  int lock_fd;       /* flock on the state folder, -1 read-only */
  int shard_fd;      /* flock on shard-K-of-N.lock, -1 when unsharded */
  GHashTable *rows;  /* rel -> wapf__brow* */
  GHashTable *owned; /* outputs named by any row */
  wapf_context *ctx;
};

static const char k_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS files("
    " path TEXT PRIMARY KEY, in_size INTEGER, in_mtime_ns INTEGER,"
    " in_hash TEXT, options TEXT, output TEXT, want TEXT, out_size INTEGER,"
    " out_mtime_ns INTEGER, out_hash TEXT, kind TEXT, plan TEXT,"
    " action TEXT, status TEXT, code INTEGER, error TEXT, findings TEXT,"
    " updated INTEGER);"
    "INSERT OR IGNORE INTO meta VALUES('schema', '1');";

static const char k_put[] =
    "INSERT OR REPLACE INTO files VALUES"
    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)";

static const char k_select[] =
    "SELECT path, in_size, in_mtime_ns, in_hash, options, output, want,"
    " out_size, out_mtime_ns, out_hash, kind, plan, action, status, code,"
    " error, findings, updated FROM files";

static int db_fail(wapf__state *st, const char *what) {
  return wapf__fail(st->ctx, WAPF_EIO, "batch state: %s: %s", what,
                    st->db ? sqlite3_errmsg(st->db) : "cannot open");
}

static char *dup_col(sqlite3_stmt *s, int i) {
  const unsigned char *t = sqlite3_column_text(s, i);
  return t ? strdup((const char *)t) : NULL;
}

static void copy_col(sqlite3_stmt *s, int i, char *dst, size_t n) {
  const unsigned char *t = sqlite3_column_text(s, i);
  wapf__strlcpy(dst, t ? (const char *)t : "", n);
}

wapf_plan wapf__plan_from_name(const char *name) {
  for (int p = WAPF_PLAN_NONE; p <= WAPF_PLAN_UNFIXABLE; p++)
    if (name && strcmp(name, wapf_plan_name((wapf_plan)p)) == 0)
      return (wapf_plan)p;
  return WAPF_PLAN_NONE;
}

int wapf__action_from_name(const char *name) {
  for (int a = WAPF_BATCH_CONVERTED; a <= WAPF_BATCH_FAILED; a++)
    if (name && strcmp(name, wapf_batch_action_name(a)) == 0)
      return a;
  return WAPF_BATCH_FAILED;
}

static void row_free(gpointer p) {
  wapf__brow *r = p;
  free(r->options);
  free(r->output);
  free(r->want);
  free(r->error);
  free(r->findings);
  free(r);
}

static wapf__brow *row_read(sqlite3_stmt *s) {
  wapf__brow *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  char buf[32];
  r->in_size = sqlite3_column_int64(s, 1);
  r->in_mtime_ns = sqlite3_column_int64(s, 2);
  copy_col(s, 3, r->in_hash, sizeof r->in_hash);
  r->options = dup_col(s, 4);
  r->output = dup_col(s, 5);
  r->want = dup_col(s, 6);
  r->out_size = sqlite3_column_int64(s, 7);
  r->out_mtime_ns = sqlite3_column_int64(s, 8);
  copy_col(s, 9, r->out_hash, sizeof r->out_hash);
  copy_col(s, 10, buf, sizeof buf);
  if (wapf_kind_from_name(buf, &r->kind) != WAPF_OK)
    r->kind = WAPF_KIND_AUTO;
  copy_col(s, 11, buf, sizeof buf);
  r->plan = wapf__plan_from_name(buf);
  copy_col(s, 12, buf, sizeof buf);
  r->action = wapf__action_from_name(buf);
  copy_col(s, 13, r->status, sizeof r->status);
  r->code = sqlite3_column_int(s, 14);
  r->error = dup_col(s, 15);
  r->findings = dup_col(s, 16);
  r->updated = sqlite3_column_int64(s, 17);
  return r;
}

static int load_rows(wapf__state *st) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(st->db, k_select, -1, &s, NULL) != SQLITE_OK)
    return db_fail(st, "reading");
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *path = (const char *)sqlite3_column_text(s, 0);
    wapf__brow *r = path ? row_read(s) : NULL;
    if (!r)
      continue;
    if (r->output)
      g_hash_table_add(st->owned, g_strdup(r->output));
    g_hash_table_replace(st->rows, g_strdup(path), r);
  }
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? WAPF_OK : db_fail(st, "reading");
}

/* Lock the state folder so that two runs never share an outdir: an
 * unsharded run takes it exclusively, a shard shared (so shards run
 * together but never beside an unsharded run) plus its own lock file. */
static int lock_dir(wapf__state *st, const char *dir, const char *shard) {
  st->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (st->lock_fd < 0)
    return wapf__from_errno(st->ctx, errno, dir);
  if (flock(st->lock_fd, (shard ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0)
    return wapf__fail(st->ctx, WAPF_EIO, "%s: %s", dir,
                      shard ? "an unsharded batch is running on this output "
                              "folder"
                            : "another batch is running on this output folder");
  if (!shard)
    return WAPF_OK;
  char *lock = g_strdup_printf("%s/%s.lock", dir, shard);
  st->shard_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  int err = errno;
  g_free(lock);
  if (st->shard_fd < 0)
    return wapf__from_errno(st->ctx, err, dir);
  if (flock(st->shard_fd, LOCK_EX | LOCK_NB) != 0)
    return wapf__fail(st->ctx, WAPF_EIO,
                      "%s: %s is already running on this output folder", dir,
                      shard);
  return WAPF_OK;
}

/* A read-only URI for path: "immutable" (no -wal/-shm files created) when
 * no write-ahead log is left over, else plain read-only. */
char *wapf__state_ro_uri(const char *path) {
  GString *u = g_string_new("file:");
  for (const char *p = path; *p; p++) {
    if (*p == '%' || *p == '?' || *p == '#')
      g_string_append_printf(u, "%%%02X", (unsigned char)*p);
    else
      g_string_append_c(u, *p);
  }
  char *wal = g_strdup_printf("%s-wal", path);
  struct stat sb;
  g_string_append(u, stat(wal, &sb) == 0 ? "?mode=ro" : "?immutable=1");
  g_free(wal);
  return g_string_free(u, FALSE);
}

static int open_db(wapf__state *st, const char *dir, const char *name,
                   int read_only) {
  char *path = g_strdup_printf("%s/%s.db", dir, name);
  if (!path)
    return wapf__fail(st->ctx, WAPF_ENOMEM, "out of memory");
  int rc;
  if (read_only) {
    char *uri = wapf__state_ro_uri(path);
    rc = sqlite3_open_v2(
        uri, &st->db,
        SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    g_free(uri);
  } else {
    rc = sqlite3_open_v2(
        path, &st->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  }
  g_free(path);
  if (rc != SQLITE_OK)
    return db_fail(st, "opening");
  sqlite3_busy_timeout(st->db, 5000);
  if (read_only)
    return WAPF_OK;
  if (sqlite3_exec(st->db, k_schema, NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(st, "creating");
  if (sqlite3_prepare_v2(st->db, k_put, -1, &st->put, NULL) != SQLITE_OK)
    return db_fail(st, "preparing");
  return WAPF_OK;
}

/* The outputs the other state databases of dir recorded (an earlier
 * unsharded run, shards of another N) are ours too: a run may replace
 * them. Read-only; a database that cannot be read is only logged. */
static void load_others(wapf__state *st, const char *dir, const char *own) {
  DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    if (n < 4 || strcmp(de->d_name + n - 3, ".db") != 0 ||
        (strncmp(de->d_name, own, n - 3) == 0 && own[n - 3] == '\0'))
      continue;
    char *path = g_strdup_printf("%s/%s", dir, de->d_name);
    char *uri = wapf__state_ro_uri(path);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_open_v2(
        uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
        NULL);
    if (rc == SQLITE_OK)
      rc = sqlite3_prepare_v2(
          db, "SELECT output FROM files WHERE output IS NOT NULL", -1, &q,
          NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
      const char *o = (const char *)sqlite3_column_text(q, 0);
      if (o)
        g_hash_table_add(st->owned, g_strdup(o));
      rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE)
      wapf__log(st->ctx, WAPF_LOG_INFO, "batch state: %s not read: %s", path,
                db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_finalize(q);
    sqlite3_close(db);
    g_free(uri);
    g_free(path);
  }
  if (d)
    closedir(d);
}

int wapf__state_open(wapf_context *ctx, const char *outdir, const char *shard,
                     int read_only, wapf__state **out) {
  *out = NULL;
  char *dir = g_build_filename(outdir, WAPF__STATE_DIR, NULL);
  struct stat sb;
  if (read_only && stat(dir, &sb) != 0) {
    g_free(dir);
    return WAPF_OK; /* a dry run before any real run */
  }
  if (!read_only && mkdir(dir, 0755) != 0 && errno != EEXIST) {
    int rc = wapf__from_errno(ctx, errno, dir);
    g_free(dir);
    return rc == WAPF_ENOMEM ? rc : WAPF_EIO;
  }
  wapf__state *st = calloc(1, sizeof *st);
  if (!st) {
    g_free(dir);
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  }
  st->ctx = ctx;
  st->lock_fd = -1;
  st->shard_fd = -1;
  st->rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, row_free);
  st->owned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  int rc = read_only ? WAPF_OK : lock_dir(st, dir, shard);
  if (rc == WAPF_OK)
    rc = open_db(st, dir, shard ? shard : "state", read_only);
  if (rc == WAPF_OK)
    rc = load_rows(st);
  if (rc == WAPF_OK && !read_only)
    load_others(st, dir, shard ? shard : "state");
  g_free(dir);
  if (rc != WAPF_OK && read_only) {
    wapf__log(ctx, WAPF_LOG_INFO, "%s", wapf_last_error(ctx));
    wapf__clear(ctx);
    rc = WAPF_OK; /* a dry run goes on without the state */
    wapf__state_close(&st);
  }
  if (rc != WAPF_OK)
    wapf__state_close(&st);
  *out = st;
  return rc;
}

void wapf__state_close(wapf__state **pst) {
  wapf__state *st = pst ? *pst : NULL;
  if (!st)
    return;
  sqlite3_finalize(st->put);
  sqlite3_close(st->db); /* before the lock goes away */
  if (st->shard_fd >= 0)
    close(st->shard_fd);
  if (st->lock_fd >= 0)
    close(st->lock_fd);
  g_hash_table_destroy(st->rows);
  g_hash_table_destroy(st->owned);
  free(st);
  *pst = NULL;
}

const wapf__brow *wapf__state_get(const wapf__state *st, const char *rel) {
  return st ? g_hash_table_lookup(st->rows, rel) : NULL;
}

int wapf__state_owns(const wapf__state *st, const char *rel_out) {
  return st && g_hash_table_contains(st->owned, rel_out);
}

int wapf__state_begin(wapf__state *st) {
  if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(st, "begin");
  return WAPF_OK;
}

int wapf__state_commit(wapf__state *st) {
  if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(st, "commit");
  return WAPF_OK;
}

static void bind_text(sqlite3_stmt *s, int i, const char *t) {
  if (t && *t)
    sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(s, i);
}

int wapf__state_put(wapf__state *st, const wapf__bentry *e, const char *options,
                    const char *status) {
  sqlite3_stmt *s = st->put;
  int done = strcmp(status, "done") == 0;
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  bind_text(s, 1, e->rel);
  sqlite3_bind_int64(s, 2, e->size);
  sqlite3_bind_int64(s, 3, e->mtime_ns);
  bind_text(s, 4, e->in_hash);
  bind_text(s, 5, options);
  bind_text(s, 6, e->out);
  bind_text(s, 7, e->want);
  sqlite3_bind_int64(s, 8, done ? e->out_size : 0);
  sqlite3_bind_int64(s, 9, done ? e->out_mtime_ns : 0);
  bind_text(s, 10, done ? e->out_hash : NULL);
  bind_text(s, 11, wapf_kind_name(e->kind));
  bind_text(s, 12, wapf_plan_name(e->plan));
  /* a refreshed skip keeps the action of the run that wrote the output */
  int action = e->action == WAPF_BATCH_SKIPPED && e->row ? e->row->action
                                                         : (int)e->action;
  bind_text(s, 13, wapf_batch_action_name((wapf_batch_action)action));
  bind_text(s, 14, status);
  sqlite3_bind_int(s, 15, e->status);
  bind_text(s, 16, e->error);
  bind_text(s, 17, e->findings);
  sqlite3_bind_int64(s, 18, (sqlite3_int64)time(NULL));
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? WAPF_OK : db_fail(st, "writing");
}

void wapf__state_each(const wapf__state *st, wapf__row_fn fn, void *cookie) {
  if (!st)
    return;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, st->rows);
  while (g_hash_table_iter_next(&it, &k, &v))
    fn(cookie, (const char *)k, (const wapf__brow *)v);
}

int wapf__state_meta(wapf__state *st, const char *key, const char *value) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta VALUES(?1,?2)",
                         -1, &s, NULL) != SQLITE_OK)
    return db_fail(st, "preparing");
  sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, value, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? WAPF_OK : db_fail(st, "writing");
}
