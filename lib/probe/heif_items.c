/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HEIF/AVIF items that no decoder may be given: an AV1 item ('av01')
 * whose data (its iloc extents) is empty. libheif hands dav1d an empty
 * buffer for it, and dav1d reports that with a bare fprintf to stderr,
 * which no logger or option can catch; such a file is damaged, and the
 * probe says so without decoding it.
 *
 * Reads the top-level 'meta' box (at most META_MAX bytes) into memory and
 * walks its 'iinf' and 'iloc' with bounds checks on every read. */
#include "probe_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define META_MAX (4 << 20)
#define TOP_MAX 256
#define ITEMS_MAX 4096

typedef struct rd {
  const uint8_t *p;
  size_t n, at;
  int bad;
} rd;

static uint64_t get(rd *r, unsigned bytes) {
  uint64_t v = 0;
  if (bytes > 8 || r->at + bytes > r->n) {
    r->bad = 1;
    return 0;
  }
  for (unsigned i = 0; i < bytes; i++)
    v = v << 8 | r->p[r->at++];
  return v;
}

/* The child box of type `type` in [at, end) of buf: its payload bounds. */
static int child(const uint8_t *buf, size_t at, size_t end, const char *type,
                 size_t *pay, size_t *pend) {
  while (at + 8 <= end) {
    rd r = {buf, end, at, 0};
    uint64_t size = get(&r, 4);
    const uint8_t *t = buf + at + 4;
    r.at += 4;
    if (size == 1)
      size = get(&r, 8);
    else if (size == 0)
      size = end - at;
    if (r.bad || size < r.at - at || size > end - at)
      return 0;
    if (memcmp(t, type, 4) == 0) {
      *pay = r.at;
      *pend = at + size;
      return 1;
    }
    at += size;
  }
  return 0;
}

/* Item ids of type av01 from iinf (payload [at, end)), into ids. */
static int av01_items(const uint8_t *buf, size_t at, size_t end,
                      uint32_t *ids) {
  rd r = {buf, end, at, 0};
  unsigned version = (unsigned)get(&r, 1);
  get(&r, 3);
  uint64_t count = get(&r, version == 0 ? 2 : 4);
  int n = 0;
  size_t pos = r.at;
  for (uint64_t i = 0; i < count && n < ITEMS_MAX && !r.bad; i++) {
    size_t pay, pend;
    if (!child(buf, pos, end, "infe", &pay, &pend))
      break;
    rd e = {buf, pend, pay, 0};
    unsigned v = (unsigned)get(&e, 1);
    get(&e, 3);
    if (v >= 2) {
      uint32_t id = (uint32_t)get(&e, v == 2 ? 2 : 4);
      get(&e, 2); /* protection index */
      if (!e.bad && e.at + 4 <= pend && memcmp(buf + e.at, "av01", 4) == 0)
        ids[n++] = id;
    }
    pos = pend;
  }
  return n;
}

static int is_listed(const uint32_t *ids, int n, uint64_t id) {
  for (int i = 0; i < n; i++)
    if (ids[i] == id)
      return 1;
  return 0;
}

/* iloc's offset, length, base offset and index sizes are 0, 4 or 8 bytes
 * (ISO/IEC 14496-12); libheif reads another size as a length of 0 and
 * hands dav1d an empty buffer (a fuzz_probe mutant had length_size 6). */
static int field_size_ok(unsigned n) {
  return n == 0 || n == 4 || n == 8;
}

#define BAD_SIZES (UINT64_MAX - 1)

/* The first av01 item of iloc (payload [at, end)) whose extents add up to
 * zero bytes (UINT64_MAX for item 0), BAD_SIZES when iloc's field sizes
 * are invalid; 0 when there is none. */
static uint64_t empty_item(const uint8_t *buf, size_t at, size_t end,
                           const uint32_t *ids, int n_ids) {
  rd r = {buf, end, at, 0};
  unsigned version = (unsigned)get(&r, 1);
  get(&r, 3);
  unsigned sizes = (unsigned)get(&r, 2);
  unsigned off_sz = sizes >> 12, len_sz = (sizes >> 8) & 15,
           base_sz = (sizes >> 4) & 15, idx_sz = version ? sizes & 15 : 0;
  if (!field_size_ok(off_sz) || !field_size_ok(len_sz) ||
      !field_size_ok(base_sz) || !field_size_ok(idx_sz))
    return BAD_SIZES;
  uint64_t count = get(&r, version < 2 ? 2 : 4);
  for (uint64_t i = 0; i < count && i < ITEMS_MAX && !r.bad; i++) {
    uint64_t id = get(&r, version < 2 ? 2 : 4);
    if (version)
      get(&r, 2); /* construction method */
    get(&r, 2);   /* data reference index */
    get(&r, base_sz);
    uint64_t extents = get(&r, 2), total = 0;
    for (uint64_t k = 0; k < extents && !r.bad; k++) {
      get(&r, idx_sz);
      get(&r, off_sz);
      total += get(&r, len_sz);
    }
    if (!r.bad && total == 0 && is_listed(ids, n_ids, id))
      return id ? id : UINT64_MAX;
  }
  return 0;
}

/* The top-level meta box read into memory (*buf, freed by the caller). */
static size_t read_meta(int fd, int64_t size, uint8_t **buf) {
  int64_t pos = 0;
  for (int i = 0; i < TOP_MAX && pos + 8 <= size; i++) {
    uint8_t h[16];
    if (pread(fd, h, 16, (off_t)pos) < 8)
      return 0;
    uint64_t len = (uint64_t)h[0] << 24 | (uint64_t)h[1] << 16 |
                   (uint64_t)h[2] << 8 | h[3];
    if (len == 0)
      len = (uint64_t)(size - pos);
    if (len < 8 || len > (uint64_t)(size - pos))
      return 0; /* 64-bit sizes: not a meta box worth reading */
    if (memcmp(h + 4, "meta", 4) == 0 && len <= META_MAX) {
      *buf = malloc(len);
      if (*buf && pread(fd, *buf, len, (off_t)pos) == (ssize_t)len)
        return (size_t)len;
      free(*buf);
      *buf = NULL;
      return 0;
    }
    pos += (int64_t)len;
  }
  return 0;
}

int wapf__heif_empty_item(int fd, int64_t size, char *why, size_t n) {
  uint8_t *buf = NULL;
  size_t len = read_meta(fd, size, &buf);
  if (!len)
    return 0;
  uint32_t *ids = malloc(ITEMS_MAX * sizeof *ids);
  if (!ids) {
    free(buf);
    return 0;
  }
  size_t ipay, iend, lpay, lend;
  uint64_t empty = 0;
  /* meta is a full box: its children start after 8 + 4 bytes. */
  if (child(buf, 12, len, "iinf", &ipay, &iend) &&
      child(buf, 12, len, "iloc", &lpay, &lend)) {
    int n_ids = av01_items(buf, ipay, iend, ids);
    if (n_ids)
      empty = empty_item(buf, lpay, lend, ids, n_ids);
  }
  free(ids);
  free(buf);
  if (empty == BAD_SIZES)
    snprintf(why, n, "iloc field sizes are not 0, 4 or 8 bytes");
  else if (empty)
    snprintf(why, n, "AV1 item %llu has no data (its extents are empty)",
             (unsigned long long)(empty == UINT64_MAX ? 0 : empty));
  return empty != 0;
}
