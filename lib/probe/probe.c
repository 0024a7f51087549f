/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf_probe: the front end. stat, size, MIME from the content, then the
 * reader that fits: WebP -> libwebp demux, other pictures -> libvips
 * header, else libavformat; what nothing reads is WAPF_MEDIA_OTHER. */
#include "probe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int wapf__check_pixels(wapf_context *ctx, const char *what, int64_t w,
                       int64_t h) {
  uint64_t px = (uint64_t)(w > 0 ? w : 0) * (uint64_t)(h > 0 ? h : 0);
  if (px > ctx->s.max_pixels)
    return wapf__fail(ctx, WAPF_ELIMIT,
                      "%s is %lldx%lld (%llu pixels), over the limit of %llu "
                      "pixels",
                      what, (long long)w, (long long)h, (unsigned long long)px,
                      (unsigned long long)ctx->s.max_pixels);
  return WAPF_OK;
}

void wapf__set_damage(wapf_facts *f, const char *fmt, ...) {
  if (f->damaged)
    return;
  va_list ap;
  va_start(ap, fmt);
  /* Out of memory keeps "" (damaged still says it). */
  (void)wapf__set_vstrf(&f->damage, fmt, ap);
  va_end(ap);
  f->damaged = 1;
}

void wapf_facts_free(wapf_facts **f) {
  if (!f || !*f)
    return;
  free((*f)->path);
  free((*f)->mime);
  free((*f)->damage);
  free((*f)->streams);
  free((*f)->image.delays_ms);
  free(*f);
  *f = NULL;
}

