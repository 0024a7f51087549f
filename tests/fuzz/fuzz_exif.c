/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the EXIF readers, the probe's (lib/probe/exif.c: orientation
 * and GPS) and the metadata strip's (lib/image/strip.c: orientation), on
 * the same block: they must agree on the orientation's range. */
#include "fuzz.h"
#include "image.h"
#include "probe_internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int orientation = -1, gps = -1;
  wapf__exif_scan(data, size, &orientation, &gps);
  if (orientation < 0 || orientation > 8 || (gps != 0 && gps != 1))
    abort();
  int o2 = wapf__exif_orientation(data, size);
  if (o2 < 0 || o2 > 8)
    abort();
  return 0;
}
