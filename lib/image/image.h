/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal declarations of the image module (lib/image). Not installed.
 *
 * Layout of the module:
 *   pixels.c        load with shrink-on-load, upright, 8-bit sRGB, alpha
 *   encode_budget.c image -> JPEG/PNG within a byte budget (quality search)
 *   jpeg_onepass.c  one-pass JPEG, Huffman tables fitted on a sample
 *   bands.c         the row bands a size prediction encodes
 *   image_convert.c wapf__image_convert(): ENCODE_IMAGE and STRIP_METADATA
 *   strip.c         lossless metadata removal (JPEG segments, PNG chunks)
 *   webp_util.c     libwebp status translation, EXIF pack chunk, muxing
 *   sticker_static.c static sticker: 512x512 WebP within 100,000 bytes
 *   frames.c        animated sources -> 512x512 RGBA frames with times
 *   sticker_anim.c  animated sticker: WebPAnimEncoder within 500,000 bytes
 *   sticker.c       wapf__sticker_convert(): dispatch static / animated
 */
#ifndef WAPF_IMAGE_H
#define WAPF_IMAGE_H

#include "modules.h"

#include <vips/vips.h>
#include <webp/encode.h>
#include <webp/mux.h>

/* WhatsApp's limits this module aims at (decimal, strict). */
#define WAPF_IMAGE_LIMIT 5000000
#define WAPF_STICKER_LIMIT 100000
#define WAPF_ANIM_STICKER_LIMIT 500000
#define WAPF_STICKER_SIDE 512
#define WAPF_ANIM_MAX_MS 10000
#define WAPF_ANIM_MIN_FRAME_MS 8

/* Largest picture (pixels) decoded into memory for the quality search;
 * larger inputs are shrunk on load to fit (16 MP = 48 MB as 8-bit RGB). */
#define WAPF_WORK_MAX_PIXELS 16000000

/* Row bands a size prediction encodes (bands.c, encode_budget.c). */
#define WAPF_SAMPLE_BANDS 12

/* ---- pixels.c ---- */

/* Open path for reading pixels (not yet upright), shrunk on load so that
 * it has at most max_pixels pixels (0 = no limit): a JPEG by the DCT
 * shrink (2, 4, 8) unless exact, else vips_thumbnail() to max_pixels.
 * Sequential access. *out is a new reference. */
int wapf__img_open(wapf_context *ctx, const char *path, uint64_t max_pixels,
                   int exact, VipsImage **out);

/* Convert to 8-bit sRGB: ICC profiles are converted (CMYK, P3, Rec.2020,
 * 16-bit, grey, Lab all end as sRGB uchar). With keep_alpha the result has
 * 4 bands (an opaque alpha added when there was none); without, alpha is
 * flattened onto background (0xRRGGBB) and the result has 3 bands. */
int wapf__img_to_srgb8(wapf_context *ctx, VipsImage *in, int keep_alpha,
                       uint32_t background, VipsImage **out);

/* The first frame of an image sequence (animated AVIF/HEIF, probed as
 * audio/video) decoded with FFmpeg, upright, alpha flattened onto
 * background: 8-bit sRGB, 3 bands, in memory (first_frame.c). */
int wapf__img_first_frame(wapf_context *ctx, const wapf_facts *f,
                          uint32_t background, VipsImage **out);

/* open + to_srgb8, then one decode into memory and the orientation
 * applied (vips_autorot: the tag is removed). *out reads from memory. */
int wapf__img_load_upright(wapf_context *ctx, const char *path,
                           uint64_t max_pixels, int exact, int keep_alpha,
                           uint32_t background, VipsImage **out);

/* Fit an sRGB RGBA image on a side x side transparent canvas: contain
 * scales the picture so its long side is side*scale (centred, padded);
 * cover fills the canvas and crops the overflow (scale < 1 shrinks the
 * whole canvas content the same way and pads). */
