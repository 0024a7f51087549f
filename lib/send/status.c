/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The delivery state in the send journal: the columns a status webhook
 * fills (added to an older journal by a migration), the event table that
 * keeps every status once (also those that match no send), and the
 * monotonic merge: sent < delivered < read < played < failed. */
#include "status.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

/* The rank of a status word in the merge, 0 for an unknown word. */
int wapf__status_rank(const char *s) {
  static const char *k[] = {"sent", "delivered", "read", "played", "failed"};
  for (int i = 0; s && i < 5; i++)
    if (strcmp(s, k[i]) == 0)
      return i + 1;
  return 0;
}

#define RANK_SQL(c)                                                            \
  "(CASE " c " WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 " \
  "WHEN 'played' THEN 4 WHEN 'failed' THEN 5 ELSE 0 END)"

static const char k_tables[] =
    "CREATE TABLE IF NOT EXISTS statuses("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL,"
    " message_id TEXT NOT NULL, status TEXT NOT NULL, ref TEXT,"
    " recipient TEXT, ts REAL, errors TEXT, received REAL NOT NULL,"
    " send_id INTEGER, UNIQUE(provider, message_id, status));"
    "CREATE INDEX IF NOT EXISTS statuses_ref ON statuses(ref);"
    "CREATE TABLE IF NOT EXISTS outbox("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL,"
    " body BLOB NOT NULL, received REAL NOT NULL, attempts INTEGER NOT NULL"
    " DEFAULT 0, next_at REAL NOT NULL DEFAULT 0);";

static const char *const k_columns[][2] = {
    {"ref", "TEXT"},    {"status", "TEXT"}, {"status_at", "REAL"},
    {"errors", "TEXT"}, {"path", "TEXT"},
};

static int has_column(sqlite3 *db, const char *name, int *found) {
  sqlite3_stmt *st = NULL;
  *found = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA table_info(sends)", -1, &st, NULL))
    return SQLITE_ERROR;
  int e;
  while ((e = sqlite3_step(st)) == SQLITE_ROW)
    if (strcmp((const char *)sqlite3_column_text(st, 1), name) == 0)
      *found = 1;
  sqlite3_finalize(st);
  return e == SQLITE_DONE ? SQLITE_OK : e;
}

