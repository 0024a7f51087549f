/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the config-file parser (lib/send/creds.c): every key the
 * loader asks for, looked up in the text. A value is a substring of the
 * text on one line. */
#include "fuzz.h"
#include "send.h"

#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {"WA_TOKEN",
                                   "D360_API_KEY",
                                   "QIKCHAT_API_KEY",
                                   "LIPACHAT_API_KEY",
                                   "WA_PHONE_NUMBER_ID",
                                   "WA_ONPREM_BASE",
                                   "AWS_ACCESS_KEY_ID",
                                   "AWS_SECRET_ACCESS_KEY",
                                   "AWS_REGION",
                                   "AWS_ENDPOINT_URL",
                                   "WA_ONPREM_TOKEN",
                                   "export",
                                   "#",
                                   "",
                                   "="};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024) /* the loader reads at most this */
    return 0;
  char *text = fuzz_strndup(data, size);
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    char *v = wapf__config_value(text, keys[i]);
    if (v && (strchr(v, '\n') || strlen(v) > size))
      abort();
    free(v);
  }
  free(text);
  return 0;
}
