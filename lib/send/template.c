/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Template messages (the only way to reach a customer outside the 24-hour
 * window), with an optional media header (image, video or document) and
 * text body parameters in order. Cloud API / 360dialog:
 *   {name, language: {code}, components: [{type: header, parameters:
 *    [{type: <kind>, <kind>: {id|link, filename?}}]}, {type: body,
 *    parameters: [{type: text, text}...]}]}
 * On-Premises: the same with namespace and language.policy =
 * "deterministic". */
#include "send.h"

#include <stdlib.h>
#include <string.h>

int wapf__template_valid(wapf_context *ctx, const wapf_send_request *q) {
  if (!q->template_name) {
    if (q->template_language || q->n_template_params || q->template_params)
      return wapf__fail(ctx, WAPF_EINVAL,
                        "--language and --param go with --template");
    return WAPF_OK;
  }
  if (!*q->template_name || !q->template_language || !*q->template_language)
    return wapf__fail(ctx, WAPF_EINVAL,
                      "a template needs a name and --language CODE");
  if (q->caption && *q->caption)
    return wapf__fail(ctx, WAPF_EINVAL,
                      "a template message takes no --caption (its text is "
                      "the approved template's, with --param values)");
  if (q->n_template_params > 64 ||
      (q->n_template_params && !q->template_params))
    return wapf__fail(ctx, WAPF_EINVAL, "template parameters out of range");
  for (size_t i = 0; i < q->n_template_params; i++) {
    const char *p = q->template_params[i];
    if (!p || !*p || !g_utf8_validate(p, -1, NULL))
      return wapf__fail(ctx, WAPF_EINVAL,
                        "--param %zu: want a non-empty UTF-8 text", i + 1);
  }
  if (q->provider == WAPF_PROVIDER_ONPREM &&
      (!q->template_namespace || !*q->template_namespace))
    return wapf__fail(ctx, WAPF_EINVAL, "onprem templates need --namespace NS");
  return WAPF_OK;
}

static int header_kind(wapf_kind k) {
  return k == WAPF_KIND_IMAGE || k == WAPF_KIND_VIDEO ||
         k == WAPF_KIND_DOCUMENT;
}

static json_t *header(const wapf__send *s) {
  const char *type = wapf_kind_name(s->kind);
  json_t *m = json_object();
  if (s->link[0])
    json_object_set_new(m, "link", json_string(s->link));
  else
    json_object_set_new(m, "id", json_string(s->media_id));
  if (s->kind == WAPF_KIND_DOCUMENT && s->filename[0])
    json_object_set_new(m, "filename", json_string(s->filename));
  json_t *p = json_object();
  json_object_set_new(p, "type", json_string(type));
  json_object_set_new(p, type, m);
  json_t *c = json_object();
  json_object_set_new(c, "type", json_string("header"));
  json_object_set_new(c, "parameters", json_pack("[o]", p));
  return c;
}

static json_t *body(const wapf_send_request *q) {
  json_t *params = json_array();
  for (size_t i = 0; i < q->n_template_params; i++)
    json_array_append_new(params, json_pack("{s:s, s:s}", "type", "text",
                                            "text", q->template_params[i]));
  json_t *c = json_object();
  json_object_set_new(c, "type", json_string("body"));
  json_object_set_new(c, "parameters", params);
  return c;
}

json_t *wapf__template_object(const wapf__send *s, int cloud) {
  const wapf_send_request *q = s->req;
  json_t *t = json_object();
  json_object_set_new(t, "name", json_string(q->template_name));
  if (!cloud)
    json_object_set_new(t, "namespace", json_string(q->template_namespace));
  json_t *lang = json_object();
  if (!cloud)
    json_object_set_new(lang, "policy", json_string("deterministic"));
  json_object_set_new(lang, "code", json_string(q->template_language));
  json_object_set_new(t, "language", lang);
  json_t *comps = json_array();
  if (s->kind && header_kind(s->kind))
    json_array_append_new(comps, header(s));
  if (q->n_template_params)
    json_array_append_new(comps, body(q));
  if (json_array_size(comps))
    json_object_set_new(t, "components", comps);
  else
    json_decref(comps);
  return t;
}

char *wapf__template_text(const wapf_send_request *q) {
  if (!q->template_name)
    return strdup("");
  GString *g = g_string_new(NULL);
  g_string_append_printf(g, "%s|%s|%s", q->template_name,
                         q->template_language ? q->template_language : "",
                         q->template_namespace ? q->template_namespace : "");
  for (size_t i = 0; i < q->n_template_params; i++)
    g_string_append_printf(g, "\x1e%s", q->template_params[i]);
  char *out = strdup(g->str);
  g_string_free(g, TRUE);
  return out;
}
