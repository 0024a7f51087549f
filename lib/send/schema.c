/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The versioned schema: schema_versions lists the steps applied per
 * component; the missing ones run in one transaction that one process at
 * a time takes (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction lock),
 * so that a second process waits and finds them done. */
#include "db.h"

#include <glib.h>
#include <stdio.h>

static const char k_versions[] =
    "CREATE TABLE IF NOT EXISTS schema_versions("
    " component TEXT NOT NULL, version INTEGER NOT NULL,"
    " applied DOUBLE PRECISION NOT NULL, PRIMARY KEY(component, version))";

/* The highest version applied of component (0 none), or a code < 0. */
static int applied(wapf__db *db, const char *component, int *version) {
  wapf__stmt *st = NULL;
  int rc = wapf__db_prepare(db,
                            "SELECT MAX(version) FROM schema_versions "
                            "WHERE component=?1",
                            &st);
  *version = 0;
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_text(st, 1, component);
  rc = wapf__db_step(st);
  if (rc == 1)
    *version = (int)wapf__db_int64(st, 0);
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

static int record(wapf__db *db, const char *component, int version) {
  wapf__stmt *st = NULL;
  int rc = wapf__db_prepare(db,
                            "INSERT INTO schema_versions(component, version, "
                            "applied) VALUES(?1, ?2, ?3)",
                            &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_text(st, 1, component);
  wapf__db_bind_int64(st, 2, version);
  wapf__db_bind_double(st, 3, (double)g_get_real_time() / G_USEC_PER_SEC);
  rc = wapf__db_step(st);
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

static int apply(wapf__db *db, const char *component,
                 const wapf__db_version *s) {
  const char *ddl = wapf__db_dialect(db) == WAPF_DB_PG ? s->pg : s->sqlite;
  int rc = ddl ? wapf__db_exec(db, ddl) : WAPF_OK;
  if (rc == WAPF_OK && s->fn)
    rc = s->fn(db);
  return rc == WAPF_OK ? record(db, component, s->version) : rc;
}

/* Up to date already? The usual case, answered by a read alone (also on
 * a read-only replica); no table yet is "no". */
static int current(wapf__db *db, const char *component,
                   const wapf__db_version *steps, int n) {
  int v = 0;
  return applied(db, component, &v) == WAPF_OK && v >= steps[n - 1].version;
}

int wapf__db_migrate(wapf__db *db, const char *component,
                     const wapf__db_version *steps, int n) {
  if (n < 1 || current(db, component, steps, n))
    return WAPF_OK;
  int rc = wapf__db_begin(db, "wa-preflight schema");
  int v = 0;
  if (rc == WAPF_OK)
    rc = wapf__db_exec(db, k_versions);
  if (rc == WAPF_OK)
    rc = applied(db, component, &v);
  for (int i = 0; rc == WAPF_OK && i < n; i++)
    if (steps[i].version > v)
      rc = apply(db, component, &steps[i]);
  if (rc == WAPF_OK)
    rc = wapf__db_commit(db);
  if (rc != WAPF_OK)
    wapf__db_rollback(db);
  return rc;
}
