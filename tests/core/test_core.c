/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Core: errors, kinds, settings validation, temp+rename outputs. */
#include "internal.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void error_names_and_texts(void) {
  T_EQ_STR(wapf_err_name(WAPF_EEMPTY), "EEMPTY");
  T_EQ_STR(wapf_strerror(WAPF_OK), "success");
  T_EQ_STR(wapf_strerror(-9999), "unknown error");
  T_EQ_STR(wapf_err_name(WAPF_EINTERNAL), "EINTERNAL");
}

static void kinds_round_trip(void) {
  for (int k = WAPF_KIND_AUTO; k <= WAPF_KIND_DOCUMENT; k++) {
    wapf_kind back;
    T_EQ_INT(wapf_kind_from_name(wapf_kind_name((wapf_kind)k), &back), WAPF_OK);
    T_EQ_INT(back, k);
  }
  wapf_kind x;
  T_EQ_INT(wapf_kind_from_name("gif", &x), WAPF_EINVAL);
  T_EQ_STR(wapf_kind_name((wapf_kind)42), "?");
}

static void settings_are_validated(void) {
  wapf_settings s;
  wapf_context *ctx = NULL;
  wapf_default_settings(&s);
  T_EQ_INT(s.max_long_side, 1920);
  s.max_long_side = 10;
  T_EQ_INT(wapf_open(&ctx, &s), WAPF_EINVAL);
  T_CHECK(ctx == NULL);
  wapf_default_settings(&s);
  s.reserved[3] = 1;
  T_EQ_INT(wapf_open(&ctx, &s), WAPF_EINVAL);
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  T_CHECK(ctx != NULL);
  wapf_close(&ctx);
  T_CHECK(ctx == NULL);
  wapf_close(&ctx); /* twice is harmless */
}

static int count_entries(const char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
  FILE *p = popen(cmd, "r");
  int n = -1;
  if (p) {
    if (fscanf(p, "%d", &n) != 1)
      n = -1;
    pclose(p);
  }
  return n;
}

static void tmpfile_commit_and_discard(void) {
  wapf_context *ctx = NULL;
  char dir[] = "/tmp/wapf-core-XXXXXX";
  T_CHECK(mkdtemp(dir) != NULL);
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  char final[600];
  snprintf(final, sizeof final, "%s/out.mp4", dir);
  wapf_tmpfile t;
  T_EQ_INT(wapf__tmp_open(ctx, &t, final, NULL, 0), WAPF_OK);
  T_CHECK(write(t.fd, "abc", 3) == 3);
  T_CHECK(access(final, F_OK) != 0); /* not visible before commit */
  T_EQ_INT(wapf__tmp_commit(ctx, &t), WAPF_OK);
  T_EQ_INT(wapf__file_size(final), 3);
  /* exists: refused without overwrite, nothing left behind */
  T_EQ_INT(wapf__tmp_open(ctx, &t, final, NULL, 0), WAPF_EEXIST);
  T_EQ_INT(count_entries(dir), 1);
  /* the input itself is refused as output */
  T_EQ_INT(wapf__tmp_open(ctx, &t, final, final, 1), WAPF_EINVAL);
  /* discard leaves nothing */
  T_EQ_INT(wapf__tmp_open(ctx, &t, final, NULL, 1), WAPF_OK);
  wapf__tmp_discard(&t);
  wapf__tmp_discard(&t);
  T_EQ_INT(count_entries(dir), 1);
  T_EQ_INT(wapf__file_size(final), 3);
  unlink(final);
  rmdir(dir);
  wapf_close(&ctx);
}

static void read_file_limits(void) {
  wapf_context *ctx = NULL;
  char path[] = "/tmp/wapf-read-XXXXXX";
  int fd = mkstemp(path);
  T_CHECK(fd >= 0);
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  uint8_t *p = NULL;
  size_t n = 0;
  T_EQ_INT(wapf__read_file(ctx, path, 10, &p, &n), WAPF_EEMPTY);
  T_CHECK(write(fd, "0123456789A", 11) == 11);
  close(fd);
  T_EQ_INT(wapf__read_file(ctx, path, 10, &p, &n), WAPF_ELIMIT);
  T_CHECK(p == NULL);
  T_EQ_INT(wapf__read_file(ctx, path, 11, &p, &n), WAPF_OK);
  T_EQ_INT(n, 11);
  T_CHECK(memcmp(p, "0123456789A", 11) == 0);
  free(p);
  T_EQ_INT(wapf__read_file(ctx, "/tmp", 11, &p, &n), WAPF_EISDIR);
  unlink(path);
  T_EQ_INT(wapf__read_file(ctx, path, 11, &p, &n), WAPF_ENOENT);
  wapf_close(&ctx);
}

