/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What an ISO base media file makes libavformat allocate, checked before
 * libavformat opens it. The MOV demuxer sizes its sample index from the
 * counts the boxes declare, before it reads their entries: a 1,942-byte
 * fragmented MP4 whose trun declared 67 million samples made it allocate
 * 2.2 GB (found by fuzz_probe), and each tighter walk was then passed by
 * a mutant that hid the table where the demuxer still reads it (behind an
 * unknown or unprintable box, inside udta, cut short by its parent, in a
 * hoov). So this walk reads as the demuxer reads: from byte 0, box after
 * box by size whatever the types, into every box it reads children from,
 * ten levels deep, a table's fields from the stream even past the end of
 * a box cut short, and the sample descriptions byte by byte (the demuxer
 * reads their extension boxes from an offset that depends on the codec).
 * A file is refused when a table declares more entries than its box (or,
 * without per-entry bytes, the file) can hold, when its tables add up to
 * more than WAPF__MP4_MAX_SAMPLES index entries (~400 MB of index), when
 * its movie header is compressed (cmov: tables the walk cannot see), or
 * when it has more boxes than the walk visits. */
#include "probe_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Work one check may do: boxes visited and sample description bytes
 * searched, each a few times what a file of its size can hold (a box
 * takes 8 bytes at least), and never more than these maxima. */
#define MAX_BOXES (1 << 21)
#define MAX_DEPTH 10 /* the demuxer's own nesting limit */
#define MAX_SCAN (16 << 20)
#define MAX_ENTRIES 1024 /* sample descriptions (the demuxer's) */
#define GSM_SAMPLES 160  /* fewest samples per index entry */
#define SCAN_BUF 4096

typedef struct track { /* what the tables of one trak declare */
  int open;
  uint64_t samples; /* largest stsz/stz2 count */
  uint64_t chunks;  /* count of the first stco/co64 with entries */
  int64_t stsc;     /* offset of the first stsc's entries, -1 none */
  uint32_t stsc_n;
  int stts_seen;
  int stts_other; /* a stts other than one entry of duration 1 */
  int audio;      /* an hdlr of type soun */
  int other;      /* an hdlr of type vide, subp or clcp */
} track;

typedef struct tables {
  int fd;
  int64_t file;
  int64_t visited, max_visited; /* boxes */
  int64_t scanned, max_scanned; /* sample description bytes searched */
  uint64_t samples;             /* index entries the tables add up to */
  track tk;
  char *why;
  size_t n;
} tables;

static int refuse(tables *tb, const char *fmt, ...) WAPF_PRINTF(2, 3);
static int refuse(tables *tb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tb->why, tb->n, fmt, ap);
  va_end(ap);
  return 1;
}

/* The n bytes at pos, zeros past the end of the file (the demuxer reads a
 * box's fields from the stream, past the box's end when its size was cut
 * short by its parent's, and reads zeros at the end of the file). */
static void read_fields(const tables *tb, int64_t pos, uint8_t *p, size_t n) {
  memset(p, 0, n);
  int64_t have = tb->file - pos;
  if (have <= 0)
    return;
  size_t want = have < (int64_t)n ? (size_t)have : n;
  if (pread(tb->fd, p, want, (off_t)pos) != (ssize_t)want)
    memset(p, 0, n);
}

/* The box types the walk acts on: tables (table_shape), boxes the
 * demuxer reads children from at their start (children), and those read
 * in a way of their own (box_check). */
static const char *const k_tables[] = {"stts", "ctts", "stsc", "stsz", "stz2",
                                       "stco", "co64", "stss", "stps", "elst",
                                       "sbgp", "sgpd", "keys", "trun"};
static const char *const k_containers[] = {
    "moov", "trak", "mdia", "minf", "stbl", "edts", "moof", "traf", "udta",
    "dinf", "mvex", "tref", "wave", "sinf", "schi", "ilst", "mfra"};
static const char *const k_own_ways[] = {"hdlr", "stsd", "cmov",
                                         "meta", "hoov", "free"};
#define ONE_OF(t, list) is_one_of(t, list, sizeof list / sizeof list[0])

/* Compared as numbers: the byte search asks this at every offset. */
static int is_one_of(const char *t, const char *const *list, size_t n) {
  uint32_t v = wapf__be32((const uint8_t *)t);
  for (size_t i = 0; i < n; i++)
    if (v == wapf__be32((const uint8_t *)list[i]))
      return 1;
  return 0;
}

/* ---- one trak's sample index ---- */

