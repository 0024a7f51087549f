/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the ICC profile reader (lib/probe/icc.c). */
#include "fuzz.h"
#include "probe_internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int r = wapf__icc_is_srgb(data, size);
  if (r != 0 && r != 1)
    abort();
  return 0;
}
