/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the probe module's parts that work on bytes we craft here:
 * the MP4 box walk, the EXIF reader, the JPEG/PNG structure walks, and
 * the front end's contract (errors, ownership). */
#include "probe_internal.h"
#include "t.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir_[] = "/tmp/wapf-probe-unit-XXXXXX";

/* Write n bytes to a new file in the test folder; returns its path. */
static const char *put(const char *name, const void *data, size_t n) {
  static char path[4][512];
  static int k;
  char *p = path[k++ % 4];
  snprintf(p, 512, "%s/%s", tmpdir_, name);
  FILE *fp = fopen(p, "wb");
  if (!fp)
    return NULL;
  if (n)
    fwrite(data, 1, n, fp);
  fclose(fp);
  return p;
}

/* A growing byte buffer to build boxes and chunks in. */
typedef struct buf {
  uint8_t d[4096];
  size_t n;
} buf;

static void be32(buf *b, uint32_t v) {
  b->d[b->n++] = (uint8_t)(v >> 24);
  b->d[b->n++] = (uint8_t)(v >> 16);
  b->d[b->n++] = (uint8_t)(v >> 8);
  b->d[b->n++] = (uint8_t)v;
}

static void bytes(buf *b, const void *p, size_t n) {
  memcpy(b->d + b->n, p, n);
  b->n += n;
}

/* A box of type with payload_len zero bytes (size includes the header). */
static void box(buf *b, const char *type, uint32_t payload_len) {
  be32(b, 8 + payload_len);
  bytes(b, type, 4);
  memset(b->d + b->n, 0, payload_len);
  b->n += payload_len;
}

static void scan_buf(const buf *b, const char *name, wapf_boxinfo *bi) {
  const char *p = put(name, b->d, b->n);
  int fd = open(p, O_RDONLY);
  wapf__box_scan(fd, (int64_t)b->n, bi);
  close(fd);
}

static void ftyp(buf *b, const char *major) {
  be32(b, 16);
  bytes(b, "ftyp", 4);
  bytes(b, major, 4);
  be32(b, 0);
}

static void box_moov_first(void) {
  buf b = {.n = 0};
  ftyp(&b, "isom");
  box(&b, "moov", 40);
  box(&b, "mdat", 100);
  wapf_boxinfo bi;
  scan_buf(&b, "a.mp4", &bi);
  T_EQ_INT(bi.is_isobmff, 1);
  T_EQ_STR(bi.brand, "isom");
  T_EQ_INT(bi.moov_pos, 16);
  T_EQ_INT(bi.mdat_pos, 16 + 48);
  T_EQ_INT(bi.has_moof, 0);
  T_EQ_INT(bi.has_mvex, 0);
}

static void box_moov_at_end_largesize(void) {
  buf b = {.n = 0};
  ftyp(&b, "qt  ");
  /* mdat with a 64-bit size (size field 1). */
  be32(&b, 1);
  bytes(&b, "mdat", 4);
  be32(&b, 0);
  be32(&b, 16 + 24);
  memset(b.d + b.n, 0, 24);
  b.n += 24;
  size_t moov = b.n;
  be32(&b, 8 + 16); /* moov holding an mvex */
  bytes(&b, "moov", 4);
  box(&b, "mvex", 8);
  wapf_boxinfo bi;
  scan_buf(&b, "b.mov", &bi);
  T_EQ_INT(bi.mdat_pos, 16);
  T_EQ_INT(bi.moov_pos, (int64_t)moov);
  T_EQ_INT(bi.has_brand_qt, 1);
  T_EQ_INT(bi.has_mvex, 1);
}

static void box_size_zero_and_truncated(void) {
  buf b = {.n = 0};
  ftyp(&b, "mp42");
  box(&b, "moov", 8);
  be32(&b, 0); /* size 0: to the end of the file */
  bytes(&b, "mdat", 4);
  memset(b.d + b.n, 0, 30);
  b.n += 30;
  wapf_boxinfo bi;
  scan_buf(&b, "c.mp4", &bi);
  T_EQ_INT(bi.mdat_pos, 32);
  /* A box claiming more than the file holds: recorded, walk stops. */
  buf t = {.n = 0};
  ftyp(&t, "isom");
  be32(&t, 1000000);
  bytes(&t, "mdat", 4);
  box(&t, "moov", 8); /* inside the (cut) mdat: not top level */
  scan_buf(&t, "d.mp4", &bi);
  T_EQ_INT(bi.mdat_pos, 16);
  T_EQ_INT(bi.moov_pos, -1);
}

