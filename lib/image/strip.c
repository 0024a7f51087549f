/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lossless removal of private metadata from JPEG and PNG files.
 *
 * The file is rewritten segment by segment (JPEG) or chunk by chunk (PNG):
 * what carries pixels, colour (ICC, Adobe, JFIF, PNG colour chunks) or
 * structure is copied byte for byte; EXIF (GPS, camera serials, dates),
 * XMP, IPTC, comments, text chunks, embedded thumbnails and trailing data
 * are dropped. The compressed pixels are never decoded or re-encoded. An
 * EXIF orientation of 1 is kept as a minimal EXIF block; any other
 * orientation cannot be kept losslessly (the pixels must be turned), so
 * such a file is left to the re-encoding path. Every length is checked
 * against the end of the buffer before it is used. */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#define STRIP_MAX_BYTES (256u << 20) /* files read whole into memory */

typedef struct buf {
  uint8_t *p;
  size_t n, cap;
  int oom;
} buf;

static void put(buf *b, const void *src, size_t n) {
  if (b->oom)
    return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n)
      cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (!np) {
      b->oom = 1;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}

static unsigned rd16(const uint8_t *p, int le) {
  return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p, int le) {
  return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                  (uint32_t)p[3] << 24
            : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                  (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int wapf__exif_orientation(const uint8_t *t, size_t n) {
  if (n < 8)
    return 0;
  int le = t[0] == 'I' && t[1] == 'I';
  if (!le && !(t[0] == 'M' && t[1] == 'M'))
    return 0;
  if (rd16(t + 2, le) != 42)
    return 0;
  uint32_t ifd = rd32(t + 4, le);
  if (ifd > n - 2 || ifd < 8)
    return 0;
  unsigned count = rd16(t + ifd, le);
  for (unsigned i = 0; i < count; i++) {
    size_t e = (size_t)ifd + 2 + (size_t)i * 12;
    if (e + 12 > n)
      return 0;
    if (rd16(t + e, le) == 0x0112 && rd16(t + e + 2, le) == 3) {
      unsigned v = rd16(t + e + 8, le);
      return v >= 1 && v <= 8 ? (int)v : 0;
    }
  }
  return 0;
}

/* Little-endian TIFF with IFD0 = { Orientation (SHORT) = 1 }. */
static const uint8_t min_tiff[26] = {
    'I',  'I',  42, 0, 8, 0, 0, 0,             /* header, IFD0 at 8 */
    1,    0,                                   /* one entry */
    0x12, 0x01, 3,  0, 1, 0, 0, 0, 1, 0, 0, 0, /* 0x0112 SHORT x1 = 1 */
    0,    0,    0,  0,                         /* no next IFD */
};

/* ---- JPEG ---- */

static int app_is(const uint8_t *d, size_t n, const char *sig, size_t sn) {
  return n >= sn && memcmp(d, sig, sn) == 0;
}

/* 1 keep, 0 drop, -1 orientation that forbids a lossless strip;
 * *exif_one set when an Orientation=1 EXIF was dropped. */
static int jpeg_keep(unsigned m, const uint8_t *d, size_t n, int *exif_one) {
  if (m == 0xE0)
    return app_is(d, n, "JFIF\0", 5);
  if (m == 0xE1) {
    if (app_is(d, n, "Exif\0\0", 6)) {
      int o = wapf__exif_orientation(d + 6, n - 6);
      if (o > 1)
        return -1;
      if (o == 1)
        *exif_one = 1;
    }
    return 0;
  }
  if (m == 0xE2)
    return app_is(d, n, "ICC_PROFILE\0", 12);
  if (m == 0xEE)
    return app_is(d, n, "Adobe", 5);
  if ((m >= 0xE3 && m <= 0xEF) || m == 0xFE)
    return 0; /* other APPn (IPTC, Ducky, MPF...), COM */
  return 1;
}

static void put_min_exif(buf *b) {
  uint8_t h[10] = {0xFF, 0xE1, 0, 2 + 6 + sizeof min_tiff, 'E', 'x', 'i',
                   'f',  0,    0};
  put(b, h, sizeof h);
  put(b, min_tiff, sizeof min_tiff);
}

/* End of the entropy-coded data starting at i: the next marker that is
 * not a stuffed 0xFF00, a restart marker or fill. */
static size_t scan_end(const uint8_t *in, size_t n, size_t i) {
  while (i + 1 < n) {
    if (in[i] != 0xFF) {
      i++;
      continue;
    }
    uint8_t x = in[i + 1];
    if (x == 0x00 || (x >= 0xD0 && x <= 0xD7) || x == 0xFF) {
      i += x == 0xFF ? 1 : 2;
      continue;
    }
    return i;
  }
  return n;
}

static int jpeg_walk(const uint8_t *in, size_t n, buf *b) {
  size_t i = 2;
  int exif_done = 0;
  put(b, in, 2);
  for (;;) {
    while (i < n && in[i] == 0xFF && i + 1 < n && in[i + 1] == 0xFF)
      i++; /* fill bytes before a marker */
    if (i + 2 > n || in[i] != 0xFF)
      return WAPF_ECORRUPT;
    unsigned m = in[i + 1];
    if (m == 0xD9) { /* EOI: done; whatever follows is dropped */
      put(b, in + i, 2);
      return WAPF_OK;
    }
    if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) {
      put(b, in + i, 2);
      i += 2;
      continue;
    }
    if (i + 4 > n)
      return WAPF_ECORRUPT;
    size_t len = rd16(in + i + 2, 0);
    if (len < 2 || i + 2 + len > n)
      return WAPF_ECORRUPT;
    size_t end = i + 2 + len;
    if (m == 0xDA)
      end = scan_end(in, n, end);
    int exif_one = 0;
    int keep = m == 0xDA ? 1 : jpeg_keep(m, in + i + 4, len - 2, &exif_one);
    if (keep < 0)
      return WAPF_EUNSUPPORTED;
    if (exif_one && !exif_done) {
      put_min_exif(b);
      exif_done = 1;
    }
    if (keep)
      put(b, in + i, end - i);
    i = end;
  }
}

int wapf__strip_jpeg(const uint8_t *in, size_t n, uint8_t **out,
                     size_t *out_n) {
  buf b = {0};
  if (n < 4 || in[0] != 0xFF || in[1] != 0xD8)
    return WAPF_ECORRUPT;
  int rc = jpeg_walk(in, n, &b);
  if (rc == WAPF_OK && b.oom)
    rc = WAPF_ENOMEM;
  if (rc != WAPF_OK) {
    free(b.p);
    return rc;
  }
  *out = b.p;
  *out_n = b.n;
  return WAPF_OK;
}

/* ---- PNG ---- */

static uint32_t crc32_png(const uint8_t *p, size_t n) {
  static uint32_t table[256];
  static int ready;
  if (!ready) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++)
        c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    ready = 1;
  }
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++)
    c = table[(c ^ p[i]) & 255] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static void put_be32(buf *b, uint32_t v) {
  uint8_t x[4] = {v >> 24, v >> 16, v >> 8, v};
  put(b, x, 4);
}

