/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the meta status webhook parser (see fuzz_webhook.h). */
#include "fuzz_webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_webhook(WAPF_PROVIDER_META, data, size);
}
