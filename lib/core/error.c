/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Status codes: text and names, generated from WAPF_ERROR_LIST. */
#include "internal.h"

#include <stddef.h>

typedef struct err_entry {
  int code;
  const char *name;
  const char *text;
} err_entry;

#define WAPF_X_ENTRY(name, value, text) {value, #name, text},
static const err_entry k_errors[] = {WAPF_ERROR_LIST(WAPF_X_ENTRY)};
#undef WAPF_X_ENTRY

static const err_entry *find(int code) {
  for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++)
    if (k_errors[i].code == code)
      return &k_errors[i];
  return NULL;
}

const char *wapf_strerror(int code) {
  const err_entry *e = find(code);
  return e ? e->text : "unknown error";
}

const char *wapf_err_name(int code) {
  const err_entry *e = find(code);
  return e ? e->name : "E?"; /* not EUNKNOWN: that is a real code */
}