static int add_columns(sqlite3 *db) {
  for (size_t i = 0; i < sizeof k_columns / sizeof k_columns[0]; i++) {
    int found = 0, e = has_column(db, k_columns[i][0], &found);
    if (e != SQLITE_OK)
      return e;
    if (found)
      continue;
    char sql[128];
    snprintf(sql, sizeof sql, "ALTER TABLE sends ADD COLUMN %s %s",
             k_columns[i][0], k_columns[i][1]);
    if ((e = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
      return e;
  }
  return sqlite3_exec(db,
                      "CREATE INDEX IF NOT EXISTS sends_ref ON sends(ref);"
                      "CREATE INDEX IF NOT EXISTS sends_mid ON "
                      "sends(message_id);",
                      NULL, NULL, NULL);
}

int wapf__status_migrate(sqlite3 *db) {
  int found = 0, e = has_column(db, "path", &found);
  if (e == SQLITE_OK && found)
    return sqlite3_exec(db, k_tables, NULL, NULL, NULL);
  /* one process migrates; another waits, then finds it done */
  if ((e = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)))
    return e;
  e = add_columns(db);
  if (e == SQLITE_OK)
    e = sqlite3_exec(db, k_tables, NULL, NULL, NULL);
  sqlite3_exec(db, e == SQLITE_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
  return e;
}

/* Merge one status into the send row id (monotonic); a send whose outcome
 * was unknown is resolved by it. */
static int merge_into(sqlite3 *db, sqlite3_int64 id, const wapf__status_ev *ev,
                      double now) {
  static const char sql[] =
      "UPDATE sends SET status=?1, status_at=?2, "
      " errors=COALESCE(?3, errors), updated=?5,"
      " message_id=COALESCE(message_id, ?6),"
      " detail=CASE WHEN state='unknown' THEN 'resolved by the status "
      "webhook: ' || ?1 ELSE detail END,"
      " state=CASE WHEN state='unknown' THEN (CASE WHEN ?1='failed' THEN "
      "'failed' ELSE 'sent' END) ELSE state END "
      "WHERE id=?4 AND " RANK_SQL("status") " < " RANK_SQL("?1");
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    return SQLITE_ERROR;
  sqlite3_bind_text(st, 1, ev->status, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 2, ev->ts);
  sqlite3_bind_text(st, 3, ev->errors, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, id);
  sqlite3_bind_double(st, 5, now);
  sqlite3_bind_text(st, 6, ev->message_id, -1, SQLITE_STATIC);
  int e = sqlite3_step(st);
  sqlite3_finalize(st);
  return e == SQLITE_DONE ? SQLITE_OK : e;
}

/* The send an event is for: by reference, else provider + message id.
 * 0 when none. */
static sqlite3_int64 find_send(sqlite3 *db, const wapf__status_ev *ev) {
  sqlite3_stmt *st = NULL;
  sqlite3_int64 id = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT id FROM sends WHERE (?1 IS NOT NULL AND "
                         "ref=?1) OR (message_id=?2 AND provider=?3) "
                         "ORDER BY (ref IS ?1) DESC, id DESC LIMIT 1",
                         -1, &st, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, ev->ref && *ev->ref ? ev->ref : NULL, -1,
                    SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ev->message_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, ev->provider, -1, SQLITE_STATIC);
  int e = sqlite3_step(st);
  if (e == SQLITE_ROW)
    id = sqlite3_column_int64(st, 0);
  else if (e != SQLITE_DONE)
    id = -1;
  sqlite3_finalize(st);
  return id;
}

static double now_real(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keep the event (once); *fresh 0 for a duplicate. */
static int keep_event(sqlite3 *db, const wapf__status_ev *ev,
                      sqlite3_int64 send_id, double now, int *fresh) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT OR IGNORE INTO statuses(provider, "
                         "message_id, status, ref, recipient, ts, errors, "
                         "received, send_id) VALUES(?1,?2,?3,?4,?5,?6,?7,"
                         "?8,?9)",
                         -1, &st, NULL) != SQLITE_OK)
    return SQLITE_ERROR;
  const char *t[] = {ev->provider, ev->message_id, ev->status, ev->ref,
                     ev->recipient};
  for (int i = 0; i < 5; i++)
    sqlite3_bind_text(st, i + 1, t[i] && *t[i] ? t[i] : NULL, -1,
                      SQLITE_STATIC);
  sqlite3_bind_double(st, 6, ev->ts);
  sqlite3_bind_text(st, 7, ev->errors, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 8, now);
  if (send_id > 0)
    sqlite3_bind_int64(st, 9, send_id);
  int e = sqlite3_step(st);
  sqlite3_finalize(st);
  *fresh = sqlite3_changes(db) > 0;
  return e == SQLITE_DONE ? SQLITE_OK : e;
}

int wapf__status_record(sqlite3 *db, const wapf__status_ev *ev, int *fresh,
                        int *matched) {
  double now = now_real();
  sqlite3_int64 id = find_send(db, ev);
  if (id < 0)
    return SQLITE_ERROR;
  int e = keep_event(db, ev, id, now, fresh);
  *matched = id > 0 && *fresh;
  if (e == SQLITE_OK && id > 0 && *fresh)
    e = merge_into(db, id, ev, now);
  return e;
}

/* Events that arrived before their send was recorded (its answer, with
 * the message id, came later): merge them now. */
int wapf__status_attach(sqlite3 *db, long long row) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(
          db,
          "SELECT e.id, e.provider, e.message_id, e.status, e.ref, e.ts, "
          "e.errors FROM statuses e, sends s WHERE s.id=?1 AND e.send_id IS "
          "NULL AND ((s.ref IS NOT NULL AND e.ref=s.ref) OR (e.message_id="
          "s.message_id AND e.provider=s.provider)) ORDER BY e.id",
          -1, &st, NULL) != SQLITE_OK)
    return SQLITE_ERROR;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)row);
  int e;
  double now = now_real();
  while ((e = sqlite3_step(st)) == SQLITE_ROW) {
    wapf__status_ev ev = {
        (const char *)sqlite3_column_text(st, 1),
        (const char *)sqlite3_column_text(st, 2),
        (const char *)sqlite3_column_text(st, 3),
        (const char *)sqlite3_column_text(st, 4),
        NULL,
        sqlite3_column_double(st, 5),
        (const char *)sqlite3_column_text(st, 6),
    };
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE statuses SET send_id=%lld WHERE id=%lld",
             (long long)row, (long long)sqlite3_column_int64(st, 0));
    if (merge_into(db, (sqlite3_int64)row, &ev, now) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
      e = SQLITE_ERROR;
      break;
    }
  }
  sqlite3_finalize(st);
  return e == SQLITE_DONE ? SQLITE_OK : e;
}

