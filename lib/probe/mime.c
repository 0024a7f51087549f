/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Content types: libmagic (one handle per context, loaded on its first
 * probe and closed by wapf_close) and the usual MIME types of the
 * containers libavformat reads. */
#include "probe_internal.h"

#include <magic.h>
#include <string.h>

/* A magic_t is not thread-safe; a context is used by one thread at a time,
 * so its own handle needs no lock. Loading the database costs far more
 * than a look-up: it is done once per context. */
static magic_t context_magic(wapf_context *ctx, int *rc) {
  if (ctx->magic)
    return ctx->magic;
  magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
  if (!m) {
    *rc = wapf__fail(ctx, WAPF_ENOMEM, "libmagic: cannot open a handle");
    return NULL;
  }
  /* libmagic 5.40+ reads 7 MiB at the start and 7 MiB at the end of each
   * file; its earlier default of 1 MiB is plenty for a type. */
  size_t bytes_max = 1 << 20;
  (void)magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bytes_max);
  if (magic_load(m, NULL) != 0) {
    *rc = wapf__fail(ctx, WAPF_EINTERNAL,
                     "libmagic: cannot load its database: %s",
                     magic_error(m) ? magic_error(m) : "unknown error");
    magic_close(m);
    return NULL;
  }
  ctx->magic = m;
  return m;
}

void wapf__magic_release(wapf_context *ctx) {
  if (ctx->magic)
    magic_close(ctx->magic);
  ctx->magic = NULL;
}

int wapf__magic_mime(wapf_context *ctx, const char *path, char **out) {
  int rc = WAPF_OK;
  magic_t m = context_magic(ctx, &rc);
  if (!m)
    return rc;
  const char *mime = magic_file(m, path);
  if (!mime) {
    const char *err = magic_error(m);
    return wapf__fail(ctx, WAPF_EIO, "libmagic: %s",
                      err ? err : "cannot read the file");
  }
  if (wapf__set_str(out, mime) != WAPF_OK)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  return WAPF_OK;
}

typedef struct format_mime {
  const char *format;
  const char *video; /* with a real video stream */
  const char *audio; /* audio only */
} format_mime;

static const format_mime format_mimes[] = {
    {"mp4", "video/mp4", "audio/mp4"},
    {"mov", "video/quicktime", "video/quicktime"},
    {"3gp", "video/3gpp", "audio/3gpp"},
    {"matroska", "video/x-matroska", "audio/x-matroska"},
    {"webm", "video/webm", "audio/webm"},
    {"mpegts", "video/mp2t", "video/mp2t"},
    {"mpeg", "video/mpeg", "video/mpeg"},
    {"avi", "video/x-msvideo", "video/x-msvideo"},
    {"flv", "video/x-flv", "video/x-flv"},
    {"asf", "video/x-ms-asf", "audio/x-ms-wma"},
    {"ogg", "video/ogg", "audio/ogg"},
    {"wav", "audio/wav", "audio/wav"},
    {"w64", "audio/wav", "audio/wav"},
    {"flac", "audio/flac", "audio/flac"},
    {"mp3", "audio/mpeg", "audio/mpeg"},
    {"aac", "audio/aac", "audio/aac"},
    {"amr", "audio/amr", "audio/amr"},
    {"aiff", "audio/aiff", "audio/aiff"},
    {"caf", "audio/x-caf", "audio/x-caf"},
    {"ac3", "audio/ac3", "audio/ac3"},
    {"opus", "audio/ogg", "audio/ogg"},
};

const char *wapf__av_format_mime(const char *format, int has_video) {
  for (size_t i = 0; i < sizeof format_mimes / sizeof format_mimes[0]; i++)
    if (strcmp(format_mimes[i].format, format) == 0)
      return has_video ? format_mimes[i].video : format_mimes[i].audio;
  return NULL;
}
