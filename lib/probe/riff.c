/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RIFF (WAV, AVI) INFO lists that fit the file. libavformat reads a LIST
 * INFO chunk's entries bounded only by the size the list declares, and
 * allocates each entry's size before reading it: a 103-byte WAV whose
 * LIST says 4 GB and whose entry says 2 GB made it allocate and clear
 * 2 GB (fuzz_probe; ffprobe does the same). A list may then reach at
 * most RIFF_SLACK past the end of the file, which bounds every entry.
 * Chunk headers only, bounded. */
#include "probe_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RIFF_MAX_CHUNKS 4096
/* A list cut short by a truncated file is still read; one that claims
 * more than this past the end is not. */
#define RIFF_SLACK (1 << 20)

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

int wapf__riff_info_bad(int fd, int64_t size, char *why, size_t n) {
  uint8_t h[12];
  if (size < 12 || pread(fd, h, 12, 0) != 12 ||
      (memcmp(h, "RIFF", 4) != 0 && memcmp(h, "RF64", 4) != 0))
    return 0;
  int64_t pos = 12;
  for (int i = 0; i < RIFF_MAX_CHUNKS && pos + 12 <= size; i++) {
    if (pread(fd, h, 12, (off_t)pos) != 12)
      return 0;
    int64_t len = le32(h + 4);
    if (memcmp(h, "LIST", 4) == 0 && memcmp(h + 8, "INFO", 4) == 0 &&
        len > size - pos - 8 + RIFF_SLACK) {
      snprintf(why, n,
               "RIFF LIST INFO chunk at byte %lld declares %lld bytes, far "
               "past the end of the file",
               (long long)pos, (long long)len);
      return 1;
    }
    pos += 8 + len + (len & 1);
  }
  return 0;
}