int wapf__status_set_ref(sqlite3 *db, long long row, const char *ref,
                         const char *path) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "UPDATE sends SET ref=?1, path=?2 WHERE id=?3", -1,
                         &st, NULL) != SQLITE_OK)
    return SQLITE_ERROR;
  sqlite3_bind_text(st, 1, ref && *ref ? ref : NULL, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, path && *path ? path : NULL, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)row);
  int e = sqlite3_step(st);
  sqlite3_finalize(st);
  return e == SQLITE_DONE ? SQLITE_OK : e;
}

int wapf__status_of(sqlite3 *db, long long row, char *status, size_t size,
                    double *at) {
  sqlite3_stmt *st = NULL;
  status[0] = '\0';
  *at = 0;
  if (sqlite3_prepare_v2(db, "SELECT status, status_at FROM sends WHERE id=?1",
                         -1, &st, NULL) != SQLITE_OK)
    return SQLITE_ERROR;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)row);
  int e = sqlite3_step(st);
  if (e == SQLITE_ROW && sqlite3_column_text(st, 0)) {
    wapf__strlcpy(status, (const char *)sqlite3_column_text(st, 0), size);
    *at = sqlite3_column_double(st, 1);
  }
  sqlite3_finalize(st);
  return e == SQLITE_ROW || e == SQLITE_DONE ? SQLITE_OK : e;
}

static void iso_time(double at, char *buf, size_t size) {
  time_t t = (time_t)at;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int wapf__status_judge(wapf__send *s, sqlite3 *db, long long row) {
  char status[16], at[32];
  double when = 0;
  if (wapf__status_of(db, row, status, sizeof status, &when) != SQLITE_OK)
    return 1;
  int rank = wapf__status_rank(status);
  if (rank == 5)
    return WAPF_OK; /* failed by the provider's word: send it again */
  if (rank < 2)
    return 1;
  iso_time(when, at, sizeof at);
  s->res->duplicate = 1;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT message_id FROM sends WHERE id=?1", -1,
                         &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, (sqlite3_int64)row);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      wapf__strlcpy(s->res->message_id,
                    (const char *)sqlite3_column_text(st, 0),
                    sizeof s->res->message_id);
    sqlite3_finalize(st);
  }
  return wapf__fail(s->ctx, WAPF_EREFUSED,
                    "to %s: already %s (status webhook of %s, message id "
                    "%s): not sent again, also not with --resend",
                    s->to, status, at,
                    s->res->message_id[0] ? s->res->message_id : "?");
}

int wapf__status_begin(wapf__send *s, wapf__journal *j, long long row) {
  uuid_t u;
  if (s->prov->id == WAPF_PROVIDER_LIPACHAT && !s->uuid[0]) {
    uuid_generate_random(u);
    uuid_unparse_lower(u, s->uuid);
  }
  if (s->prov->id == WAPF_PROVIDER_LIPACHAT) {
    wapf__strlcpy(s->ref, s->uuid, sizeof s->ref);
  } else {
    uuid_generate_random(u);
    uuid_unparse_lower(u, s->ref);
  }
  /* the file sent is the input itself (not a converted copy) */
  char *abs = s->input && s->path && strcmp(s->input, s->path) == 0
                  ? realpath(s->input, NULL)
                  : NULL;
  int e = wapf__status_set_ref(wapf__journal_db(j), row, s->ref, abs);
  free(abs);
  if (e == SQLITE_OK)
    return WAPF_OK;
  wapf__journal_done(j, row, "failed", NULL,
                     "the journal could not be written");
  return wapf__fail(s->ctx, WAPF_EIO, "send journal: %s",
                    sqlite3_errmsg(wapf__journal_db(j)));
}
