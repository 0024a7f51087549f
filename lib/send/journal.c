/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The send journal: SQLite (WAL) beside the media-id cache. Every message
 * is written as "pending" before its request (inside BEGIN IMMEDIATE, so
 * two runs never both claim one send) and "sent", "failed" or "unknown"
 * after. The same send again is refused unless req->resend; a "pending"
 * whose process is gone reads as "unknown".
 *
 * The key column holds wapf__journal_key(): the media as the request that
 * made it (source digest, kind, options), so a conversion that gives other
 * bytes is still the same send. Rows written before that hold the legacy
 * key (the bytes sent); both are looked up, so such a row still refuses
 * a send of the bytes it recorded. No column changes. */
#include "send.h"
#include "status.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAPF_JOURNAL_BUSY_MS 30000

struct wapf__journal {
  sqlite3 *db;
  char path[1100];
};

/* The context keeps its last journal open (closed by wapf_close):
 * opening and closing SQLite for every message of a long list costs a
 * checkpoint and its fsyncs each time. A context is used by one thread at
 * a time, so BEGIN IMMEDIATE never nests. */
static void close_cached(wapf__journal *j) {
  sqlite3_close(j->db);
  free(j);
}

void wapf__journal_release(wapf_context *ctx) {
  if (ctx->journal)
    close_cached(ctx->journal);
  ctx->journal = NULL;
}

