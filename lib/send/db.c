/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store's front: the calls of db.h dispatched to the back end of the
 * handle (db_sqlite.c, db_pg.c), the one-line failures, and the
 * reconnection with back-off after a lost connection. */
#include "db.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int wapf__db_set_error(wapf__db *db, int code, int lost, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(db->err, sizeof db->err, fmt, ap);
  va_end(ap);
  /* one line: the back ends' texts may span several */
  for (char *p = db->err; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = p[1] ? ' ' : '\0';
  db->code = code;
  db->lost = lost;
  return code;
}

int wapf__db_open(wapf_context *ctx, wapf__db_kind kind, const char *target,
                  wapf__db **out) {
  *out = NULL;
  wapf__db *db = calloc(1, sizeof *db);
  if (!db)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  db->kind = kind;
  db->ops = kind == WAPF_DB_PG ? &wapf__db_pg_ops : &wapf__db_sqlite_ops;
  int rc = db->ops->open(db, target);
  if (rc != WAPF_OK) {
    rc = wapf__fail(ctx, rc, "%s", db->err);
    wapf__db_close(&db);
    return rc;
  }
  *out = db;
  return WAPF_OK;
}

void wapf__db_close(wapf__db **db) {
  if (!db || !*db)
    return;
  (*db)->ops->close(*db);
  free(*db);
  *db = NULL;
}

wapf__db_kind wapf__db_dialect(const wapf__db *db) {
  return db->kind;
}

const char *wapf__db_where(const wapf__db *db) {
  return db->where;
}

int wapf__db_exec(wapf__db *db, const char *sql) {
  return db->ops->exec(db, sql);
}

int wapf__db_prepare(wapf__db *db, const char *sql, wapf__stmt **out) {
  *out = NULL;
  return db->ops->prepare(db, sql, out);
}

void wapf__db_bind_text(wapf__stmt *st, int i, const char *v) {
  st->db->ops->bind(st, i, v ? WAPF_DB_T_TEXT : WAPF_DB_T_NULL, v,
                    v ? strlen(v) : 0);
}

void wapf__db_bind_int64(wapf__stmt *st, int i, long long v) {
  st->db->ops->bind(st, i, WAPF_DB_T_INT, &v, sizeof v);
}

void wapf__db_bind_double(wapf__stmt *st, int i, double v) {
  st->db->ops->bind(st, i, WAPF_DB_T_DOUBLE, &v, sizeof v);
}

void wapf__db_bind_blob(wapf__stmt *st, int i, const void *v, size_t n) {
  st->db->ops->bind(st, i, WAPF_DB_T_BLOB, v ? v : "", n);
}

int wapf__db_step(wapf__stmt *st) {
  return st->db->ops->step(st);
}

const char *wapf__db_text(wapf__stmt *st, int i) {
  return st->db->ops->text(st, i);
}

long long wapf__db_int64(wapf__stmt *st, int i) {
  return st->db->ops->int64(st, i);
}

double wapf__db_double(wapf__stmt *st, int i) {
  return st->db->ops->dbl(st, i);
}

const void *wapf__db_blob(wapf__stmt *st, int i, size_t *n) {
  return st->db->ops->blob(st, i, n);
}

void wapf__db_finalize(wapf__stmt **st) {
  if (st && *st) {
    (*st)->db->ops->finalize(*st);
    *st = NULL;
  }
}

int wapf__db_begin(wapf__db *db, const char *lock) {
  return db->ops->begin(db, lock);
}

int wapf__db_commit(wapf__db *db) {
  return db->ops->exec(db, "COMMIT");
}

void wapf__db_rollback(wapf__db *db) {
  /* keep the failure that made the caller roll back */
  int code = db->code, lost = db->lost;
  char err[sizeof db->err];
  memcpy(err, db->err, sizeof err);
  db->ops->exec(db, "ROLLBACK");
  db->code = code;
  db->lost = lost;
  memcpy(db->err, err, sizeof err);
}

int wapf__db_try_lock(wapf__db *db, const char *key, int *got) {
  return db->ops->try_lock(db, key, got);
}

void wapf__db_unlock(wapf__db *db, const char *key) {
  db->ops->unlock(db, key);
}

const char *wapf__db_error(const wapf__db *db) {
  return db->err[0] ? db->err : "unknown failure";
}

int wapf__db_lost(const wapf__db *db) {
  return db->lost;
}

int wapf__db_fail(wapf_context *ctx, wapf__db *db, const char *what) {
  return wapf__fail(ctx, db->code ? db->code : WAPF_EIO, "%s: %s", what,
                    wapf__db_error(db));
}

static double wait_limit(void) {
  const char *v = getenv("WA_PREFLIGHT_DB_WAIT_S");
  char *end = NULL;
  double s = v && *v ? strtod(v, &end) : 0;
  return end && !*end && s >= 0 && s < 86400 ? s : 300;
}

/* Sleep for s seconds in short steps; 0 when cancelled. */
static int nap(wapf_context *ctx, double s) {
  double end = (double)g_get_monotonic_time() / 1e6 + s;
  while ((double)g_get_monotonic_time() / 1e6 < end) {
    if (wapf__cancelled(ctx))
      return 0;
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return !wapf__cancelled(ctx);
}

int wapf__db_reconnect(wapf_context *ctx, wapf__db *db) {
  if (!db->ops->reset || db->ops->reset(db) == WAPF_OK) {
    db->gave_up = 0;
    return WAPF_OK; /* still (or again) connected */
  }
  if (db->gave_up)
    return wapf__fail(ctx, WAPF_EIO, "the store %s does not answer: %s",
                      db->where, wapf__db_error(db));
  double limit = wait_limit(), start = (double)g_get_monotonic_time() / 1e6;
  double wait = 0.5;
  wapf__log(ctx, WAPF_LOG_WARNING,
            "the store %s does not answer (%s): waiting for it", db->where,
            wapf__db_error(db));
  for (;;) {
    double left = start + limit - (double)g_get_monotonic_time() / 1e6;
    if (left <= 0) {
      db->gave_up = 1;
      return wapf__fail(ctx, WAPF_EIO,
                        "the store %s did not answer for %.0f s: %s", db->where,
                        limit, wapf__db_error(db));
    }
    if (!nap(ctx, wait < left ? wait : left))
      return wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
    if (db->ops->reset(db) == WAPF_OK) {
      wapf__log(ctx, WAPF_LOG_INFO, "the store %s answers again", db->where);
      return WAPF_OK;
    }
    wait = wait * 2 > 30 ? 30 : wait * 2;
  }
}
