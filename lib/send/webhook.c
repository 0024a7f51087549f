/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf_webhook_ingest(): proof, parse, and one transaction that keeps
 * every status, merges it into its send and (forwarding) queues the body
 * in the outbox; the outbox's two calls for a forwarder. */
#include "status.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void wapf_default_webhook_request(wapf_webhook_request *r) {
  if (r)
    memset(r, 0, sizeof *r);
}

static double now_real(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int queue_body(sqlite3 *db, const wapf_webhook_request *q) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO outbox(provider, body, received) "
                         "VALUES(?1, ?2, ?3)",
                         -1, &st, NULL) != SQLITE_OK)
    return SQLITE_ERROR;
  sqlite3_bind_text(st, 1, wapf_provider_name(q->provider), -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 2, q->body, (int)q->body_len, SQLITE_STATIC);
  sqlite3_bind_double(st, 3, now_real());
  int e = sqlite3_step(st);
  sqlite3_finalize(st);
  return e == SQLITE_DONE ? SQLITE_OK : e;
}

/* Every event, and the outbox row, in one transaction. */
static int commit(wapf_context *ctx, sqlite3 *db, const wapf__status_list *l,
                  const wapf_webhook_request *q, wapf_webhook_result *res) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return wapf__fail(ctx, WAPF_EIO, "send journal: begin: %s",
                      sqlite3_errmsg(db));
  int e = SQLITE_OK;
  for (int i = 0; e == SQLITE_OK && i < l->n; i++) {
    int fresh = 0, matched = 0;
    e = wapf__status_record(db, &l->ev[i], &fresh, &matched);
    res->recorded += fresh;
    res->matched += matched;
  }
  if (e == SQLITE_OK && q->forward && (e = queue_body(db, q)) == SQLITE_OK)
    res->queued = 1;
  if (e == SQLITE_OK)
    e = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  if (e != SQLITE_OK) {
    int rc = wapf__fail(ctx, WAPF_EIO, "send journal: webhook: %s",
                        sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    res->recorded = res->matched = res->queued = 0;
    return rc;
  }
  return WAPF_OK;
}

static int check_request(wapf_context *ctx, const wapf_webhook_request *q) {
  if (!wapf__zeroed(q->reserved, sizeof q->reserved) || !q->body ||
      (unsigned)q->provider > WAPF_PROVIDER_LIPACHAT)
    return wapf__fail(ctx, WAPF_EINVAL, "webhook: bad request");
  if (q->body_len > WAPF_WEBHOOK_MAX_BODY)
    return wapf__fail(ctx, WAPF_ELIMIT, "webhook: body over %d bytes",
                      WAPF_WEBHOOK_MAX_BODY);
  return WAPF_OK;
}

int wapf_webhook_ingest(wapf_context *ctx, const wapf_webhook_request *q,
                        wapf_webhook_result *res) {
  wapf_webhook_result local;
  if (!ctx || !q)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  if (!res)
    res = &local;
  memset(res, 0, sizeof *res);
  int rc = check_request(ctx, q);
  if (rc == WAPF_OK)
    rc = wapf__webhook_verify(ctx, q);
  if (rc != WAPF_OK)
    return rc;
  json_t *root = NULL;
  wapf__status_list l = {0};
  char why[200] = "";
  rc = wapf__webhook_parse(q->provider, q->body, q->body_len, &root, &l, why,
                           sizeof why);
  if (rc == WAPF_ECORRUPT)
    wapf__fail(ctx, rc, "%s webhook: %s", wapf_provider_name(q->provider), why);
  else if (rc == WAPF_ENOMEM)
    wapf__fail(ctx, rc, "out of memory");
  wapf__journal *j = NULL;
  if (rc == WAPF_OK)
    rc = wapf__journal_open(ctx, q->cache_dir, &j);
  res->events = l.n;
  if (rc == WAPF_OK)
    rc = commit(ctx, wapf__journal_db(j), &l, q, res);
  wapf__journal_close(&j);
  wapf__status_list_free(&l);
  json_decref(root);
  return rc;
}

int wapf_outbox_next(wapf_context *ctx, const char *cache_dir,
                     void (*fn)(void *, const wapf_outbox_item *), void *cookie,
                     int *found) {
  if (!ctx || !fn || !found)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  *found = 0;
  wapf__journal *j = NULL;
  int rc = wapf__journal_open(ctx, cache_dir, &j);
  if (rc != WAPF_OK)
    return rc;
  sqlite3 *db = wapf__journal_db(j);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT id, body, provider, attempts, next_at FROM "
                         "outbox ORDER BY id LIMIT 1",
                         -1, &st, NULL) != SQLITE_OK) {
    rc = wapf__fail(ctx, WAPF_EIO, "outbox: %s", sqlite3_errmsg(db));
    wapf__journal_close(&j);
    return rc;
  }
  int e = sqlite3_step(st);
  if (e == SQLITE_ROW && sqlite3_column_double(st, 4) <= now_real()) {
    wapf_outbox_item it;
    memset(&it, 0, sizeof it);
    it.id = (long long)sqlite3_column_int64(st, 0);
    it.body = (const char *)sqlite3_column_blob(st, 1);
    it.body_len = (size_t)sqlite3_column_bytes(st, 1);
    it.provider = (const char *)sqlite3_column_text(st, 2);
    it.attempts = sqlite3_column_int(st, 3);
    it.next_at = sqlite3_column_double(st, 4);
    *found = 1;
    fn(cookie, &it);
  } else if (e != SQLITE_ROW && e != SQLITE_DONE) {
    rc = wapf__fail(ctx, WAPF_EIO, "outbox: %s", sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
  wapf__journal_close(&j);
  return rc;
}

int wapf_outbox_done(wapf_context *ctx, const char *cache_dir, long long id,
                     int ok, double retry_in) {
  if (!ctx)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  wapf__journal *j = NULL;
  int rc = wapf__journal_open(ctx, cache_dir, &j);
  if (rc != WAPF_OK)
    return rc;
  sqlite3 *db = wapf__journal_db(j);
  sqlite3_stmt *st = NULL;
  const char *sql = ok ? "DELETE FROM outbox WHERE id=?1"
                       : "UPDATE outbox SET attempts=attempts+1, next_at=?2 "
                         "WHERE id=?1";
  int e = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (e == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    if (!ok)
      sqlite3_bind_double(st, 2, now_real() + retry_in);
    e = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
  }
  sqlite3_finalize(st);
  rc = e == SQLITE_OK
           ? WAPF_OK
           : wapf__fail(ctx, WAPF_EIO, "outbox: %s", sqlite3_errmsg(db));
  wapf__journal_close(&j);
  return rc;
}
