/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pixels through libvips: load with shrink-on-load, make upright, convert
 * to 8-bit sRGB, handle alpha, fit on a sticker canvas. */
#include "image.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

/* Replace *im by next (which may be NULL on failure: then *im stays). */
static int step(wapf_context *ctx, VipsImage **im, VipsImage **next, int rc,
                const char *what) {
  if (rc != 0 || !*next)
    return wapf__from_vips(ctx, what);
  g_object_unref(*im);
  *im = *next;
  *next = NULL;
  return WAPF_OK;
}

static int is_loader(VipsImage *im, const char *name) {
  const char *l = NULL;
  if (vips_image_get_typeof(im, VIPS_META_LOADER) &&
      vips_image_get_string(im, VIPS_META_LOADER, &l) == 0 && l)
    return strncmp(l, name, strlen(name)) == 0;
  return 0;
}

/* A JPEG is shrunk in the DCT domain by 2, 4 or 8: the cheapest way to a
 * bounded working size. Other formats go through vips_thumbnail(), which
 * uses whatever shrink-on-load the loader has and streams the rest. */
static int open_shrunk(wapf_context *ctx, const char *path, VipsImage *hdr,
                       uint64_t max_pixels, int exact, VipsImage **out) {
  uint64_t p = (uint64_t)hdr->Xsize * (uint64_t)hdr->Ysize;
  if (!exact && is_loader(hdr, "jpegload")) {
    for (int s = 2; s <= 8; s *= 2)
      if (p / ((uint64_t)s * s) <= max_pixels || s == 8) {
        wapf__log(ctx, WAPF_LOG_DEBUG, "jpeg shrink-on-load by %d", s);
        if (vips_jpegload(path, out, "shrink", s, "access",
                          VIPS_ACCESS_SEQUENTIAL, NULL))
          return wapf__from_vips(ctx, path);
        if ((uint64_t)(*out)->Xsize * (*out)->Ysize <= max_pixels)
          return WAPF_OK;
        g_object_unref(*out);
        *out = NULL;
        break;
      }
  }
  double f = sqrt((double)max_pixels / (double)p);
  int w = (int)(hdr->Xsize * f), h = (int)(hdr->Ysize * f);
  int side = w > h ? w : h;
  wapf__log(ctx, WAPF_LOG_DEBUG, "thumbnail to fit %dx%d", side, side);
  /* no_rotate: orientation is applied later, on the memory image. */
  if (vips_thumbnail(path, out, side, "height", side, "size", VIPS_SIZE_DOWN,
                     "no_rotate", TRUE, NULL))
    return wapf__from_vips(ctx, path);
  return WAPF_OK;
}

int wapf__img_open(wapf_context *ctx, const char *path, uint64_t max_pixels,
                   int exact, VipsImage **out) {
  VipsImage *hdr =
      vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
  if (!hdr)
    return wapf__from_vips(ctx, path);
  uint64_t p = (uint64_t)hdr->Xsize * (uint64_t)hdr->Ysize;
  if (max_pixels == 0 || p <= max_pixels) {
    *out = hdr;
    return WAPF_OK;
  }
  int rc = open_shrunk(ctx, path, hdr, max_pixels, exact, out);
  /* The orientation of the original (thumbnail may not carry it). */
  if (rc == WAPF_OK && vips_image_get_typeof(hdr, VIPS_META_ORIENTATION) &&
      !vips_image_get_typeof(*out, VIPS_META_ORIENTATION)) {
    int o = 1;
    vips_image_get_int(hdr, VIPS_META_ORIENTATION, &o);
    vips_image_set_int(*out, VIPS_META_ORIENTATION, o);
  }
  g_object_unref(hdr);
  return rc;
}

/* ICC-managed conversion to sRGB when a profile is embedded; returns 1
 * when it was done (the result carries an sRGB profile). */
static int icc_to_srgb(wapf_context *ctx, VipsImage **im) {
  VipsImage *x = NULL;
  if (!vips_image_get_typeof(*im, VIPS_META_ICC_NAME))
    return 0;
  if (vips_icc_transform(*im, &x, "srgb", "embedded", TRUE, "intent",
                         VIPS_INTENT_RELATIVE, "depth", 8, NULL) == 0 &&
      x) {
    g_object_unref(*im);
    *im = x;
    return 1;
  }
  char why[WAPF_DETAIL_MAX];
  wapf__strlcpy(why, vips_error_buffer(), sizeof why);
  wapf__trim_line(why); /* libvips ends its text with a newline */
  vips_error_clear();
  wapf__log(ctx, WAPF_LOG_WARNING,
            "ICC profile not usable (%s); converting without it", why);
  return 0;
}