int wapf__img_fit_canvas(wapf_context *ctx, VipsImage *in, wapf_fit fit,
                         int side, double scale, VipsImage **out);

/* Write a buffer to the temporary output. */
int wapf__img_write_all(wapf_context *ctx, wapf_tmpfile *out, const void *buf,
                        size_t len);

/* ---- encode_budget.c ---- */

typedef struct wapf_budget_result {
  void *buf; /* g_free() */
  size_t len;
  int quality; /* JPEG Q used, 0 for PNG */
  int width, height;
} wapf_budget_result;

/* Encode the in-memory image im (8-bit sRGB, 3 bands) as JPEG (png = 0)
 * or PNG within budget bytes: the highest JPEG quality from 90 down to 75
 * that fits, else the largest size that fits. strip drops metadata. */
int wapf__img_encode_budget(wapf_context *ctx, const wapf_options *opt,
                            VipsImage *im, int png, int strip, size_t budget,
                            wapf_budget_result *res);

/* Opens the picture to encode, streamed: 8-bit sRGB, 3 bands, upright
 * (*out, a new reference; NULL with WAPF_OK when it cannot be streamed
 * upright). */
typedef int (*wapf_img_opener)(void *arg, VipsImage **out);

/* JPEG without metadata within budget without holding the picture: the
 * source is opened twice (bands, then the one-pass encode). res->buf is
 * NULL (and WAPF_OK) when this route does not apply or does not fit: the
 * caller then loads the picture and calls wapf__img_encode_budget. */
int wapf__img_encode_streamed(wapf_context *ctx, const wapf_options *opt,
                              wapf_img_opener open, void *arg, size_t budget,
                              wapf_budget_result *res);

/* ---- jpeg_onepass.c ---- */

/* Encode im (8-bit RGB, 3 bands) as a baseline 4:2:0 JPEG of quality q
 * without metadata, in one pass, with Huffman tables fitted on sample
 * (a whole JPEG file of rows of the same picture, optimized tables). No
 * buffer of the whole picture's coefficients is kept. size_hint: the
 * expected size (the output buffer's first allocation). *buf is
 * g_malloc'ed (g_free). WAPF_EINTERNAL when the sample has no tables or
 * libjpeg refuses, WAPF_ENOMEM. */
int wapf__jpeg_onepass(wapf_context *ctx, VipsImage *im, const void *sample,
                       size_t sample_len, int q, size_t size_hint, void **buf,
                       size_t *len);

/* Bytes of a JPEG file before its entropy-coded data (through the SOS
 * header); n when there is no SOS. */
size_t wapf__jpeg_header_len(const uint8_t *p, size_t n);

/* ---- bands.c ---- */

/* Height of each of the WAPF_SAMPLE_BANDS bands sampled from a picture
 * of this height (a multiple of 16), 0 when it is too low to sample. */
int wapf__bands_height(int height);

/* The bands of an in-memory picture stacked into one in-memory picture
 * (*out, a new reference, sRGB). */
int wapf__bands_crop(wapf_context *ctx, VipsImage *im, VipsImage **out);

/* The same from a streamed (sequential) picture, read once, top to
 * bottom, keeping only the bands' rows. WAPF_ECANCELLED when cancelled. */
int wapf__bands_stream(wapf_context *ctx, VipsImage *src, VipsImage **out);

/* ---- strip.c ---- */

/* Copy a JPEG or PNG without its private metadata (EXIF incl. GPS, XMP,
 * IPTC, comments, text chunks), byte for byte otherwise: the compressed
 * pixels are not touched. An EXIF orientation of 1 is kept as a minimal
 * EXIF block. WAPF_EUNSUPPORTED when the file is neither JPEG nor PNG or
 * its orientation is not 1 (then it must be re-encoded). */
int wapf__img_strip(wapf_context *ctx, const char *path, wapf_tmpfile *out);