static void track_begin(tables *tb) {
  memset(&tb->tk, 0, sizeof tb->tk);
  tb->tk.open = 1;
  tb->tk.stsc = -1;
}

/* Index entries of the old audio path (one per 1024 samples of a chunk,
 * or per frame of samples_per_frame >= 160): at most one per 160 samples
 * of each stsc run. The demuxer mends invalid stsc entries by rules whose
 * sums wrap around; a file whose stsc names a chunk it does not have, or
 * is out of order, is refused instead. */
static int chunk_entries(tables *tb, uint64_t *out) {
  const track *t = &tb->tk;
  uint8_t buf[SCAN_BUF - SCAN_BUF % 12];
  uint64_t total = 0, prev_first = 0, prev_count = 0;
  *out = 0;
  if (t->stsc < 0 || !t->chunks)
    return 0;
  for (uint32_t i = 0; i < t->stsc_n; i++) {
    size_t at = (size_t)(i * 12u % sizeof buf);
    if (at == 0)
      read_fields(tb, t->stsc + (int64_t)i * 12, buf, sizeof buf);
    uint32_t first = wapf__be32(buf + at), count = wapf__be32(buf + at + 4);
    if (first <= prev_first || first > t->chunks || count < 1)
      return refuse(tb,
                    "MP4 box stsc entry %u (first chunk %u, %u samples) does "
                    "not fit the track's %llu chunks",
                    i + 1, first, count, (unsigned long long)t->chunks);
    if (i > 0)
      total +=
          (first - prev_first) * ((prev_count + GSM_SAMPLES - 1) / GSM_SAMPLES);
    prev_first = first;
    prev_count = count;
  }
  if (prev_first)
    total += (t->chunks - prev_first + 1) *
             ((prev_count + GSM_SAMPLES - 1) / GSM_SAMPLES);
  *out = total;
  return 0;
}

/* At the end of a trak: the index entries the demuxer builds for it (per
 * sample, or per run of samples on the old audio path, which needs an
 * audio track whose stts is one entry of duration 1; the track's codec may
 * make it audio whatever its hdlr, so both counts are taken unless it is
 * certainly such audio). */
static int track_end(tables *tb) {
  track *t = &tb->tk;
  if (!t->open)
    return 0;
  t->open = 0;
  uint64_t chunked;
  if (chunk_entries(tb, &chunked))
    return 1;
  int old_audio = t->audio && !t->other && t->stts_seen && !t->stts_other;
  uint64_t per_sample = old_audio ? 0 : t->samples;
  tb->samples += chunked > per_sample ? chunked : per_sample;
  if (tb->samples <= WAPF__MP4_MAX_SAMPLES)
    return 0;
  return refuse(tb,
                "MP4 sample tables declare over %u samples, more than this "
                "tool lets libavformat index",
                WAPF__MP4_MAX_SAMPLES);
}

/* ---- table boxes ---- */

/* Bytes before the entries and bytes per entry of a table box, from its
 * first 24 payload bytes p (version/flags first); 0 when not a table. */
static int table_shape(const char *t, const uint8_t *p, uint32_t *count,
                       int64_t *head, int64_t *each) {
  uint32_t flags = wapf__be32(p) & 0xffffff;
  int v1 = p[0] == 1;
  *head = 8;
  *count = wapf__be32(p + 4);
  if (!memcmp(t, "stts", 4) || !memcmp(t, "ctts", 4) || !memcmp(t, "co64", 4))
    *each = 8;
  else if (!memcmp(t, "stsc", 4))
    *each = 12;
  else if (!memcmp(t, "stco", 4) || !memcmp(t, "stss", 4) ||
           !memcmp(t, "stps", 4))
    *each = 4;
  else if (!memcmp(t, "elst", 4))
    *each = v1 ? 20 : 12;
  else if (!memcmp(t, "sbgp", 4)) {
    *head = v1 ? 16 : 12;
    *count = wapf__be32(p + *head - 4);
    *each = 8;
  } else if (!memcmp(t, "stsz", 4) || !memcmp(t, "stz2", 4)) {
    *head = 12;
    *count = wapf__be32(p + 8);
    *each = !memcmp(t, "stz2", 4) ? (p[7] >= 16 ? 2 : 1)
            : wapf__be32(p + 4)   ? 0
                                  : 4;
  } else if (!memcmp(t, "sgpd", 4)) {
    if (memcmp(p + 4, "sync", 4))
      return 0; /* the demuxer reads the sync grouping only */
    *head = 12 + (p[0] >= 1 ? 4 : 0) + (p[0] >= 2 ? 4 : 0);
    *count = wapf__be32(p + *head - 4);
    *each = 1;
  } else if (!memcmp(t, "keys", 4)) {
    *each = 8; /* a size and a namespace at least */
  } else if (!memcmp(t, "trun", 4)) {
    *head = 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
    *each = 4 * (!!(flags & 0x100) + !!(flags & 0x200) + !!(flags & 0x400) +
                 !!(flags & 0x800));
  } else
    return 0;
  return 1;
}

