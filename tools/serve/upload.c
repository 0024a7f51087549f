/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Request bodies into the request's private folder: a raw body, or the
 * multipart/urlencoded fields of /process-audio and /v1/check (`file`,
 * `base64`, `url`, `format`), parsed by libmicrohttpd's post processor;
 * base64 is decoded while it arrives (parse.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "request.h"

void upload_fail(srv_req *r, int status, const char *reason, const char *fmt,
                 ...) {
  va_list ap;
  if (r->failed)
    return;
  va_start(ap, fmt);
  vsnprintf(r->err, sizeof r->err, fmt, ap);
  va_end(ap);
  r->failed = 1;
  r->err_status = status;
  r->err_reason = reason;
}

static int open_input(srv_req *r) {
  if (r->fd >= 0)
    return 0;
  r->fd = open(r->in, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (r->fd < 0) {
    upload_fail(r, 500, "internal", "cannot write the temporary file (%s)",
                strerror(errno));
    return -1;
  }
  return 0;
}

static int write_all(srv_req *r, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t k = write(r->fd, c, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      upload_fail(r, 507, "disk_full", "cannot write the temporary file (%s)",
                  k < 0 ? strerror(errno) : "short write");
      return -1;
    }
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

static int feed_b64(srv_req *r, const char *data, size_t n) {
  uint8_t buf[8192];
  while (n) {
    size_t chunk = n > 5000 ? 5000 : n, out = 0;
    char why[200];
    if (b64_feed(&r->b64, data, chunk, buf, &out, why, sizeof why)) {
      upload_fail(r, 400, "bad_base64", "field 'base64': %s", why);
      return -1;
    }
    if (open_input(r) || write_all(r, buf, out))
      return -1;
    data += chunk;
    n -= chunk;
  }
  return 0;
}

/* A part of a source field begins (offset 0): the first source is
 * taken; another source, or a second part of the same name, is refused.
 * have: what the field gave so far (libmicrohttpd may call at offset 0
 * with no bytes first, then at offset 0 again with the first bytes). */
static int source_part(srv_req *r, int *flag, uint64_t have, const char *key) {
  if (*flag && have == 0)
    return 0;
  if (*flag || r->n_sources++) {
    upload_fail(r, 400, "bad_request",
                "give one of the fields file, base64 or url, once (got a "
                "second one: '%s')",
                key);
    return -1;
  }
  *flag = 1;
  return 0;
}

static int field_file(srv_req *r, const char *filename, const char *data,
                      uint64_t off, size_t size) {
  if (off == 0 && source_part(r, &r->got_file, r->file_bytes, "file"))
    return -1;
  if (off == 0 && filename && !r->filename[0])
    snprintf(r->filename, sizeof r->filename, "%s", filename);
  if (open_input(r) || (size && write_all(r, data, size)))
    return -1;
  r->file_bytes += size;
  return 0;
}

static int field_base64(srv_req *r, const char *data, uint64_t off,
                        size_t size) {
  if (off == 0 && source_part(r, &r->got_b64, r->b64.in_pos, "base64"))
    return -1;
  return size ? feed_b64(r, data, size) : 0;
}

static int field_url(srv_req *r, const char *data, uint64_t off, size_t size) {
  int had = r->url_len > 0;
  if (off == 0 && source_part(r, &had, r->url_len, "url"))
    return -1;
  if (r->url_len + size >= sizeof r->url) {
    upload_fail(r, 400, "bad_request", "field 'url' is too long");
    return -1;
  }
  for (size_t i = 0; i < size; i++)
    if ((unsigned char)data[i] < 0x20 || data[i] == 0x7f) {
      upload_fail(r, 400, "bad_request",
                  "field 'url' holds a control character");
      return -1;
    }
  memcpy(r->url + r->url_len, data, size);
  r->url_len += size;
  r->url[r->url_len] = '\0';
  return 0;
}

static int field_format(srv_req *r, const char *data, size_t size) {
  size_t have = strlen(r->format);
  if (have + size >= sizeof r->format || memchr(data, '\0', size)) {
    upload_fail(r, 400, "bad_format",
                "field 'format': want ogg, opus, mp3 or mp4");
    return -1;
  }
  memcpy(r->format + have, data, size);
  r->format[have + size] = '\0';
  return 0;
}

/* libmicrohttpd's post processor calls this for each piece of each field.
 * It passes NULL for a part without a name (Content-Disposition: form-data;
 * filename="x"), and for a filename, content type or transfer encoding the
 * part does not give: only key is needed, and a part without one is
 * refused. Fields of other names are ignored. */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *filename,
                                const char *ctype, const char *enc,
                                const char *data, uint64_t off, size_t size) {
  srv_req *r = cls;
  (void)kind, (void)ctype, (void)enc;
  if (r->failed)
    return MHD_NO;
  if (!key) {
    upload_fail(r, 400, "bad_multipart",
                "a form part without a name (its Content-Disposition needs "
                "name=\"file\", \"base64\", \"url\" or \"format\")");
    return MHD_NO;
  }
  if (!data)
    data = "", size = 0;
  int rc = 0;
  if (!strcmp(key, "file"))
    rc = field_file(r, filename, data, off, size);
  else if (!strcmp(key, "base64"))
    rc = field_base64(r, data, off, size);
  else if (!strcmp(key, "url"))
    rc = field_url(r, data, off, size);
  else if (!strcmp(key, "format"))
    rc = field_format(r, data, size);
  return rc ? MHD_NO : MHD_YES;
}

int upload_begin(srv_req *r, struct MHD_Connection *conn) {
  if (!(r->dir = spool_new(r->s))) {
    upload_fail(r, 500, "internal", "cannot make a temporary folder");
    return -1;
  }
  r->in = g_build_filename(r->dir, "in", NULL);
  b64_init(&r->b64);
  if (r->form) {
    r->pp = MHD_create_post_processor(conn, 64 * 1024, on_field, r);
    if (!r->pp) {
      upload_fail(r, 400, "bad_multipart",
                  "malformed form: Content-Type without a boundary");
      return -1;
    }
  }
  return 0;
}

int upload_data(srv_req *r, const char *data, size_t n) {
  if (r->failed)
    return -1;
  if (r->pp) {
    if (MHD_post_process(r->pp, data, n) != MHD_YES && !r->failed)
      upload_fail(r, 400, "bad_multipart", "malformed multipart body");
    return r->failed ? -1 : 0;
  }
  return open_input(r) || write_all(r, data, n) ? -1 : 0;
}

int upload_end(srv_req *r) {
  if (r->failed)
    return -1;
  if (r->pp) {
    enum MHD_Result ok = MHD_destroy_post_processor(r->pp);
    r->pp = NULL;
    if (r->failed)
      return -1;
    if (ok != MHD_YES) {
      upload_fail(r, 400, "bad_multipart",
                  "malformed multipart body (truncated, or no closing "
                  "boundary)");
      return -1;
    }
    if (r->got_b64) {
      uint8_t tail[8];
      size_t n = 0;
      char why[200];
      if (b64_finish(&r->b64, tail, &n, why, sizeof why)) {
        upload_fail(r, 400, "bad_base64", "field 'base64': %s", why);
        return -1;
      }
      if (open_input(r) || write_all(r, tail, n))
        return -1;
    }
  }
  if (r->fd >= 0 && close(r->fd) != 0) {
    r->fd = -1;
    upload_fail(r, 507, "disk_full", "cannot write the temporary file");
    return -1;
  }
  r->fd = -1;
  return 0;
}

void upload_free(srv_req *r) {
  if (r->pp)
    MHD_destroy_post_processor(r->pp);
  r->pp = NULL;
  if (r->fd >= 0)
    close(r->fd);
  r->fd = -1;
  g_free(r->in);
  r->in = NULL;
  spool_drop(r->s, r->dir);
  r->dir = NULL;
}
