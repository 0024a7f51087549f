/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A baseline JPEG in one pass, with Huffman tables fitted on a sample.
 *
 * libjpeg's optimize_coding writes the smallest baseline file of a given
 * quality, but it keeps the DCT coefficients of the whole picture (two
 * bytes a sample: as much memory again as the 8-bit RGB pixels) and goes
 * over them twice. The frequencies of a picture's Huffman symbols are
 * well estimated on a sample of its rows: the tables of an optimized
 * encode of the sample are widened to every symbol (one the sample never
 * used gets a long code) and the whole picture is then encoded once with
 * them, its rows streamed from the pixels (vips_sink_disc). libjpeg's
 * errors are translated here, once; its messages are never printed. */
#include "image.h"

#include <setjmp.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

/* libjpeg's own optimal-table builder (the Annex K.2 procedure its
 * optimize_coding runs): exported by libjpeg 6b and every libjpeg-turbo
 * (LIBJPEG_6.2), declared only in its internal jchuff.h. */
extern void jpeg_gen_optimal_table(j_compress_ptr cinfo, JHUFF_TBL *htbl,
                                   long freq[]);

typedef struct jerr {
  struct jpeg_error_mgr pub;
  jmp_buf jb;
} jerr;

/* The output grows in memory (g_malloc'ed, handed to the caller). */
typedef struct jdest {
  struct jpeg_destination_mgr pub;
  uint8_t *buf;
  size_t cap;
} jdest;

typedef struct onepass {
  struct jpeg_compress_struct c;
  jerr err;
  jdest dest;
  wapf_context *ctx;
} onepass;

static void on_error(j_common_ptr c) {
  longjmp(((jerr *)c->err)->jb, 1);
}

static void on_message(j_common_ptr c) {
  (void)c;
}

static void dest_init(j_compress_ptr c) {
  jdest *d = (jdest *)c->dest;
  d->pub.next_output_byte = d->buf;
  d->pub.free_in_buffer = d->cap;
}

static boolean dest_grow(j_compress_ptr c) {
  jdest *d = (jdest *)c->dest;
  uint8_t *b = g_try_realloc(d->buf, d->cap * 2);
  if (!b)
    ERREXIT1(c, JERR_OUT_OF_MEMORY, 0);
  d->buf = b;
  d->pub.next_output_byte = b + d->cap;
  d->pub.free_in_buffer = d->cap;
  d->cap *= 2;
  return TRUE;
}

static void dest_term(j_compress_ptr c) {
  (void)c;
}

/* Huffman code lengths by symbol (lens[class][table][symbol]) read from
 * the DHT segments of a whole JPEG file; the number of tables found. */
static int dht_lengths(const uint8_t *p, size_t n, uint8_t lens[2][2][256]) {
  int found = 0;
  size_t i = 2;
  while (i + 4 <= n && p[i] == 0xFF && p[i + 1] != 0xDA) {
    size_t seg = 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
    if (i + seg > n)
      return 0;
    for (size_t j = i + 4; p[i + 1] == 0xC4 && j + 17 <= i + seg; found++) {
      int tc = p[j] >> 4, th = p[j] & 15;
      size_t k = j + 17;
      for (int l = 1; l <= 16; l++)
        for (int m = 0; m < p[j + l]; m++, k++)
          if (k < i + seg && tc < 2 && th < 2)
            lens[tc][th][p[k]] = (uint8_t)l;
      j = k;
    }
    i += seg;
  }
  return found;
}

/* The symbols a baseline 8-bit scan may use: DC categories 0-11; AC
 * end-of-block, sixteen zeros, and (run, size 1-10). */
static int symbol_valid(int ac, int s) {
  if (!ac)
    return s <= 11;
  return s == 0x00 || s == 0xF0 || ((s & 15) >= 1 && (s & 15) <= 10);
}

/* An optimal table for frequencies 2^-length of the sample's code, every
 * other valid symbol counted as the rarest. */
static void fit_table(j_compress_ptr c, JHUFF_TBL *t, const uint8_t *lens,
                      int ac) {
  long freq[257] = {0};
  for (int s = 0; s < 256; s++)
    if (symbol_valid(ac, s))
      freq[s] = lens[s] ? 1L << (17 - lens[s]) : 1;
  jpeg_gen_optimal_table(c, t, freq);
}

/* Rows of the picture, top to bottom, from libvips' write thread. */
static int write_rows(VipsRegion *r, VipsRect *area, void *a) {
  onepass *o = a;
  if (wapf__cancelled(o->ctx))
    return -1;
  if (setjmp(o->err.jb))
    return -1;
  for (int y = area->top; y < VIPS_RECT_BOTTOM(area); y++) {
    JSAMPROW row = (JSAMPROW)VIPS_REGION_ADDR(r, area->left, y);
    jpeg_write_scanlines(&o->c, &row, 1);
  }
  return 0;
}