/* What a table tells of its trak's index (p: its first 24 payload bytes). */
static void table_note(tables *tb, const wapf_box *b, const uint8_t *p,
                       uint32_t count) {
  track *t = &tb->tk;
  if (!memcmp(b->type, "trun", 4)) {
    tb->samples += count; /* fragments add to a track's index */
    return;
  }
  if (!t->open)
    return; /* before any trak the demuxer has no stream to give it to */
  if (!memcmp(b->type, "stsz", 4) || !memcmp(b->type, "stz2", 4)) {
    if (count > t->samples)
      t->samples = count;
  } else if (!memcmp(b->type, "stco", 4) || !memcmp(b->type, "co64", 4)) {
    if (!t->chunks)
      t->chunks = count; /* the demuxer keeps the first */
  } else if (!memcmp(b->type, "stsc", 4) && t->stsc < 0 && count) {
    t->stsc = b->pos + b->hdr + 8; /* the demuxer keeps the first */
    t->stsc_n = count;
  } else if (!memcmp(b->type, "stts", 4)) {
    t->stts_seen = 1;
    if (count != 1 || wapf__be32(p + 12) != 1)
      t->stts_other = 1;
  }
}

/* 1 (why set) when table box b declares more entries than it can hold. */
static int table_check(tables *tb, const wapf_box *b) {
  uint8_t p[24];
  read_fields(tb, b->pos + b->hdr, p, sizeof p);
  uint32_t count;
  int64_t head, each;
  if (!memcmp(b->type, "hdlr", 4)) {
    if (!memcmp(p + 8, "soun", 4))
      tb->tk.audio = 1;
    else if (!memcmp(p + 8, "vide", 4) || !memcmp(p + 8, "subp", 4) ||
             !memcmp(p + 8, "clcp", 4))
      tb->tk.other = 1;
    return 0;
  }
  if (!table_shape(b->type, p, &count, &head, &each))
    return 0;
  int64_t room = b->size - b->hdr - head; /* bytes the entries may take */
  if (room < 0)
    room = 0;
  if (each == 0) { /* no per-entry bytes: each sample's data is in the file */
    uint32_t one = !memcmp(b->type, "stsz", 4) ? wapf__be32(p + 4) : 1;
    room = tb->file;
    each = one ? one : 1;
  }
  if ((int64_t)count > room / each)
    return refuse(tb,
                  "MP4 box %s declares %u entries, more than its %lld bytes "
                  "can hold",
                  b->type, count, (long long)(b->size - b->hdr));
  table_note(tb, b, p, count);
  return 0;
}

/* ---- containers ---- */

static int tables_in(tables *tb, int64_t pos, int64_t end, int depth);

/* meta: the demuxer looks for its hdlr four bytes at a time and reads the
 * boxes from there. The offset of those boxes in the payload, -1 none. */
static int64_t meta_children(const tables *tb, const wapf_box *b) {
  uint8_t buf[SCAN_BUF];
  int64_t start = b->pos + b->hdr, size = b->size - b->hdr;
  for (int64_t off = 0; size - off > 8; off += 4) {
    size_t at = (size_t)(off % SCAN_BUF);
    if (at == 0)
      read_fields(tb, start + off, buf, sizeof buf);
    if (!memcmp(buf + at, "hdlr", 4))
      return off - 4 < 0 ? -1 : off - 4;
  }
  return -1;
}

/* The offset in b's payload where the demuxer reads b's children, -1 when
 * it reads none. */
static int64_t children(const tables *tb, const wapf_box *b) {
  if (ONE_OF(b->type, k_containers))
    return 0;
  if (!memcmp(b->type, "meta", 4))
    return meta_children(tb, b);
  if (!memcmp(b->type, "hoov", 4) || !memcmp(b->type, "free", 4)) {
    uint8_t c[8]; /* read as a moov when its first child is mvhd or cmov */
    read_fields(tb, b->pos + b->hdr, c, sizeof c);
    return !memcmp(c + 4, "mvhd", 4) || !memcmp(c + 4, "cmov", 4) ? 0 : -1;
  }
  return -1;
}

