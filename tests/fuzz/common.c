/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers of the fuzz targets: one context, inputs as files. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void drop_log(void *cookie, wapf_log_level level, const char *msg) {
  (void)cookie;
  (void)level;
  (void)msg;
}

wapf_context *fuzz_ctx(void) {
  static wapf_context *ctx;
  if (!ctx) {
    wapf_settings s;
    wapf_default_settings(&s);
    s.logger = drop_log;
    s.log_level = WAPF_LOG_DEBUG; /* every message is formatted */
    s.threads = 1;
    if (wapf_open(&ctx, &s) != WAPF_OK)
      abort();
  }
  return ctx;
}

static void write_all(int fd, const uint8_t *data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w <= 0)
      abort();
    data += w;
    n -= (size_t)w;
  }
}

void fuzz_file(const uint8_t *data, size_t n, char *path, size_t size) {
  static unsigned long serial;
  const char *dir = getenv("TMPDIR");
  snprintf(path, size, "%s/wapf-fuzz-%ld-%lu", dir && *dir ? dir : "/tmp",
           (long)getpid(), serial++);
  FILE *f = fopen(path, "wbx");
  if (!f)
    abort();
  if (n && fwrite(data, 1, n, f) != n)
    abort();
  if (fclose(f) != 0)
    abort();
}

int fuzz_fd(const uint8_t *data, size_t n) {
  int fd = memfd_create("wapf-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    abort();
  write_all(fd, data, n);
  if (lseek(fd, 0, SEEK_SET) != 0)
    abort();
  return fd;
}

char *fuzz_strndup(const uint8_t *data, size_t n) {
  char *s = malloc(n + 1);
  if (!s)
    abort();
  memcpy(s, data, n);
  s[n] = '\0';
  return s;
}
