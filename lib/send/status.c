/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The delivery state in the send journal: the columns a status webhook
 * fills (journal_schema.c), the event table that keeps every status once
 * (also those that match no send), and the monotonic merge: sent <
 * delivered < read < played < failed. */
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

/* Merge one status into the send row id (monotonic); a send whose outcome
 * was unknown is resolved by it. */
static int merge_into(wapf__db *db, long long id, const wapf__status_ev *ev,
                      double now) {
  static const char sql[] =
      "UPDATE sends SET status=CAST(?1 AS TEXT), status_at=?2, "
      " errors=COALESCE(CAST(?3 AS TEXT), errors), updated=?5,"
      " message_id=COALESCE(message_id, CAST(?6 AS TEXT)),"
      " detail=CASE WHEN state='unknown' THEN 'resolved by the status "
      "webhook: ' || CAST(?1 AS TEXT) ELSE detail END,"
      " state=CASE WHEN state='unknown' THEN (CASE WHEN CAST(?1 AS TEXT)="
      "'failed' THEN 'failed' ELSE 'sent' END) ELSE state END "
      "WHERE id=?4 AND " RANK_SQL("status") " < " RANK_SQL("CAST(?1 AS TEXT)");
  wapf__stmt *st = NULL;
  int rc = wapf__db_prepare(db, sql, &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_text(st, 1, ev->status);
  wapf__db_bind_double(st, 2, ev->ts);
  wapf__db_bind_text(st, 3, ev->errors);
  wapf__db_bind_int64(st, 4, id);
  wapf__db_bind_double(st, 5, now);
  wapf__db_bind_text(st, 6, ev->message_id);
  rc = wapf__db_step(st);
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

static const char *or_null(const char *v) {
  return v && *v ? v : NULL;
}

/* The send an event is for: by reference, else provider + message id.
 * *id 0 when none. */
static int find_send(wapf__db *db, const wapf__status_ev *ev, long long *id) {
  wapf__stmt *st = NULL;
  *id = 0;
  int rc = wapf__db_prepare(
      db,
      "SELECT id FROM sends WHERE (CAST(?1 AS TEXT) IS NOT NULL AND "
      "ref=CAST(?1 AS TEXT)) OR (message_id=?2 AND provider=?3) ORDER BY "
      "(ref IS NOT DISTINCT FROM CAST(?1 AS TEXT)) DESC, id DESC LIMIT 1",
      &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_text(st, 1, or_null(ev->ref));
  wapf__db_bind_text(st, 2, ev->message_id);
  wapf__db_bind_text(st, 3, ev->provider);
  rc = wapf__db_step(st);
  if (rc == 1)
    *id = wapf__db_int64(st, 0);
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

static double now_real(void) {
  return (double)g_get_real_time() / G_USEC_PER_SEC;
}

/* Keep the event (once); *fresh 0 for a duplicate. */
static int keep_event(wapf__db *db, const wapf__status_ev *ev,
                      long long send_id, double now, int *fresh) {
  wapf__stmt *st = NULL;
  int rc = wapf__db_prepare(db,
                            "INSERT INTO statuses(provider, message_id, "
                            "status, ref, recipient, ts, errors, received, "
                            "send_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
                            "ON CONFLICT DO NOTHING RETURNING id",
                            &st);
  if (rc != WAPF_OK)
    return rc;
  const char *t[] = {ev->provider, ev->message_id, ev->status, ev->ref,
                     ev->recipient};
  for (int i = 0; i < 5; i++)
    wapf__db_bind_text(st, i + 1, or_null(t[i]));
  wapf__db_bind_double(st, 6, ev->ts);
  wapf__db_bind_text(st, 7, ev->errors);
  wapf__db_bind_double(st, 8, now);
  if (send_id > 0)
    wapf__db_bind_int64(st, 9, send_id);
  else
    wapf__db_bind_text(st, 9, NULL);
  rc = wapf__db_step(st);
  *fresh = rc == 1;
  if (rc == 1) /* RETURNING: finish the statement */
    while ((rc = wapf__db_step(st)) == 1)
      ;
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

int wapf__status_record(wapf__db *db, const wapf__status_ev *ev, int *fresh,
                        int *matched) {
  double now = now_real();
  long long id = 0;
  int rc = find_send(db, ev, &id);
  if (rc != WAPF_OK)
    return rc;
  rc = keep_event(db, ev, id, now, fresh);
  *matched = id > 0 && *fresh;
  if (rc == WAPF_OK && id > 0 && *fresh)
    rc = merge_into(db, id, ev, now);
  return rc;
}

static int link_event(wapf__db *db, long long row, long long event) {
  wapf__stmt *st = NULL;
  int rc =
      wapf__db_prepare(db, "UPDATE statuses SET send_id=?1 WHERE id=?2", &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_int64(st, 1, row);
  wapf__db_bind_int64(st, 2, event);
  rc = wapf__db_step(st);
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

/* Events that arrived before their send was recorded (its answer, with
 * the message id, came later): merge them now. */
int wapf__status_attach(wapf__db *db, long long row) {
  wapf__stmt *st = NULL;
  int rc = wapf__db_prepare(
      db,
      "SELECT e.id, e.provider, e.message_id, e.status, e.ref, e.ts, "
      "e.errors FROM statuses e, sends s WHERE s.id=?1 AND e.send_id IS "
      "NULL AND ((s.ref IS NOT NULL AND e.ref=s.ref) OR (e.message_id="
      "s.message_id AND e.provider=s.provider)) ORDER BY e.id",
      &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_int64(st, 1, row);
  double now = now_real();
  while ((rc = wapf__db_step(st)) == 1) {
    wapf__status_ev ev = {
        wapf__db_text(st, 1),
        wapf__db_text(st, 2),
        wapf__db_text(st, 3),
        wapf__db_text(st, 4),
        NULL,
        wapf__db_double(st, 5),
        wapf__db_text(st, 6),
    };
    int e = merge_into(db, row, &ev, now);
    if (e == WAPF_OK)
      e = link_event(db, row, wapf__db_int64(st, 0));
    if (e != WAPF_OK) {
      rc = e;
      break;
    }
  }
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

int wapf__status_set_ref(wapf__db *db, long long row, const char *ref,
                         const char *path) {
  wapf__stmt *st = NULL;
  int rc =
      wapf__db_prepare(db, "UPDATE sends SET ref=?1, path=?2 WHERE id=?3", &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_text(st, 1, or_null(ref));
  wapf__db_bind_text(st, 2, or_null(path));
  wapf__db_bind_int64(st, 3, row);
  rc = wapf__db_step(st);
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

int wapf__status_of(wapf__db *db, long long row, char *status, size_t size,
                    double *at) {
  wapf__stmt *st = NULL;
  status[0] = '\0';
  *at = 0;
  int rc = wapf__db_prepare(
      db, "SELECT status, status_at FROM sends WHERE id=?1", &st);
  if (rc != WAPF_OK)
    return rc;
  wapf__db_bind_int64(st, 1, row);
  rc = wapf__db_step(st);
  if (rc == 1 && wapf__db_text(st, 0)) {
    wapf__strlcpy(status, wapf__db_text(st, 0), size);
    *at = wapf__db_double(st, 1);
  }
  wapf__db_finalize(&st);
  return rc < 0 ? rc : WAPF_OK;
}

static void iso_time(double at, char *buf, size_t size) {
  time_t t = (time_t)at;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int wapf__status_judge(wapf__send *s, wapf__db *db, long long row) {
  char status[16], at[32];
  double when = 0;
  if (wapf__status_of(db, row, status, sizeof status, &when) != WAPF_OK)
    return 1;
  int rank = wapf__status_rank(status);
  if (rank == 5)
    return WAPF_OK; /* failed by the provider's word: send it again */
  if (rank < 2)
    return 1;
  iso_time(when, at, sizeof at);
  s->res->duplicate = 1;
  wapf__stmt *st = NULL;
  if (wapf__db_prepare(db, "SELECT message_id FROM sends WHERE id=?1", &st) ==
      WAPF_OK) {
    wapf__db_bind_int64(st, 1, row);
    if (wapf__db_step(st) == 1 && wapf__db_text(st, 0))
      wapf__strlcpy(s->res->message_id, wapf__db_text(st, 0),
                    sizeof s->res->message_id);
    wapf__db_finalize(&st);
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
  int rc = wapf__status_set_ref(wapf__journal_db(j), row, s->ref, abs);
  if (rc != WAPF_OK && wapf__journal_again(s->ctx, j))
    rc = wapf__status_set_ref(wapf__journal_db(j), row, s->ref, abs);
  free(abs);
  if (rc == WAPF_OK)
    return WAPF_OK;
  rc = wapf__db_fail(s->ctx, wapf__journal_db(j), "send journal");
  wapf__journal_done(s->ctx, j, row, "failed", NULL,
                     "the journal could not be written");
  return rc;
}
