/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The send journal, in the store (db.h: a SQLite file or PostgreSQL).
 * Every message is claimed before its request: one transaction that
 * serialises on the send's key (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
 * transaction lock on the key's hash, on every host) reads the latest row
 * of the key and writes a "pending" row, so that any number of runs never
 * both claim one send. "sent", "failed" or "unknown" is written after.
 * The same send again is refused unless req->resend. A pending row names
 * its host (hostname and boot id), pid, process start and lease end: one
 * of this host whose process is gone reads as "unknown" at once; one of
 * another host is "being sent by another run" until its lease ends, then
 * "unknown". Neither is ever sent again blindly.
 *
 * The key column holds wapf__journal_key(): the media as the request that
 * made it (source digest, kind, options), so a conversion that gives other
 * bytes is still the same send. Rows written before that hold the legacy
 * key (the bytes sent); both are looked up, so such a row still refuses
 * a send of the bytes it recorded. */
#include "status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAPF_LEASE_DEFAULT 600

struct wapf__journal {
  wapf__db *db;
  char *target; /* the file's path, or the connection string (wiped) */
};

/* The context keeps its last journal open (closed by wapf_close):
 * opening and closing the store for every message of a long list costs a
 * checkpoint and its fsyncs (SQLite) or a login (PostgreSQL) each time. A
 * context is used by one thread at a time, so transactions never nest. */
static void close_cached(wapf__journal *j) {
  wapf__db_close(&j->db);
  if (j->target)
    memset(j->target, 0, strlen(j->target));
  g_free(j->target);
  free(j);
}

void wapf__journal_release(wapf_context *ctx) {
  if (ctx->journal)
    close_cached(ctx->journal);
  ctx->journal = NULL;
}

/* Wall-clock seconds for the `at` column (GLib's, as the other clocks). */
static double now_real(void) {
  return (double)g_get_real_time() / G_USEC_PER_SEC;
}

/* Open (or take the context's) journal on target, migrated. */
static int open_target(wapf_context *ctx, wapf__db_kind kind, char *target,
                       wapf__journal **out) {
  wapf__journal *j = ctx->journal;
  if (j && strcmp(j->target, target) == 0) {
    g_free(target);
    *out = j;
    /* a lost server: the next message waits until it answers again */
    return wapf__db_lost(j->db) ? wapf__db_reconnect(ctx, j->db) : WAPF_OK;
  }
  j = calloc(1, sizeof *j);
  if (!j) {
    g_free(target);
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  }
  j->target = target;
  int rc = wapf__db_open(ctx, kind, target, &j->db);
  if (rc == WAPF_OK && wapf__journal_migrate(j->db) != WAPF_OK)
    rc = wapf__db_fail(ctx, j->db, "send journal");
  if (rc != WAPF_OK) {
    close_cached(j);
    return rc;
  }
  wapf__journal_release(ctx);
  ctx->journal = j;
  *out = j;
  return WAPF_OK;
}

int wapf__journal_open(wapf_context *ctx, const char *cache_dir,
                       const char *config_path, wapf__journal **out) {
  char *url = NULL, *path = NULL;
  int rc = wapf__store_url(ctx, config_path, &url);
  if (rc != WAPF_OK)
    return rc;
  if (url) {
    char *t = g_strdup(url);
    memset(url, 0, strlen(url));
    free(url);
    return open_target(ctx, WAPF_DB_PG, t, out);
  }
  rc = wapf__journal_path(ctx, cache_dir, &path);
  return rc == WAPF_OK ? open_target(ctx, WAPF_DB_SQLITE, path, out) : rc;
}

/* A write that is rolled back: a read-only database or replica, or a
 * user without the right to write, fails here rather than at a claim.
 * (Reading the journal needs none: `journal` runs on a replica.) */
int wapf__journal_writable(wapf_context *ctx, wapf__journal *j) {
  int rc = wapf__db_begin(j->db, NULL);
  if (rc == WAPF_OK) {
    rc = wapf__db_exec(j->db, "UPDATE schema_versions SET applied=applied "
                              "WHERE component='journal'");
    wapf__db_rollback(j->db);
  }
  return rc == WAPF_OK ? WAPF_OK : wapf__db_fail(ctx, j->db, "send journal");
}

wapf__db *wapf__journal_db(wapf__journal *j) {
  return j->db;
}

void wapf__journal_close(wapf__journal **j) {
  /* the context's connection stays open for its next send */
  if (j)
    *j = NULL;
}