static const char k_schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS sends("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,"
    " at REAL NOT NULL, updated REAL NOT NULL, provider TEXT NOT NULL,"
    " sender TEXT, recipient TEXT NOT NULL, media TEXT, kind TEXT,"
    " caption TEXT, template TEXT, state TEXT NOT NULL, message_id TEXT,"
    " detail TEXT, pid INTEGER, pstart INTEGER);"
    "CREATE INDEX IF NOT EXISTS sends_key ON sends(key, id);"
    "CREATE INDEX IF NOT EXISTS sends_at ON sends(at);";

/* Wall-clock seconds for the `at` column (GLib's, as the other clocks). */
static double now_real(void) {
  return (double)g_get_real_time() / G_USEC_PER_SEC;
}

static int db_fail(wapf_context *ctx, sqlite3 *db, const char *what) {
  return wapf__fail(ctx, WAPF_EIO, "send journal: %s: %s", what,
                    db ? sqlite3_errmsg(db) : "cannot open");
}

int wapf__journal_open(wapf_context *ctx, const char *cache_dir,
                       wapf__journal **out) {
  char dir[1024], path[1100];
  if (wapf__cache_dir(cache_dir, dir, sizeof dir) != 0 ||
      wapf__make_dirs(dir) != 0)
    return wapf__from_errno(ctx, errno ? errno : ENOENT, "journal folder");
  snprintf(path, sizeof path, "%s/send-journal.sqlite", dir);
  wapf__journal *j = ctx->journal;
  if (j && strcmp(j->path, path) == 0) {
    *out = j;
    return WAPF_OK;
  }
  j = calloc(1, sizeof *j);
  if (!j)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  wapf__strlcpy(j->path, path, sizeof j->path);
  int e = sqlite3_open_v2(
      path, &j->db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (e == SQLITE_OK)
    e = sqlite3_busy_timeout(j->db, WAPF_JOURNAL_BUSY_MS);
  if (e == SQLITE_OK)
    e = sqlite3_exec(j->db, k_schema, NULL, NULL, NULL);
  if (e == SQLITE_OK)
    e = wapf__status_migrate(j->db);
  if (e != SQLITE_OK) {
    int rc = db_fail(ctx, j->db, path);
    sqlite3_close(j->db);
    free(j);
    return rc;
  }
  wapf__journal_release(ctx);
  ctx->journal = j;
  *out = j;
  return WAPF_OK;
}

sqlite3 *wapf__journal_db(wapf__journal *j) {
  return j->db;
}

void wapf__journal_close(wapf__journal **j) {
  /* the context's connection stays open for its next send */
  if (j)
    *j = NULL;
}

static void key_of(const char *const *parts, size_t n, char key[65]) {
  GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
  for (size_t i = 0; i < n; i++) {
    const char *p = parts[i] ? parts[i] : "";
    g_checksum_update(c, (const guchar *)p, (gssize)strlen(p));
    g_checksum_update(c, (const guchar *)"\x1f", 1);
  }
  wapf__strlcpy(key, g_checksum_get_string(c), 65);
  g_checksum_free(c);
}

/* SHA-256 of every field that makes two sends "the same": the media is
 * what was asked for (the request digest), not the bytes a conversion
 * gave. */
void wapf__journal_key(const wapf__journal_row *r, char key[65]) {
  if (!r->request || !*r->request) {
    const char *parts[] = {"media",      r->provider, r->sender,
                           r->recipient, r->media,    r->kind,
                           r->caption,   r->filename, r->template_text};
    key_of(parts, sizeof parts / sizeof parts[0], key);
    return;
  }
  const char *parts[] = {"request",    r->provider,     r->sender,
                         r->recipient, r->request,      r->caption,
                         r->filename,  r->template_text};
  key_of(parts, sizeof parts / sizeof parts[0], key);
}

void wapf__journal_legacy_key(const wapf__journal_row *r, char key[65]) {
  const char *parts[] = {r->provider, r->sender,  r->recipient,    r->media,
                         r->kind,     r->caption, r->template_text};
  key_of(parts, sizeof parts / sizeof parts[0], key);
}

static const char *col(sqlite3_stmt *st, int i) {
  const unsigned char *v = sqlite3_column_text(st, i);
  return v ? (const char *)v : "";
}

static void when(double at, char *buf, size_t size) {
  time_t t = (time_t)at;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The latest row for key decides; returns WAPF_OK to go on, else the
 * refusal (res->duplicate set, res->message_id the earlier id). */
static int judge_earlier(wapf__send *s, sqlite3_stmt *st, int resend) {
  sqlite3_int64 id = sqlite3_column_int64(st, 0);
  const char *state = col(st, 1);
  char at[32];
  when(sqlite3_column_double(st, 3), at, sizeof at);
  if (strcmp(state, "pending") == 0 &&
      wapf__process_alive((long)sqlite3_column_int64(st, 4),
                          (long long)sqlite3_column_int64(st, 5))) {
    s->res->duplicate = 1;
    return wapf__fail(s->ctx, WAPF_EREFUSED,
                      "to %s: being sent right now by another run (pid %lld)",
                      s->to, (long long)sqlite3_column_int64(st, 4));
  }
  if (strcmp(state, "pending") == 0) {
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE sends SET state='unknown', detail='the run sending it "
             "ended without recording the answer' WHERE id=%lld",
             (long long)id);
    sqlite3_exec(sqlite3_db_handle(st), sql, NULL, NULL, NULL);
    state = "unknown";
  }
  int by_status = wapf__status_judge(s, sqlite3_db_handle(st), (long long)id);
  if (by_status != 1)
    return by_status;
  if (resend || strcmp(state, "failed") == 0)
    return WAPF_OK;
  s->res->duplicate = 1;
  wapf__strlcpy(s->res->message_id, col(st, 2), sizeof s->res->message_id);
  if (strcmp(state, "sent") == 0)
    return wapf__fail(s->ctx, WAPF_EREFUSED,
                      "to %s: already sent on %s (message id %s); --resend "
                      "sends it again",
                      s->to, at, col(st, 2));
  return wapf__fail(s->ctx, WAPF_EREFUSED,
                    "to %s: an earlier send (%s) ended in an unknown state: "
                    "look at the provider's status webhook; --resend sends "
                    "it again",
                    s->to, at);
}

static int insert_pending(wapf__journal *j, const wapf__journal_row *r,
                          const char *key, sqlite3_int64 *row) {
  sqlite3_stmt *st = NULL;
  const char *sql = "INSERT INTO sends(key, at, updated, provider, sender, "
                    "recipient, media, kind, caption, template, state, pid, "
                    "pstart) VALUES(?1,?2,?2,?3,?4,?5,?6,?7,?8,?9,'pending',"
                    "?10,?11)";
  if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
    return SQLITE_ERROR;
  const char *txt[] = {r->provider, r->sender,  r->recipient,    r->media,
                       r->kind,     r->caption, r->template_name};
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(st, 2, now_real());
  for (int i = 0; i < 7; i++)
    sqlite3_bind_text(st, 3 + i, txt[i] && *txt[i] ? txt[i] : NULL, -1,
                      SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 10, (sqlite3_int64)getpid());
  sqlite3_bind_int64(st, 11, (sqlite3_int64)wapf__process_start(getpid()));
  int e = sqlite3_step(st);
  sqlite3_finalize(st);
  *row = sqlite3_last_insert_rowid(j->db);
  return e == SQLITE_DONE ? SQLITE_OK : e;
}

int wapf__journal_intent(wapf__send *s, wapf__journal *j,
                         const wapf__journal_row *r, int resend,
                         long long *row) {
  char key[65], legacy[65];
  wapf__journal_key(r, key);
  wapf__journal_legacy_key(r, legacy);
  if (sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(s->ctx, j->db, "begin");
  sqlite3_stmt *st = NULL;
  int rc = WAPF_OK;
  if (sqlite3_prepare_v2(j->db,
                         "SELECT id, state, message_id, at, pid, pstart FROM "
                         "sends WHERE key IN (?1, ?2) ORDER BY id DESC "
                         "LIMIT 1",
                         -1, &st, NULL) != SQLITE_OK)
    rc = db_fail(s->ctx, j->db, "select");
  if (rc == WAPF_OK) {
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, legacy, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
      rc = judge_earlier(s, st, resend);
  }
  sqlite3_finalize(st);
  sqlite3_int64 id = 0;
  if (rc == WAPF_OK && insert_pending(j, r, key, &id) != SQLITE_OK)
    rc = db_fail(s->ctx, j->db, "insert");
  if (rc == WAPF_OK &&
      sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = db_fail(s->ctx, j->db, "commit");
  if (rc != WAPF_OK) {
    /* a refusal also commits the pending -> unknown update */
    sqlite3_exec(j->db, s->res->duplicate ? "COMMIT" : "ROLLBACK", NULL, NULL,
                 NULL);
    return rc;
  }
  *row = (long long)id;
  return WAPF_OK;
}

int wapf__journal_done(wapf__journal *j, long long row, const char *state,
                       const char *message_id, const char *detail) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db,
                         "UPDATE sends SET state=?1, message_id=?2, "
                         "detail=?3, updated=?4 WHERE id=?5",
                         -1, &st, NULL) != SQLITE_OK)
    return WAPF_EIO;
  sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, message_id && *message_id ? message_id : NULL, -1,
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, detail && *detail ? detail : NULL, -1,
                    SQLITE_TRANSIENT);
  sqlite3_bind_double(st, 4, now_real());
  sqlite3_bind_int64(st, 5, (sqlite3_int64)row);
  int e = sqlite3_step(st);
  sqlite3_finalize(st);
  return e == SQLITE_DONE ? WAPF_OK : WAPF_EIO;
}

