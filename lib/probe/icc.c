/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Is an embedded ICC profile sRGB? Read from its description tag ('desc':
 * ASCII in v2 profiles, 'mluc' UTF-16BE in v4), bounds-checked. */
#include "probe_internal.h"

#include <string.h>

/* "sRGB" as ASCII or as UTF-16BE anywhere in [p, p+n). */
static int mentions_srgb(const uint8_t *p, size_t n) {
  static const uint8_t wide[] = {0, 's', 0, 'R', 0, 'G', 0, 'B'};
  for (size_t i = 0; i + 4 <= n; i++) {
    if (memcmp(p + i, "sRGB", 4) == 0)
      return 1;
    if (i + sizeof wide <= n && memcmp(p + i, wide, sizeof wide) == 0)
      return 1;
  }
  return 0;
}

int wapf__icc_is_srgb(const uint8_t *icc, size_t n) {
  if (!icc || n < 132)
    return 0;
  uint32_t count = wapf__be32(icc + 128);
  if (count > (n - 132) / 12)
    return 0;
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t *e = icc + 132 + 12 * (size_t)i;
    if (memcmp(e, "desc", 4) != 0)
      continue;
    uint32_t off = wapf__be32(e + 4), len = wapf__be32(e + 8);
    if (off > n || len > n - off)
      return 0;
    return mentions_srgb(icc + off, len);
  }
  return 0;
}