static void box_fragments_and_garbage(void) {
  buf b = {.n = 0};
  ftyp(&b, "iso5");
  box(&b, "moov", 8);
  box(&b, "moof", 8);
  box(&b, "mdat", 8);
  wapf_boxinfo bi;
  scan_buf(&b, "e.mp4", &bi);
  T_EQ_INT(bi.has_moof, 1);
  /* Text is not a box structure. */
  const char *txt = "hello, this is not an mp4 file at all\n";
  const char *p = put("f.mp4", txt, strlen(txt));
  int fd = open(p, O_RDONLY);
  wapf__box_scan(fd, (int64_t)strlen(txt), &bi);
  close(fd);
  T_EQ_INT(bi.is_isobmff, 0);
  T_EQ_INT(bi.moov_pos, -1);
  /* A size smaller than the header. */
  buf g = {.n = 0};
  be32(&g, 4);
  bytes(&g, "ftyp", 4);
  be32(&g, 0);
  scan_buf(&g, "g.mp4", &bi);
  T_EQ_INT(bi.is_isobmff, 0);
}

static void box_heif_ispe(void) {
  buf b = {.n = 0};
  ftyp(&b, "avif");
  be32(&b, 8 + 4 + 8 + 8 + 20); /* meta (FullBox) > iprp > ipco > ispe */
  bytes(&b, "meta", 4);
  be32(&b, 0);
  be32(&b, 8 + 8 + 20);
  bytes(&b, "iprp", 4);
  be32(&b, 8 + 20);
  bytes(&b, "ipco", 4);
  be32(&b, 20);
  bytes(&b, "ispe", 4);
  be32(&b, 0);
  be32(&b, 17000);
  be32(&b, 16000);
  wapf_boxinfo bi;
  scan_buf(&b, "h.avif", &bi);
  T_EQ_INT(bi.ispe_w, 17000);
  T_EQ_INT(bi.ispe_h, 16000);
  T_EQ_INT(bi.has_avis, 0);
}

/* A little-endian TIFF with IFD0 {Orientation, GPS IFD}, GPS {Latitude}. */
static size_t make_exif(uint8_t *d, int orientation, int gps, int big) {
  memset(d, 0, 128);
  memcpy(d, "Exif\0\0", 6);
  uint8_t *t = d + 6;
#define W16(o, v)                                                              \
  (big ? (t[o] = (uint8_t)((v) >> 8), t[(o) + 1] = (uint8_t)(v))               \
       : (t[o] = (uint8_t)(v), t[(o) + 1] = (uint8_t)((v) >> 8)))
#define W32(o, v)                                                              \
  (big ? (W16(o, (v) >> 16), W16((o) + 2, (v)&0xffff))                         \
       : (W16(o, (v)&0xffff), W16((o) + 2, (v) >> 16)))
  memcpy(t, big ? "MM\0*" : "II*\0", 4);
  W32(4, 8);
  W16(8, 2);       /* two entries */
  W16(10, 0x0112); /* Orientation SHORT 1 */
  W16(12, 3);
  W32(14, 1);
  W16(18, orientation);
  W16(22, 0x8825); /* GPS IFD LONG 1 -> 38 */
  W16(24, 4);
  W32(26, 1);
  W32(30, 38);
  W32(34, 0);                     /* next IFD */
  W16(38, 1);                     /* GPS IFD: one entry */
  W16(40, gps ? 0x0002 : 0x0000); /* Latitude or VersionID */
  W16(42, gps ? 5 : 1);
  W32(44, gps ? 3 : 4);
  W32(48, 60);
  W32(52, 0);
#undef W16
#undef W32
  return 6 + 64;
}

static void exif_orientation_gps(void) {
  uint8_t d[128];
  int o, g;
  size_t n = make_exif(d, 6, 1, 0);
  wapf__exif_scan(d, n, &o, &g);
  T_EQ_INT(o, 6);
  T_EQ_INT(g, 1);
  n = make_exif(d, 3, 0, 1);
  wapf__exif_scan(d, n, &o, &g);
  T_EQ_INT(o, 3);
  T_EQ_INT(g, 0);
  /* Without the "Exif" prefix, big-endian. */
  n = make_exif(d, 8, 1, 1);
  wapf__exif_scan(d + 6, n - 6, &o, &g);
  T_EQ_INT(o, 8);
  T_EQ_INT(g, 1);
}

static void exif_malformed(void) {
  uint8_t d[128];
  int o = 9, g = 9;
  size_t n = make_exif(d, 6, 1, 0);
  /* Cut before the GPS IFD: the orientation is still read, no GPS. */
  wapf__exif_scan(d, 6 + 36, &o, &g);
  T_EQ_INT(o, 6);
  T_EQ_INT(g, 0);
  /* IFD0 offset far past the end. */
  d[6 + 4] = 0xff;
  d[6 + 7] = 0x7f;
  wapf__exif_scan(d, n, &o, &g);
  T_EQ_INT(o, 0);
  wapf__exif_scan((const uint8_t *)"junk", 4, &o, &g);
  T_EQ_INT(o, 0);
  T_EQ_INT(g, 0);
  /* Orientation out of range is ignored. */
  n = make_exif(d, 42, 0, 0);
  wapf__exif_scan(d, n, &o, &g);
  T_EQ_INT(o, 0);
}