/* Pure functions for the above (tested directly): rewrite the bytes of a
 * whole JPEG / PNG file into a new malloc'ed buffer. Return WAPF_OK,
 * WAPF_ECORRUPT (bad structure), WAPF_EUNSUPPORTED (orientation not 1),
 * WAPF_ENOMEM. */
int wapf__strip_jpeg(const uint8_t *in, size_t n, uint8_t **out, size_t *out_n);
int wapf__strip_png(const uint8_t *in, size_t n, uint8_t **out, size_t *out_n);
/* EXIF orientation found in a TIFF block (0 when absent or unreadable). */
int wapf__exif_orientation(const uint8_t *tiff, size_t n);

/* ---- webp_util.c ---- */

/* Translate libwebp's codes once, here. */
int wapf__from_vp8(wapf_context *ctx, int vp8_status, const char *what);
int wapf__from_mux(wapf_context *ctx, int mux_err, const char *what);
int wapf__from_webp_enc(wapf_context *ctx, int enc_err, const char *what);

/* The EXIF payload WhatsApp reads for sticker pack metadata (a
 * little-endian TIFF with one tag 0x5741 holding the pack JSON). NULL
 * (and WAPF_OK) when opt sets no pack field. *out is malloc'ed. */
int wapf__sticker_exif(wapf_context *ctx, const wapf_options *opt,
                       uint8_t **out, size_t *out_n);

/* Re-assemble a WebP file with an EXIF chunk (exif may be NULL: the input
 * is copied). *out is a WebPData owned by the caller (WebPDataClear). */
int wapf__webp_add_exif(wapf_context *ctx, const uint8_t *webp, size_t n,
                        const uint8_t *exif, size_t exif_n, WebPData *out);

/* ---- sticker_static.c ---- */
int wapf__sticker_static(wapf_context *ctx, const wapf_facts *f,
                         const wapf_options *opt, wapf_tmpfile *out,
                         wapf_result *res);

/* ---- frames.c ---- */

/* One frame of an animated sticker: side x side RGBA (tightly packed),
 * shown from t_ms (ms from the start). */
typedef struct wapf_frame {
  uint8_t *rgba;
  int64_t t_ms;
} wapf_frame;

typedef struct wapf_frames {
  wapf_frame *v;
  int n, cap;
  int side;       /* canvas side (512) */
  int64_t end_ms; /* end of the last frame (total duration) */
  int64_t max_ms; /* nothing kept at or after this (10 s or less) */
  int64_t src_ms; /* duration of the source (before any trim), -1 */
  double scale;   /* picture scale inside the canvas (1 = full) */
  int trimmed;    /* the source was longer than the 10 s kept */
  size_t bytes;   /* memory held by the frames */
} wapf_frames;

/* Decode an animated source (GIF, animated WebP, or video through lib/av)
 * into at most max_fps frames per second of at most WAPF_ANIM_MAX_MS
 * (or opt->duration), from opt->start, each fitted on the canvas as
 * opt->fit says, the picture scaled by scale (1 = fill the canvas). */
int wapf__frames_load(wapf_context *ctx, const wapf_facts *f,
                      const wapf_options *opt, double max_fps, double scale,
                      wapf_frames *fr);
void wapf__frames_free(wapf_frames *fr);
/* Append one frame (copied from rgba, stride bytes a row, w x h); it is
 * fitted on the canvas. Frames closer than min_gap_ms to the previous
 * kept one are skipped. */
int wapf__frames_add(wapf_context *ctx, wapf_frames *fr, const uint8_t *rgba,
                     int w, int h, int stride, int64_t t_ms, wapf_fit fit,
                     int64_t min_gap_ms);

/* ---- sticker_anim.c ---- */
int wapf__sticker_animated(wapf_context *ctx, const wapf_facts *f,
                           const wapf_options *opt, wapf_tmpfile *out,
                           wapf_result *res);

#endif
