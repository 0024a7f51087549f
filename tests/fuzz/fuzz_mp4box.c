/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the ISO-BMFF box walk (lib/probe/mp4box.c) and the table
 * check (lib/probe/mp4tables.c) on a file held in memory, as wapf_probe()
 * runs them on HEIF/AVIF and MP4/MOV files (the check on every file). */
#include "fuzz.h"
#include "probe_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = fuzz_fd(data, size);
  wapf_boxinfo bi;
  wapf__box_scan(fd, (int64_t)size, &bi);
  /* the offsets found lie inside the file */
  if (bi.moov_pos >= (int64_t)size || bi.mdat_pos >= (int64_t)size ||
      bi.moov_pos < -1 || bi.mdat_pos < -1 || bi.brand[4] != '\0')
    abort();
  char why[256] = "";
  int bad = wapf__box_tables_bad(fd, (int64_t)size, why, sizeof why);
  /* a refusal has a one-line reason; a pass leaves why alone */
  if (bad != (why[0] != '\0') || strchr(why, '\n'))
    abort();
  close(fd);
  return 0;
}
