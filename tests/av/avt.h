/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the av module's C tests: fixtures made with the
 * ffmpeg command line in a temporary folder, corpus paths. */
#ifndef WAPF_AVT_H
#define WAPF_AVT_H

#include "modules.h"
#include "t.h"

#include <stdarg.h>
#include <unistd.h>

static char avt_dir_[256];

/* A fresh temporary folder for this test binary (removed at exit). */
static const char *avt_dir(void) {
  if (!avt_dir_[0]) {
    snprintf(avt_dir_, sizeof avt_dir_, "/tmp/wapf-avt-XXXXXX");
    if (!mkdtemp(avt_dir_))
      abort();
  }
  return avt_dir_;
}

static void avt_cleanup(void) {
  char cmd[300];
  if (avt_dir_[0]) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", avt_dir_);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", avt_dir_);
  }
}

/* Path of name inside the temporary folder (static buffer ring). */
static const char *avt_path(const char *name) {
  static char ring[8][512];
  static int i;
  char *p = ring[i++ % 8];
  snprintf(p, 512, "%s/%s", avt_dir(), name);
  return p;
}

/* Make a fixture with ffmpeg: args are the ffmpeg arguments before the
 * output (which is appended). Returns the path or NULL on failure. */
WAPF_PRINTF(2, 3)
static const char *avt_make(const char *name, const char *fmt, ...) {
  char args[2048], cmd[3072];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  const char *out = avt_path(name);
  if (access(out, F_OK) == 0)
    return out;
  snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -v error -y %s '%s'", args, out);
  if (system(cmd) != 0) {
    fprintf(stderr, "fixture failed: %s\n", cmd);
    return NULL;
  }
  return out;
}

/* A corpus file, or NULL (the case then skips). */
__attribute__((unused)) static const char *avt_corpus(const char *rel) {
  static char ring[4][1024];
  static int i;
  const char *root = getenv("WAPF_CORPUS");
  char *p = ring[i++ % 4];
  snprintf(p, 1024, "%s/%s", root ? root : "../shared/corpus", rel);
  return access(p, R_OK) == 0 ? p : NULL;
}

__attribute__((unused)) static wapf_context *avt_open(void) {
  wapf_context *ctx = NULL;
  wapf_settings s;
  wapf_default_settings(&s);
  s.threads = 2;
  return wapf_open(&ctx, &s) == WAPF_OK ? ctx : NULL;
}

#endif
