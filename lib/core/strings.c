/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owned strings the library hands out (allocated to fit, never cut), and
 * the zero rule of reserved bytes. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int wapf__set_str(char **dst, const char *src) {
  char *p = strdup(src ? src : "");
  if (!p)
    return WAPF_ENOMEM;
  free(*dst);
  *dst = p;
  return WAPF_OK;
}

int wapf__set_vstrf(char **dst, const char *fmt, va_list ap) {
  char *p = NULL;
  if (vasprintf(&p, fmt, ap) < 0)
    return WAPF_ENOMEM;
  for (char *c = p; *c; c++)
    if (*c == '\n' || *c == '\r')
      *c = ' ';
  free(*dst);
  *dst = p;
  return WAPF_OK;
}

int wapf__set_strf(char **dst, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = wapf__set_vstrf(dst, fmt, ap);
  va_end(ap);
  return rc;
}

int wapf__zeroed(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i])
      return 0;
  return 1;
}

int wapf__check_options(wapf_context *ctx, const wapf_options *opt) {
  if (opt && !wapf__zeroed(opt->reserved, sizeof opt->reserved))
    return wapf__fail(ctx, WAPF_EINVAL,
                      "options: reserved bytes must be zero (fill them with "
                      "wapf_default_options())");
  return WAPF_OK;
}
