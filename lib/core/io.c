/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output files: temporary file in the destination folder + atomic rename,
 * so that no partial output is ever visible under the final name; the
 * folder is synced after the rename so that the name survives a power
 * failure. Outputs are created 0666 and the kernel applies the umask (and
 * a default ACL), like any file a program writes. */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The owner of a temporary output: "pid start" of the process writing it
 * (process.c), in an extended attribute of the file itself. A kill -9
 * leaves the file behind; the next output into that folder removes the
 * temporaries whose owner is gone. A file without the attribute (a file
 * system without user attributes, or not ours) is never removed. */
#define OWNER_XATTR "user.wapf-owner"

int64_t wapf__file_size(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return wapf__errno_code(errno);
  if (S_ISDIR(st.st_mode))
    return WAPF_EISDIR;
  return (int64_t)st.st_size;
}

static int same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
    return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* "dir/name.ext" -> "dir/.name.ext.XXXXXX.ext" (suffix length in *sfx). */
static char *tmp_template(const char *final, int *sfx) {
  const char *slash = strrchr(final, '/');
  const char *base = slash ? slash + 1 : final;
  const char *dot = strrchr(base, '.');
  const char *ext = dot ? dot : "";
  size_t dirlen = (size_t)(base - final);
  size_t n = strlen(final) + strlen(ext) + 16;
  char *t = malloc(n);
  if (!t)
    return NULL;
  snprintf(t, n, "%.*s.%s.XXXXXX%s", (int)dirlen, final, base, ext);
  *sfx = (int)strlen(ext);
  return t;
}

/* mkstemps() without its 0600: the six X before the sfx-byte suffix are
 * replaced until an exclusive create succeeds, with mode 0666 & ~umask. */
static int create_exclusive(char *tmpl, int sfx) {
  static const char set[] = "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  char *x = tmpl + strlen(tmpl) - sfx - 6;
  for (int attempt = 0; attempt < 100; attempt++) {
    unsigned char r[6];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
      return -1;
    for (int i = 0; i < 6; i++)
      x[i] = set[r[i] % (sizeof set - 1)];
    int fd = open(tmpl, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  errno = EEXIST;
  return -1;
}

/* Our temporary naming: ".<base>.XXXXXX<ext>", X alphanumeric, where
 * ext is the extension of base (ext_len bytes, 0 when base has none). */
static int named_with(const char *name, size_t ext_len) {
  size_t n = strlen(name);
  if (name[0] != '.' || n < 1 + 1 + 7 + 2 * ext_len)
    return 0;
  const char *x = name + n - ext_len - 6;
  for (int k = 0; k < 6; k++)
    if (!isalnum((unsigned char)x[k]))
      return 0;
  return x[-1] == '.' &&
         strncmp(x - 1 - ext_len, x + 6, ext_len) == 0; /* base's ext */
}

static int temp_named(const char *name) {
  const char *dot = strrchr(name, '.');
  return named_with(name, 0) || (dot && named_with(name, strlen(dot)));
}

static void mark_owner(int fd) {
  char text[64];
  int len = snprintf(text, sizeof text, "%ld %lld", (long)getpid(),
                     wapf__process_start(getpid()));
  (void)fsetxattr(fd, OWNER_XATTR, text, (size_t)len, 0);
}

/* 1 when name in dirfd is a regular file of ours whose owner is gone. */
static int stale_temp(int dirfd, const char *name) {
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return 0;
  struct stat st;
  char text[64];
  ssize_t n =
      fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid()
          ? fgetxattr(fd, OWNER_XATTR, text, sizeof text - 1)
          : -1;
  close(fd);
  long pid = 0;
  long long start = 0;
  if (n <= 0)
    return 0;
  text[n] = '\0';
  return sscanf(text, "%ld %lld", &pid, &start) == 2 &&
         !wapf__process_alive(pid, start);
}

/* Remove the temporaries a killed run left in the folder of final. */
static void sweep_stale(wapf_context *ctx, const char *final) {
  const char *slash = strrchr(final, '/');
  char *dir = slash
                  ? strndup(final, slash == final ? 1 : (size_t)(slash - final))
                  : strdup(".");
  DIR *d = dir ? opendir(dir) : NULL;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (!temp_named(e->d_name) || !stale_temp(dirfd(d), e->d_name))
      continue;
    if (unlinkat(dirfd(d), e->d_name, 0) == 0)
      wapf__log(ctx, WAPF_LOG_INFO, "removed %s/%s (left by a killed run)", dir,
                e->d_name);
  }
  if (d)
    closedir(d);
  free(dir);
}

/* fsync the folder holding path, so that a rename into it is durable. */
int wapf__sync_dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                    : strdup(".");
  if (!dir)
    return ENOMEM;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (fd < 0)
    return errno;
  int err = fsync(fd) != 0 && errno != EINVAL && errno != EROFS ? errno : 0;
  close(fd);
  return err;
}