/* Drop a profile that no longer describes the pixels. */
static int drop_icc(wapf_context *ctx, VipsImage **im) {
  VipsImage *x = NULL;
  if (!vips_image_get_typeof(*im, VIPS_META_ICC_NAME))
    return WAPF_OK;
  if (vips_copy(*im, &x, NULL))
    return wapf__from_vips(ctx, "copy");
  vips_image_remove(x, VIPS_META_ICC_NAME);
  g_object_unref(*im);
  *im = x;
  return WAPF_OK;
}

static int to_uchar_srgb(wapf_context *ctx, VipsImage **im) {
  VipsImage *x = NULL;
  int rc = WAPF_OK;
  VipsInterpretation t = vips_image_guess_interpretation(*im);
  if (t != VIPS_INTERPRETATION_sRGB || (*im)->BandFmt != VIPS_FORMAT_UCHAR) {
    if (t == VIPS_INTERPRETATION_MULTIBAND ||
        t == VIPS_INTERPRETATION_HISTOGRAM ||
        t == VIPS_INTERPRETATION_FOURIER || t == VIPS_INTERPRETATION_MATRIX) {
      /* No colour meaning: scale 16-bit values into 8 bits. */
      if ((*im)->BandFmt == VIPS_FORMAT_USHORT)
        rc = step(ctx, im, &x, vips_rshift_const1(*im, &x, 8, NULL), "rescale");
    } else {
      rc = step(ctx, im, &x,
                vips_colourspace(*im, &x, VIPS_INTERPRETATION_sRGB, NULL),
                "colour conversion");
    }
  }
  if (rc == WAPF_OK && (*im)->BandFmt != VIPS_FORMAT_UCHAR)
    rc = step(ctx, im, &x, vips_cast_uchar(*im, &x, NULL), "cast to 8 bits");
  return rc;
}

/* Exactly 3 colour bands (+ alpha when keep_alpha). */
static int shape_bands(wapf_context *ctx, VipsImage **im, int keep_alpha,
                       uint32_t bg) {
  VipsImage *x = NULL;
  int rc = WAPF_OK;
  int alpha = vips_image_hasalpha(*im);
  if (alpha && !keep_alpha) {
    double b[3] = {(bg >> 16) & 255, (bg >> 8) & 255, bg & 255};
    int nb = (*im)->Bands - 1 >= 3 ? 3 : 1;
    VipsArrayDouble *arr = vips_array_double_new(b, nb);
    rc = step(ctx, im, &x, vips_flatten(*im, &x, "background", arr, NULL),
              "flatten");
    vips_area_unref(VIPS_AREA(arr));
    if (rc == WAPF_OK && (*im)->BandFmt != VIPS_FORMAT_UCHAR)
      rc = step(ctx, im, &x, vips_cast_uchar(*im, &x, NULL), "cast");
    alpha = 0;
  }
  int colour = (*im)->Bands - alpha;
  if (rc == WAPF_OK && colour < 3) {
    VipsImage *c = NULL, *a = NULL;
    if (vips_extract_band(*im, &c, 0, "n", 1, NULL))
      return wapf__from_vips(ctx, "extract");
    VipsImage *parts[4] = {c, c, c, NULL};
    int n = 3;
    if (alpha && vips_extract_band(*im, &a, colour, "n", 1, NULL) == 0)
      parts[n++] = a;
    int r = vips_bandjoin(parts, &x, n, NULL);
    g_object_unref(c);
    if (a)
      g_object_unref(a);
    rc = step(ctx, im, &x, r, "grey to RGB");
  } else if (rc == WAPF_OK && colour > 3) {
    rc = step(ctx, im, &x, vips_extract_band(*im, &x, 0, "n", 3 + alpha, NULL),
              "extract bands");
  }
  if (rc == WAPF_OK && keep_alpha && !alpha)
    rc = step(ctx, im, &x, vips_bandjoin_const1(*im, &x, 255.0, NULL),
              "add alpha");
  if (rc == WAPF_OK)
    rc = step(
        ctx, im, &x,
        vips_copy(*im, &x, "interpretation", VIPS_INTERPRETATION_sRGB, NULL),
        "copy");
  return rc;
}

