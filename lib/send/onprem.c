/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The On-Premises API: the raw file as the body of POST /v1/media
 * (Content-Type = its MIME type) -> {"media":[{"id"}]}, then
 * POST /v1/messages. It takes no animated stickers. */
#include "send.h"

#include <stdio.h>
#include <string.h>

static int onprem_upload(wapf__send *s) {
  char ctype[128];
  char *url = g_strdup_printf("%s/v1/media", s->base);
  char *auth = g_strdup_printf("Authorization: Bearer %s", s->creds.token);
  snprintf(ctype, sizeof ctype, "Content-Type: %s", s->mime);
  wapf__http_req rq = {.method = "POST", .url = url, .what = "upload"};
  rq.headers[0] = auth;
  rq.headers[1] = ctype;
  rq.body_file = s->path;
  wapf__http_resp rp = {0};
  int rc = wapf__http(s, &rq, &rp);
  rc = wapf__upload_answer(s, rc, &rp, "media", "media[0].id");
  g_free(url);
  memset(auth, 0, strlen(auth));
  g_free(auth);
  return rc;
}

static int onprem_message(wapf__send *s) {
  char *url = g_strdup_printf("%s/v1/messages", s->base);
  char *auth = g_strdup_printf("Authorization: Bearer %s", s->creds.token);
  const char *hdr[] = {auth, NULL};
  json_t *ans = NULL;
  int rc = wapf__post_json(s, url, "send", hdr, wapf__message_body(s, 0), &ans);
  g_free(url);
  memset(auth, 0, strlen(auth));
  g_free(auth);
  if (rc == WAPF_OK)
    rc = wapf__take_message_id(s, ans);
  json_decref(ans);
  return rc;
}

const wapf__provider wapf__prov_onprem = {
    .id = WAPF_PROVIDER_ONPREM,
    .name = "onprem",
    .default_base = NULL,
    .key_env = "WA_ONPREM_TOKEN",
    .kinds = WAPF_KINDS_ALL,
    .target_flags = WAPF_TARGET_NO_ANIMATED_STICKER,
    .by_id = 1,
    .voice_flag = 0,
    .upload = onprem_upload,
    .message = onprem_message,
};
