/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Status webhooks: the list of events a body holds, the status words, and
 * the dispatch to each provider's parser (webhook_cloud.c,
 * webhook_gateways.c). */
#include "status.h"

#include <stdlib.h>
#include <string.h>

void wapf__status_list_free(wapf__status_list *l) {
  for (int i = 0; i < l->n_owned; i++)
    free(l->owned[i]);
  free(l->owned);
  free(l->ev);
  memset(l, 0, sizeof *l);
}

int wapf__status_list_add(wapf__status_list *l, const wapf__status_ev *ev,
                          char *errors) {
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 8;
    wapf__status_ev *e = realloc(l->ev, (size_t)cap * sizeof *e);
    char **o = realloc(l->owned, (size_t)cap * sizeof *o);
    if (e)
      l->ev = e;
    if (o)
      l->owned = o;
    if (!e || !o) {
      free(errors);
      return -1;
    }
    l->cap = cap;
  }
  l->ev[l->n] = *ev;
  l->ev[l->n].errors = errors;
  l->n++;
  if (errors)
    l->owned[l->n_owned++] = errors;
  return 0;
}

const char *wapf__status_word(const char *w) {
  static const char *k[] = {"sent", "delivered", "read", "played", "failed"};
  for (int i = 0; w && i < 5; i++)
    if (g_ascii_strcasecmp(w, k[i]) == 0)
      return k[i];
  return NULL;
}

int wapf__webhook_parse(wapf_provider p, const char *body, size_t len,
                        json_t **root, wapf__status_list *l, char *why,
                        size_t n) {
  json_error_t err;
  *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
  if (!*root || !json_is_object(*root)) {
    snprintf(why, n, "not a JSON object%s%s", *root ? "" : ": ",
             *root ? "" : err.text);
    return WAPF_ECORRUPT;
  }
  const char *name = wapf_provider_name(p);
  switch (p) {
  case WAPF_PROVIDER_META:
  case WAPF_PROVIDER_360DIALOG:
    return wapf__webhook_parse_cloud(*root, name, l, why, n);
  case WAPF_PROVIDER_ONPREM:
    return wapf__webhook_parse_onprem(*root, name, l, why, n);
  case WAPF_PROVIDER_QIKCHAT:
    return wapf__webhook_parse_qikchat(*root, name, l, why, n);
  case WAPF_PROVIDER_LIPACHAT:
    return wapf__webhook_parse_lipachat(*root, name, l, why, n);
  }
  snprintf(why, n, "unknown provider");
  return WAPF_ECORRUPT;
}
