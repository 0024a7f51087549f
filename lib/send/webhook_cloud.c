/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Cloud API's status webhook (meta, 360dialog):
 * entry[].changes[].value.statuses[], each {id, status, timestamp,
 * recipient_id, biz_opaque_callback_data?, errors[]?}; the On-Premises
 * API's top-level statuses[] carries the same status objects. */
#include "status.h"

#include <math.h>

#include <stdlib.h>
#include <string.h>

static int bad(char *why, size_t n, const char *what) {
  snprintf(why, n, "%s", what);
  return WAPF_ECORRUPT;
}

/* A string member (NULL when absent); *ok 0 when present but not a
 * string of 1..max bytes. */
static const char *str_member(json_t *o, const char *key, size_t max, int *ok) {
  json_t *v = json_object_get(o, key);
  if (!v || json_is_null(v))
    return NULL;
  const char *s = json_string_value(v);
  if (!s || !*s || strlen(s) > max) {
    *ok = 0;
    return NULL;
  }
  return s;
}

/* "1727862637" or 1727862637, in seconds (a value over 1e11 is read as
 * milliseconds); 0 when absent, not a number, not finite, or not after
 * 1970. */
double wapf__webhook_time(json_t *v) {
  double t = 0;
  const char *s = json_string_value(v);
  if (json_is_integer(v) || json_is_real(v)) {
    t = json_number_value(v);
  } else if (s && *s && strlen(s) <= 20) {
    char *end = NULL;
    t = g_ascii_strtod(s, &end);
    if (!end || *end)
      t = 0;
  }
  if (t > 1e11)
    t /= 1000;
  return isfinite(t) && t > 0 && t < 1e11 ? t : 0;
}

int wapf__webhook_status_object(json_t *st, const char *provider,
                                wapf__status_list *l, char *why, size_t n) {
  if (!json_is_object(st))
    return bad(why, n, "a status that is not an object");
  int ok = 1;
  wapf__status_ev ev = {provider,
                        str_member(st, "id", 512, &ok),
                        NULL,
                        str_member(st, "biz_opaque_callback_data", 512, &ok),
                        str_member(st, "recipient_id", 64, &ok),
                        wapf__webhook_time(json_object_get(st, "timestamp")),
                        NULL};
  const char *word = str_member(st, "status", 32, &ok);
  json_t *errs = json_object_get(st, "errors");
  if (!ok || !ev.message_id || !word)
    return bad(why, n, "a status without a string id and status");
  if (errs && !json_is_array(errs))
    return bad(why, n, "a status whose errors is not an array");
  if (!(ev.status = wapf__status_word(word)))
    return WAPF_OK; /* deleted, warning, ...: not a delivery state */
  char *text = NULL;
  if (errs && json_array_size(errs) &&
      !(text = json_dumps(errs, JSON_COMPACT | JSON_PRESERVE_ORDER)))
    return WAPF_ENOMEM;
  return wapf__status_list_add(l, &ev, text) ? WAPF_ENOMEM : WAPF_OK;
}

/* Each status of an array (absent: none). */
int wapf__webhook_statuses(json_t *arr, const char *provider,
                           wapf__status_list *l, char *why, size_t n) {
  if (!arr)
    return WAPF_OK;
  if (!json_is_array(arr))
    return bad(why, n, "statuses is not an array");
  size_t i;
  json_t *st;
  json_array_foreach(arr, i, st) {
    int rc = wapf__webhook_status_object(st, provider, l, why, n);
    if (rc != WAPF_OK)
      return rc;
  }
  return WAPF_OK;
}

static int one_change(json_t *ch, const char *provider, wapf__status_list *l,
                      char *why, size_t n) {
  json_t *value = json_object_get(ch, "value");
  if (!json_is_object(ch) || !json_is_object(value))
    return bad(why, n, "a change without a value object");
  return wapf__webhook_statuses(json_object_get(value, "statuses"), provider, l,
                                why, n);
}

int wapf__webhook_parse_cloud(json_t *root, const char *provider,
                              wapf__status_list *l, char *why, size_t n) {
  json_t *entries = json_object_get(root, "entry");
  if (!json_is_array(entries))
    return bad(why, n, "not a Cloud API webhook: no entry[]");
  size_t i, k;
  json_t *e, *ch;
  json_array_foreach(entries, i, e) {
    json_t *changes = json_object_get(e, "changes");
    if (!json_is_object(e) || !json_is_array(changes))
      return bad(why, n, "an entry without changes[]");
    json_array_foreach(changes, k, ch) {
      int rc = one_change(ch, provider, l, why, n);
      if (rc != WAPF_OK)
        return rc;
    }
  }
  return WAPF_OK;
}

int wapf__webhook_parse_onprem(json_t *root, const char *provider,
                               wapf__status_list *l, char *why, size_t n) {
  json_t *st = json_object_get(root, "statuses");
  if (!st && !json_object_get(root, "messages") &&
      !json_object_get(root, "errors"))
    return bad(why, n, "not an On-Premises webhook: no statuses[]");
  return wapf__webhook_statuses(st, provider, l, why, n);
}
