/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the delivery state back: wapf_journal_failures() and
 * wapf_journal_find(). */
#include "status.h"

#include <string.h>

static const char *text(wapf__stmt *st, int i) {
  const char *v = wapf__db_text(st, i);
  return v ? v : "";
}

/* Run sql (binding ?1 to a text or a number) and call fn per row. kind 0:
 * journal rows, 1: unmatched events. */
static int each(wapf_context *ctx, wapf__db *db, const char *sql,
                const char *arg, double since, int kind, wapf_journal_fn fn,
                void *cookie, int *stop) {
  wapf__stmt *st = NULL;
  if (wapf__db_prepare(db, sql, &st) != WAPF_OK)
    return wapf__db_fail(ctx, db, "send journal");
  if (arg)
    wapf__db_bind_text(st, 1, arg);
  else
    wapf__db_bind_double(st, 1, since);
  int e = 0;
  while (!*stop && (e = wapf__db_step(st)) == 1) {
    wapf_journal_entry en;
    if (kind == 0) {
      wapf__journal_fill(st, &en);
    } else {
      memset(&en, 0, sizeof en);
      en.at = en.updated = wapf__db_double(st, 0);
      en.provider = text(st, 1);
      en.message_id = text(st, 2);
      en.status = text(st, 3);
      en.recipient = text(st, 4);
      en.status_at = wapf__db_double(st, 5);
      en.errors = text(st, 6);
      en.sender = en.media = en.kind = en.caption = en.template_name = "";
      en.state = en.detail = "";
    }
    *stop = fn(cookie, &en) != 0;
  }
  int rc = WAPF_OK;
  if (e < 0)
    rc = wapf__db_fail(ctx, db, "send journal");
  wapf__db_finalize(&st);
  return rc;
}

int wapf_journal_failures(wapf_context *ctx, const char *cache_dir,
                          double since, wapf_journal_fn fn, void *cookie) {
  if (!ctx || !fn)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  wapf__journal *j = NULL;
  int rc = wapf__journal_open(ctx, cache_dir, NULL, &j), stop = 0;
  if (rc != WAPF_OK)
    return rc;
  wapf__db *db = wapf__journal_db(j);
  rc = each(ctx, db,
            "SELECT " WAPF_JOURNAL_COLUMNS " FROM sends WHERE at >= ?1 AND "
            "(status='failed' OR state='failed') ORDER BY id",
            NULL, since, 0, fn, cookie, &stop);
  if (rc == WAPF_OK)
    rc = each(ctx, db,
              "SELECT received, provider, message_id, status, recipient, ts, "
              "errors FROM statuses WHERE received >= ?1 AND send_id IS NULL "
              "AND status='failed' ORDER BY id",
              NULL, since, 1, fn, cookie, &stop);
  wapf__journal_close(&j);
  return rc;
}

int wapf_journal_find(wapf_context *ctx, const char *cache_dir,
                      const char *message_id, wapf_journal_fn fn,
                      void *cookie) {
  if (!ctx || !fn || !message_id || !*message_id)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  wapf__journal *j = NULL;
  int rc = wapf__journal_open(ctx, cache_dir, NULL, &j), stop = 0;
  if (rc != WAPF_OK)
    return rc;
  rc = each(ctx, wapf__journal_db(j),
            "SELECT " WAPF_JOURNAL_COLUMNS " FROM sends WHERE message_id=?1 "
            "ORDER BY id",
            message_id, 0, 0, fn, cookie, &stop);
  wapf__journal_close(&j);
  return rc;
}
