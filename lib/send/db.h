/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store: one small SQL interface over SQLite (a file) and PostgreSQL
 * (libpq). The send journal, the delivery states, the outbox and the
 * media-id cache speak only to it. Internal to lib/send.
 *
 * SQL is written once: parameters are ?1, ?2 ... (rewritten to $1, $2 for
 * PostgreSQL), INSERT .. RETURNING and ON CONFLICT DO NOTHING work on both
 * (SQLite 3.35+); only the DDL of a schema step differs per dialect.
 * Failures are translated once here into WAPF_E* with a one-line detail
 * (wapf__db_error), which callers pass to wapf__fail through
 * wapf__db_fail(). A handle is used by one thread at a time. */
#ifndef WAPF_DB_H
#define WAPF_DB_H

#include "internal.h"

#include <stddef.h>

typedef enum wapf__db_kind { WAPF_DB_SQLITE = 0, WAPF_DB_PG = 1 } wapf__db_kind;

typedef struct wapf__db wapf__db;
typedef struct wapf__stmt wapf__stmt;

/* Open target: a file path (SQLite, created, WAL) or a libpq connection
 * string (postgresql://, postgres:// or key=value). WAPF_EIO, or
 * WAPF_ECONFIG for a refused login or an unknown database; the detail
 * names the host and database only, never the password. */
int wapf__db_open(wapf_context *ctx, wapf__db_kind kind, const char *target,
                  wapf__db **out);
void wapf__db_close(wapf__db **db);
wapf__db_kind wapf__db_dialect(const wapf__db *db);
/* "host:port/db" (PostgreSQL) or the file's path: for messages. */
const char *wapf__db_where(const wapf__db *db);

/* Statements without parameters (several, ';'-separated). WAPF_OK or a
 * code (detail in wapf__db_error). */
int wapf__db_exec(wapf__db *db, const char *sql);
int wapf__db_prepare(wapf__db *db, const char *sql, wapf__stmt **out);
/* Parameters are 1-based and copied; text NULL binds SQL NULL. */
void wapf__db_bind_text(wapf__stmt *st, int i, const char *v);
void wapf__db_bind_int64(wapf__stmt *st, int i, long long v);
void wapf__db_bind_double(wapf__stmt *st, int i, double v);
void wapf__db_bind_blob(wapf__stmt *st, int i, const void *v, size_t n);
/* 1: a row is there; 0: done; else a WAPF_E* code. */
int wapf__db_step(wapf__stmt *st);
/* Columns of the current row (0-based). Text is NULL for SQL NULL and
 * valid until the next step or finalize. */
const char *wapf__db_text(wapf__stmt *st, int i);
long long wapf__db_int64(wapf__stmt *st, int i);
double wapf__db_double(wapf__stmt *st, int i);
const void *wapf__db_blob(wapf__stmt *st, int i, size_t *n);
void wapf__db_finalize(wapf__stmt **st);

/* A write transaction. SQLite: BEGIN IMMEDIATE (one writer at a time).
 * PostgreSQL: BEGIN, and when lock is given, a transaction lock on its
 * hash (pg_advisory_xact_lock), so transactions for one key run one after
 * the other on every host. */
int wapf__db_begin(wapf__db *db, const char *lock);
int wapf__db_commit(wapf__db *db);
void wapf__db_rollback(wapf__db *db);

/* PostgreSQL: a session lock on the hash of key, tried once (*got 1 when
 * taken); released by wapf__db_unlock or when the connection ends. SQLite:
 * always *got = 1 (the caller serialises with a file lock). */
int wapf__db_try_lock(wapf__db *db, const char *key, int *got);
void wapf__db_unlock(wapf__db *db, const char *key);

/* The last failure as one line; its code. */
const char *wapf__db_error(const wapf__db *db);
/* 1 when the last failure was the connection (the server went away). */
int wapf__db_lost(const wapf__db *db);
/* Connected again after a loss: back-off 0.5, 1, 2 ... 30 s, cancellable
 * (ctx), for at most WA_PREFLIGHT_DB_WAIT_S seconds (default 300).
 * WAPF_OK at once while connected; WAPF_EIO (one line) when it gives up,
 * WAPF_ECANCELLED when cancelled. After it gave up once, later calls try
 * once without waiting until the server answers again (a long list does
 * not wait that long for every message). */
int wapf__db_reconnect(wapf_context *ctx, wapf__db *db);
/* wapf__fail(ctx, code, "<what>: <error>") with the code of the last
 * failure (WAPF_EIO when none was recorded). */
int wapf__db_fail(wapf_context *ctx, wapf__db *db, const char *what);

/* ---- versioned schema (schema.c) ---- */
typedef struct wapf__db_version {
  int version;
  const char *sqlite; /* DDL per dialect (NULL: nothing) */
  const char *pg;
  int (*fn)(wapf__db *db); /* or a function (after the DDL) */
} wapf__db_version;
/* Apply the steps of component (in order) that schema_versions does not
 * list, each in the one migration transaction, and record them. */
int wapf__db_migrate(wapf__db *db, const char *component,
                     const wapf__db_version *steps, int n);

/* ---- back ends (db_sqlite.c, db_pg.c) ---- */
typedef struct wapf__db_ops {
  int (*open)(wapf__db *db, const char *target);
  void (*close)(wapf__db *db);
  int (*exec)(wapf__db *db, const char *sql);
  int (*prepare)(wapf__db *db, const char *sql, wapf__stmt **out);
  void (*bind)(wapf__stmt *st, int i, int type, const void *v, size_t n);
  int (*step)(wapf__stmt *st);
  const char *(*text)(wapf__stmt *st, int i);
  long long (*int64)(wapf__stmt *st, int i);
  double (*dbl)(wapf__stmt *st, int i);
  const void *(*blob)(wapf__stmt *st, int i, size_t *n);
  void (*finalize)(wapf__stmt *st);
  int (*begin)(wapf__db *db, const char *lock);
  int (*try_lock)(wapf__db *db, const char *key, int *got);
  void (*unlock)(wapf__db *db, const char *key);
  int (*reset)(wapf__db *db);
} wapf__db_ops;

enum {
  WAPF_DB_T_NULL,
  WAPF_DB_T_TEXT,
  WAPF_DB_T_INT,
  WAPF_DB_T_DOUBLE,
  WAPF_DB_T_BLOB
};

struct wapf__db {
  const wapf__db_ops *ops;
  wapf__db_kind kind;
  void *h;         /* sqlite3 * or PGconn * */
  int code;        /* the last failure's WAPF_E*, 0 */
  int lost;        /* the last failure was the connection */
  int gave_up;     /* a wait for the server ran out: try once, not wait */
  char err[400];   /* its line */
  char where[300]; /* for messages */
};

/* Back ends extend it (this first). */
struct wapf__stmt {
  wapf__db *db;
};

extern const wapf__db_ops wapf__db_sqlite_ops;
extern const wapf__db_ops wapf__db_pg_ops;
/* Record a failure on db (code, one line, lost flag); returns code. */
int wapf__db_set_error(wapf__db *db, int code, int lost, const char *fmt, ...)
    WAPF_PRINTF(4, 5);

#endif
