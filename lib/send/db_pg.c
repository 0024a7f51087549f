/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store on PostgreSQL through libpq: parameters sent as text (blobs
 * in binary), ?N rewritten to $N once per statement, SQLSTATEs translated
 * here into WAPF_E* with one line, the server's notices kept off stderr,
 * and the connection reset (PQreset) after a loss. */
#include "db.h"

#include <glib.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 24

typedef struct pg_stmt {
  struct wapf__stmt base;
  char *sql; /* with $N */
  int n;     /* highest parameter bound */
  char *val[MAX_PARAMS];
  int len[MAX_PARAMS], fmt[MAX_PARAMS];
  PGresult *res;
  int row, rows, ran;
  unsigned char *blob; /* the last unescaped bytea */
} pg_stmt;

#define H(db) ((PGconn *)(db)->h)
#define PS(s) ((pg_stmt *)(s))

static void quiet(void *arg, const char *message) {
  (void)arg; /* "relation already exists, skipping" and the like */
  (void)message;
}

static int class_is(const char *state, const char *cls) {
  return state && strncmp(state, cls, 2) == 0;
}

/* A failed result (or none) in WAPF_E*; the one place for SQLSTATEs. */
static int fail(wapf__db *db, const PGresult *res) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg =
      res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  if (!msg)
    msg = PQerrorMessage(H(db));
  int lost =
      PQstatus(H(db)) != CONNECTION_OK || class_is(state, "08") ||
      (state && (strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
                 strcmp(state, "57P03") == 0));
  if (lost)
    return wapf__db_set_error(db, WAPF_EIO, 1,
                              "the connection to %s was lost (%s)", db->where,
                              msg && *msg ? msg : "no answer");
  if (state && strcmp(state, "25006") == 0)
    return wapf__db_set_error(db, WAPF_EIO, 0,
                              "%s is read-only (a standby or a read-only "
                              "replica?): point WA_PREFLIGHT_DB at the "
                              "primary (%s)",
                              db->where, msg);
  if (state && strcmp(state, "53100") == 0)
    return wapf__db_set_error(db, WAPF_EIO, 0,
                              "the disk of the database server %s is full (%s)",
                              db->where, msg);
  if (class_is(state, "28") || class_is(state, "3D") ||
      (state && strcmp(state, "42501") == 0))
    return wapf__db_set_error(db, WAPF_ECONFIG, 0, "%s: %s", db->where, msg);
  if (state && strcmp(state, "53200") == 0)
    return wapf__db_set_error(db, WAPF_ENOMEM, 0, "%s: %s", db->where, msg);
  return wapf__db_set_error(db, WAPF_EIO, 0, "%s: %s%s%s%s", db->where, msg,
                            state ? " (SQLSTATE " : "", state ? state : "",
                            state ? ")" : "");
}

/* "host:port/db" of target without connecting (for a failed login). */
static void where_of(const char *target, char *out, size_t size) {
  PQconninfoOption *o = PQconninfoParse(target, NULL);
  const char *host = NULL, *port = NULL, *name = NULL;
  for (PQconninfoOption *p = o; p && p->keyword; p++) {
    if (strcmp(p->keyword, "host") == 0)
      host = p->val;
    else if (strcmp(p->keyword, "port") == 0)
      port = p->val;
    else if (strcmp(p->keyword, "dbname") == 0)
      name = p->val;
  }
  snprintf(out, size, "postgresql %s:%s/%s", host && *host ? host : "local",
           port && *port ? port : "5432", name && *name ? name : "(default)");
  PQconninfoFree(o);
}

/* target's words win over these defaults (expand_dbname: later words
 * override earlier ones); PGCONNECT_TIMEOUT when set is libpq's own. */
static PGconn *connect_to(const char *target) {
  const char *env = getenv("PGCONNECT_TIMEOUT");
  const char *keys[] = {"application_name", "connect_timeout", "dbname", NULL};
  const char *vals[] = {"wa-preflight", env && *env ? env : "10", target, NULL};
  return PQconnectdbParams(keys, vals, 1);
}

static int pg_open(wapf__db *db, const char *target) {
  where_of(target, db->where, sizeof db->where);
  PGconn *c = connect_to(target);
  db->h = c;
  if (!c)
    return wapf__db_set_error(db, WAPF_ENOMEM, 0, "out of memory");
  PQsetNoticeProcessor(c, quiet, NULL);
  if (PQstatus(c) != CONNECTION_OK) {
    const char *m = PQerrorMessage(c);
    int config = strstr(m, "authentication") || strstr(m, "does not exist") ||
                 strstr(m, "no password") || strstr(m, "permission denied");
    return wapf__db_set_error(db, config ? WAPF_ECONFIG : WAPF_EIO, !config,
                              "cannot connect to %s: %s", db->where, m);
  }
  snprintf(db->where, sizeof db->where, "postgresql %s:%s/%s",
           PQhost(c) ? PQhost(c) : "local", PQport(c) ? PQport(c) : "",
           PQdb(c) ? PQdb(c) : "");
  return WAPF_OK;
}

static void pg_close(wapf__db *db) {
  PQfinish(H(db));
  db->h = NULL;
}

static int pg_exec(wapf__db *db, const char *sql) {
  PGresult *r = PQexec(H(db), sql);
  ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  int rc =
      t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? WAPF_OK : fail(db, r);
  PQclear(r);
  return rc;
}

/* ?N -> $N outside quoted literals and names. */
static char *rewrite(const char *sql) {
  GString *g = g_string_sized_new(strlen(sql) + 8);
  char quote = 0;
  for (const char *p = sql; *p; p++) {
    if (quote) {
      quote = *p == quote ? 0 : quote;
    } else if (*p == '\'' || *p == '"') {
      quote = *p;
    } else if (*p == '?' && g_ascii_isdigit(p[1])) {
      g_string_append_c(g, '$');
      continue;
    }
    g_string_append_c(g, *p);
  }
  return g_string_free(g, FALSE);
}

