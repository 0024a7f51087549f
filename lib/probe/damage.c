/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Damage a header read misses: a JPEG or PNG cut short. Both checks walk
 * the file's structure (JPEG markers, PNG chunks) with one sequential read
 * through a small buffer: cheap, bounded memory, no pixels decoded. */
#include "probe_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RD_BUF 65536
#define PNG_MAX_CHUNKS 4000000 /* past this, stop looking (no verdict) */
/* Larger files are not walked (no verdict): a JPEG's walk reads all of its
 * entropy-coded data, and a 20 GB file without an end marker took minutes
 * of reading that nothing could cancel. Such a file is far over every
 * WhatsApp size limit; its decoder still reports real damage. */
#define WALK_MAX_BYTES (64 << 20)

typedef struct reader {
  int fd;
  int64_t size;
  int64_t base; /* file offset of buf[0] */
  size_t len;   /* valid bytes in buf */
  size_t off;   /* next byte in buf */
  uint8_t buf[RD_BUF];
} reader;

static int64_t rd_tell(const reader *r) {
  return r->base + (int64_t)r->off;
}

static int rd_fill(reader *r) {
  r->base += (int64_t)r->off;
  r->off = 0;
  r->len = 0;
  for (;;) {
    ssize_t n = pread(r->fd, r->buf, RD_BUF, (off_t)r->base);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    r->len = (size_t)n;
    return 0;
  }
}

/* The next byte, or -1 at the end of the file. */
static int rd_byte(reader *r) {
  if (r->off >= r->len && rd_fill(r) != 0)
    return -1;
  return r->buf[r->off++];
}

static void rd_skip(reader *r, int64_t n) {
  if (n <= (int64_t)(r->len - r->off)) {
    r->off += (size_t)n;
    return;
  }
  r->base = rd_tell(r) + n;
  r->off = r->len = 0;
}

static void rd_init(reader *r, int fd, int64_t size) {
  r->fd = fd;
  r->size = size;
  r->base = 0;
  r->len = r->off = 0;
}

/* Skip entropy-coded data up to the next marker; returns its code (the
 * 0xFF already consumed) or -1 at the end of the file. */
static int jpeg_scan_entropy(reader *r) {
  for (;;) {
    if (r->off >= r->len && rd_fill(r) != 0)
      return -1;
    uint8_t *ff = memchr(r->buf + r->off, 0xFF, r->len - r->off);
    if (!ff) {
      r->off = r->len;
      continue;
    }
    r->off = (size_t)(ff - r->buf) + 1;
    int c;
    do
      c = rd_byte(r);
    while (c == 0xFF);
    if (c < 0)
      return -1;
    if (c != 0x00 && (c < 0xD0 || c > 0xD7))
      return c;
  }
}

/* The next marker code outside entropy-coded data (skipping stray bytes
 * the way libjpeg does), or -1 at the end of the file. */
static int jpeg_next_marker(reader *r) {
  int c;
  do
    c = rd_byte(r);
  while (c >= 0 && c != 0xFF);
  while (c == 0xFF)
    c = rd_byte(r);
  return c;
}

/* 1 when the marker walk reaches the end of the file before EOI. */
static int jpeg_truncated(reader *rd) {
  if (rd_byte(rd) != 0xFF || rd_byte(rd) != 0xD8)
    return 0; /* not a JPEG stream: nothing to say */
  int m = jpeg_next_marker(rd);
  while (m >= 0) {
    if (m == 0xD9)
      return 0;
    if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      m = jpeg_next_marker(rd);
      continue;
    }
    int hi = rd_byte(rd), lo = rd_byte(rd);
    if (lo < 0)
      break;
    int len = hi << 8 | lo;
    if (len < 2)
      break;
    rd_skip(rd, len - 2);
    m = m == 0xDA ? jpeg_scan_entropy(rd) : jpeg_next_marker(rd);
  }
  return 1;
}

int wapf__jpeg_damaged(int fd, int64_t size, char *why, size_t whysize) {
  reader *rd = size <= WALK_MAX_BYTES ? malloc(sizeof *rd) : NULL;
  if (!rd)
    return 0;
  rd_init(rd, fd, size);
  int bad = jpeg_truncated(rd);
  free(rd);
  if (!bad)
    return 0;
  snprintf(why, whysize,
           "the JPEG is truncated: no end-of-image marker before the end of "
           "the file (%lld bytes)",
           (long long)size);
  return 1;
}

/* A chunk type for a message: its four letters, or its bytes in hex when
 * they are not letters (a hostile type may hold control bytes). */
static void chunk_name(const uint8_t *t, char out[16]) {
  int letters = 1;
  for (int k = 0; k < 4; k++)
    letters &= (t[k] | 0x20) >= 'a' && (t[k] | 0x20) <= 'z';
  if (letters)
    snprintf(out, 16, "%c%c%c%c", t[0], t[1], t[2], t[3]);
  else
    snprintf(out, 16, "0x%02x%02x%02x%02x", t[0], t[1], t[2], t[3]);
}

/* The PNG chunk walk; fills why and returns 1 on damage. */
static int png_walk(reader *rd, int64_t size, char *why, size_t whysize) {
  uint8_t h[8];
  int64_t pos = 8;
  rd_skip(rd, 8);
  for (long i = 0; i < PNG_MAX_CHUNKS; i++) {
    int c = 0;
    for (int k = 0; k < 8 && (c = rd_byte(rd)) >= 0; k++)
      h[k] = (uint8_t)c;
    if (c < 0) {
      snprintf(why, whysize,
               "the PNG is truncated: it ends at byte %lld without an IEND "
               "chunk",
               (long long)size);
      return 1;
    }
    uint32_t len = wapf__be32(h);
    if (len > 0x7fffffffu || pos + 12 + (int64_t)len > size) {
      char type[16];
      chunk_name(h + 4, type);
      snprintf(why, whysize,
               "the PNG is truncated: chunk %s at byte %lld runs past the "
               "end of the file (%lld bytes)",
               type, (long long)pos, (long long)size);
      return 1;
    }
    if (memcmp(h + 4, "IEND", 4) == 0)
      return 0;
    rd_skip(rd, (int64_t)len + 4);
    pos += 12 + (int64_t)len;
  }
  return 0;
}

int wapf__png_damaged(int fd, int64_t size, char *why, size_t whysize) {
  reader *rd = size <= WALK_MAX_BYTES ? malloc(sizeof *rd) : NULL;
  if (!rd)
    return 0;
  rd_init(rd, fd, size);
  int bad = png_walk(rd, size, why, whysize);
  free(rd);
  return bad;
}