/* Set up the compressor; 0 when libjpeg refused (error raised). */
static int start(onepass *o, VipsImage *im, int q, uint8_t lens[2][2][256]) {
  if (setjmp(o->err.jb))
    return 0;
  jpeg_create_compress(&o->c);
  o->c.dest = &o->dest.pub;
  o->c.image_width = (JDIMENSION)im->Xsize;
  o->c.image_height = (JDIMENSION)im->Ysize;
  o->c.input_components = 3;
  o->c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&o->c);
  jpeg_set_quality(&o->c, q, TRUE);
  /* 4:2:0, tables 0 for luma and 1 for chroma (libjpeg's defaults) */
  for (int t = 0; t < 2; t++) {
    fit_table(&o->c, o->c.dc_huff_tbl_ptrs[t], lens[0][t], 0);
    fit_table(&o->c, o->c.ac_huff_tbl_ptrs[t], lens[1][t], 1);
  }
  jpeg_start_compress(&o->c, TRUE);
  return 1;
}

static int finish(onepass *o) {
  if (setjmp(o->err.jb))
    return 0;
  jpeg_finish_compress(&o->c);
  return 1;
}

static int from_jpeg(wapf_context *ctx, onepass *o) {
  char msg[JMSG_LENGTH_MAX] = "";
  if (o->err.pub.msg_code)
    o->err.pub.format_message((j_common_ptr)&o->c, msg);
  int code =
      o->err.pub.msg_code == JERR_OUT_OF_MEMORY ? WAPF_ENOMEM : WAPF_EINTERNAL;
  return wapf__fail(ctx, code, "JPEG encode: %s",
                    msg[0] ? msg : "libjpeg error");
}

static int sink_failed(wapf_context *ctx, onepass *o) {
  if (wapf__cancelled(ctx)) {
    vips_error_clear();
    return wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
  }
  return o->err.pub.msg_code ? from_jpeg(ctx, o)
                             : wapf__from_vips(ctx, "JPEG encode");
}

int wapf__jpeg_onepass(wapf_context *ctx, VipsImage *im, const void *sample,
                       size_t sample_len, int q, size_t size_hint, void **buf,
                       size_t *len) {
  uint8_t lens[2][2][256];
  memset(lens, 0, sizeof lens);
  if (im->Bands != 3 || im->BandFmt != VIPS_FORMAT_UCHAR)
    return wapf__fail(ctx, WAPF_EINTERNAL, "JPEG encode: not 8-bit RGB");
  if (dht_lengths(sample, sample_len, lens) < 4)
    return wapf__fail(ctx, WAPF_EINTERNAL,
                      "JPEG encode: no Huffman tables in the sample");
  onepass *o = g_try_new0(onepass, 1);
  if (!o)
    return wapf__fail(ctx, WAPF_ENOMEM, "JPEG encode: out of memory");
  o->ctx = ctx;
  o->c.err = jpeg_std_error(&o->err.pub);
  o->err.pub.error_exit = on_error;
  o->err.pub.output_message = on_message;
  o->dest.cap = size_hint > 65536 ? size_hint : 65536;
  o->dest.buf = g_try_malloc(o->dest.cap);
  o->dest.pub.init_destination = dest_init;
  o->dest.pub.empty_output_buffer = dest_grow;
  o->dest.pub.term_destination = dest_term;
  int rc = WAPF_OK;
  if (!o->dest.buf)
    rc = wapf__fail(ctx, WAPF_ENOMEM, "JPEG encode: out of memory");
  else if (!start(o, im, q, lens))
    rc = from_jpeg(ctx, o);
  else if (vips_sink_disc(im, write_rows, o))
    rc = sink_failed(ctx, o);
  else if (!finish(o))
    rc = from_jpeg(ctx, o);
  if (rc == WAPF_OK) {
    *len = o->dest.cap - o->dest.pub.free_in_buffer;
    *buf = o->dest.buf;
  } else {
    g_free(o->dest.buf);
  }
  jpeg_destroy_compress(&o->c);
  g_free(o);
  return rc;
}

size_t wapf__jpeg_header_len(const uint8_t *p, size_t n) {
  size_t i = 2;
  while (i + 4 <= n && p[i] == 0xFF) {
    size_t seg = 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
    if (p[i + 1] == 0xDA)
      return i + seg < n ? i + seg : n;
    i += seg;
  }
  return n;
}
