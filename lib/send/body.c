/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The message bodies the Cloud API (meta, 360dialog) and the On-Premises
 * API share: {messaging_product?, recipient_type, to, type, <type>: {id or
 * link, caption?, filename?, voice?}} or a template. Each provider adds
 * only what is its own (biz_opaque_callback_data on the Cloud API). */
#include "send.h"

const char *wapf__kind_type(wapf_kind kind) {
  return kind == WAPF_KIND_VOICE ? "audio" : wapf_kind_name(kind);
}

json_t *wapf__media_object(const wapf__send *s, int voice_flag) {
  json_t *m = json_object();
  if (s->link[0])
    json_object_set_new(m, "link", json_string(s->link));
  else
    json_object_set_new(m, "id", json_string(s->media_id));
  if (s->caption)
    json_object_set_new(m, "caption", json_string(s->caption));
  if (s->kind == WAPF_KIND_DOCUMENT && s->filename[0])
    json_object_set_new(m, "filename", json_string(s->filename));
  if (voice_flag && s->kind == WAPF_KIND_VOICE)
    json_object_set_new(m, "voice", json_true());
  return m;
}

/* {messaging_product?, recipient_type, to, type, <type>: {...}} */
json_t *wapf__message_body(const wapf__send *s, int cloud) {
  const char *type =
      s->req->template_name ? "template" : wapf__kind_type(s->kind);
  json_t *b = json_object();
  if (cloud)
    json_object_set_new(b, "messaging_product", json_string("whatsapp"));
  json_object_set_new(b, "recipient_type", json_string("individual"));
  json_object_set_new(b, "to", json_string(s->to));
  json_object_set_new(b, "type", json_string(type));
  json_object_set_new(b, type,
                      s->req->template_name ? wapf__template_object(s, cloud)
                                            : wapf__media_object(s, cloud));
  return b;
}
