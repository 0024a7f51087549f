/* Fuzz target: the ISO-BMFF box walk (lib/probe/mp4box.c) on a file held
 * in memory, as wapf_probe() runs it on HEIF/AVIF and MP4/MOV files. */
#include "fuzz.h"
#include "probe_internal.h"

#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = fuzz_fd(data, size);
  wapf_boxinfo bi;
  wapf__box_scan(fd, (int64_t)size, &bi);
  /* the offsets found lie inside the file */
  if (bi.moov_pos >= (int64_t)size || bi.mdat_pos >= (int64_t)size ||
      bi.moov_pos < -1 || bi.mdat_pos < -1 || bi.brand[4] != '\0')
    abort();
  close(fd);
  return 0;
}
