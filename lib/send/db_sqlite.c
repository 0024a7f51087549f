/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store on SQLite: a file in WAL mode with a busy timeout, so that
 * concurrent runs on one machine wait for each other instead of failing;
 * BEGIN IMMEDIATE takes the one writer's lock. */
#include "db.h"

#include <glib.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_MS 30000

typedef struct sq_stmt {
  struct wapf__stmt base;
  sqlite3_stmt *st;
} sq_stmt;

#define H(db) ((sqlite3 *)(db)->h)
#define ST(s) (((sq_stmt *)(s))->st)

/* SQLite's result codes in WAPF_E* (all are the journal's I/O). */
static int fail(wapf__db *db, int e) {
  const char *msg = db->h ? sqlite3_errmsg(H(db)) : sqlite3_errstr(e);
  int prim = e & 0xff;
  int code = prim == SQLITE_NOMEM ? WAPF_ENOMEM : WAPF_EIO;
  if (prim == SQLITE_FULL)
    return wapf__db_set_error(db, code, 0, "%s: the disk is full (%s)",
                              db->where, msg);
  if (prim == SQLITE_READONLY)
    return wapf__db_set_error(db, code, 0, "%s: read-only (%s)", db->where,
                              msg);
  return wapf__db_set_error(db, code, 0, "%s: %s", db->where, msg);
}

/* WAL mode: a first open racing another one's gets SQLITE_BUSY without
 * the busy handler (the mode change takes the file's lock): tried again
 * for up to BUSY_MS. */
static int wal_mode(sqlite3 *h) {
  int e = SQLITE_BUSY;
  for (int ms = 0; (e & 0xff) == SQLITE_BUSY && ms <= BUSY_MS; ms += 10) {
    e = sqlite3_exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                     NULL, NULL, NULL);
    if ((e & 0xff) == SQLITE_BUSY)
      g_usleep(10000);
  }
  return e;
}

static int sq_open(wapf__db *db, const char *path) {
  sqlite3 *h = NULL;
  g_strlcpy(db->where, path, sizeof db->where);
  int e = sqlite3_open_v2(
      path, &h,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  db->h = h;
  if (e == SQLITE_OK)
    e = sqlite3_busy_timeout(h, BUSY_MS);
  if (e == SQLITE_OK)
    e = wal_mode(h);
  return e == SQLITE_OK ? WAPF_OK : fail(db, e);
}

static void sq_close(wapf__db *db) {
  sqlite3_close(H(db));
  db->h = NULL;
}

static int sq_exec(wapf__db *db, const char *sql) {
  int e = sqlite3_exec(H(db), sql, NULL, NULL, NULL);
  return e == SQLITE_OK ? WAPF_OK : fail(db, e);
}

static int sq_prepare(wapf__db *db, const char *sql, wapf__stmt **out) {
  sq_stmt *s = calloc(1, sizeof *s);
  if (!s)
    return wapf__db_set_error(db, WAPF_ENOMEM, 0, "out of memory");
  s->base.db = db;
  int e = sqlite3_prepare_v2(H(db), sql, -1, &s->st, NULL);
  if (e != SQLITE_OK) {
    free(s);
    return fail(db, e);
  }
  *out = &s->base;
  return WAPF_OK;
}

static void sq_bind(wapf__stmt *st, int i, int type, const void *v, size_t n) {
  sqlite3_stmt *s = ST(st);
  switch (type) {
  case WAPF_DB_T_TEXT:
    sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT);
    break;
  case WAPF_DB_T_INT:
    sqlite3_bind_int64(s, i, (sqlite3_int64) * (const long long *)v);
    break;
  case WAPF_DB_T_DOUBLE: sqlite3_bind_double(s, i, *(const double *)v); break;
  case WAPF_DB_T_BLOB:
    sqlite3_bind_blob(s, i, v, (int)n, SQLITE_TRANSIENT);
    break;
  default: sqlite3_bind_null(s, i); break;
  }
}

static int sq_step(wapf__stmt *st) {
  int e = sqlite3_step(ST(st));
  if (e == SQLITE_ROW)
    return 1;
  if (e == SQLITE_DONE)
    return 0;
  return fail(st->db, e);
}

static const char *sq_text(wapf__stmt *st, int i) {
  return (const char *)sqlite3_column_text(ST(st), i);
}

static long long sq_int64(wapf__stmt *st, int i) {
  return (long long)sqlite3_column_int64(ST(st), i);
}

static double sq_double(wapf__stmt *st, int i) {
  return sqlite3_column_double(ST(st), i);
}

static const void *sq_blob(wapf__stmt *st, int i, size_t *n) {
  const void *v = sqlite3_column_blob(ST(st), i);
  *n = (size_t)sqlite3_column_bytes(ST(st), i);
  return v;
}

static void sq_finalize(wapf__stmt *st) {
  sqlite3_finalize(ST(st));
  free(st);
}

static int sq_begin(wapf__db *db, const char *lock) {
  (void)lock; /* one writer at a time already */
  return sq_exec(db, "BEGIN IMMEDIATE");
}

static int sq_try_lock(wapf__db *db, const char *key, int *got) {
  (void)db;
  (void)key;
  *got = 1;
  return WAPF_OK;
}

static void sq_unlock(wapf__db *db, const char *key) {
  (void)db;
  (void)key;
}

const wapf__db_ops wapf__db_sqlite_ops = {
    sq_open,     sq_close, sq_exec,     sq_prepare, sq_bind,
    sq_step,     sq_text,  sq_int64,    sq_double,  sq_blob,
    sq_finalize, sq_begin, sq_try_lock, sq_unlock,  NULL,
};
