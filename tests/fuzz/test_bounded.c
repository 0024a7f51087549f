/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded, cancellable reads (issue 13): a whole-file read stops when the
 * operation is cancelled; the structure walks give no verdict on files
 * past their size bound (20 GB sparse files are not read whole). */
#include "internal.h"
#include "probe_internal.h"
#include "t.h"

#include <fcntl.h>
#include <unistd.h>

static char *sparse_file(const char *head, size_t n, off_t size) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/wapf-bounded-XXXXXX");
  int fd = mkstemp(path);
  if (fd < 0 || write(fd, head, n) != (ssize_t)n || ftruncate(fd, size) != 0)
    abort();
  close(fd);
  return path;
}

static void read_file_stops_when_cancelled(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  char *path = sparse_file("x", 1, 8 << 20);
  uint8_t *p = NULL;
  size_t n = 0;
  T_EQ_INT(wapf__read_file(ctx, path, 16 << 20, &p, &n), WAPF_OK);
  T_EQ_INT(n, 8 << 20);
  free(p);
  p = NULL;
  wapf_cancel(ctx);
  T_EQ_INT(wapf__read_file(ctx, path, 16 << 20, &p, &n), WAPF_ECANCELLED);
  T_CHECK(p == NULL || n == 8 << 20); /* *out untouched on failure */
  T_EQ_STR(wapf_last_error(ctx), "cancelled");
  unlink(path);
  wapf_close(&ctx);
}

static void walks_skip_files_past_their_bound(void) {
  /* a JPEG start with no end marker: damaged when small, no verdict when
   * it is 20 GB (the walk would read every byte) */
  static const char soi[] = "\xff\xd8\xff\xda\x00\x02";
  char why[160] = "";
  char *path = sparse_file(soi, 6, 4096);
  int fd = open(path, O_RDONLY);
  T_EQ_INT(wapf__jpeg_damaged(fd, 4096, why, sizeof why), 1);
  close(fd);
  T_CHECK(why[0] != '\0');
  unlink(path);
  path = sparse_file(soi, 6, (off_t)20 << 30);
  fd = open(path, O_RDONLY);
  T_EQ_INT(wapf__jpeg_damaged(fd, (int64_t)20 << 30, why, sizeof why), 0);
  close(fd);
  unlink(path);
}

int main(void) {
  T_RUN(read_file_stops_when_cancelled);
  T_RUN(walks_skip_files_past_their_bound);
  return T_DONE();
}