int wapf__tmp_open(wapf_context *ctx, wapf_tmpfile *t, const char *final,
                   const char *input, int overwrite) {
  struct stat st;
  memset(t, 0, sizeof *t);
  t->fd = -1;
  if (!final || !*final)
    return wapf__fail(ctx, WAPF_EINVAL, "no output path");
  if (same_file(final, input))
    return wapf__fail(ctx, WAPF_EINVAL, "%s: output would replace the input",
                      final);
  if (lstat(final, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return wapf__fail(ctx, WAPF_EISDIR, "%s: output is a directory", final);
    if (!overwrite)
      return wapf__fail(ctx, WAPF_EEXIST,
                        "%s: output exists (use --force to replace it)", final);
  }
  sweep_stale(ctx, final);
  int sfx = 0;
  t->path = tmp_template(final, &sfx);
  t->final = strdup(final);
  if (!t->path || !t->final) {
    wapf__tmp_discard(t);
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  }
  t->fd = create_exclusive(t->path, sfx);
  if (t->fd < 0) {
    int err = errno;
    free(t->path);
    t->path = NULL;
    wapf__tmp_discard(t);
    return wapf__from_errno(ctx, err, final);
  }
  mark_owner(t->fd);
  return WAPF_OK;
}

int wapf__tmp_commit(wapf_context *ctx, wapf_tmpfile *t) {
  if (!t->path)
    return wapf__fail(ctx, WAPF_EINTERNAL, "temporary file already closed");
  if (t->fd >= 0) {
    int bad = fsync(t->fd) != 0;
    bad |= close(t->fd) != 0;
    t->fd = -1;
    if (bad) {
      int err = errno;
      wapf__tmp_discard(t);
      return wapf__from_errno(ctx, err, "writing output");
    }
  }
  if (rename(t->path, t->final) != 0) {
    int err = errno;
    wapf__tmp_discard(t);
    return wapf__from_errno(ctx, err, "renaming output");
  }
  free(t->path);
  t->path = NULL;
  int err = wapf__sync_dir_of(t->final);
  free(t->final);
  t->final = NULL;
  /* The output is complete and in place; only its durability is unsure. */
  return err ? wapf__from_errno(ctx, err, "syncing the output's folder")
             : WAPF_OK;
}

void wapf__tmp_discard(wapf_tmpfile *t) {
  if (t->fd >= 0)
    close(t->fd);
  t->fd = -1;
  if (t->path)
    unlink(t->path);
  free(t->path);
  free(t->final);
  t->path = NULL;
  t->final = NULL;
}

int wapf__copy_into(wapf_context *ctx, const char *src, wapf_tmpfile *t) {
  char buf[1 << 16];
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return wapf__from_errno(ctx, errno, src);
  int rc = WAPF_OK;
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      rc = wapf__from_errno(ctx, errno, src);
      break;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(t->fd, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0) {
        rc = wapf__from_errno(ctx, errno, "writing output");
        goto out;
      }
      off += w;
    }
    if (wapf__cancelled(ctx)) {
      rc = wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
      break;
    }
  }
out:
  close(in);
  return rc;
}

/* Read want bytes in steps of at most 1 MiB, stopping early when the
 * operation is cancelled (a whole file can be 256 MiB). */
static size_t read_all(const wapf_context *ctx, int fd, uint8_t *p,
                       size_t want) {
  size_t got = 0;
  while (got < want && !wapf__cancelled(ctx)) {
    size_t step = want - got < (1u << 20) ? want - got : (1u << 20);
    ssize_t r = read(fd, p + got, step);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  return got;
}

int wapf__read_file(wapf_context *ctx, const char *path, size_t max,
                    uint8_t **out, size_t *n) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wapf__from_errno(ctx, errno, path);
  int ok = fstat(fd, &st) == 0;
  if (!ok || !S_ISREG(st.st_mode)) {
    int dir = ok && S_ISDIR(st.st_mode);
    close(fd);
    return wapf__fail(ctx, dir ? WAPF_EISDIR : WAPF_EIO,
                      "%s: not a regular file", path);
  }
  if (st.st_size == 0 || (uint64_t)st.st_size > max) {
    close(fd);
    return st.st_size
               ? wapf__fail(ctx, WAPF_ELIMIT,
                            "%s: over %zu bytes to read in memory", path, max)
               : wapf__fail(ctx, WAPF_EEMPTY, "%s: empty", path);
  }
  uint8_t *p = malloc((size_t)st.st_size);
  size_t got = p ? read_all(ctx, fd, p, (size_t)st.st_size) : 0;
  close(fd);
  if (p && got != (size_t)st.st_size && wapf__cancelled(ctx)) {
    free(p);
    return wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
  }
  if (!p || got != (size_t)st.st_size) {
    free(p);
    return p ? wapf__fail(ctx, WAPF_EIO, "%s: short read", path)
             : wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  }
  *out = p;
  *n = got;
  return WAPF_OK;
}

int wapf__sha256_file(wapf_context *ctx, const char *path, char hex[65]) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ctx ? wapf__from_errno(ctx, errno, path) : wapf__errno_code(errno);
  GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
  uint8_t buf[1 << 16];
  ssize_t n;
  int err = 0;
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      err = errno;
      break;
    }
    g_checksum_update(c, buf, (gssize)n);
  }
  close(fd);
  if (!err)
    wapf__strlcpy(hex, g_checksum_get_string(c), 65);
  g_checksum_free(c);
  if (err)
    return ctx ? wapf__from_errno(ctx, err, path) : wapf__errno_code(err);
  return WAPF_OK;
}