void wapf__journal_fill(sqlite3_stmt *st, wapf_journal_entry *e) {
  memset(e, 0, sizeof *e);
  e->at = sqlite3_column_double(st, 0);
  e->updated = sqlite3_column_double(st, 1);
  const char **dst[] = {&e->provider,      &e->sender, &e->recipient,
                        &e->media,         &e->kind,   &e->caption,
                        &e->template_name, &e->state,  &e->message_id,
                        &e->detail};
  for (int i = 0; i < 10; i++)
    *dst[i] = col(st, 2 + i);
  if (strcmp(e->state, "pending") == 0 &&
      !wapf__process_alive((long)sqlite3_column_int64(st, 12),
                           (long long)sqlite3_column_int64(st, 13)))
    e->state = "unknown"; /* its run was killed before the answer */
  e->status = col(st, 14);
  e->errors = col(st, 15);
  e->status_at = sqlite3_column_double(st, 16);
}

int wapf_journal_list(wapf_context *ctx, const char *cache_dir, double since,
                      wapf_journal_fn fn, void *cookie) {
  if (!ctx || !fn)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  wapf__journal *j = NULL;
  int rc = wapf__journal_open(ctx, cache_dir, &j);
  if (rc != WAPF_OK)
    return rc;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(j->db,
                         "SELECT " WAPF_JOURNAL_COLUMNS " FROM sends "
                         "WHERE at >= ?1 ORDER BY id",
                         -1, &st, NULL) != SQLITE_OK)
    rc = db_fail(ctx, j->db, "select");
  if (rc == WAPF_OK) {
    sqlite3_bind_double(st, 1, since);
    int e;
    while ((e = sqlite3_step(st)) == SQLITE_ROW) {
      wapf_journal_entry en;
      wapf__journal_fill(st, &en);
      if (fn(cookie, &en) != 0)
        break;
    }
    if (e != SQLITE_ROW && e != SQLITE_DONE)
      rc = db_fail(ctx, j->db, "read");
  }
  sqlite3_finalize(st);
  wapf__journal_close(&j);
  return rc;
}
