/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the fuzz targets (tests/fuzz). Each target defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (clang,
 * -fsanitize=fuzzer) or with replay.c, a plain main() that feeds it every
 * file named on its command line (seeds and regression inputs). */
#ifndef WAPF_FUZZ_H
#define WAPF_FUZZ_H

#include "wapf.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The one context of the process, opened on first use with the default
 * settings and a logger that drops every line. Aborts when it cannot be
 * opened (the target cannot run at all). */
wapf_context *fuzz_ctx(void);

/* Write data to a new file in the temporary folder whose name has never
 * been used in this process (libvips caches loads by file name) and
 * return its path in path[size]. Aborts on failure. The caller unlinks. */
void fuzz_file(const uint8_t *data, size_t n, char *path, size_t size);

/* An open descriptor on an anonymous in-memory file holding data,
 * positioned at 0. Aborts on failure. The caller closes. */
int fuzz_fd(const uint8_t *data, size_t n);

/* A NUL-terminated copy of data (malloc'd). Aborts on failure. */
char *fuzz_strndup(const uint8_t *data, size_t n);

#endif
