/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the lossless JPEG/PNG metadata strip (lib/image/strip.c)
 * and the structural damage walks of the same formats (lib/probe/
 * damage.c). A stripped file must strip again to the same bytes. */
#include "fuzz.h"
#include "image.h"
#include "probe_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*strip_fn)(const uint8_t *, size_t, uint8_t **, size_t *);

static void strip_twice(strip_fn strip, const uint8_t *data, size_t size) {
  uint8_t *out = NULL, *again = NULL;
  size_t n = 0, n2 = 0;
  if (strip(data, size, &out, &n) == WAPF_OK) {
    if (!out && n)
      abort();
    if (strip(out, n, &again, &n2) != WAPF_OK || n2 != n ||
        memcmp(again, out, n) != 0)
      abort();
  }
  free(out);
  free(again);
}

static void damage(int (*walk)(int, int64_t, char *, size_t),
                   const uint8_t *data, size_t size) {
  char why[160] = "";
  int fd = fuzz_fd(data, size);
  int bad = walk(fd, (int64_t)size, why, sizeof why);
  close(fd);
  if (!bad)
    return;
  if (!why[0])
    abort(); /* damage is always said */
  for (const char *p = why; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      abort(); /* in one line of text, without control bytes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  strip_twice(wapf__strip_jpeg, data, size);
  strip_twice(wapf__strip_png, data, size);
  damage(wapf__jpeg_damaged, data, size);
  damage(wapf__png_damaged, data, size);
  return 0;
}
