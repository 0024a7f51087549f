/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gateways' status webhooks. Qikchat documents a "statuses" object
 * (up to three notifications per message: sent, delivered, read) without
 * a field list; it is read as the Cloud API status object, one or an
 * array. Lipachat documents a status callback (delivered, read, failed)
 * keyed by the client's own messageId; read as {messageId, status,
 * timestamp?, errors? | statusDesc?}. */
#include "status.h"

#include <stdlib.h>
#include <string.h>

int wapf__webhook_parse_qikchat(json_t *root, const char *provider,
                                wapf__status_list *l, char *why, size_t n) {
  json_t *st = json_object_get(root, "statuses");
  if (json_is_object(st))
    return wapf__webhook_status_object(st, provider, l, why, n);
  if (!st && json_object_get(root, "message"))
    return WAPF_OK; /* an inbound message */
  if (!st) {
    snprintf(why, n, "not a Qikchat webhook: no statuses nor message");
    return WAPF_ECORRUPT;
  }
  return wapf__webhook_statuses(st, provider, l, why, n);
}

/* Lipachat's failure words as an errors[] text ({"title": desc}). */
static char *lipa_errors(json_t *root) {
  json_t *errs = json_object_get(root, "errors");
  if (json_is_array(errs) && json_array_size(errs))
    return json_dumps(errs, JSON_COMPACT | JSON_PRESERVE_ORDER);
  const char *desc = json_string_value(json_object_get(root, "statusDesc"));
  if (!desc)
    desc = json_string_value(json_object_get(root, "message"));
  if (!desc || !*desc)
    return NULL;
  json_t *a = json_pack("[{s:s}]", "title", desc);
  char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
  json_decref(a);
  return text;
}

int wapf__webhook_parse_lipachat(json_t *root, const char *provider,
                                 wapf__status_list *l, char *why, size_t n) {
  const char *id = json_string_value(json_object_get(root, "messageId"));
  json_t *word = json_object_get(root, "status");
  if (!id || !*id || strlen(id) > 512) {
    snprintf(why, n, "not a Lipachat status: no messageId");
    return WAPF_ECORRUPT;
  }
  if (!word && json_object_get(root, "type"))
    return WAPF_OK; /* an inbound message */
  if (!json_is_string(word)) {
    snprintf(why, n, "a Lipachat status without a status word");
    return WAPF_ECORRUPT;
  }
  wapf__status_ev ev = {
      provider, id,  wapf__status_word(json_string_value(word)), id, NULL,
      0,        NULL};
  if (!ev.status)
    return WAPF_OK; /* QUEUED, ...: not a delivery state */
  ev.ts = wapf__webhook_time(json_object_get(root, "timestamp"));
  const char *to = json_string_value(json_object_get(root, "to"));
  ev.recipient = to && strlen(to) <= 64 ? to : NULL;
  char *errors = ev.status[0] == 'f' ? lipa_errors(root) : NULL;
  return wapf__status_list_add(l, &ev, errors) ? WAPF_ENOMEM : WAPF_OK;
}
