/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lipachat: link only. POST /api/v1/whatsapp/media with apiKey,
 * {messageId (a UUID, the same across retries so the provider
 * de-duplicates), from, to, mediaType, mediaUrl, caption?, filename?}.
 * Success is data.messageId, never the "status" word: a rejected key
 * answers 401 with "status":"success" and "data":null. */
#include "send.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

static json_t *lipa_body(const wapf__send *s) {
  char type[16];
  const char *t = wapf__kind_type(s->kind);
  size_t i = 0;
  for (; t[i] && i < sizeof type - 1; i++)
    type[i] = (char)toupper((unsigned char)t[i]);
  type[i] = '\0';
  json_t *b = json_object();
  json_object_set_new(b, "messageId", json_string(s->uuid));
  json_object_set_new(b, "from", json_string(s->req->from));
  json_object_set_new(b, "to", json_string(s->to));
  json_object_set_new(b, "mediaType", json_string(type));
  json_object_set_new(b, "mediaUrl", json_string(s->link));
  if (s->caption)
    json_object_set_new(b, "caption", json_string(s->caption));
  if (s->kind == WAPF_KIND_DOCUMENT && s->filename[0])
    json_object_set_new(b, "filename", json_string(s->filename));
  return b;
}

static int lipa_message(wapf__send *s) {
  if (!s->uuid[0]) {
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, s->uuid);
  }
  char *url = g_strdup_printf("%s/api/v1/whatsapp/media", s->base);
  char *key = g_strdup_printf("apiKey: %s", s->creds.token);
  const char *hdr[] = {key, NULL};
  json_t *ans = NULL;
  int rc = wapf__post_json(s, url, "send", hdr, lipa_body(s), &ans);
  g_free(url);
  memset(key, 0, strlen(key));
  g_free(key);
  if (rc != WAPF_OK)
    return rc;
  json_t *data = json_object_get(ans, "data");
  const char *id = json_string_value(json_object_get(data, "messageId"));
  const char *said = json_string_value(json_object_get(ans, "message"));
  if ((!id || !*id) && (!said || !*said)) { /* no word of a refusal */
    rc = wapf__answer_no_id(s, ans, "data.messageId");
  } else if (!id || !*id) {
    const char *msg = said;
    wapf__provider_error(s, msg);
    rc = wapf__sfail(s, WAPF_EPROVIDER,
                     "lipachat: no data.messageId in the answer%s%s",
                     msg && *msg ? ": " : "", msg ? msg : "");
  } else {
    wapf__strlcpy(s->res->message_id, id, sizeof s->res->message_id);
  }
  json_decref(ans);
  return rc;
}

const wapf__provider wapf__prov_lipachat = {
    .id = WAPF_PROVIDER_LIPACHAT,
    .name = "lipachat",
    .default_base = "https://gateway.lipachat.com",
    .key_env = "LIPACHAT_API_KEY",
    .kinds = WAPF_KINDS_ALL,
    .target_flags = 0,
    .by_id = 0,
    .voice_flag = 0,
    .upload = NULL,
    .message = lipa_message,
};
