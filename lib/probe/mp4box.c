/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small, bounds-checked walk of ISO base media (MP4/MOV/HEIF) boxes:
 * where moov and mdat are, whether the file is fragmented, the ftyp
 * brands, and the largest HEIF image extent (ispe) for the pixel limit.
 * It reads box headers only, with pread(), and visits a bounded number of
 * boxes, so a hostile file cannot make it slow or large. */
#include "probe_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BOX_MAX_TOP 4096  /* top-level boxes visited */
#define BOX_MAX_CHILD 512 /* children of one box visited */

static uint64_t be64(const uint8_t *p) {
  return (uint64_t)wapf__be32(p) << 32 | wapf__be32(p + 4);
}

static int read_at(int fd, int64_t pos, void *buf, size_t n) {
  ssize_t got = pread(fd, buf, n, (off_t)pos);
  return got == (ssize_t)n ? 0 : -1;
}

int wapf__box_read(int fd, int64_t pos, int64_t end, int any_type,
                   wapf_box *b) {
  uint8_t h[16];
  if (end - pos < 8 || read_at(fd, pos, h, 8) != 0)
    return 0;
  uint64_t size = wapf__be32(h);
  b->hdr = 8;
  if (size == 1) {
    if (end - pos < 16 || read_at(fd, pos + 8, h + 8, 8) != 0)
      return 0;
    size = be64(h + 8);
    b->hdr = 16;
  } else if (size == 0) {
    size = (uint64_t)(end - pos);
  }
  if (size < (uint64_t)b->hdr)
    return 0;
  for (int i = 0; i < 4 && !any_type; i++)
    if (h[4 + i] < 0x20 || h[4 + i] > 0x7e)
      return 0; /* box types are printable four-character codes */
  memcpy(b->type, h + 4, 4);
  b->type[4] = '\0';
  b->pos = pos;
  if (size > (uint64_t)(end - pos)) {
    b->size = end - pos;
    return 2;
  }
  b->size = (int64_t)size;
  return 1;
}

static int box_at(int fd, int64_t pos, int64_t end, wapf_box *b) {
  return wapf__box_read(fd, pos, end, 0, b);
}

static int is_brand(const uint8_t *p, const char *b) {
  return memcmp(p, b, 4) == 0;
}

static void read_ftyp(int fd, const wapf_box *b, wapf_boxinfo *bi) {
  uint8_t buf[256];
  int64_t n = b->size - b->hdr;
  if (n < 8)
    return;
  if (n > (int64_t)sizeof buf)
    n = sizeof buf;
  if (read_at(fd, b->pos + b->hdr, buf, (size_t)n) != 0)
    return;
  memcpy(bi->brand, buf, 4);
  bi->brand[4] = '\0';
  for (int64_t i = 0; i + 4 <= n; i += 4) {
    if (i == 4)
      continue; /* minor version */
    if (is_brand(buf + i, "qt  "))
      bi->has_brand_qt = 1;
    if (is_brand(buf + i, "avis") || (i == 0 && is_brand(buf, "msf1")))
      bi->has_avis = 1;
  }
}

/* Find the first child of type in parent (skip = bytes of a FullBox's
 * version/flags before the children). Returns 1 and fills out. */
static int find_child(int fd, const wapf_box *parent, int skip,
                      const char *type, wapf_box *out) {
  int64_t end = parent->pos + parent->size;
  int64_t pos = parent->pos + parent->hdr + skip;
  for (int i = 0; i < BOX_MAX_CHILD && pos < end; i++) {
    int r = box_at(fd, pos, end, out);
    if (r == 0)
      return 0;
    if (strcmp(out->type, type) == 0)
      return 1;
    if (r == 2)
      return 0;
    pos += out->size;
  }
  return 0;
}

/* meta (FullBox) > iprp > ipco > ispe*: keep the largest extent. */
static void read_meta(int fd, const wapf_box *meta, wapf_boxinfo *bi) {
  wapf_box iprp, ipco, c;
  if (!find_child(fd, meta, 4, "iprp", &iprp) ||
      !find_child(fd, &iprp, 0, "ipco", &ipco))
    return;
  int64_t end = ipco.pos + ipco.size;
  int64_t pos = ipco.pos + ipco.hdr;
  for (int i = 0; i < BOX_MAX_CHILD && pos < end; i++) {
    int r = box_at(fd, pos, end, &c);
    if (r == 0)
      return;
    uint8_t v[12];
    if (strcmp(c.type, "ispe") == 0 && c.size - c.hdr >= 12 &&
        read_at(fd, c.pos + c.hdr, v, 12) == 0) {
      uint32_t w = wapf__be32(v + 4), h = wapf__be32(v + 8);
      if ((uint64_t)w * h > (uint64_t)bi->ispe_w * bi->ispe_h) {
        bi->ispe_w = w;
        bi->ispe_h = h;
      }
    }
    if (r == 2)
      return;
    pos += c.size;
  }
}

static int plausible_first(const char *t) {
  static const char *const types[] = {"ftyp", "moov", "mdat", "free", "skip",
                                      "wide", "pnot", "styp", "sidx", "meta"};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(t, types[i]) == 0)
      return 1;
  return 0;
}

static void visit_top(int fd, const wapf_box *b, wapf_boxinfo *bi) {
  wapf_box c;
  if (strcmp(b->type, "ftyp") == 0 && !bi->brand[0])
    read_ftyp(fd, b, bi);
  else if (strcmp(b->type, "moov") == 0 && bi->moov_pos < 0) {
    bi->moov_pos = b->pos;
    bi->has_mvex = find_child(fd, b, 0, "mvex", &c);
  } else if (strcmp(b->type, "mdat") == 0 && bi->mdat_pos < 0)
    bi->mdat_pos = b->pos;
  else if (strcmp(b->type, "moof") == 0)
    bi->has_moof = 1;
  else if (strcmp(b->type, "meta") == 0)
    read_meta(fd, b, bi);
}

void wapf__box_scan(int fd, int64_t size, wapf_boxinfo *bi) {
  memset(bi, 0, sizeof *bi);
  bi->moov_pos = -1;
  bi->mdat_pos = -1;
  int64_t pos = 0;
  wapf_box b;
  for (int i = 0; i < BOX_MAX_TOP && pos < size; i++) {
    int r = box_at(fd, pos, size, &b);
    if (r == 0 || (i == 0 && !plausible_first(b.type)))
      break;
    bi->is_isobmff = 1;
    visit_top(fd, &b, bi);
    if (r == 2)
      break;
    if (bi->moov_pos >= 0 && bi->mdat_pos >= 0 && bi->has_moof)
      break; /* nothing more to learn from the fragments */
    pos += b.size;
  }
}
