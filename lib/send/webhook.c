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
  return (double)g_get_real_time() / G_USEC_PER_SEC;
}

static int queue_body(wapf__db *db, const wapf_webhook_request *q) {
  wapf__stmt *st = NULL;
  int rc = wapf__db_prepare(db,
                            "INSERT INTO outbox(provider, body, received) "
                            "VALUES(?1, ?2, ?3)",
                            &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_text(st, 1, wapf_provider_name(q->provider));
  wapf__db_bind_blob(st, 2, q->body, q->body_len);
  wapf__db_bind_double(st, 3, now_real());
  rc = wapf__db_step(st);
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

/* Every event, and the outbox row, in one transaction. */
static int commit_once(wapf__db *db, const wapf__status_list *l,
                       const wapf_webhook_request *q,
                       wapf_webhook_result *res) {
  res->recorded = res->matched = res->queued = 0;
  int rc = wapf__db_begin(db, NULL);
  for (int i = 0; rc == WAPF_OK && i < l->n; i++) {
    int fresh = 0, matched = 0;
    rc = wapf__status_record(db, &l->ev[i], &fresh, &matched);
    res->recorded += fresh;
    res->matched += matched;
  }
  if (rc == WAPF_OK && q->forward && (rc = queue_body(db, q)) == WAPF_OK)
    res->queued = 1;
  if (rc == WAPF_OK)
    rc = wapf__db_commit(db);
  if (rc != WAPF_OK) {
    wapf__db_rollback(db);
    res->recorded = res->matched = res->queued = 0;
  }
  return rc;
}

static int commit(wapf_context *ctx, wapf__journal *j,
                  const wapf__status_list *l, const wapf_webhook_request *q,
                  wapf_webhook_result *res) {
  int rc = commit_once(wapf__journal_db(j), l, q, res);
  /* nothing was committed: after a lost server, once more when it answers */
  if (rc != WAPF_OK && wapf__journal_again(ctx, j))
    rc = commit_once(wapf__journal_db(j), l, q, res);
  return rc == WAPF_OK
             ? WAPF_OK
             : wapf__db_fail(ctx, wapf__journal_db(j), "send journal: webhook");
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
    rc = wapf__journal_open(ctx, q->cache_dir, q->config_path, &j);
  res->events = l.n;
  if (rc == WAPF_OK)
    rc = commit(ctx, j, &l, q, res);
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
  int rc = wapf__journal_open(ctx, cache_dir, NULL, &j);
  if (rc != WAPF_OK)
    return rc;
  wapf__db *db = wapf__journal_db(j);
  wapf__stmt *st = NULL;
  int e = wapf__db_prepare(db,
                           "SELECT id, body, provider, attempts, next_at FROM "
                           "outbox ORDER BY id LIMIT 1",
                           &st);
  if (e == WAPF_OK)
    e = wapf__db_step(st);
  if (e == 1 && wapf__db_double(st, 4) <= now_real()) {
    wapf_outbox_item it;
    memset(&it, 0, sizeof it);
    it.id = wapf__db_int64(st, 0);
    it.body = wapf__db_blob(st, 1, &it.body_len);
    it.provider = wapf__db_text(st, 2);
    it.attempts = (int)wapf__db_int64(st, 3);
    it.next_at = wapf__db_double(st, 4);
    if (!it.body)
      it.body = "";
    *found = 1;
    fn(cookie, &it);
  } else if (e < 0) {
    rc = wapf__db_fail(ctx, db, "outbox");
  }
  wapf__db_finalize(&st);
  wapf__journal_close(&j);
  return rc;
}

int wapf_outbox_done(wapf_context *ctx, const char *cache_dir, long long id,
                     int ok, double retry_in) {
  if (!ctx)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  wapf__journal *j = NULL;
  int rc = wapf__journal_open(ctx, cache_dir, NULL, &j);
  if (rc != WAPF_OK)
    return rc;
  wapf__db *db = wapf__journal_db(j);
  wapf__stmt *st = NULL;
  const char *sql = ok ? "DELETE FROM outbox WHERE id=?1"
                       : "UPDATE outbox SET attempts=attempts+1, next_at=?2 "
                         "WHERE id=?1";
  int e = wapf__db_prepare(db, sql, &st);
  if (e == WAPF_OK) {
    wapf__db_bind_int64(st, 1, id);
    if (!ok)
      wapf__db_bind_double(st, 2, now_real() + retry_in);
    e = wapf__db_step(st);
  }
  wapf__db_finalize(&st);
  rc = e >= 0 ? WAPF_OK : wapf__db_fail(ctx, db, "outbox");
  wapf__journal_close(&j);
  return rc;
}
