/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's one clock for durations and deadlines: GLib's monotonic
 * clock (never the wall clock, which may jump). */
#include "internal.h"

#include <glib.h>

double wapf__now(void) {
  return (double)g_get_monotonic_time() / G_USEC_PER_SEC;
}
