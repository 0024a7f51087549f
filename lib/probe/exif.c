/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal, bounds-checked EXIF (TIFF) reader for the two facts the rules
 * need from containers libvips does not parse for us (WebP's EXIF chunk):
 * the orientation tag and whether a GPS position is present. */
#include "probe_internal.h"

#include <string.h>

#define TAG_ORIENTATION 0x0112
#define TAG_GPS_IFD 0x8825
#define TAG_GPS_LATITUDE 0x0002
#define TAG_GPS_LONGITUDE 0x0004
#define TYPE_SHORT 3
#define TYPE_LONG 4
#define IFD_MAX_ENTRIES 1024

typedef struct tiff {
  const uint8_t *p;
  size_t n;
  int big; /* "MM": big-endian */
} tiff;

static int u16(const tiff *t, size_t off, unsigned *v) {
  if (off > t->n || t->n - off < 2)
    return -1;
  const uint8_t *b = t->p + off;
  *v = t->big ? (unsigned)(b[0] << 8 | b[1]) : (unsigned)(b[1] << 8 | b[0]);
  return 0;
}

static int u32(const tiff *t, size_t off, uint32_t *v) {
  unsigned hi, lo;
  if (u16(t, off, t->big ? &hi : &lo) || u16(t, off + 2, t->big ? &lo : &hi))
    return -1;
  *v = (uint32_t)hi << 16 | lo;
  return 0;
}

/* Calls fn for each entry of the IFD at off; stops on a malformed one. */
typedef void (*entry_fn)(const tiff *t, unsigned tag, unsigned type,
                         size_t entry, void *cookie);

static void walk_ifd(const tiff *t, uint32_t off, entry_fn fn, void *cookie) {
  unsigned count;
  if (u16(t, off, &count) || count > IFD_MAX_ENTRIES)
    return;
  for (unsigned i = 0; i < count; i++) {
    size_t e = (size_t)off + 2 + (size_t)i * 12;
    unsigned tag, type;
    if (u16(t, e, &tag) || u16(t, e + 2, &type) || e + 12 > t->n)
      return;
    fn(t, tag, type, e, cookie);
  }
}

typedef struct scan {
  int orientation;
  uint32_t gps_ifd; /* 0: none */
  int has_gps;
} scan;

static void ifd0_entry(const tiff *t, unsigned tag, unsigned type, size_t e,
                       void *cookie) {
  scan *s = cookie;
  unsigned v16;
  uint32_t v32;
  if (tag == TAG_ORIENTATION && type == TYPE_SHORT && !u16(t, e + 8, &v16) &&
      v16 >= 1 && v16 <= 8)
    s->orientation = (int)v16;
  else if (tag == TAG_GPS_IFD && type == TYPE_LONG && !u32(t, e + 8, &v32))
    s->gps_ifd = v32;
}

static void gps_entry(const tiff *t, unsigned tag, unsigned type, size_t e,
                      void *cookie) {
  scan *s = cookie;
  uint32_t count;
  (void)type;
  if ((tag == TAG_GPS_LATITUDE || tag == TAG_GPS_LONGITUDE) &&
      !u32(t, e + 4, &count) && count > 0)
    s->has_gps = 1;
}

void wapf__exif_scan(const uint8_t *buf, size_t len, int *orientation,
                     int *has_gps) {
  *orientation = 0;
  *has_gps = 0;
  if (len >= 6 && memcmp(buf, "Exif\0\0", 6) == 0) {
    buf += 6;
    len -= 6;
  }
  if (len < 8)
    return;
  tiff t = {buf, len, 0};
  if (memcmp(buf, "MM\0*", 4) == 0)
    t.big = 1;
  else if (memcmp(buf, "II*\0", 4) != 0)
    return;
  uint32_t ifd0;
  if (u32(&t, 4, &ifd0))
    return;
  scan s = {0, 0, 0};
  walk_ifd(&t, ifd0, ifd0_entry, &s);
  if (s.gps_ifd && s.gps_ifd != ifd0)
    walk_ifd(&t, s.gps_ifd, gps_entry, &s);
  *orientation = s.orientation;
  *has_gps = s.has_gps;
}
