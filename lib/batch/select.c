/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which inputs a run takes: collision groups, the stable shard hash, the
 * check of an explicit list, and the filter of a shard.
 *
 * A collision group holds every input that can compete for one output
 * name: an output is "<stem><ext>" or "<stem>-<n><ext>" (names.c), and
 * a stem with its trailing "-<digits>" removed is the same for all of
 * them, so a group is that: the path without the last component's
 * extension and without every trailing "-<digits>". Groups never share
 * a name, so shards that split groups write disjoint outputs, each named
 * as an unsharded run names it. */
#include "batch.h"

#include <ctype.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

char *wapf__group_key(const char *rel) {
  const char *slash = strrchr(rel, '/');
  const char *base = slash ? slash + 1 : rel;
  const char *dot = strrchr(base, '.');
  size_t n = dot && dot != base ? (size_t)(dot - rel) : strlen(rel);
  size_t b = (size_t)(base - rel); /* where the last component starts */
  for (;;) {
    size_t i = n;
    while (i > b && isdigit((unsigned char)rel[i - 1]))
      i--;
    /* "-<digits>" at the end, and something left of the name before it */
    if (i == n || i <= b + 1 || rel[i - 1] != '-')
      break;
    n = i - 1;
  }
  return g_strndup(rel, n);
}

/* FNV-1a 64 (Fowler/Noll/Vo), over the bytes as they are. */
static uint64_t fnv1a64(const char *s) {
  uint64_t h = 14695981039346656037ULL;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return h;
}

int wapf_batch_shard_of(const char *rel, int shard_count) {
  if (!rel || shard_count < 1)
    return -1;
  char *g = wapf__group_key(rel);
  int k = (int)(fnv1a64(g) % (uint64_t)shard_count);
  g_free(g);
  return k;
}

/* NULL when rel is a clean relative path, else why not. */
static const char *path_problem(const char *rel) {
  if (!*rel)
    return "empty path";
  if (rel[0] == '/')
    return "absolute path (the list holds paths relative to INDIR)";
  for (const char *p = rel; p; p = strchr(p, '/')) {
    if (*p == '/')
      p++;
    if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
      return "\"..\" leaves INDIR (the list holds paths inside INDIR)";
  }
  return NULL;
}

int wapf__inputs_check(wapf_context *ctx, const wapf_batch_settings *bs) {
  if (bs->n_inputs && !bs->inputs)
    return wapf__fail(ctx, WAPF_EINVAL, "batch: inputs is NULL");
  for (size_t i = 0; i < bs->n_inputs; i++) {
    const char *rel = bs->inputs[i];
    const char *why = rel ? path_problem(rel) : "NULL path";
    if (why)
      return wapf__fail(ctx, WAPF_EINVAL, "files-from: %s: %s",
                        rel ? rel : "(null)", why);
  }
  return WAPF_OK;
}

void wapf__select_shard(wapf__batch *b) {
  if (b->bs.shard_count < 1)
    return;
  size_t k = 0;
  int64_t bytes = 0;
  for (size_t i = 0; i < b->n; i++) {
    wapf__bentry *e = &b->e[i];
    if (wapf_batch_shard_of(e->rel, b->bs.shard_count) == b->bs.shard_index) {
      bytes += e->size;
      b->e[k++] = *e;
      continue;
    }
    free(e->rel);
    free(e->abs);
  }
  b->n = k;
  b->bytes_total = bytes;
}