int wapf__journal_again(wapf_context *ctx, wapf__journal *j) {
  return wapf__db_lost(j->db) && wapf__db_reconnect(ctx, j->db) == WAPF_OK;
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

static const char *col(wapf__stmt *st, int i) {
  const char *v = wapf__db_text(st, i);
  return v ? v : "";
}

static void when(double at, char *buf, size_t size) {
  time_t t = (time_t)at;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The latest row for key decides; returns WAPF_OK to go on, else the
 * refusal (res->duplicate set, res->message_id the earlier id). Columns:
 * id, state, message_id, at, pid, pstart, host, lease. */
static int judge_earlier(wapf__send *s, wapf__db *db, wapf__stmt *st,
                         int resend) {
  long long id = wapf__db_int64(st, 0);
  const char *state = col(st, 1);
  char at[32];
  when(wapf__db_double(st, 3), at, sizeof at);
  if (strcmp(state, "pending") == 0) {
    wapf__claim c;
    wapf__claim_read(st, 4, &c);
    if (wapf__claim_live(&c)) {
      s->res->duplicate = 2;
      return wapf__fail(s->ctx, WAPF_EREFUSED,
                        "to %s: being sent right now by another run (pid "
                        "%lld%s%s)",
                        s->to, c.pid, c.other_host ? " on " : "",
                        c.other_host ? c.host_name : "");
    }
    wapf__stmt *up = NULL;
    if (wapf__db_prepare(db,
                         "UPDATE sends SET state='unknown', detail='the run "
                         "sending it ended without recording the answer' "
                         "WHERE id=?1 AND state='pending'",
                         &up) == WAPF_OK) {
      wapf__db_bind_int64(up, 1, id);
      wapf__db_step(up);
    }
    wapf__db_finalize(&up);
    state = "unknown";
  }
  int by_status = wapf__status_judge(s, db, id);
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

static int insert_pending(wapf__db *db, const wapf__journal_row *r,
                          const char *key, long long *row) {
  wapf__stmt *st = NULL;
  int rc = wapf__db_prepare(
      db,
      "INSERT INTO sends(key, at, updated, provider, sender, recipient, "
      "media, kind, caption, template, state, pid, pstart, host, lease) "
      "VALUES(?1,?2,?2,?3,?4,?5,?6,?7,?8,?9,'pending',?10,?11,?12,?13) "
      "RETURNING id",
      &st);
  if (rc != WAPF_OK)
    return rc;
  const char *txt[] = {r->provider, r->sender,  r->recipient,    r->media,
                       r->kind,     r->caption, r->template_name};
  double now = now_real();
  wapf__db_bind_text(st, 1, key);
  wapf__db_bind_double(st, 2, now);
  for (int i = 0; i < 7; i++)
    wapf__db_bind_text(st, 3 + i, txt[i] && *txt[i] ? txt[i] : NULL);
  wapf__db_bind_int64(st, 10, (long long)getpid());
  wapf__db_bind_int64(st, 11, wapf__process_start(getpid()));
  wapf__db_bind_text(st, 12, wapf__claim_host());
  wapf__db_bind_double(st, 13, now + wapf__claim_lease());
  rc = wapf__db_step(st);
  if (rc == 1)
    *row = wapf__db_int64(st, 0);
  wapf__db_finalize(&st);
  return rc == 1 ? WAPF_OK : rc == 0 ? WAPF_EIO : rc;
}

/* One claim transaction; *refused 1 when the judgement refused it (its
 * pending -> unknown update is committed all the same). */
static int claim_once(wapf__send *s, wapf__db *db, const wapf__journal_row *r,
                      int resend, long long *row, int *refused) {
  char key[65], legacy[65];
  wapf__journal_key(r, key);
  wapf__journal_legacy_key(r, legacy);
  *refused = 0;
  int rc = wapf__db_begin(db, key);
  if (rc != WAPF_OK)
    return rc;
  wapf__stmt *st = NULL;
  rc = wapf__db_prepare(db,
                        "SELECT id, state, message_id, at, pid, pstart, host, "
                        "lease FROM sends WHERE key IN (?1, ?2) ORDER BY id "
                        "DESC LIMIT 1",
                        &st);
  if (rc == WAPF_OK) {
    wapf__db_bind_text(st, 1, key);
    wapf__db_bind_text(st, 2, legacy);
    rc = wapf__db_step(st);
    if (rc == 1) {
      rc = judge_earlier(s, db, st, resend);
      *refused = rc != WAPF_OK;
    }
  }
  wapf__db_finalize(&st);
  if (rc == WAPF_OK)
    rc = insert_pending(db, r, key, row);
  if (rc == WAPF_OK || *refused) {
    int c = wapf__db_commit(db);
    rc = rc == WAPF_OK ? c : rc;
  }
  if (rc != WAPF_OK && (!*refused || wapf__db_lost(db)))
    wapf__db_rollback(db);
  return rc;
}

int wapf__journal_intent(wapf__send *s, wapf__journal *j,
                         const wapf__journal_row *r, int resend,
                         long long *row) {
  for (int tries = 0;; tries++) {
    int refused = 0;
    int rc = claim_once(s, j->db, r, resend, row, &refused);
    if (rc == WAPF_OK || refused)
      return rc;
    /* nothing was sent: after a lost connection, wait and claim again */
    if (tries < 3 && wapf__db_lost(j->db)) {
      int again = wapf__db_reconnect(s->ctx, j->db);
      if (again == WAPF_OK)
        continue;
      return again; /* its line says how long it waited */
    }
    return rc == WAPF_ECANCELLED ? rc
                                 : wapf__db_fail(s->ctx, j->db, "send journal");
  }
}

static int done_once(wapf__db *db, long long row, const char *state,
                     const char *message_id, const char *detail) {
  wapf__stmt *st = NULL;
  int rc = wapf__db_prepare(db,
                            "UPDATE sends SET state=?1, message_id=?2, "
                            "detail=?3, updated=?4 WHERE id=?5",
                            &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_text(st, 1, state);
  wapf__db_bind_text(st, 2, message_id && *message_id ? message_id : NULL);
  wapf__db_bind_text(st, 3, detail && *detail ? detail : NULL);
  wapf__db_bind_double(st, 4, now_real());
  wapf__db_bind_int64(st, 5, row);
  rc = wapf__db_step(st);
  wapf__db_finalize(&st);
  return rc == 0 ? WAPF_OK : rc == 1 ? WAPF_OK : rc;
}

int wapf__journal_done(wapf_context *ctx, wapf__journal *j, long long row,
                       const char *state, const char *message_id,
                       const char *detail) {
  int rc = done_once(j->db, row, state, message_id, detail);
  /* the server went away: write the outcome again once it answers */
  if (rc != WAPF_OK && wapf__journal_again(ctx, j))
    rc = done_once(j->db, row, state, message_id, detail);
  return rc;
}

void wapf__journal_fill(wapf__stmt *st, wapf_journal_entry *e) {
  memset(e, 0, sizeof *e);
  e->at = wapf__db_double(st, 0);
  e->updated = wapf__db_double(st, 1);
  const char **dst[] = {&e->provider,      &e->sender, &e->recipient,
                        &e->media,         &e->kind,   &e->caption,
                        &e->template_name, &e->state,  &e->message_id,
                        &e->detail};
  for (int i = 0; i < 10; i++)
    *dst[i] = col(st, 2 + i);
  if (strcmp(e->state, "pending") == 0) {
    wapf__claim c;
    wapf__claim_read(st, 12, &c); /* pid, pstart, host, lease */
    if (!wapf__claim_live(&c))
      e->state = "unknown"; /* its run ended before the answer */
  }
  e->status = col(st, 16);
  e->errors = col(st, 17);
  e->status_at = wapf__db_double(st, 18);
}

int wapf_journal_list(wapf_context *ctx, const char *cache_dir, double since,
                      wapf_journal_fn fn, void *cookie) {
  if (!ctx || !fn)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  wapf__journal *j = NULL;
  int rc = wapf__journal_open(ctx, cache_dir, NULL, &j);
  if (rc != WAPF_OK)
    return rc;
  wapf__stmt *st = NULL;
  rc = wapf__db_prepare(j->db,
                        "SELECT " WAPF_JOURNAL_COLUMNS " FROM sends "
                        "WHERE at >= ?1 ORDER BY id",
                        &st);
  int e = rc;
  if (rc == WAPF_OK) {
    wapf__db_bind_double(st, 1, since);
    while ((e = wapf__db_step(st)) == 1) {
      wapf_journal_entry en;
      wapf__journal_fill(st, &en);
      if (fn(cookie, &en) != 0)
        break;
    }
  }
  if (e < 0)
    rc = wapf__db_fail(ctx, j->db, "send journal");
  wapf__db_finalize(&st);
  wapf__journal_close(&j);
  return rc;
}
