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

/* One source field; a second one is refused. */
static int new_source(srv_req *r, int *flag, const char *key) {
  if (*flag)
    return 0;
  if (r->n_sources++) {
    upload_fail(r, 400, "bad_request",
                "give one of the fields file, base64 or url (got '%s' too)",
                key);
    return -1;
  }
  *flag = 1;
  return 0;
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *filename,
                                const char *ctype, const char *enc,
                                const char *data, uint64_t off, size_t size) {
  srv_req *r = cls;
  (void)kind, (void)ctype, (void)enc;
  if (r->failed)
    return MHD_NO;
  if (!strcmp(key, "file")) {
    if (off == 0 && new_source(r, &r->got_file, key))
      return MHD_NO;
    if (off == 0 && filename && !r->filename[0])
      snprintf(r->filename, sizeof r->filename, "%s", filename);
    if (open_input(r) || (size && write_all(r, data, size)))
      return MHD_NO;
  } else if (!strcmp(key, "base64")) {
    if (off == 0 && new_source(r, &r->got_b64, key))
      return MHD_NO;
    if (size && feed_b64(r, data, size))
      return MHD_NO;
  } else if (!strcmp(key, "url")) {
    int dummy = r->url_len > 0;
    if (off == 0 && new_source(r, &dummy, key))
      return MHD_NO;
    if (r->url_len + size >= sizeof r->url) {
      upload_fail(r, 400, "bad_request", "field 'url' is too long");
      return MHD_NO;
    }
    memcpy(r->url + r->url_len, data, size);
    r->url_len += size;
    r->url[r->url_len] = '\0';
  } else if (!strcmp(key, "format")) {
    size_t have = strlen(r->format);
    if (have + size >= sizeof r->format) {
      upload_fail(r, 400, "bad_format",
                  "field 'format': want ogg, opus, "
                  "mp3 or mp4");
      return MHD_NO;
    }
    memcpy(r->format + have, data, size);
    r->format[have + size] = '\0';
  }
  return MHD_YES;
}

int upload_begin(srv_req *r, struct MHD_Connection *conn) {
  if (!(r->dir = spool_new())) {
    upload_fail(r, 500, "internal", "cannot make a temporary folder");
    return -1;
  }
  size_t n = strlen(r->dir) + 4;
  if (!(r->in = malloc(n))) {
    upload_fail(r, 503, "no_memory", "out of memory");
    return -1;
  }
  snprintf(r->in, n, "%s/in", r->dir);
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
  free(r->in);
  r->in = NULL;
  spool_drop(r->dir);
  r->dir = NULL;
}
