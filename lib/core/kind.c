/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kind names and the shared option defaults. */
#include "internal.h"

#include <string.h>

static const char *const k_kinds[] = {"auto",  "video",   "audio",   "voice",
                                      "image", "sticker", "document"};

const char *wapf_kind_name(wapf_kind kind) {
  if ((int)kind < 0 || (size_t)kind >= sizeof k_kinds / sizeof k_kinds[0])
    return "?";
  return k_kinds[kind];
}

int wapf_kind_from_name(const char *name, wapf_kind *out) {
  for (size_t i = 0; name && i < sizeof k_kinds / sizeof k_kinds[0]; i++) {
    if (strcmp(name, k_kinds[i]) == 0) {
      *out = (wapf_kind)i;
      return WAPF_OK;
    }
  }
  return WAPF_EINVAL;
}

void wapf_default_options(wapf_options *o) {
  memset(o, 0, sizeof *o);
  o->kind = WAPF_KIND_AUTO;
  o->audio_track = -1;
  o->start = 0;
  o->duration = -1;
  o->background = 0xFFFFFF;
  o->fit = WAPF_FIT_CONTAIN;
}
