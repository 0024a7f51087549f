/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Qikchat: link only. POST /v1/messages with QIKCHAT-API-KEY,
 * {to_contact, type, <type>: {link, caption?, filename?}} ->
 * {"status":true, "data":[{"id", ..., "status":"queued"}]}. */
#include "send.h"

#include <stdio.h>
#include <string.h>

static json_t *qik_body(const wapf__send *s) {
  const char *type = wapf__kind_type(s->kind);
  json_t *b = json_object();
  json_object_set_new(b, "to_contact", json_string(s->to));
  json_object_set_new(b, "type", json_string(type));
  json_object_set_new(b, type, wapf__media_object(s, 0));
  return b;
}

static int qik_message(wapf__send *s) {
  char *url = g_strdup_printf("%s/v1/messages", s->base);
  char *key = g_strdup_printf("QIKCHAT-API-KEY: %s", s->creds.token);
  const char *hdr[] = {key, NULL};
  json_t *ans = NULL;
  int rc = wapf__post_json(s, url, "send", hdr, qik_body(s), &ans);
  g_free(url);
  memset(key, 0, strlen(key));
  g_free(key);
  if (rc != WAPF_OK)
    return rc;
  json_t *d0 = json_array_get(json_object_get(ans, "data"), 0);
  const char *id = json_string_value(json_object_get(d0, "id"));
  if (json_is_true(json_object_get(ans, "status")) && (!id || !*id)) {
    rc = wapf__answer_no_id(s, ans, "data[0].id"); /* queued, or not? */
  } else if (!id || !*id) {
    const char *msg = json_string_value(json_object_get(ans, "message"));
    wapf__provider_error(s, msg);
    rc = wapf__sfail(s, WAPF_EPROVIDER,
                     "qikchat: the message was not queued%s%s",
                     msg ? ": " : " (no data[0].id)", msg ? msg : "");
  } else {
    wapf__strlcpy(s->res->message_id, id, sizeof s->res->message_id);
  }
  json_decref(ans);
  return rc;
}

const wapf__provider wapf__prov_qikchat = {
    .id = WAPF_PROVIDER_QIKCHAT,
    .name = "qikchat",
    .default_base = "https://api.qikchat.in",
    .key_env = "QIKCHAT_API_KEY",
    .kinds = WAPF_KINDS_ALL,
    .target_flags = 0,
    .by_id = 0,
    .voice_flag = 0,
    .upload = NULL,
    .message = qik_message,
};