int wapf__img_to_srgb8(wapf_context *ctx, VipsImage *in, int keep_alpha,
                       uint32_t background, VipsImage **out) {
  VipsImage *im = in;
  g_object_ref(im);
  int icc = icc_to_srgb(ctx, &im);
  int rc = to_uchar_srgb(ctx, &im);
  if (rc == WAPF_OK && !icc)
    rc = drop_icc(ctx, &im);
  if (rc == WAPF_OK)
    rc = shape_bands(ctx, &im, keep_alpha, background);
  if (rc != WAPF_OK) {
    g_object_unref(im);
    return rc;
  }
  *out = im;
  return WAPF_OK;
}

int wapf__img_load_upright(wapf_context *ctx, const char *path,
                           uint64_t max_pixels, int exact, int keep_alpha,
                           uint32_t background, VipsImage **out) {
  VipsImage *im = NULL, *x = NULL;
  int rc = wapf__img_open(ctx, path, max_pixels, exact, &im);
  if (rc == WAPF_OK)
    rc = wapf__img_to_srgb8(ctx, im, keep_alpha, background, &x);
  if (im)
    g_object_unref(im);
  if (rc != WAPF_OK)
    return rc;
  /* One decode into memory; everything after reads it at random. */
  im = vips_image_copy_memory(x);
  g_object_unref(x);
  if (!im)
    return wapf__from_vips(ctx, path);
  rc = step(ctx, &im, &x, vips_autorot(im, &x, NULL), "autorot");
  if (rc != WAPF_OK) {
    g_object_unref(im);
    return rc;
  }
  *out = im;
  return WAPF_OK;
}

/* Resize an RGBA image by (hs, vs) with premultiplied alpha, so that
 * transparent pixels do not bleed their colour into the edges. */
static int resize_rgba(wapf_context *ctx, VipsImage **im, double hs,
                       double vs) {
  VipsImage *x = NULL;
  int rc = step(ctx, im, &x, vips_premultiply(*im, &x, NULL), "premultiply");
  if (rc == WAPF_OK)
    rc = step(ctx, im, &x, vips_resize(*im, &x, hs, "vscale", vs, NULL),
              "resize");
  if (rc == WAPF_OK)
    rc = step(ctx, im, &x, vips_unpremultiply(*im, &x, NULL), "unpremultiply");
  if (rc == WAPF_OK)
    rc = step(ctx, im, &x, vips_cast_uchar(*im, &x, NULL), "cast");
  return rc;
}

int wapf__img_fit_canvas(wapf_context *ctx, VipsImage *in, wapf_fit fit,
                         int side, double scale, VipsImage **out) {
  VipsImage *im = in, *x = NULL;
  g_object_ref(im);
  int box = (int)(side * scale + 0.5);
  if (box < 1)
    box = 1;
  double sx = (double)box / im->Xsize, sy = (double)box / im->Ysize;
  double s = fit == WAPF_FIT_COVER ? (sx > sy ? sx : sy) : (sx < sy ? sx : sy);
  int tw = (int)(im->Xsize * s + 0.5), th = (int)(im->Ysize * s + 0.5);
  tw = tw < 1 ? 1 : tw;
  th = th < 1 ? 1 : th;
  int rc = WAPF_OK;
  if (tw != im->Xsize || th != im->Ysize)
    rc = resize_rgba(ctx, &im, (double)tw / im->Xsize, (double)th / im->Ysize);
  double zero[4] = {0, 0, 0, 0};
  VipsArrayDouble *bg = vips_array_double_new(zero, 4);
  /* cover: crop the overflow to the box; then centre on the canvas. */
  if (rc == WAPF_OK && (im->Xsize > box || im->Ysize > box))
    rc = step(ctx, &im, &x,
              vips_gravity(im, &x, VIPS_COMPASS_DIRECTION_CENTRE,
                           im->Xsize > box ? box : im->Xsize,
                           im->Ysize > box ? box : im->Ysize, NULL),
              "crop");
  if (rc == WAPF_OK)
    rc = step(ctx, &im, &x,
              vips_gravity(im, &x, VIPS_COMPASS_DIRECTION_CENTRE, side, side,
                           "extend", VIPS_EXTEND_BACKGROUND, "background", bg,
                           NULL),
              "pad");
  vips_area_unref(VIPS_AREA(bg));
  if (rc != WAPF_OK) {
    g_object_unref(im);
    return rc;
  }
  *out = im;
  return WAPF_OK;
}

int wapf__img_write_all(wapf_context *ctx, wapf_tmpfile *out, const void *buf,
                        size_t len) {
  const uint8_t *p = buf;
  while (len > 0) {
    ssize_t w = write(out->fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return wapf__from_errno(ctx, w < 0 ? errno : EIO, "writing output");
    p += w;
    len -= (size_t)w;
  }
  return WAPF_OK;
}