/* A path that exists, is a regular readable file, and is not empty. */
static int check_path(wapf_context *ctx, const char *path, int64_t *size) {
  struct stat st;
  if (stat(path, &st) != 0)
    return wapf__from_errno(ctx, errno, path);
  if (S_ISDIR(st.st_mode))
    return wapf__fail(ctx, WAPF_EISDIR, "%s is a directory, not a file", path);
  if (!S_ISREG(st.st_mode))
    return wapf__fail(ctx, WAPF_EINVAL,
                      "%s is not a regular file (a device, pipe or socket)",
                      path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wapf__from_errno(ctx, errno, path);
  close(fd);
  if (st.st_size == 0)
    return wapf__fail(ctx, WAPF_EEMPTY, "%s is empty (0 bytes)", path);
  *size = (int64_t)st.st_size;
  return WAPF_OK;
}

static wapf_facts *facts_new(const char *path, int64_t size) {
  wapf_facts *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->path = strdup(path);
  f->mime = strdup("");
  f->damage = strdup("");
  if (!f->path || !f->mime || !f->damage) {
    wapf_facts_free(&f);
    return NULL;
  }
  f->size = size;
  f->duration = -1;
  f->bit_rate = -1;
  f->moov_at_end = -1;
  f->image.alpha_used = -1;
  return f;
}

static void read_head(const char *path, uint8_t *head, size_t n) {
  memset(head, 0, n);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  if (pread(fd, head, n, 0) < 0)
    memset(head, 0, n);
  close(fd);
}

static int is_heif_mime(const char *mime) {
  return strcmp(mime, "image/heic") == 0 || strcmp(mime, "image/heif") == 0 ||
         strcmp(mime, "image/avif") == 0 ||
         strcmp(mime, "image/heic-sequence") == 0 ||
         strcmp(mime, "image/heif-sequence") == 0 ||
         strcmp(mime, "image/avif-sequence") == 0;
}

/* HEIF/AVIF: the pixel limit from the ispe boxes, before any library reads
 * further (libheif refuses some bombs with an unclear message). Sets
 * *sequence for an image sequence (animated AVIF), read as video. */
static int heif_precheck(wapf_context *ctx, wapf_facts *f, int *sequence) {
  wapf_boxinfo bi;
  int fd = open(f->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wapf__from_errno(ctx, errno, f->path);
  wapf__box_scan(fd, f->size, &bi);
  close(fd);
  *sequence = bi.has_avis;
  return wapf__check_pixels(ctx, "image", bi.ispe_w, bi.ispe_h);
}

/* A reader's failure that ends the probe (others mean "not for me"). */
static int fatal(int rc) {
  return rc == WAPF_ELIMIT || rc == WAPF_ENOMEM || rc == WAPF_ECANCELLED;
}

#define TRY(call)                                                              \
  do {                                                                         \
    rc = (call);                                                               \
    if (rc == WAPF_OK || fatal(rc))                                            \
      return rc;                                                               \
  } while (0)

/* Content that may be a picture for libvips: anything but audio, video,
 * text and application types (XML stays: SVG is often typed so; unknown
 * content and libmagic's inode/ types too: a symbolic link is named
 * inode/symlink). Audio, video and documents never start libvips. */
static int maybe_picture(const char *mime) {
  if (strstr(mime, "xml") || !strcmp(mime, "application/octet-stream"))
    return 1;
  return strncmp(mime, "video/", 6) && strncmp(mime, "audio/", 6) &&
         strncmp(mime, "text/", 5) && strncmp(mime, "application/", 12);
}

static int dispatch(wapf_context *ctx, wapf_facts *f) {
  uint8_t head[16];
  int rc, sequence = 0;
  read_head(f->path, head, sizeof head);
  if (memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "WEBP", 4) == 0) {
    TRY(wapf__probe_webp(ctx, f));
    return rc;
  }
  if (is_heif_mime(f->mime)) {
    rc = heif_precheck(ctx, f, &sequence);
    if (rc != WAPF_OK)
      return rc;
  }
  /* Content that libmagic calls audio or video goes to libavformat first:
   * libvips' loader search would ask every loader (each opening the file,
   * ImageMagick's too) before failing on it. */
  int av_first = sequence || !strncmp(f->mime, "video/", 6) ||
                 !strncmp(f->mime, "audio/", 6);
  if (av_first)
    TRY(wapf__probe_av(ctx, f));
  char av_why[WAPF_DETAIL_MAX];
  wapf__strlcpy(av_why, ctx->detail, sizeof av_why);
  if (maybe_picture(f->mime))
    TRY(wapf__probe_image(ctx, f));
  if (av_first) { /* libavformat's reason for audio/video content */
    wapf__strlcpy(ctx->detail, av_why, sizeof ctx->detail);
    return rc;
  }
  /* For a picture type, the picture reader's reason is the one to keep. */
  char why[WAPF_DETAIL_MAX];
  wapf__strlcpy(why, ctx->detail, sizeof why);
  TRY(wapf__probe_av(ctx, f));
  if (!strncmp(f->mime, "image/", 6) && why[0])
    wapf__strlcpy(ctx->detail, why, sizeof ctx->detail);
  return rc;
}

/* The short name of a document type, for files no media library reads. */
static const char *other_format(const char *mime) {
  static const char *const map[][2] = {
      {"application/pdf", "pdf"},
      {"text/plain", "txt"},
      {"application/zip", "zip"},
      {"application/msword", "doc"},
      {"application/vnd.ms-excel", "xls"},
      {"application/vnd.ms-powerpoint", "ppt"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml."
       "document",
       "docx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       "xlsx"},
      {"application/vnd.openxmlformats-officedocument.presentationml."
       "presentation",
       "pptx"},
      {"application/vnd.oasis.opendocument.text", "odt"},
      {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
      {"application/vnd.oasis.opendocument.presentation", "odp"},
      {"text/html", "html"},
      {"text/csv", "csv"},
      {"application/json", "json"},
      {"application/gzip", "gzip"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(mime, map[i][0]) == 0)
      return map[i][1];
  return "";
}

/* Nothing read it: OTHER. Content that says it is media but that no
 * library can read is also marked damaged, with the readers' reason. */
static void as_other(wapf_context *ctx, wapf_facts *f) {
  f->media = WAPF_MEDIA_OTHER;
  wapf__strlcpy(f->format, other_format(f->mime), sizeof f->format);
  if (!strncmp(f->mime, "image/", 6) || !strncmp(f->mime, "audio/", 6) ||
      !strncmp(f->mime, "video/", 6))
    wapf__set_damage(
        f, "unsupported or damaged: no library here can read this %s file (%s)",
        f->mime, ctx->detail[0] ? ctx->detail : "unknown reason");
  wapf__log(ctx, WAPF_LOG_INFO, "%s: not a picture or audio/video (%s)",
            f->path, f->mime);
}

static int content_type(wapf_context *ctx, wapf_facts *f) {
  int rc = wapf__magic_mime(ctx, f->path, &f->mime);
  if (rc == WAPF_OK || rc == WAPF_ENOMEM)
    return rc;
  wapf__log(ctx, WAPF_LOG_WARNING, "%s: content type unknown: %s", f->path,
            ctx->detail);
  return wapf__set_str(&f->mime, "application/octet-stream");
}

static int probe_file(wapf_context *ctx, const char *path, wapf_facts **out) {
  wapf__clear(ctx);
  wapf__input_forget(ctx); /* the last probe's demuxer: not for these facts */
  if (!path || !*path || !out)
    return wapf__fail(ctx, WAPF_EINVAL, "probe: no path or no output");
  int64_t size = 0;
  int rc = check_path(ctx, path, &size);
  if (rc != WAPF_OK)
    return rc;
  wapf_facts *f = facts_new(path, size);
  if (!f)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  rc = content_type(ctx, f);
  if (rc == WAPF_OK)
    rc = dispatch(ctx, f);
  if (rc == WAPF_EUNSUPPORTED || rc == WAPF_ECORRUPT || rc == WAPF_EINTERNAL ||
      rc == WAPF_EIO) {
    as_other(ctx, f);
    rc = WAPF_OK;
  }
  if (rc != WAPF_OK) {
    wapf_facts_free(&f);
    return rc;
  }
  ctx->detail[0] = '\0';
  *out = f;
  return WAPF_OK;
}

int wapf_probe(wapf_context *ctx, const char *path, wapf_facts **out) {
  if (!ctx)
    return WAPF_EINVAL;
  wapf__enter(ctx);
  int rc = probe_file(ctx, path, out);
  wapf__leave(ctx);
  return rc;
}
