/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image module through the library: wapf_probe -> wapf_check ->
 * wapf_convert, plus the lossless strip and the sticker EXIF on their own.
 * Outputs are read back with libvips' decoder and the vipsheader/webpinfo
 * tools, not with our probe. */
#include "t.h"

#include "../../lib/image/image.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void logger(void *c, wapf_log_level l, const char *m) {
  (void)c;
  (void)l;
  (void)m;
}

static const char *path_in(const char *name) {
  static char p[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
}

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static int write_file(const char *p, const void *b, size_t n) {
  FILE *f = fopen(p, "wb");
  if (!f)
    return -1;
  size_t w = fwrite(b, 1, n, f);
  return fclose(f) == 0 && w == n ? 0 : -1;
}

static uint8_t *read_file(const char *p, size_t *n) {
  FILE *f = fopen(p, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(len > 0 ? (size_t)len : 1);
  *n = b ? fread(b, 1, (size_t)len, f) : 0;
  fclose(f);
  return b;
}

/* Output of `prog 'path'` (an independent tool), or "" on failure. */
static const char *tool(const char *prog, const char *path) {
  static char out[65536];
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s '%s' 2>&1", prog, path);
  out[0] = '\0';
  FILE *p = popen(cmd, "r");
  if (!p)
    return out;
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = '\0';
  pclose(p);
  return out;
}

/* A TIFF with IFD0 {Make, Orientation, GPS pointer} and a GPS IFD. */
static size_t gps_tiff(uint8_t *t, int orientation) {
  static const uint8_t tiff[] = {
      'I', 'I', 42, 0, 8, 0, 0, 0, 3, 0,
      /* Make ASCII 8 @ 50 */
      0x0F, 0x01, 2, 0, 8, 0, 0, 0, 50, 0, 0, 0,
      /* Orientation SHORT 1 = patched */
      0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0,
      /* GPS IFD pointer @ 58 */
      0x25, 0x88, 4, 0, 1, 0, 0, 0, 58, 0, 0, 0, 0, 0, 0, 0,
      /* 50: Make */
      'T', 'e', 's', 't', 'C', 'a', 'm', 0,
      /* 58: GPS IFD, 2 entries: LatitudeRef N, Latitude RATIONAL x3 @ 88 */
      2, 0, 1, 0, 2, 0, 2, 0, 0, 0, 'N', 0, 0, 0, 2, 0, 5, 0, 3, 0, 0, 0, 88, 0,
      0, 0, 0, 0, 0, 0,
      /* 88: 48/1 51/1 24/1 */
      48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1, 0, 0, 0, 24, 0, 0, 0, 1, 0, 0,
      0};
  memcpy(t, tiff, sizeof tiff);
  t[30] = (uint8_t)orientation;
  return sizeof tiff;
}

/* A noisy JPEG with an EXIF APP1 carrying GPS; returns its path. */
static const char *make_gps_jpeg(const char *name, int orientation) {
  VipsImage *n = NULL, *u = NULL;
  void *buf = NULL;
  size_t len = 0;
  if (vips_gaussnoise(&n, 200, 120, "mean", 128.0, "sigma", 40.0, NULL) ||
      vips_cast_uchar(n, &u, NULL) ||
      vips_jpegsave_buffer(u, &buf, &len, "Q", 80, "strip", TRUE, NULL))
    return NULL;
  g_object_unref(n);
  g_object_unref(u);
  uint8_t app[256] = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  size_t tn = gps_tiff(app + 10, orientation);
  app[2] = (uint8_t)((tn + 8) >> 8);
  app[3] = (uint8_t)(tn + 8);
  size_t total = len + 10 + tn;
  uint8_t *j = malloc(total);
  memcpy(j, buf, 2);
  memcpy(j + 2, app, 10 + tn);
  memcpy(j + 12 + tn, (uint8_t *)buf + 2, len - 2);
  g_free(buf);
  const char *p = path_in(name);
  int rc = write_file(p, j, total);
  free(j);
  return rc == 0 ? p : NULL;
}

/* The compressed pixels: from the SOS marker to the end. */
static const uint8_t *scan(const uint8_t *b, size_t n, size_t *len) {
  for (size_t i = 2; i + 4 <= n;) {
    if (b[i] != 0xFF)
      return NULL;
    if (b[i + 1] == 0xDA) {
      *len = n - i;
      return b + i;
    }
    i += 2 + ((size_t)b[i + 2] << 8 | b[i + 3]);
  }
  return NULL;
}

static int same_pixels(const char *a, const char *b) {
  VipsImage *x = vips_image_new_from_file(a, NULL);
  VipsImage *y = vips_image_new_from_file(b, NULL);
  VipsImage *d = NULL;
  double mx = 1, mn = 1;
  int ok = x && y && !vips_subtract(x, y, &d, NULL) &&
           !vips_max(d, &mx, NULL) && !vips_min(d, &mn, NULL) && mx == 0 &&
           mn == 0;
  if (d)
    g_object_unref(d);
  if (x)
    g_object_unref(x);
  if (y)
    g_object_unref(y);
  return ok;
}

static int pipeline(wapf_context *ctx, const char *in, wapf_kind kind,
                    const char *out, wapf_report **rep_out, wapf_result *res) {
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  wapf_options o;
  wapf_default_options(&o);
  o.kind = kind;
  o.overwrite = 1;
  int rc = wapf_probe(ctx, in, &f);
  if (rc == WAPF_OK)
    rc = wapf_check(ctx, f, &o, &r);
  if (rc == WAPF_OK)
    rc = wapf_convert(ctx, f, r, &o, out, res);
  if (rep_out)
    *rep_out = r;
  else
    wapf_report_free(&r);
  wapf_facts_free(&f);
  return rc;
}

static wapf_context *open_ctx(uint64_t max_pixels) {
  wapf_settings s;
  wapf_context *ctx = NULL;
  wapf_default_settings(&s);
  s.logger = logger;
  if (max_pixels)
    s.max_pixels = max_pixels;
  return wapf_open(&ctx, &s) == WAPF_OK ? ctx : NULL;
}

static void gps_jpeg_is_stripped_through_the_pipeline(void) {
  wapf_context *ctx = open_ctx(0);
  const char *in = make_gps_jpeg("gps.jpg", 1), *out = path_in("gps.wa.jpg");
  wapf_report *r = NULL;
  wapf_result res;
  T_CHECK(ctx && in);
  T_CHECK(strstr(tool("vipsheader -a", in), "GPSLatitude") != NULL);
  T_EQ_INT(pipeline(ctx, in, WAPF_KIND_AUTO, out, &r, &res), WAPF_OK);
  T_EQ_INT(r->plan, WAPF_PLAN_STRIP_METADATA);
  T_EQ_INT(res.action, WAPF_PLAN_STRIP_METADATA);
  wapf_report_free(&r);
  const char *h = tool("vipsheader -a", out);
  T_CHECK(strstr(h, "GPS") == NULL && strstr(h, "TestCam") == NULL);
  T_CHECK(strstr(h, "jpegload") != NULL);
  size_t na = 0, nb = 0, sa = 0, sb = 0;
  uint8_t *a = read_file(in, &na), *b = read_file(out, &nb);
  const uint8_t *pa = scan(a, na, &sa), *pb = scan(b, nb, &sb);
  int same = pa && pb && sa == sb && memcmp(pa, pb, sa) == 0;
  free(a);
  free(b);
  T_CHECK(same);
  T_CHECK(same_pixels(in, out));
  wapf_close(&ctx);
}

static void strip_survives_every_truncation_and_flip(void) {
  const char *in = make_gps_jpeg("fuzz.jpg", 1);
  size_t n = 0;
  uint8_t *b = in ? read_file(in, &n) : NULL;
  T_CHECK(b && n > 100);
  int ok = 0;
  for (size_t cut = 0; cut <= n; cut += cut < 400 ? 1 : 97) {
    uint8_t *o = NULL;
    size_t on = 0;
    int rc = wapf__strip_jpeg(b, cut, &o, &on);
    T_CHECK(rc == WAPF_OK || rc == WAPF_ECORRUPT);
    ok += rc == WAPF_OK;
    free(o);
  }
  uint8_t *whole = NULL;
  size_t wn = 0;
  T_EQ_INT(wapf__strip_jpeg(b, n, &whole, &wn), WAPF_OK);
  free(whole);
  for (size_t i = 0; i < 400 && i < n; i++) {
    uint8_t *o = NULL, save = b[i];
    size_t on = 0;
    b[i] ^= 0xA5;
    int rc = wapf__strip_jpeg(b, n, &o, &on);
    T_CHECK(rc == WAPF_OK || rc == WAPF_ECORRUPT || rc == WAPF_EUNSUPPORTED);
    T_CHECK(rc != WAPF_OK || on <= n + 64);
    free(o);
    b[i] = save;
  }
  /* PNG: a hostile chunk length */
  static const uint8_t png[] = {0x89, 'P',  'N',  'G',  '\r', '\n', 0x1A,
                                '\n', 0x7F, 0xFF, 0xFF, 0xF0, 'I',  'H',
                                'D',  'R',  0,    0,    0,    0};
  uint8_t *o = NULL;
  size_t on = 0;
  T_EQ_INT(wapf__strip_png(png, sizeof png, &o, &on), WAPF_ECORRUPT);
  T_EQ_INT(wapf__strip_png(png, 8, &o, &on), WAPF_ECORRUPT);
  free(b);
}

static void rotated_jpeg_is_not_stripped_but_reencoded(void) {
  const char *in = make_gps_jpeg("rot.jpg", 6);
  size_t n = 0;
  uint8_t *b = in ? read_file(in, &n) : NULL, *o = NULL;
  T_CHECK(b);
  T_EQ_INT(wapf__strip_jpeg(b, n, &o, &n), WAPF_EUNSUPPORTED);
  free(b);
  wapf_context *ctx = open_ctx(0);
  wapf_result res;
  const char *out = path_in("rot.wa.jpg");
  T_EQ_INT(pipeline(ctx, in, WAPF_KIND_IMAGE, out, NULL, &res), WAPF_OK);
  T_EQ_INT(res.action, WAPF_PLAN_ENCODE_IMAGE);
  const char *h = tool("vipsheader", out);
  T_CHECK(strstr(h, "120x200 uchar, 3 bands, srgb, jpegload") != NULL);
  wapf_close(&ctx);
}

static void sticker_exif_is_a_tiff_with_tag_5741(void) {
  wapf_context *ctx = open_ctx(0);
  wapf_options o;
  wapf_default_options(&o);
  uint8_t *e = NULL;
  size_t n = 0;
  T_EQ_INT(wapf__sticker_exif(ctx, &o, &e, &n), WAPF_OK);
  T_CHECK(e == NULL && n == 0); /* nothing asked: no chunk */
  o.pack_id = "p1";
  o.emoji = " 😀 ,🎉";
  T_EQ_INT(wapf__sticker_exif(ctx, &o, &e, &n), WAPF_OK);
  T_CHECK(e && n > 26);
  T_CHECK(memcmp(e, "II*\0\x08\0\0\0\x01\0\x41\x57\x07\0", 14) == 0);
  uint32_t cnt = e[14] | e[15] << 8 | (uint32_t)e[16] << 16;
  uint32_t off = e[18] | e[19] << 8;
  T_EQ_INT(off, 26);
  T_EQ_INT(cnt + 26, n);
  json_error_t err;
  json_t *j = json_loadb((const char *)e + off, cnt, 0, &err);
  free(e);
  T_CHECK(j != NULL);
  T_EQ_STR(json_string_value(json_object_get(j, "sticker-pack-id")), "p1");
  json_t *em = json_object_get(j, "emojis");
  T_EQ_INT(json_array_size(em), 2);
  T_EQ_STR(json_string_value(json_array_get(em, 0)), "😀");
  json_decref(j);
  wapf_close(&ctx);
}

static const char *noise_png(const char *name, int side) {
  VipsImage *n[4] = {NULL}, *j = NULL, *u = NULL;
  const char *p = path_in(name);
  int bad = 0;
  /* RGBA noise, alpha included: nothing compresses it */
  for (int i = 0; i < 4; i++)
    bad |= vips_gaussnoise(&n[i], side, side, "mean", 128.0, "sigma", 90.0,
                           "seed", i + 1, NULL);
  bad = bad || vips_bandjoin(n, &j, 4, NULL) || vips_cast_uchar(j, &u, NULL) ||
        vips_pngsave(u, p, "compression", 1, NULL);
  for (int i = 0; i < 4; i++)
    if (n[i])
      g_object_unref(n[i]);
  if (j)
    g_object_unref(j);
  if (u)
    g_object_unref(u);
  return bad ? NULL : p;
}

static void noise_becomes_a_sticker_under_100000_bytes(void) {
  wapf_context *ctx = open_ctx(0);
  const char *in = noise_png("noise.png", 512), *out = path_in("noise.webp");
  wapf_result res;
  T_CHECK(ctx && in);
  T_EQ_INT(pipeline(ctx, in, WAPF_KIND_STICKER, out, NULL, &res), WAPF_OK);
  T_EQ_INT(res.action, WAPF_PLAN_MAKE_STICKER);
  T_CHECK(res.bytes_out > 0 && res.bytes_out <= WAPF_STICKER_LIMIT);
  const char *w = tool("webpinfo", out);
  T_CHECK(strstr(w, "No error detected.") != NULL);
  T_CHECK(strstr(w, "512") != NULL);
  T_CHECK(strstr(tool("vipsheader", out), "512x512 uchar, 4 bands") != NULL);
  wapf_close(&ctx);
}

static void budget_shrinks_only_when_it_must(void) {
  wapf_context *ctx = open_ctx(0);
  VipsImage *n = NULL, *u = NULL, *rgb = NULL;
  wapf_options o;
  wapf_default_options(&o);
  T_CHECK(!vips_gaussnoise(&n, 1200, 900, "mean", 128.0, "sigma", 50.0, NULL));
  T_CHECK(!vips_cast_uchar(n, &u, NULL));
  VipsImage *b3[3] = {u, u, u};
  T_CHECK(!vips_bandjoin(b3, &rgb, 3, NULL));
  wapf_budget_result br;
  T_EQ_INT(wapf__img_encode_budget(ctx, &o, rgb, 0, 1, 5000000, &br), WAPF_OK);
  T_EQ_INT(br.width, 1200); /* fits: resolution and quality 90 kept */
  T_EQ_INT(br.quality, 90);
  g_free(br.buf);
  T_EQ_INT(wapf__img_encode_budget(ctx, &o, rgb, 0, 1, 150000, &br), WAPF_OK);
  T_CHECK(br.len <= 150000 && br.width < 1200 && br.quality >= 75);
  g_free(br.buf);
  T_EQ_INT(wapf__img_encode_budget(ctx, &o, rgb, 1, 1, 400000, &br), WAPF_OK);
  T_CHECK(br.len <= 400000 && br.width < 1200);
  g_free(br.buf);
  g_object_unref(n);
  g_object_unref(u);
  g_object_unref(rgb);
  wapf_close(&ctx);
}

/* Largest absolute difference between two decoded JPEG buffers. */
static double max_diff(const void *a, size_t an, const void *b, size_t bn) {
  VipsImage *x = NULL, *y = NULL, *d = NULL, *ad = NULL;
  double m = -1;
  if (!vips_jpegload_buffer((void *)a, an, &x, NULL) &&
      !vips_jpegload_buffer((void *)b, bn, &y, NULL) &&
      !vips_subtract(x, y, &d, NULL) && !vips_abs(d, &ad, NULL) &&
      vips_max(ad, &m, NULL))
    m = -1;
  VipsImage *all[] = {x, y, d, ad};
  for (int i = 0; i < 4; i++)
    if (all[i])
      g_object_unref(all[i]);
  return m;
}

/* The one-pass encoder codes every symbol even when its tables come from
 * a sample that used few (a flat sample for a noisy picture): same
 * pixels as libjpeg's optimized encode, a size close to it when the
 * sample is of the picture, and a refusal for a sample without tables. */
static void onepass_codes_what_the_sample_never_saw(void) {
  wapf_context *ctx = open_ctx(0);
  VipsImage *n = NULL, *u = NULL, *rgb = NULL, *flat = NULL, *band = NULL;
  void *ref = NULL, *fs = NULL, *bs = NULL, *o1 = NULL, *o2 = NULL;
  size_t refn = 0, fsn = 0, bsn = 0, o1n = 0, o2n = 0;
  T_CHECK(!vips_gaussnoise(&n, 1024, 768, "mean", 128.0, "sigma", 40.0, NULL));
  T_CHECK(!vips_cast_uchar(n, &u, NULL));
  VipsImage *b3[3] = {u, u, u};
  T_CHECK(!vips_bandjoin(b3, &rgb, 3, NULL));
  T_CHECK(!vips_black(&flat, 1024, 64, "bands", 3, NULL));
  T_CHECK(!vips_jpegsave_buffer(rgb, &ref, &refn, "Q", 85, "optimize_coding",
                                TRUE, "strip", TRUE, NULL));
  T_CHECK(!vips_jpegsave_buffer(flat, &fs, &fsn, "Q", 85, "optimize_coding",
                                TRUE, "strip", TRUE, NULL));
  T_CHECK(!vips_crop(rgb, &band, 0, 320, 1024, 64, NULL));
  T_CHECK(!vips_jpegsave_buffer(band, &bs, &bsn, "Q", 85, "optimize_coding",
                                TRUE, "strip", TRUE, NULL));
  T_EQ_INT(wapf__jpeg_onepass(ctx, rgb, fs, fsn, 85, 0, &o1, &o1n), WAPF_OK);
  T_CHECK(max_diff(ref, refn, o1, o1n) == 0.0);
  T_EQ_INT(wapf__jpeg_onepass(ctx, rgb, bs, bsn, 85, 1000, &o2, &o2n), WAPF_OK);
  T_CHECK(max_diff(ref, refn, o2, o2n) == 0.0);
  T_CHECK(o2n <= refn + refn / 50); /* within 2 % of the optimized size */
  T_CHECK(o1n > o2n);
  void *o3 = NULL;
  size_t o3n = 0;
  T_EQ_INT(
      wapf__jpeg_onepass(ctx, rgb, "\xff\xd8\xff\xd9", 4, 85, 0, &o3, &o3n),
      WAPF_EINTERNAL);
  T_CHECK(o3 == NULL);
  /* a large picture takes this route inside the budget search */
  VipsImage *big = NULL, *tmp = NULL;
  T_CHECK(!vips_replicate(rgb, &tmp, 3, 2, NULL));
  T_CHECK((big = vips_image_copy_memory(tmp)) != NULL);
  g_object_unref(tmp);
  wapf_options o;
  wapf_default_options(&o);
  wapf_budget_result br;
  T_EQ_INT(wapf__img_encode_budget(ctx, &o, big, 0, 1, 2000000, &br), WAPF_OK);
  T_CHECK(br.len <= 2000000 && br.len > 1000000 && br.quality >= 75);
  VipsImage *back = NULL;
  T_CHECK(!vips_jpegload_buffer(br.buf, br.len, &back, NULL));
  T_CHECK(back->Xsize == br.width && back->Ysize == br.height);
  g_object_unref(back);
  g_object_unref(big);
  g_free(br.buf);
  /* a cancel stops the encode between rows; nothing is handed out */
  wapf_cancel(ctx);
  o3 = NULL;
  T_EQ_INT(wapf__jpeg_onepass(ctx, rgb, bs, bsn, 85, 0, &o3, &o3n),
           WAPF_ECANCELLED);
  T_CHECK(o3 == NULL);
  g_free(ref), g_free(fs), g_free(bs), g_free(o1), g_free(o2);
  VipsImage *all[] = {n, u, rgb, flat, band};
  for (int i = 0; i < 5; i++)
    g_object_unref(all[i]);
  wapf_close(&ctx);
}

static int stop_now(void *c, double f) {
  (void)c;
  (void)f;
  return 1;
}

static void limits_and_cancel_leave_no_output(void) {
  wapf_context *ctx = open_ctx(0), *small = open_ctx(1000);
  const char *in = noise_png("big.png", 256), *out = path_in("never.jpg");
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  wapf_options o;
  wapf_default_options(&o);
  o.kind = WAPF_KIND_IMAGE;
  T_CHECK(ctx && small && in);
  T_EQ_INT(wapf_probe(ctx, in, &f), WAPF_OK);
  T_EQ_INT(wapf_check(ctx, f, &o, &r), WAPF_OK);
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_IMAGE);
  T_EQ_INT(wapf_convert(small, f, r, &o, out, NULL), WAPF_ELIMIT);
  T_CHECK(!exists(out));
  o.progress = stop_now;
  T_EQ_INT(wapf_convert(ctx, f, r, &o, out, NULL), WAPF_ECANCELLED);
  T_CHECK(!exists(out));
  wapf_report_free(&r);
  wapf_facts_free(&f);
  wapf_close(&ctx);
  wapf_close(&small);
}

static void frames_keep_the_rate_and_the_10_s_limit(void) {
  wapf_context *ctx = open_ctx(0);
  wapf_frames fr;
  memset(&fr, 0, sizeof fr);
  fr.side = 512;
  fr.scale = 1.0;
  fr.max_ms = WAPF_ANIM_MAX_MS;
  uint8_t *px = calloc(1, 512 * 288 * 4);
  T_CHECK(ctx && px);
  /* 15 fps at most: frames 30 ms apart are thinned out */
  int64_t ts[] = {0, 30, 70, 140, 9995, 10000};
  for (size_t i = 0; i < sizeof ts / sizeof *ts; i++)
    T_EQ_INT(wapf__frames_add(ctx, &fr, px, 512, 288, 512 * 4, ts[i],
                              WAPF_FIT_CONTAIN, 66),
             WAPF_OK);
  free(px);
  /* kept: 0, 70, 140; 9995 and 10000 could not last 8 ms by 10 s */
  T_EQ_INT(fr.n, 3);
  T_EQ_INT(fr.v[1].t_ms, 70);
  /* the picture is centred with transparent bands above and below */
  T_EQ_INT(fr.v[0].rgba[3], 0);
  T_EQ_INT(fr.v[0].rgba[(256 * 512 + 256) * 4 + 3], 0);
  wapf__frames_free(&fr);
  T_EQ_INT(fr.n, 0);
  wapf_close(&ctx);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/wapf-image-XXXXXX");
  if (!mkdtemp(dir) || VIPS_INIT("test"))
    return 1;
  T_RUN(gps_jpeg_is_stripped_through_the_pipeline);
  T_RUN(strip_survives_every_truncation_and_flip);
  T_RUN(rotated_jpeg_is_not_stripped_but_reencoded);
  T_RUN(sticker_exif_is_a_tiff_with_tag_5741);
  T_RUN(noise_becomes_a_sticker_under_100000_bytes);
  T_RUN(budget_shrinks_only_when_it_must);
  T_RUN(onepass_codes_what_the_sample_never_saw);
  T_RUN(limits_and_cancel_leave_no_output);
  T_RUN(frames_keep_the_rate_and_the_10_s_limit);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not clean %s\n", dir);
  return T_DONE();
}
