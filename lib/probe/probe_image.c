/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Picture facts from the libvips header (no pixels are decoded): size,
 * bands, depth, alpha, colour space, palette, ICC, EXIF orientation and
 * GPS, animation frames and delays. Then the cheap structural damage
 * checks of JPEG and PNG. */
#include "probe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vips/vips.h>

/* The libvips loaders a probe may use, and the short format name of each.
 * magickload (ImageMagick) guesses widely, so it is only used for image
 * types that no native loader handles (BMP, ICO, TGA, ...). */
typedef struct loader_name {
  const char *loader;
  const char *format;
} loader_name;

static const loader_name loaders[] = {
    {"jpegload", "jpeg"}, {"pngload", "png"},  {"gifload", "gif"},
    {"heifload", "heif"}, {"svgload", "svg"},  {"tiffload", "tiff"},
    {"webpload", "webp"}, {"jp2kload", "jp2"}, {"jxlload", "jxl"},
    {"ppmload", "ppm"},   {"radload", "hdr"},  {"magickload", ""},
};

static const char *const native_mimes[] = {
    "image/jpeg", "image/png",  "image/gif",     "image/heic",
    "image/heif", "image/avif", "image/svg+xml", "image/tiff",
    "image/webp", "image/jp2",  "image/jxl",
};

static const loader_name *allowed_loader(const char *loader, const char *mime) {
  for (size_t i = 0; i < sizeof loaders / sizeof loaders[0]; i++) {
    if (strcmp(loader, loaders[i].loader) != 0)
      continue;
    if (strcmp(loader, "magickload") != 0)
      return &loaders[i];
    if (strncmp(mime, "image/", 6) != 0)
      return NULL;
    for (size_t k = 0; k < sizeof native_mimes / sizeof native_mimes[0]; k++)
      if (strcmp(mime, native_mimes[k]) == 0)
        return NULL;
    return &loaders[i];
  }
  return NULL;
}

static int bits_of(VipsBandFormat fmt) {
  switch (fmt) {
  case VIPS_FORMAT_UCHAR:
  case VIPS_FORMAT_CHAR: return 8;
  case VIPS_FORMAT_USHORT:
  case VIPS_FORMAT_SHORT: return 16;
  case VIPS_FORMAT_UINT:
  case VIPS_FORMAT_INT:
  case VIPS_FORMAT_FLOAT: return 32;
  case VIPS_FORMAT_DOUBLE:
  case VIPS_FORMAT_COMPLEX: return 64;
  case VIPS_FORMAT_DPCOMPLEX: return 128;
  default: return -1;
  }
}

static int has_field(VipsImage *im, const char *name) {
  return vips_image_get_typeof(im, name) != 0;
}

static int int_field(VipsImage *im, const char *name, int def) {
  int v;
  if (!has_field(im, name) || vips_image_get_int(im, name, &v) != 0) {
    vips_error_clear();
    return def;
  }
  return v;
}

/* Orientation as libvips reports it (absent for HEIF: libheif has applied
 * irot/imir, and the EXIF tag there must not be applied again), and the
 * GPS position from the EXIF block (libvips attaches it as "exif-data"
 * and as parsed "exif-ifd3-GPS*" fields). */
static void exif_facts(VipsImage *im, wapf_image_facts *img) {
  img->has_exif = has_field(im, "exif-data");
  img->orientation = int_field(im, "orientation", 0);
  img->has_gps = has_field(im, "exif-ifd3-GPSLatitude") ||
                 has_field(im, "exif-ifd3-GPSLongitude");
  const void *blob;
  size_t len;
  if (img->has_exif && vips_image_get_blob(im, "exif-data", &blob, &len) == 0) {
    int orient, gps;
    wapf__exif_scan(blob, len, &orient, &gps);
    img->has_gps |= gps;
  }
  vips_error_clear();
}

/* Frames and their delays, for loaders that describe an animation. */
static int animation_facts(wapf_context *ctx, VipsImage *im,
                           wapf_image_facts *img) {
  int *delays = NULL, n = 0;
  img->frames = 1;
  if (!has_field(im, "delay") ||
      vips_image_get_array_int(im, "delay", &delays, &n) != 0 || n < 1) {
    vips_error_clear();
    return WAPF_OK;
  }
  img->frames = int_field(im, "n-pages", n);
  img->animated = img->frames > 1;
  img->loop = int_field(im, "loop", 0);
  img->delays_ms = malloc((size_t)n * sizeof *img->delays_ms);
  if (!img->delays_ms)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  img->n_delays = (size_t)n;
  img->duration = 0;
  for (int i = 0; i < n; i++) {
    img->delays_ms[i] = delays[i];
    img->duration += delays[i] / 1000.0;
  }
  return WAPF_OK;
}

