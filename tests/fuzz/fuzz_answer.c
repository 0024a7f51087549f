/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the provider answer parsers (lib/send/answer.c and the
 * message-id reader): a body as a failed answer of each provider, and as
 * a successful one. Every outcome is one line. The first byte picks the
 * HTTP status. */
#include "fuzz.h"
#include "send.h"

#include <stdlib.h>
#include <string.h>

static const long statuses[] = {200, 400, 401, 404, 413, 429, 500, 503};

static void one_line(wapf_context *ctx) {
  const char *e = wapf_last_error(ctx);
  if (!e[0] || strchr(e, '\n') || strchr(e, '\r'))
    abort();
}

static void as_provider(const wapf__provider *prov, const wapf__http_resp *rp) {
  wapf_context *ctx = fuzz_ctx();
  wapf_send_request q;
  wapf_default_send_request(&q);
  wapf_send_result res;
  memset(&res, 0, sizeof res);
  wapf__send s;
  memset(&s, 0, sizeof s);
  s.ctx = ctx;
  s.req = &q;
  s.res = &res;
  s.prov = prov;
  int rc = wapf__answer_fail(&s, rp);
  if (rc != WAPF_EPROVIDER && rc != WAPF_ENETWORK)
    abort();
  one_line(ctx);
  json_t *j = wapf__answer_json(&s, rp, &rc);
  if (!j)
    one_line(ctx);
  else if (wapf__take_message_id(&s, j) != WAPF_OK)
    one_line(ctx);
  json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > WAPF_HTTP_MAX_BODY)
    return 0;
  wapf__http_resp rp;
  memset(&rp, 0, sizeof rp);
  rp.status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
  rp.body = fuzz_strndup(data + 1, size - 1); /* NUL-terminated, as http.c */
  rp.len = size - 1;
  rp.content_length = -1;
  rp.retry_after = -1;
  static const wapf__provider *const provs[] = {
      &wapf__prov_meta, &wapf__prov_360dialog, &wapf__prov_onprem,
      &wapf__prov_qikchat, &wapf__prov_lipachat};
  for (size_t i = 0; i < sizeof provs / sizeof provs[0]; i++)
    as_provider(provs[i], &rp);
  free(rp.body);
  return 0;
}