/* The one file SHA-256: the digest sha256sum gives (across several 64 KiB
 * reads), the errno's code, and a detail only when a context is given. */
static void sha256_file_contract(void) {
  wapf_context *ctx = NULL;
  char dir[] = "/tmp/wapf-sha-XXXXXX";
  T_CHECK(mkdtemp(dir) != NULL);
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  char path[600], cmd[700], want[65] = "", hex[65];
  snprintf(path, sizeof path, "%s/abc", dir);
  FILE *f = fopen(path, "w");
  T_CHECK(f != NULL);
  fputs("abc", f);
  fclose(f);
  T_EQ_INT(wapf__sha256_file(ctx, path, hex), WAPF_OK);
  T_EQ_STR(hex,
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  f = fopen(path, "w");
  T_CHECK(f != NULL);
  for (int i = 0; i < 200000; i++)
    fputc((i * 7) & 0xff, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
  FILE *p = popen(cmd, "r");
  T_CHECK(p != NULL);
  T_CHECK(fscanf(p, "%64s", want) == 1);
  pclose(p);
  T_EQ_INT(wapf__sha256_file(NULL, path, hex), WAPF_OK);
  T_EQ_STR(hex, want);
  /* failures: hex untouched; the detail names the path only with a ctx */
  snprintf(path, sizeof path, "%s/missing", dir);
  strcpy(hex, "unchanged");
  T_EQ_INT(wapf__sha256_file(ctx, path, hex), WAPF_ENOENT);
  T_CHECK(strstr(wapf_last_error(ctx), path) != NULL);
  T_EQ_STR(hex, "unchanged");
  wapf__clear(ctx);
  T_EQ_INT(wapf__sha256_file(NULL, path, hex), WAPF_ENOENT);
  T_EQ_STR(wapf_last_error(ctx), "");
  T_EQ_INT(wapf__sha256_file(ctx, dir, hex), WAPF_EISDIR);
  T_EQ_STR(hex, "unchanged");
  snprintf(path, sizeof path, "%s/abc", dir);
  unlink(path);
  rmdir(dir);
  wapf_close(&ctx);
}

/* errno -> WAPF_E* has one table, with or without a context. */
static void errno_has_one_table(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  const int err[] = {ENOENT, ENOTDIR, EISDIR, ENOMEM, EEXIST, EACCES, EIO};
  for (size_t i = 0; i < sizeof err / sizeof err[0]; i++)
    T_EQ_INT(wapf__from_errno(ctx, err[i], "x"), wapf__errno_code(err[i]));
  T_EQ_INT(wapf__errno_code(ENOTDIR), WAPF_ENOENT);
  T_EQ_INT(wapf__errno_code(EACCES), WAPF_EIO);
  /* a path under a file: the table's ENOENT, no longer EIO */
  T_EQ_INT(wapf__file_size("/etc/passwd/x"), WAPF_ENOENT);
  wapf_close(&ctx);
}

static void cancel_is_reported(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  T_EQ_INT(wapf__progress(ctx, NULL, 0.5), WAPF_OK);
  wapf_cancel(ctx);
  T_EQ_INT(wapf__progress(ctx, NULL, 0.6), WAPF_ECANCELLED);
  T_EQ_STR(wapf_last_error(ctx), "cancelled");
  wapf_close(&ctx);
}

static char g_line[600];
static int g_calls;

static void keep_line(void *cookie, wapf_log_level level, const char *msg) {
  (void)cookie;
  (void)level;
  g_calls++;
  snprintf(g_line, sizeof g_line, "%s", msg);
}

/* A foreign text with newlines inside (libvips ends its errors with one)
 * still reaches the logger as one line. */
static void log_lines_are_one_line(void) {
  wapf_settings s;
  wapf_default_settings(&s);
  s.logger = keep_line;
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, &s), WAPF_OK);
  wapf__log(ctx, WAPF_LOG_WARNING, "ICC profile not usable (%s); converting",
            "VipsIcc: Couldn't link the profiles\n");
  T_EQ_INT(g_calls, 1);
  T_EQ_STR(g_line, "ICC profile not usable (VipsIcc: Couldn't link the "
                   "profiles ); converting");
  wapf__log(ctx, WAPF_LOG_WARNING, "a\r\nb\n");
  T_EQ_STR(g_line, "a  b");
  wapf_close(&ctx);
}

int main(void) {
  T_RUN(error_names_and_texts);
  T_RUN(kinds_round_trip);
  T_RUN(settings_are_validated);
  T_RUN(tmpfile_commit_and_discard);
  T_RUN(read_file_limits);
  T_RUN(sha256_file_contract);
  T_RUN(errno_has_one_table);
  T_RUN(cancel_is_reported);
  T_RUN(log_lines_are_one_line);
  return T_DONE();
}