static int damaged_file(int (*fn)(int, int64_t, char *, size_t),
                        const char *name, const void *data, size_t n,
                        char *why) {
  const char *p = put(name, data, n);
  int fd = open(p, O_RDONLY);
  why[0] = '\0';
  int r = fn(fd, (int64_t)n, why, 160);
  close(fd);
  return r;
}

static void jpeg_walk(void) {
  /* SOI, APP0 (len 4), SOS (len 3 + 1), entropy with stuffing and a
   * restart marker, EOI, then a trailer after EOI. */
  static const uint8_t ok[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA,
                               0xBB, 0xFF, 0xDA, 0x00, 0x03, 0x01, 0x12,
                               0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF,
                               0xD9, 'T',  'R',  'A',  'I',  'L'};
  char why[160];
  T_EQ_INT(damaged_file(wapf__jpeg_damaged, "ok.jpg", ok, sizeof ok, why), 0);
  /* Cut inside the entropy data. */
  T_EQ_INT(damaged_file(wapf__jpeg_damaged, "cut.jpg", ok, 17, why), 1);
  T_CHECK(strstr(why, "truncated") != NULL);
  /* Cut inside a segment header. */
  T_EQ_INT(damaged_file(wapf__jpeg_damaged, "cut2.jpg", ok, 5, why), 1);
  /* Not a JPEG: no verdict. */
  T_EQ_INT(damaged_file(wapf__jpeg_damaged, "no.jpg", "GIF89a", 6, why), 0);
}

static void png_walk(void) {
  buf b = {.n = 0};
  bytes(&b, "\x89PNG\r\n\x1a\n", 8);
  be32(&b, 13);
  bytes(&b, "IHDR", 4);
  memset(b.d + b.n, 0, 13 + 4);
  b.n += 17;
  be32(&b, 5);
  bytes(&b, "IDAT", 4);
  memset(b.d + b.n, 0, 5 + 4);
  b.n += 9;
  size_t before_iend = b.n;
  be32(&b, 0);
  bytes(&b, "IEND", 4);
  be32(&b, 0xAE426082);
  char why[160];
  T_EQ_INT(damaged_file(wapf__png_damaged, "ok.png", b.d, b.n, why), 0);
  T_EQ_INT(damaged_file(wapf__png_damaged, "noend.png", b.d, before_iend, why),
           1);
  T_CHECK(strstr(why, "IEND") != NULL);
  T_EQ_INT(damaged_file(wapf__png_damaged, "cut.png", b.d, 45, why), 1);
  T_CHECK(strstr(why, "IDAT") != NULL);
}

/* Bytes this process has read through read()/pread() (Linux), -1 when
 * /proc/self/io cannot be read. */
static long long bytes_read(void) {
  FILE *fp = fopen("/proc/self/io", "r");
  long long v = -1;
  char line[128];
  while (fp && fgets(line, sizeof line, fp))
    if (sscanf(line, "rchar: %lld", &v) == 1)
      break;
  if (fp)
    fclose(fp);
  return v;
}

/* A PNG head followed by 20 GB of zeros (sparse): the probe reads a few
 * MB, not libavformat's 128 MiB read budget (its PNG parser looked for
 * the picture's end through the zeros, copying all it read). */
static void sparse_png_head_reads_little(void) {
  static const uint8_t head[33] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"
                                  "\0\0\0\x10\0\0\0\x0c\x08\x02\0\0\0"
                                  "\xe4\x85\xaa\x6e";
  const char *p = put("head.png", head, sizeof head);
  if (truncate(p, (off_t)20 << 30) != 0)
    T_SKIP("this file system has no sparse 20 GB files");
  if (bytes_read() < 0)
    T_SKIP("/proc/self/io is not readable here");
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  wapf_facts *f = NULL;
  long long before = bytes_read();
  T_EQ_INT(wapf_probe(ctx, p, &f), WAPF_OK);
  long long read = bytes_read() - before;
  T_EQ_INT(f->damaged, 1);
  wapf_facts_free(&f);
  wapf_close(&ctx);
  unlink(p);
  if (read > (16 << 20))
    fprintf(stderr, "read %lld bytes\n", read);
  T_CHECK(read <= (16 << 20));
}

/* A PNG of IHDR, one chunk of type t declaring len bytes (holding 5),
 * IDAT and IEND, into b. */