static void put_min_exif_chunk(buf *b) {
  uint8_t c[4 + sizeof min_tiff] = {'e', 'X', 'I', 'f'};
  memcpy(c + 4, min_tiff, sizeof min_tiff);
  put_be32(b, sizeof min_tiff);
  put(b, c, sizeof c);
  put_be32(b, crc32_png(c, sizeof c));
}

/* Ancillary chunks that describe how to show the pixels; every other
 * ancillary chunk (text, time, EXIF, private ones) is dropped. */
static int png_keep(const uint8_t *type) {
  static const char *keep[] = {"tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT",
                               "bKGD", "pHYs", "hIST", "sPLT", "acTL", "fcTL",
                               "fdAT", "cICP", "mDCv", "cLLi"};
  if (!(type[0] & 0x20))
    return 1; /* critical */
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
    if (memcmp(type, keep[i], 4) == 0)
      return 1;
  return 0;
}

static int png_walk(const uint8_t *in, size_t n, buf *b) {
  size_t i = 8;
  int exif_done = 0;
  put(b, in, 8);
  while (i + 12 <= n) {
    uint32_t len = rd32(in + i, 0);
    if (len > 0x7FFFFFFFu || len > n - i - 12)
      return WAPF_ECORRUPT;
    const uint8_t *type = in + i + 4;
    if (memcmp(type, "eXIf", 4) == 0) {
      int o = wapf__exif_orientation(in + i + 8, len);
      if (o > 1)
        return WAPF_EUNSUPPORTED;
      if (o == 1 && !exif_done) {
        put_min_exif_chunk(b);
        exif_done = 1;
      }
    } else if (png_keep(type)) {
      put(b, in + i, (size_t)len + 12);
    }
    i += (size_t)len + 12;
    if (memcmp(type, "IEND", 4) == 0)
      return WAPF_OK; /* trailing data dropped */
  }
  return WAPF_ECORRUPT;
}

int wapf__strip_png(const uint8_t *in, size_t n, uint8_t **out, size_t *out_n) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  buf b = {0};
  if (n < 8 || memcmp(in, sig, 8) != 0)
    return WAPF_ECORRUPT;
  int rc = png_walk(in, n, &b);
  if (rc == WAPF_OK && b.oom)
    rc = WAPF_ENOMEM;
  if (rc != WAPF_OK) {
    free(b.p);
    return rc;
  }
  *out = b.p;
  *out_n = b.n;
  return WAPF_OK;
}

/* ---- file level ---- */

int wapf__img_strip(wapf_context *ctx, const char *path, wapf_tmpfile *out) {
  uint8_t *in = NULL, *res = NULL;
  size_t n = 0, rn = 0;
  int rc = wapf__read_file(ctx, path, STRIP_MAX_BYTES, &in, &n);
  if (rc == WAPF_ELIMIT) /* too large to rewrite in memory: re-encode */
    return wapf__fail(ctx, WAPF_EUNSUPPORTED, "%s: not stripped in memory",
                      path);
  if (rc != WAPF_OK)
    return rc;
  int is_png = n >= 8 && in[0] == 0x89 && in[1] == 'P';
  int is_jpeg = n >= 3 && in[0] == 0xFF && in[1] == 0xD8 && in[2] == 0xFF;
  if (is_png)
    rc = wapf__strip_png(in, n, &res, &rn);
  else if (is_jpeg)
    rc = wapf__strip_jpeg(in, n, &res, &rn);
  else
    rc = WAPF_EUNSUPPORTED;
  free(in);
  if (rc == WAPF_OK) {
    wapf__log(ctx, WAPF_LOG_INFO,
              "%s: metadata removed losslessly, %zu -> "
              "%zu bytes",
              path, n, rn);
    rc = wapf__img_write_all(ctx, out, res, rn);
  } else if (rc == WAPF_ECORRUPT) {
    rc = wapf__fail(ctx, rc, "%s: damaged %s structure", path,
                    is_png ? "PNG chunk" : "JPEG segment");
  } else if (rc == WAPF_EUNSUPPORTED) {
    rc = wapf__fail(ctx, rc, "%s: cannot strip losslessly", path);
  } else if (rc == WAPF_ENOMEM) {
    rc = wapf__fail(ctx, rc, "out of memory");
  }
  free(res);
  return rc;
}