static void header_facts(VipsImage *im, wapf_image_facts *img) {
  img->width = vips_image_get_width(im);
  img->height = vips_image_get_height(im);
  img->bands = vips_image_get_bands(im);
  img->bit_depth = bits_of(vips_image_get_format(im));
  img->has_alpha = vips_image_hasalpha(im);
  img->alpha_used = -1;
  const char *nick = vips_enum_nick(VIPS_TYPE_INTERPRETATION,
                                    vips_image_get_interpretation(im));
  wapf__strlcpy(img->interpretation, nick ? nick : "",
                sizeof img->interpretation);
  img->palette =
      has_field(im, "palette-bit-depth") || has_field(im, "gif-palette");
  img->has_icc = has_field(im, "icc-profile-data");
  const void *icc = NULL;
  size_t icc_len = 0;
  if (img->has_icc &&
      vips_image_get_blob(im, "icc-profile-data", &icc, &icc_len) == 0)
    img->icc_srgb = wapf__icc_is_srgb(icc, icc_len);
  exif_facts(im, img);
}

static void format_of(VipsImage *im, const loader_name *ln, wapf_facts *f) {
  const char *fmt = ln->format;
  const char *s = NULL;
  char low[32];
  if (strcmp(ln->loader, "heifload") == 0 &&
      vips_image_get_string(im, "heif-compression", &s) == 0 && s &&
      strcmp(s, "av1") == 0)
    fmt = "avif";
  if (!fmt[0] && vips_image_get_string(im, "magick-format", &s) == 0 && s) {
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof low; i++)
      low[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    low[i] = '\0';
    fmt = low;
  }
  vips_error_clear();
  wapf__strlcpy(f->format, fmt, sizeof f->format);
}

/* Run the loader operation directly, outside libvips' operation cache (a
 * cached header would hide a file rewritten under the same name) and
 * without libvips' "name[options]" file name syntax. */
