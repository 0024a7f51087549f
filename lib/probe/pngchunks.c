/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PNG chunks that fit the file, checked before libvips (libpng) opens it.
 * libpng reads a metadata chunk (iTXt, zTXt, tEXt, iCCP, eXIf, ...) into
 * a buffer of the length the chunk declares before reading its bytes: a
 * 507,899-byte PNG whose iTXt declared 0x7fffffff bytes made a header read
 * take 2.1 GB and 16 s before it failed. Only IDAT is read as a stream
 * (a PNG cut short inside its picture data is damaged but readable, and
 * is left to the damage walk). So a chunk other than IDAT must end inside
 * the file and hold at most PNG_META_MAX bytes.
 *
 * Chunk headers only (8 bytes each, pread), from byte 8 to IEND, at most
 * PNG_MAX_HEADERS of them. A chunk type that is not four letters ends the
 * walk without a verdict: libpng refuses it there itself, cheaply. */
#include "probe_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PNG_MAX_HEADERS 200000
/* Larger than any metadata a picture needs (libvips lets libpng read
 * chunks of up to 50 MB; real files hold ICC profiles of a few KB and
 * text of a few MB at most). */
#define PNG_META_MAX (64 << 20)

static int is_letters(const uint8_t *t) {
  for (int k = 0; k < 4; k++)
    if ((t[k] | 0x20) < 'a' || (t[k] | 0x20) > 'z')
      return 0;
  return 1;
}

int wapf__png_chunks_bad(int fd, int64_t size, char *why, size_t n) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  uint8_t h[8];
  if (size < 8 || pread(fd, h, 8, 0) != 8 || memcmp(h, sig, 8) != 0)
    return 0;
  int64_t pos = 8;
  for (int i = 0; i < PNG_MAX_HEADERS && pos + 8 <= size; i++) {
    if (pread(fd, h, 8, (off_t)pos) != 8 || !is_letters(h + 4))
      return 0;
    int64_t len = wapf__be32(h), left = size - pos - 8;
    int stream = memcmp(h + 4, "IDAT", 4) == 0;
    if (len > 0x7fffffff || (!stream && len > left)) {
      snprintf(why, n,
               "the PNG is damaged: chunk %.4s at byte %lld declares %lld "
               "bytes, past the end of the file (%lld bytes)",
               (const char *)h + 4, (long long)pos, (long long)len,
               (long long)size);
      return 1;
    }
    if (!stream && len > PNG_META_MAX) {
      snprintf(why, n,
               "the PNG chunk %.4s at byte %lld holds %lld bytes, more than "
               "the %d MiB of metadata read",
               (const char *)h + 4, (long long)pos, (long long)len,
               PNG_META_MAX >> 20);
      return 1;
    }
    if (memcmp(h + 4, "IEND", 4) == 0)
      return 0;
    pos += 12 + len;
  }
  return 0;
}