static void png_with(buf *b, const char *t, uint32_t len) {
  b->n = 0;
  bytes(b, "\x89PNG\r\n\x1a\n", 8);
  be32(b, 13);
  bytes(b, "IHDR", 4);
  memset(b->d + b->n, 0, 13 + 4);
  b->n += 17;
  be32(b, len);
  bytes(b, t, 4);
  memset(b->d + b->n, 0, 5 + 4);
  b->n += 9;
  be32(b, 0);
  bytes(b, "IEND", 4);
  be32(b, 0xAE426082);
}

static void png_declared_sizes(void) {
  buf b;
  char why[160];
  png_with(&b, "tEXt", 5);
  T_EQ_INT(damaged_file(wapf__png_chunks_bad, "fits.png", b.d, b.n, why), 0);
  /* the case found outside: an iTXt declaring 0x7fffffff bytes */
  png_with(&b, "iTXt", 0x7fffffff);
  T_EQ_INT(damaged_file(wapf__png_chunks_bad, "itxt.png", b.d, b.n, why), 1);
  T_CHECK(strstr(why, "iTXt at byte 33 declares 2147483647 bytes") != NULL);
  png_with(&b, "iCCP", 0x80000000u);
  T_EQ_INT(damaged_file(wapf__png_chunks_bad, "iccp.png", b.d, b.n, why), 1);
  /* IDAT is read as a stream: a cut picture is left to the damage walk */
  png_with(&b, "IDAT", 100000);
  T_EQ_INT(damaged_file(wapf__png_chunks_bad, "idat.png", b.d, b.n, why), 0);
  /* a type that is not letters ends the walk: libpng refuses it itself */
  png_with(&b, "\x01\x02\x03\x04", 0x7ffffff0);
  T_EQ_INT(damaged_file(wapf__png_chunks_bad, "type.png", b.d, b.n, why), 0);
  T_EQ_INT(damaged_file(wapf__png_chunks_bad, "not.png", "GIF89a", 6, why), 0);
}

static void contract(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  wapf_facts *f = (wapf_facts *)(uintptr_t)0x1;
  T_EQ_INT(wapf_probe(NULL, "x", &f), WAPF_EINVAL);
  T_EQ_INT(wapf_probe(ctx, NULL, &f), WAPF_EINVAL);
  T_EQ_INT(wapf_probe(ctx, "x", NULL), WAPF_EINVAL);
  char p[600];
  snprintf(p, sizeof p, "%s/missing.mp4", tmpdir_);
  T_EQ_INT(wapf_probe(ctx, p, &f), WAPF_ENOENT);
  T_CHECK(strstr(wapf_last_error(ctx), "missing.mp4") != NULL);
  T_EQ_INT(wapf_probe(ctx, tmpdir_, &f), WAPF_EISDIR);
  T_EQ_INT(wapf_probe(ctx, put("empty.mp4", "", 0), &f), WAPF_EEMPTY);
  snprintf(p, sizeof p, "%s/fifo", tmpdir_);
  T_EQ_INT(mkfifo(p, 0600), 0);
  T_EQ_INT(wapf_probe(ctx, p, &f), WAPF_EINVAL);
  T_CHECK(strstr(wapf_last_error(ctx), "not a regular file") != NULL);
  snprintf(p, sizeof p, "%s/missing-dir/x.jpg", tmpdir_);
  T_EQ_INT(wapf_probe(ctx, p, &f), WAPF_ENOENT);
  /* *out is written only on success. */
  T_CHECK(f == (wapf_facts *)(uintptr_t)0x1);
  f = NULL;
  wapf_facts_free(&f);
  wapf_facts_free(NULL);
  const char *txt = "just some words, not media\n";
  T_EQ_INT(wapf_probe(ctx, put("words.mp4", txt, strlen(txt)), &f), WAPF_OK);
  T_EQ_INT(f->media, WAPF_MEDIA_OTHER);
  T_EQ_STR(f->mime, "text/plain");
  T_EQ_INT(f->size, (int64_t)strlen(txt));
  T_EQ_INT(f->damaged, 0);
  T_EQ_STR(wapf_last_error(ctx), "");
  wapf_facts_free(&f);
  T_CHECK(f == NULL);
  wapf_close(&ctx);
}

static void cleanup(void) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir_);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir_);
}

int main(void) {
  if (!mkdtemp(tmpdir_))
    return 1;
  T_RUN(box_moov_first);
  T_RUN(box_moov_at_end_largesize);
  T_RUN(box_size_zero_and_truncated);
  T_RUN(box_fragments_and_garbage);
  T_RUN(box_heif_ispe);
  T_RUN(exif_orientation_gps);
  T_RUN(exif_malformed);
  T_RUN(jpeg_walk);
  T_RUN(png_walk);
  T_RUN(png_declared_sizes);
  T_RUN(contract);
  T_RUN(sparse_png_head_reads_little);
  cleanup();
  return T_DONE();
}
