/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the files of the probe module (lib/probe). Not
 * installed, not used outside lib/probe and tests/probe. */
#ifndef WAPF_PROBE_INTERNAL_H
#define WAPF_PROBE_INTERNAL_H

#include "modules.h"

#include <stddef.h>
#include <stdint.h>

/* ---- content type (mime.c) ---- */

/* The MIME type of the file's content from libmagic ("text/plain", ...),
 * into the owned string *out (replaced). Returns WAPF_OK, or
 * WAPF_EINTERNAL / WAPF_EIO / WAPF_ENOMEM with a detail when libmagic
 * cannot be loaded or cannot read the file. */
int wapf__magic_mime(wapf_context *ctx, const char *path, char **out);

/* The usual MIME type of an audio/video container short name ("mp4",
 * "matroska", ...); has_video picks video/ over audio/ where both exist.
 * NULL when the format has no well-known type. */
const char *wapf__av_format_mime(const char *format, int has_video);

/* A big-endian 32-bit field. */
static inline uint32_t wapf__be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* ---- ISO base media boxes (mp4box.c) ---- */

typedef struct wapf_box {
  int64_t pos;  /* offset of the header */
  int64_t size; /* whole box, header included */
  int hdr;      /* header length: 8 or 16 */
  char type[5];
} wapf_box;

/* Read the box header at pos inside [pos, end) of an open file. Returns 1
 * for a box that fits, 2 for one that runs past end (size clamped to end,
 * as libavformat clamps a child to its parent), 0 when no header can be
 * read. any_type 0 also refuses a type that is not printable. */
int wapf__box_read(int fd, int64_t pos, int64_t end, int any_type, wapf_box *b);

typedef struct wapf_boxinfo {
  int is_isobmff;   /* the file starts with a plausible ftyp/moov/... box */
  char brand[5];    /* ftyp major brand, "" when absent */
  int has_brand_qt; /* major or compatible brand "qt  " */
  int64_t moov_pos; /* offset of the first top-level moov, -1 none */
  int64_t mdat_pos; /* offset of the first top-level mdat, -1 none */
  int has_moof;     /* a top-level moof box */
  int has_mvex;     /* moov holds an mvex box */
  int has_avis;     /* brand "avis"/"msf1": an image sequence */
  uint32_t ispe_w;  /* largest HEIF image spatial extent, 0 when none */
  uint32_t ispe_h;
} wapf_boxinfo;

/* Walk the top-level boxes of an open file of the given size (bounded,
 * 64-bit sizes, size 0 = to the end). Never fails: what it cannot read is
 * left at its "absent" value. */
void wapf__box_scan(int fd, int64_t size, wapf_boxinfo *bi);

/* 1, with a one-line reason in why, when an ISO base media file declares
 * what would make libavformat's MOV demuxer allocate far more than the
 * file holds (mp4tables.c): a sample or edit table (stts, ctts, stsc,
 * stsz, stz2, stco, co64, stss, stps, elst, sbgp, sgpd, keys, trun) with
 * more entries than its box or the file can hold, sample tables adding up
 * to more than WAPF__MP4_MAX_SAMPLES index entries, a compressed movie header
 * (cmov), or more boxes than the walk visits. Reads box headers, 24 bytes
 * of each table and the stsc entries; the walk follows the demuxer's own
 * (from byte 0, every box it reads children from, sample descriptions
 * searched byte by byte). */
int wapf__box_tables_bad(int fd, int64_t size, char *why, size_t n);
#define WAPF__MP4_MAX_SAMPLES (1u << 24)

/* 1, with a one-line reason, when a RIFF file (WAV, AVI) has a LIST INFO
 * chunk that runs past the end of the file (riff.c). */
int wapf__riff_info_bad(int fd, int64_t size, char *why, size_t n);

/* 1, with a one-line reason, when a PNG has a chunk other than IDAT that
 * runs past the end of the file or is larger than any metadata needs:
 * libpng allocates such a chunk's declared length before reading it
 * (pngchunks.c). Reads chunk headers only, bounded. */
int wapf__png_chunks_bad(int fd, int64_t size, char *why, size_t n);

/* ---- EXIF (exif.c) ---- */

/* Read the orientation (1..8, 0 absent) and whether a GPS position is
 * present from an EXIF block (TIFF header, optionally after "Exif\0\0").
 * Bounds-checked; a malformed block leaves the outputs at 0. */
void wapf__exif_scan(const uint8_t *buf, size_t len, int *orientation,
                     int *has_gps);

/* ---- structural damage checks (damage.c) ---- */

/* Walk the file's markers/chunks; on damage fill why (one line) and
 * return 1, else 0. Read sequentially with a small buffer. */
/* 1 when an ICC profile's description names sRGB (icc.c). */
int wapf__icc_is_srgb(const uint8_t *icc, size_t n);

int wapf__jpeg_damaged(int fd, int64_t size, char *why, size_t whysize);
int wapf__png_damaged(int fd, int64_t size, char *why, size_t whysize);

/* ---- shared by the back ends (probe.c) ---- */

/* ELIMIT check of a picture/video size against the context's settings. */
int wapf__check_pixels(wapf_context *ctx, const char *what, int64_t w,
                       int64_t h);

/* Set f->damaged with a one-line reason (the first reason wins). */
void wapf__set_damage(wapf_facts *f, const char *fmt, ...) WAPF_PRINTF(2, 3);

/* HEIF/AVIF (heif_items.c): 1 when an AV1 item's data is empty (libheif
 * would hand dav1d an empty buffer, which dav1d reports on stderr), with
 * the reason in why. fd is read with pread() only. */
int wapf__heif_empty_item(int fd, int64_t size, char *why, size_t n);

#endif
