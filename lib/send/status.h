/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The delivery state of the send journal (status.c) and the status
 * webhooks' parsers (webhook_*.c). Internal to lib/send. */
#ifndef WAPF_STATUS_H
#define WAPF_STATUS_H

#include "send.h"

#include "db.h"

/* One status of a webhook body. Strings borrowed (from the parsed JSON);
 * errors is a JSON array text or NULL. */
typedef struct wapf__status_ev {
  const char *provider;   /* "meta", "360dialog", ... */
  const char *message_id; /* the provider's id (wamid, ...), never NULL */
  const char *status;     /* sent delivered read played failed */
  const char *ref;        /* biz_opaque_callback_data / messageId, or NULL */
  const char *recipient;  /* or NULL */
  double ts;              /* the status's timestamp, 0 unknown */
  const char *errors;     /* JSON array text, or NULL */
} wapf__status_ev;

/* Collects the events of one body (the parser's output). */
typedef struct wapf__status_list {
  wapf__status_ev *ev;
  char **owned; /* strings made by the parser (errors texts), freed */
  int n, cap, n_owned;
} wapf__status_list;

void wapf__status_list_free(wapf__status_list *l);
/* Append one; -1 on ENOMEM. errors (owned by the list) may be NULL. */
int wapf__status_list_add(wapf__status_list *l, const wapf__status_ev *ev,
                          char *errors);

/* The rank in the merge (sent 1 ... failed 5), 0 for an unknown word. */
int wapf__status_rank(const char *status);
/* A provider's status word (any case) as ours, or NULL when it is not a
 * delivery state (deleted, warning, queued...: ignored). */
const char *wapf__status_word(const char *word);

/* Parsers: root is the parsed body. Fill l; return WAPF_OK, WAPF_ECORRUPT
 * (with a reason in why) or WAPF_ENOMEM. A body without statuses (an
 * inbound message) is WAPF_OK with nothing added. */
int wapf__webhook_parse_cloud(json_t *root, const char *provider,
                              wapf__status_list *l, char *why, size_t n);
int wapf__webhook_parse_onprem(json_t *root, const char *provider,
                               wapf__status_list *l, char *why, size_t n);
int wapf__webhook_parse_qikchat(json_t *root, const char *provider,
                                wapf__status_list *l, char *why, size_t n);
int wapf__webhook_parse_lipachat(json_t *root, const char *provider,
                                 wapf__status_list *l, char *why, size_t n);
/* Each status object of a statuses array (absent: none). */
int wapf__webhook_statuses(json_t *arr, const char *provider,
                           wapf__status_list *l, char *why, size_t n);
/* One Cloud API status object (also On-Premises, Qikchat) into l. */
/* A status's timestamp in seconds since 1970 (seconds or milliseconds, a
 * number or a string of digits); 0 when absent or not a time. */
double wapf__webhook_time(json_t *v);
int wapf__webhook_status_object(json_t *st, const char *provider,
                                wapf__status_list *l, char *why, size_t n);
/* Parse the body of provider p and fill l (the parsers above). */
int wapf__webhook_parse(wapf_provider p, const char *body, size_t len,
                        json_t **root, wapf__status_list *l, char *why,
                        size_t n);

/* Proof of a webhook (webhook_auth.c): WAPF_OK, WAPF_EREFUSED, or
 * WAPF_ECONFIG (no secret configured). */
int wapf__webhook_verify(wapf_context *ctx, const wapf_webhook_request *q);
/* HMAC-SHA256 of data under key as lower-case hex (65 bytes). */
void wapf__hmac_sha256_hex(const char *key, const void *data, size_t len,
                           char hex[65]);
/* Equal strings in time that depends only on the lengths. */
int wapf__ct_equal(const char *a, const char *b);

/* ---- journal state (status.c), on an open journal's store ---- */
/* The journal's schema steps (status.c), applied by wapf__journal_open. */
int wapf__journal_migrate(wapf__db *db);
/* Record one event (inside the caller's transaction): kept once, merged
 * into its send. *fresh 0 for a duplicate; *matched 1 when it matched.
 * WAPF_OK or the store's code. */
int wapf__status_record(wapf__db *db, const wapf__status_ev *ev, int *fresh,
                        int *matched);
/* Merge the events that wait for send row (arrived before its answer). */
int wapf__status_attach(wapf__db *db, long long row);
/* The send's reference (callback data) and the file sent. */
int wapf__status_set_ref(wapf__db *db, long long row, const char *ref,
                         const char *path);
/* Before the message request: the attempt's reference (a new UUID; the
 * Lipachat messageId) into s->ref and the journal row, with the file's
 * absolute path. WAPF_EIO when it cannot be written (nothing sent). */
int wapf__status_begin(wapf__send *s, wapf__journal *j, long long row);
/* The send's status ("" none) and its time. */
int wapf__status_of(wapf__db *db, long long row, char *status, size_t size,
                    double *at);
/* The journal's judgement of an earlier send from its status (journal.c
 * calls it): 1 go on with the usual rules, WAPF_OK allowed (a failed
 * one), or a refusal (delivered: even with resend). */
int wapf__status_judge(wapf__send *s, wapf__db *db, long long row);
wapf__db *wapf__journal_db(wapf__journal *j);
/* A write on j, rolled back: WAPF_OK, or the store's one-line failure
 * (read-only database or replica, no right to write, full disk). */
int wapf__journal_writable(wapf_context *ctx, wapf__journal *j);
/* After a failure on j: 1 when it was the lost server and it answers
 * again (waited for with back-off), so the caller may try once more. */
int wapf__journal_again(wapf_context *ctx, wapf__journal *j);
/* The columns wapf__journal_fill() reads, in its order. */
#define WAPF_JOURNAL_COLUMNS                                                   \
  "at, updated, provider, sender, recipient, media, kind, caption, "           \
  "template, state, message_id, detail, pid, pstart, host, lease, status, "    \
  "errors, status_at"
/* One row of those columns into e (strings borrowed from st). */
void wapf__journal_fill(wapf__stmt *st, wapf_journal_entry *e);

/* ---- claims (claim.c): who holds a pending row ---- */
typedef struct wapf__claim {
  long long pid, pstart;
  double lease;       /* its end, seconds since 1970 */
  int other_host;     /* held by another host (or boot) */
  char host_name[64]; /* that host's name */
} wapf__claim;
/* "hostname/boot-id" of this host. */
const char *wapf__claim_host(void);
/* Seconds a claim of another host is believed (WA_PREFLIGHT_LEASE_S). */
double wapf__claim_lease(void);
/* Columns first..first+3 of st: pid, pstart, host, lease. */
void wapf__claim_read(wapf__stmt *st, int first, wapf__claim *c);
/* 1 while the claim's run may still be sending. */
int wapf__claim_live(const wapf__claim *c);

#endif
