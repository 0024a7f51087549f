/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The body of the status-webhook fuzz targets (fuzz_webhook_*.c): parse
 * data as provider P's webhook (lib/send/webhook_*.c) and check what the
 * journal would be given: every event has a message id of 1..512 bytes, a
 * delivery state of the merge, a reference of at most 512 bytes, and
 * errors that are a JSON array; a refusal says why in one line. */
#include "fuzz.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

static void check_events(const wapf__status_list *l) {
  for (int i = 0; i < l->n; i++) {
    const wapf__status_ev *e = &l->ev[i];
    size_t n = e->message_id ? strlen(e->message_id) : 0;
    if (n == 0 || n > 512 || wapf__status_rank(e->status) == 0 ||
        (e->ref && strlen(e->ref) > 512) || e->ts < 0)
      abort();
    if (e->errors) {
      json_t *j = json_loads(e->errors, 0, NULL);
      if (!json_is_array(j))
        abort();
      json_decref(j);
    }
  }
}

static int fuzz_webhook(wapf_provider p, const uint8_t *data, size_t size) {
  if (size > WAPF_WEBHOOK_MAX_BODY)
    return 0;
  json_t *root = NULL;
  wapf__status_list l = {0};
  char why[200] = "";
  int rc = wapf__webhook_parse(p, (const char *)data, size, &root, &l, why,
                               sizeof why);
  if (rc == WAPF_OK)
    check_events(&l);
  else if (rc != WAPF_ECORRUPT && rc != WAPF_ENOMEM)
    abort();
  else if (rc == WAPF_ECORRUPT && (!why[0] || strchr(why, '\n')))
    abort();
  wapf__status_list_free(&l);
  json_decref(root);
  return 0;
}
