/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Foreign error codes (FFmpeg, libvips, errno) translated in one place. */
#include "internal.h"

#include <errno.h>
#include <string.h>

#include <libavutil/error.h>
#include <vips/vips.h>

int wapf__from_averror(wapf_context *ctx, int averr, const char *what) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = "";
  av_strerror(averr, buf, sizeof buf);
  int code;
  switch (averr) {
  case AVERROR(ENOMEM): code = WAPF_ENOMEM; break;
  case AVERROR(ENOENT): code = WAPF_ENOENT; break;
  case AVERROR(EIO): code = WAPF_EIO; break;
  case AVERROR_EXIT: code = WAPF_ECANCELLED; break;
  case AVERROR_DECODER_NOT_FOUND:
  case AVERROR_DEMUXER_NOT_FOUND:
  case AVERROR_ENCODER_NOT_FOUND:
  case AVERROR_PATCHWELCOME:
  case AVERROR(ENOSYS): code = WAPF_EUNSUPPORTED; break;
  case AVERROR_INVALIDDATA:
  case AVERROR_EOF: code = WAPF_ECORRUPT; break;
  default: code = WAPF_EINTERNAL; break;
  }
  return wapf__fail(ctx, code, "%s: %s", what, buf);
}

int wapf__from_vips(wapf_context *ctx, const char *what) {
  char buf[WAPF_DETAIL_MAX];
  wapf__strlcpy(buf, vips_error_buffer(), sizeof buf);
  vips_error_clear();
  size_t n = strlen(buf);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  /* libvips reports many lines; the first is the most specific. */
  char *nl = strchr(buf, '\n');
  if (nl)
    *nl = '\0';
  int code = WAPF_ECORRUPT;
  if (strstr(buf, "out of memory"))
    code = WAPF_ENOMEM;
  else if (strstr(buf, "not a known file format") ||
           strstr(buf, "is not a known") || strstr(buf, "unsupported"))
    code = WAPF_EUNSUPPORTED;
  else if (strstr(buf, "Permission denied") || strstr(buf, "No space"))
    code = WAPF_EIO;
  return wapf__fail(ctx, code, "%s: %s", what, buf[0] ? buf : "libvips error");
}

int wapf__errno_code(int err) {
  switch (err) {
  case ENOENT:
  case ENOTDIR: return WAPF_ENOENT;
  case EISDIR: return WAPF_EISDIR;
  case ENOMEM: return WAPF_ENOMEM;
  case EEXIST: return WAPF_EEXIST;
  default: return WAPF_EIO;
  }
}

int wapf__from_errno(wapf_context *ctx, int err, const char *what) {
  return wapf__fail(ctx, wapf__errno_code(err), "%s: %s", what, strerror(err));
}
