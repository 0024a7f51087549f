/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Meta's Cloud API and 360dialog (same bodies, other URLs and auth):
 * multipart upload -> {"id"}, then a JSON message by id (or link). */
#include "send.h"

#include <stdio.h>
#include <string.h>

/* The URL of an endpoint ("media", "messages") and the auth header, both
 * allocated to fit (g_free them). */
static void endpoint(const wapf__send *s, const char *what, char **url,
                     char **auth) {
  if (s->prov->id == WAPF_PROVIDER_META) {
    *url = g_strdup_printf("%s/%s/%s/%s", s->base, s->gver,
                           s->creds.phone_number_id, what);
    *auth = g_strdup_printf("Authorization: Bearer %s", s->creds.token);
  } else {
    *url = g_strdup_printf("%s/%s", s->base, what);
    *auth = g_strdup_printf("D360-API-KEY: %s", s->creds.token);
  }
}

/* Free an auth header, wiping the key it holds. */
static void free_auth(char *auth) {
  memset(auth, 0, strlen(auth));
  g_free(auth);
}

static int cloud_upload(wapf__send *s) {
  char *url, *auth;
  endpoint(s, "media", &url, &auth);
  const char *name =
      strrchr(s->path, '/') ? strrchr(s->path, '/') + 1 : s->path;
  if (s->kind == WAPF_KIND_DOCUMENT && s->filename[0])
    name = s->filename;
  wapf__http_part parts[3] = {
      {"messaging_product", "whatsapp", NULL, NULL, NULL},
      {"type", s->mime, NULL, NULL, NULL},
      {"file", NULL, s->path, s->mime, name},
  };
  wapf__http_req rq = {.method = "POST", .url = url, .what = "upload"};
  rq.headers[0] = auth;
  rq.parts = parts;
  rq.n_parts = 3;
  wapf__http_resp rp = {0};
  int rc = wapf__http(s, &rq, &rp);
  rc = wapf__upload_answer(s, rc, &rp, NULL, "\"id\"");
  g_free(url);
  free_auth(auth);
  return rc;
}

/* {"messages":[{"id":"..."}]} -> res->message_id (Cloud and On-Prem). */
int wapf__take_message_id(wapf__send *s, json_t *ans) {
  json_t *m0 = json_array_get(json_object_get(ans, "messages"), 0);
  const char *id = json_string_value(json_object_get(m0, "id"));
  if (!id || !*id)
    return wapf__answer_no_id(s, ans, "messages[0].id");
  wapf__strlcpy(s->res->message_id, id, sizeof s->res->message_id);
  return WAPF_OK;
}

static int cloud_message(wapf__send *s) {
  char *url, *auth;
  endpoint(s, "messages", &url, &auth);
  const char *hdr[] = {auth, NULL};
  json_t *ans = NULL;
  json_t *body = wapf__message_body(s, 1);
  if (body && s->ref[0]) /* echoed by every status webhook of it */
    json_object_set_new(body, "biz_opaque_callback_data", json_string(s->ref));
  int rc = wapf__post_json(s, url, "send", hdr, body, &ans);
  g_free(url);
  free_auth(auth);
  if (rc == WAPF_OK)
    rc = wapf__take_message_id(s, ans);
  json_decref(ans);
  return rc;
}

const wapf__provider wapf__prov_meta = {
    .id = WAPF_PROVIDER_META,
    .name = "meta",
    .default_base = "https://graph.facebook.com",
    .key_env = "WA_TOKEN",
    .kinds = WAPF_KINDS_ALL,
    .target_flags = 0,
    .by_id = 1,
    .voice_flag = 1,
    .upload = cloud_upload,
    .message = cloud_message,
};

const wapf__provider wapf__prov_360dialog = {
    .id = WAPF_PROVIDER_360DIALOG,
    .name = "360dialog",
    .default_base = "https://waba-v2.360dialog.io",
    .key_env = "D360_API_KEY",
    .kinds = WAPF_KINDS_ALL,
    .target_flags = 0,
    .by_id = 1,
    .voice_flag = 1,
    .upload = cloud_upload,
    .message = cloud_message,
};
