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

typedef struct box {
  int64_t pos;  /* offset of the header */
  int64_t size; /* whole box, header included */
  int hdr;      /* header length: 8 or 16 */
  char type[5];
} box;

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static uint64_t be64(const uint8_t *p) {
  return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static int read_at(int fd, int64_t pos, void *buf, size_t n) {
  ssize_t got = pread(fd, buf, n, (off_t)pos);
  return got == (ssize_t)n ? 0 : -1;
}

/* Read the box header at pos inside [pos, end). Returns 1 for a box that
 * fits, 2 for one that runs past end (size clamped: a truncated file),
 * 0 when no sane header can be read. */
static int box_read(int fd, int64_t pos, int64_t end, int any_type, box *b) {
  uint8_t h[16];
  if (end - pos < 8 || read_at(fd, pos, h, 8) != 0)
    return 0;
  uint64_t size = be32(h);
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

static int box_at(int fd, int64_t pos, int64_t end, box *b) {
  return box_read(fd, pos, end, 0, b);
}

static int is_brand(const uint8_t *p, const char *b) {
  return memcmp(p, b, 4) == 0;
}

static void read_ftyp(int fd, const box *b, wapf_boxinfo *bi) {
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
static int find_child(int fd, const box *parent, int skip, const char *type,
                      box *out) {
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
static void read_meta(int fd, const box *meta, wapf_boxinfo *bi) {
  box iprp, ipco, c;
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
      uint32_t w = be32(v + 4), h = be32(v + 8);
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

static void visit_top(int fd, const box *b, wapf_boxinfo *bi) {
  box c;
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
  box b;
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

/* ---- entry tables that fit their boxes ----
 * libavformat's MOV demuxer allocates a sample table for the count a box
 * declares before it reads the entries: a 1,942-byte fragmented MP4 whose
 * trun declares 67 million samples made it allocate 2.2 GB (found by
 * fuzz_probe). A count is only plausible when its entries fit in the box
 * (or, for samples without per-sample fields, in the file). */

#define TABLE_MAX_BOXES 65536 /* boxes visited by one check */

typedef struct tables {
  int fd;
  int64_t file;
  int visited;
  char *why;
  size_t n;
} tables;

/* The boxes libavformat's MOV demuxer reads children from with the same
 * parse table whatever their parent (so a trun inside a udta is read),
 * and the bytes before those children. -1: not a container. */
static int container_skip(const char *t) {
  static const char *const types[] = {
      "moov", "trak", "mdia", "minf", "stbl", "edts", "moof",
      "traf", "udta", "dinf", "mvex", "tref", "wave", "sinf",
      "schi", "ilst", "clip", "matt", "tapt", "gmhd", "mfra"};
  if (strcmp(t, "meta") == 0)
    return 4; /* a FullBox */
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(t, types[i]) == 0)
      return 0;
  return -1;
}

/* Bytes before the entries and bytes per entry of a table box, from its
 * first 16 payload bytes p (version/flags first); 0 when not a table. */
static int table_shape(const char *t, const uint8_t *p, uint32_t *count,
                       int64_t *head, int64_t *each) {
  uint32_t flags = be32(p) & 0xffffff;
  int v1 = p[0] == 1;
  *head = 8;
  *count = be32(p + 4);
  if (!strcmp(t, "stts") || !strcmp(t, "ctts") || !strcmp(t, "co64"))
    *each = 8;
  else if (!strcmp(t, "stsc"))
    *each = 12;
  else if (!strcmp(t, "stco") || !strcmp(t, "stss") || !strcmp(t, "stps"))
    *each = 4;
  else if (!strcmp(t, "elst"))
    *each = v1 ? 20 : 12;
  else if (!strcmp(t, "sbgp")) {
    *head = v1 ? 16 : 12;
    *count = be32(p + *head - 4);
    *each = 8;
  } else if (!strcmp(t, "stsz") || !strcmp(t, "stz2")) {
    *head = 12;
    *count = be32(p + 8);
    *each = !strcmp(t, "stz2") ? (p[7] >= 16 ? 2 : 1) : be32(p + 4) ? 0 : 4;
  } else if (!strcmp(t, "trun")) {
    *head = 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
    *each = 4 * (!!(flags & 0x100) + !!(flags & 0x200) + !!(flags & 0x400) +
                 !!(flags & 0x800));
  } else
    return 0;
  return 1;
}

/* 1 (why set) when box b declares more entries than it can hold. */
static int table_bad(tables *tb, const box *b) {
  uint8_t p[16];
  int64_t payload = b->size - b->hdr;
  memset(p, 0, sizeof p);
  if (payload < 8 || read_at(tb->fd, b->pos + b->hdr, p,
                             (size_t)(payload < 16 ? payload : 16)) != 0)
    return 0;
  uint32_t count;
  int64_t head, each;
  if (!table_shape(b->type, p, &count, &head, &each))
    return 0;
  int64_t room = payload - head; /* bytes the entries may take */
  if (room < 0)
    room = 0;
  if (each == 0) { /* no per-entry bytes: each sample's data is in the file */
    uint32_t one = !strcmp(b->type, "stsz") ? be32(p + 4) : 1;
    room = tb->file;
    each = one ? one : 1;
  }
  if ((int64_t)count <= room / each)
    return 0;
  snprintf(tb->why, tb->n,
           "MP4 box %s declares %u entries, more than its %lld bytes can hold",
           b->type, count, (long long)(b->size - b->hdr));
  return 1;
}

/* Walked the way libavformat's MOV demuxer reads: from byte 0, box after
 * box by size, whatever the first box or a type's bytes (a mutant with an
 * unknown first box or a non-printable type got past a stricter walk);
 * tables are looked for inside the containers only. */
static int tables_in(tables *tb, int64_t pos, int64_t end, int depth) {
  box b;
  for (int i = 0; i < BOX_MAX_TOP && pos < end; i++) {
    if (++tb->visited > TABLE_MAX_BOXES)
      return 0;
    int r = box_read(tb->fd, pos, end, 1, &b);
    if (r == 0)
      return 0;
    if (depth > 0 && table_bad(tb, &b))
      return 1;
    int skip = container_skip(b.type);
    if (depth < 8 && skip >= 0 &&
        tables_in(tb, b.pos + b.hdr + skip, b.pos + b.size, depth + 1))
      return 1;
    if (r == 2)
      return 0;
    pos += b.size;
  }
  return 0;
}

int wapf__box_tables_bad(int fd, int64_t size, char *why, size_t n) {
  tables tb = {.fd = fd, .file = size, .why = why, .n = n};
  return tables_in(&tb, 0, size, 0);
}