static VipsImage *load_header(const char *nick, const char *path,
                              int heif_check) {
  VipsOperation *op = vips_operation_new(nick);
  if (!op)
    return NULL;
  VipsImage *im = NULL;
  g_object_set(op, "filename", path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (heif_check) /* the embedded thumbnail when there is one */
    g_object_set(op, "thumbnail", TRUE, "fail_on", VIPS_FAIL_ON_TRUNCATED,
                 NULL);
  if (vips_object_build(VIPS_OBJECT(op)) == 0)
    g_object_get(op, "out", &im, NULL);
  vips_object_unref_outputs(VIPS_OBJECT(op));
  g_object_unref(op);
  return im;
}

/* libvips' error for a failed load, translated once. libheif's own line
 * ("heif: Too many auxiliary image references") says more than the
 * "bad seek" libvips reports first, so it is moved to the front. */
static int vips_failure(wapf_context *ctx, const char *nick) {
  const char *buf = vips_error_buffer();
  const char *heif = strstr(buf, "heif: ");
  if (!heif || heif == buf)
    return wapf__from_vips(ctx, nick);
  char line[WAPF_DETAIL_MAX];
  wapf__strlcpy(line, heif + 6, sizeof line);
  line[strcspn(line, "\n")] = '\0';
  vips_error_clear();
  vips_error("heif", "%s", line); /* translated as libvips' own */
  return wapf__from_vips(ctx, nick);
}

/* HEIF/AVIF: libheif reads headers that its decoder then rejects (fuzzed
 * files). Decode the embedded thumbnail, or the image itself when it has
 * none and is small, through a sequential average: bounded memory. */
#define HEIF_CHECK_MAX_PIXELS (4 * 1000 * 1000)

static void heif_damage(wapf_context *ctx, wapf_facts *f) {
  char why[WAPF_DETAIL_MAX];
  int fd = open(f->path, O_RDONLY | O_CLOEXEC);
  int empty = fd >= 0 && wapf__heif_empty_item(fd, f->size, why, sizeof why);
  if (fd >= 0)
    close(fd);
  if (empty) {
    wapf__set_damage(f, "%s", why);
    return;
  }
  VipsImage *im = load_header("heifload", f->path, 1);
  double avg;
  int bad = !im;
  if (im && (uint64_t)vips_image_get_width(im) * vips_image_get_height(im) <=
                HEIF_CHECK_MAX_PIXELS)
    bad = vips_avg(im, &avg, NULL) != 0;
  if (im)
    g_object_unref(im);
  if (bad) {
    vips_failure(ctx, "heifload");
    wapf__set_damage(f, "the picture cannot be decoded: %s", ctx->detail);
  }
  vips_error_clear();
}

/* The structural damage checks of the formats that have one. */
static void damage_check(wapf_context *ctx, wapf_facts *f) {
  if (!strcmp(f->format, "heif") || !strcmp(f->format, "avif")) {
    heif_damage(ctx, f);
    return;
  }
  int jpeg = strcmp(f->format, "jpeg") == 0,
      png = strcmp(f->format, "png") == 0;
  if (!jpeg && !png)
    return;
  int fd = open(f->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  char why[WAPF_DETAIL_MAX];
  if (jpeg ? wapf__jpeg_damaged(fd, f->size, why, sizeof why)
           : wapf__png_damaged(fd, f->size, why, sizeof why))
    wapf__set_damage(f, "%s", why);
  close(fd);
}

/* The first of our loaders whose sniffer takes the file's first 64 KiB,
 * read once into memory. Sniffing the path instead
 * (vips_foreign_find_load) also asks the matrix and CSV loaders, and any
 * sniffer may read a file without newlines whole: 20 GB of zeros took
 * minutes and ignored cancellation. */
#define SNIFF_BYTES (64 * 1024)

static int sniff_one(const char *loader, const void *head, size_t n) {
  char name[64];
  if (!strcmp(loader, "magickload")) /* no source variant */
    return vips_foreign_is_a_buffer("magickload_buffer", head, n);
  snprintf(name, sizeof name, "%s_source", loader);
  VipsSource *src = vips_source_new_from_memory(head, n);
  if (!src)
    return 0;
  int yes = vips_foreign_is_a_source(name, src);
  g_object_unref(src);
  return yes;
}

static const char *find_loader(const char *path) {
  uint8_t *head = malloc(SNIFF_BYTES);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = head && fd >= 0 ? pread(fd, head, SNIFF_BYTES, 0) : -1;
  if (fd >= 0)
    close(fd);
  const char *found = NULL;
  for (size_t i = 0; n > 0 && !found && i < sizeof loaders / sizeof loaders[0];
       i++)
    if (sniff_one(loaders[i].loader, head, (size_t)n))
      found = loaders[i].loader;
  free(head);
  vips_error_clear();
  return found;
}

/* What the file declares, checked before the loader allocates it: the
 * PNG chunks libpng would read whole (pngchunks.c). */
static int declared_sizes(wapf_context *ctx, const wapf_facts *f,
                          const char *nick) {
  if (strcmp(nick, "pngload") != 0)
    return WAPF_OK;
  int fd = open(f->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wapf__from_errno(ctx, errno, f->path);
  char why[WAPF_DETAIL_MAX];
  int bad = wapf__png_chunks_bad(fd, f->size, why, sizeof why);
  close(fd);
  return bad ? wapf__fail(ctx, WAPF_ECORRUPT, "%s", why) : WAPF_OK;
}

static int open_header(wapf_context *ctx, const wapf_facts *f,
                       const loader_name **ln, VipsImage **im) {
  const char *nick = find_loader(f->path);
  if (!nick) {
    vips_error_clear();
    return wapf__fail(ctx, WAPF_EUNSUPPORTED, "%s: no libvips loader", f->path);
  }
  *ln = allowed_loader(nick, f->mime);
  if (!*ln)
    return wapf__fail(ctx, WAPF_EUNSUPPORTED, "%s: libvips %s not used for %s",
                      f->path, nick, f->mime);
  int rc = declared_sizes(ctx, f, nick);
  if (rc != WAPF_OK)
    return rc;
  *im = load_header(nick, f->path, 0);
  if (!*im) {
    rc = vips_failure(ctx, nick);
    return rc == WAPF_ENOMEM ? rc : WAPF_EUNSUPPORTED;
  }
  return WAPF_OK;
}

int wapf__probe_image(wapf_context *ctx, wapf_facts *f) {
  const loader_name *ln = NULL;
  VipsImage *im = NULL;
  int rc = wapf__need_vips(ctx);
  if (rc == WAPF_OK)
    rc = open_header(ctx, f, &ln, &im);
  if (rc != WAPF_OK)
    return rc;
  wapf_image_facts *img = &f->image;
  header_facts(im, img);
  rc = wapf__check_pixels(ctx, "image", img->width, img->height);
  if (rc == WAPF_OK)
    rc = animation_facts(ctx, im, img);
  const char *loader = NULL;
  if (vips_image_get_string(im, "vips-loader", &loader) != 0 || !loader)
    loader = ln->loader;
  wapf__strlcpy(img->loader, loader, sizeof img->loader);
  vips_error_clear();
  format_of(im, ln, f);
  g_object_unref(im);
  if (rc != WAPF_OK)
    return rc;
  f->media = WAPF_MEDIA_IMAGE;
  damage_check(ctx, f);
  return WAPF_OK;
}