static int pg_prepare(wapf__db *db, const char *sql, wapf__stmt **out) {
  pg_stmt *s = calloc(1, sizeof *s);
  if (!s)
    return wapf__db_set_error(db, WAPF_ENOMEM, 0, "out of memory");
  s->base.db = db;
  s->sql = rewrite(sql);
  *out = &s->base;
  return WAPF_OK;
}

static void pg_bind(wapf__stmt *st, int i, int type, const void *v, size_t n) {
  pg_stmt *s = PS(st);
  if (i < 1 || i > MAX_PARAMS)
    return;
  int k = i - 1;
  g_free(s->val[k]);
  s->val[k] = NULL;
  s->fmt[k] = s->len[k] = 0;
  if (type == WAPF_DB_T_TEXT)
    s->val[k] = g_strndup(v, n);
  else if (type == WAPF_DB_T_INT)
    s->val[k] = g_strdup_printf("%lld", *(const long long *)v);
  else if (type == WAPF_DB_T_DOUBLE)
    s->val[k] = g_strdup_printf("%.17g", *(const double *)v);
  else if (type == WAPF_DB_T_BLOB) {
    s->val[k] = g_memdup2(v, n ? n : 1);
    s->len[k] = (int)n;
    s->fmt[k] = 1;
  }
  if (i > s->n)
    s->n = i;
}

static int pg_step(wapf__stmt *st) {
  pg_stmt *s = PS(st);
  if (!s->ran) {
    s->ran = 1;
    s->res = PQexecParams(H(st->db), s->sql, s->n, NULL,
                          (const char *const *)s->val, s->len, s->fmt, 0);
    ExecStatusType t = s->res ? PQresultStatus(s->res) : PGRES_FATAL_ERROR;
    if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK)
      return fail(st->db, s->res);
    s->rows = t == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
    s->row = -1;
  }
  if (!s->res || PQresultStatus(s->res) == PGRES_FATAL_ERROR)
    return st->db->code ? st->db->code : WAPF_EIO;
  return ++s->row < s->rows ? 1 : 0;
}

static const char *pg_text(wapf__stmt *st, int i) {
  pg_stmt *s = PS(st);
  if (!s->res || s->row < 0 || s->row >= s->rows || i >= PQnfields(s->res) ||
      PQgetisnull(s->res, s->row, i))
    return NULL;
  return PQgetvalue(s->res, s->row, i);
}

static long long pgs_int64(wapf__stmt *st, int i) {
  const char *v = pg_text(st, i);
  return v ? strtoll(v, NULL, 10) : 0;
}

static double pgs_double(wapf__stmt *st, int i) {
  const char *v = pg_text(st, i);
  return v ? g_ascii_strtod(v, NULL) : 0;
}

static const void *pg_blob(wapf__stmt *st, int i, size_t *n) {
  pg_stmt *s = PS(st);
  const char *v = pg_text(st, i);
  PQfreemem(s->blob);
  s->blob = v ? PQunescapeBytea((const unsigned char *)v, n) : NULL;
  if (!s->blob)
    *n = 0;
  return s->blob;
}

static void pg_finalize(wapf__stmt *st) {
  pg_stmt *s = PS(st);
  for (int i = 0; i < MAX_PARAMS; i++)
    g_free(s->val[i]);
  PQfreemem(s->blob);
  PQclear(s->res);
  g_free(s->sql);
  free(s);
}

static int run_key(wapf__db *db, const char *sql, const char *key, int *yes) {
  wapf__stmt *st = NULL;
  pg_prepare(db, sql, &st);
  if (!st)
    return WAPF_ENOMEM;
  pg_bind(st, 1, WAPF_DB_T_TEXT, key, strlen(key));
  int rc = pg_step(st);
  if (rc == 1 && yes) {
    const char *v = pg_text(st, 0);
    *yes = v && *v == 't';
  }
  pg_finalize(st);
  return rc < 0 ? rc : WAPF_OK;
}

static int pg_begin(wapf__db *db, const char *lock) {
  int rc = pg_exec(db, "BEGIN");
  if (rc == WAPF_OK && lock) {
    rc = run_key(db, "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
                 lock, NULL);
    if (rc != WAPF_OK)
      wapf__db_rollback(db);
  }
  return rc;
}

static int pg_try_lock(wapf__db *db, const char *key, int *got) {
  *got = 0;
  return run_key(db, "SELECT pg_try_advisory_lock(hashtextextended(?1, 0))",
                 key, got);
}

static void pg_unlock(wapf__db *db, const char *key) {
  run_key(db, "SELECT pg_advisory_unlock(hashtextextended(?1, 0))", key, NULL);
}

/* Connected: OK at once; after a loss, one PQreset. */
static int pg_reset(wapf__db *db) {
  if (PQstatus(H(db)) == CONNECTION_OK && !db->lost)
    return WAPF_OK;
  PQreset(H(db));
  if (PQstatus(H(db)) != CONNECTION_OK)
    return wapf__db_set_error(db, WAPF_EIO, 1, "cannot connect to %s: %s",
                              db->where, PQerrorMessage(H(db)));
  db->lost = 0;
  db->code = 0;
  return WAPF_OK;
}

const wapf__db_ops wapf__db_pg_ops = {
    pg_open,     pg_close, pg_exec,     pg_prepare, pg_bind,
    pg_step,     pg_text,  pgs_int64,   pgs_double, pg_blob,
    pg_finalize, pg_begin, pg_try_lock, pg_unlock,  pg_reset,
};