static int is_wanted(const char *t) {
  if (t[0] < 'a' || t[0] > 'z')
    return 0; /* every name above starts with a lowercase letter */
  return ONE_OF(t, k_tables) || ONE_OF(t, k_containers) ||
         ONE_OF(t, k_own_ways);
}

static int box_check(tables *tb, const wapf_box *b, int depth);

/* Every offset of [pos, end) where a box the walk cares for may start:
 * the demuxer reads a sample description's extension boxes from where its
 * codec's fields end, so any of them may be read. */
static int scan_bytes(tables *tb, int64_t pos, int64_t end, int depth) {
  uint8_t buf[SCAN_BUF + 8];
  if (end - pos > tb->max_scanned - tb->scanned)
    return refuse(tb, "MP4 sample descriptions span over %lld bytes",
                  (long long)tb->max_scanned);
  tb->scanned += end - pos;
  for (int64_t k = pos; k + 8 <= end; k++) {
    size_t at = (size_t)((k - pos) % SCAN_BUF);
    if (at == 0)
      read_fields(tb, k, buf, sizeof buf);
    wapf_box b;
    if (is_wanted((const char *)buf + at + 4) &&
        wapf__box_read(tb->fd, k, end, 1, &b) != 0 && box_check(tb, &b, depth))
      return 1;
  }
  return 0;
}

/* stsd: version/flags, a count, then the sample descriptions, each read
 * with its own size (not cut to the stsd's). */
static int stsd_check(tables *tb, const wapf_box *b, int depth) {
  uint8_t h[8];
  read_fields(tb, b->pos + b->hdr, h, sizeof h);
  uint32_t n = wapf__be32(h + 4);
  int64_t pos = b->pos + b->hdr + 8;
  for (uint32_t i = 0; i < n && i < MAX_ENTRIES && pos < tb->file; i++) {
    read_fields(tb, pos, h, 4);
    int64_t size = wapf__be32(h), end = pos + size;
    if (size < 8)
      return 0; /* the demuxer stops there */
    if (end > tb->file)
      end = tb->file;
    if (size > 16 && scan_bytes(tb, pos + 16, end, depth))
      return 1;
    pos += size;
  }
  return 0;
}

/* One box met by the walk: its table, then its children. */
static int box_check(tables *tb, const wapf_box *b, int depth) {
  if (++tb->visited > tb->max_visited)
    return refuse(tb, "MP4 file has over %lld boxes",
                  (long long)tb->max_visited);
  if (!memcmp(b->type, "cmov", 4))
    return refuse(tb, "MP4 movie header is compressed (cmov)");
  if (table_check(tb, b))
    return 1;
  if (depth >= MAX_DEPTH)
    return 0;
  if (!memcmp(b->type, "stsd", 4))
    return stsd_check(tb, b, depth + 1);
  int64_t skip = children(tb, b);
  if (skip < 0)
    return 0;
  int is_trak = !memcmp(b->type, "trak", 4);
  if (is_trak && depth > 1)
    return 0; /* the demuxer reads a trak at the top or in a moov only */
  if (is_trak && track_end(tb))
    return 1;
  if (is_trak)
    track_begin(tb);
  if (tables_in(tb, b->pos + b->hdr + skip, b->pos + b->size, depth + 1))
    return 1;
  return is_trak ? track_end(tb) : 0;
}

/* The boxes of [pos, end), box after box by size, whatever their types. */
static int tables_in(tables *tb, int64_t pos, int64_t end, int depth) {
  wapf_box b;
  while (pos < end) {
    int r = wapf__box_read(tb->fd, pos, end, 1, &b);
    if (r == 0)
      return 0;
    if (box_check(tb, &b, depth))
      return 1;
    if (r == 2)
      return 0;
    pos += b.size;
  }
  return 0;
}

int wapf__box_tables_bad(int fd, int64_t size, char *why, size_t n) {
  tables tb = {.fd = fd, .file = size, .why = why, .n = n};
  tb.tk.stsc = -1;
  tb.max_visited = 1024 + size / 2;
  if (tb.max_visited > MAX_BOXES)
    tb.max_visited = MAX_BOXES;
  tb.max_scanned = 65536 + 2 * size;
  if (tb.max_scanned > MAX_SCAN)
    tb.max_scanned = MAX_SCAN;
  return tables_in(&tb, 0, size, 0) || track_end(&tb);
}
