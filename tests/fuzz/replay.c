/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plain main() for the fuzz targets, so that every compiler builds them
 * and `meson test --suite fuzz` replays the seed corpora and the
 * regression inputs (past crashes) through the same code:
 *   fuzz_X FILE|DIR...
 * Folders are read recursively, in name order. Exits 1 when an argument
 * cannot be read or when no input was found (an empty corpus proves
 * nothing); a crash ends the process as it would under libFuzzer. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb)
        free(buf);
      buf = nb;
      cap *= 2;
    }
  }
  int bad = ferror(f) || !buf;
  fclose(f);
  if (bad) {
    free(buf);
    fprintf(stderr, "replay: %s: cannot read\n", path);
    return -1;
  }
  /* an exact-size copy, so ASan sees any read past the input's end */
  uint8_t *exact = malloc(n ? n : 1);
  if (!exact)
    abort();
  memcpy(exact, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode))
    return replay_file(path);
  struct dirent **names;
  int n = scandir(path, &names, NULL, by_name), count = 0;
  if (n < 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  for (int i = 0; i < n; i++) {
    const char *nm = names[i]->d_name;
    if (nm[0] != '.' && strcmp(nm, "SOURCES.md") != 0 &&
        strcmp(nm, "README.md") != 0 && count >= 0) {
      char sub[4096];
      snprintf(sub, sizeof sub, "%s/%s", path, nm);
      int r = replay(sub);
      count = r < 0 ? -1 : count + r;
    }
    free(names[i]);
  }
  free(names);
  return count;
}

int main(int argc, char **argv) {
  int total = 0;
  for (int i = 1; i < argc; i++) {
    int r = replay(argv[i]);
    if (r < 0)
      return 1;
    total += r;
  }
  printf("%s: replayed %d inputs\n", argv[0], total);
  return total > 0 ? 0 : 1;
}
