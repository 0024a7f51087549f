/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output names: the mirror of the input path with the output's extension,
 * "-2", "-3", ... on collisions in sorted input order (as convert -d
 * does in argument order), never over a file an earlier run did not
 * write; and the removal of temporary files a killed run left behind. */
#include "batch.h"

#include <ctype.h>
#include <dirent.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "sub/a.mp4", n -> "sub/a-n.mp4" (the extension of the last component). */
static char *numbered(const char *want, int n) {
  const char *slash = strrchr(want, '/');
  const char *base = slash ? slash + 1 : want;
  const char *dot = strrchr(base, '.');
  size_t stem = dot && dot != base ? (size_t)(dot - want) : strlen(want);
  return g_strdup_printf("%.*s-%d%s", (int)stem, want, n, want + stem);
}

static void demote(wapf__bentry *e) {
  e->todo = 1;
  e->from_state = 0;
  e->refresh = 0;
  free(e->want);
  free(e->out);
  free(e->findings);
  e->want = e->out = e->findings = NULL;
}

/* Give e a free name; returns 1 when a skipped entry lost its name. */
static int assign_one(GHashTable *taken, wapf__bentry *e) {
  char *name = strdup(e->want);
  for (int n = 2; name && g_hash_table_contains(taken, name) && n < 100000;
       n++) {
    free(name);
    name = numbered(e->want, n);
  }
  if (!name)
    return 0;
  const char *owner = g_hash_table_lookup(taken, e->want);
  free(e->out);
  e->out = name;
  e->renamed = strcmp(name, e->want) != 0;
  e->note[0] = '\0';
  if (e->renamed && owner)
    snprintf(e->note, sizeof e->note, "renamed: %s also becomes %s", owner,
             e->want);
  g_hash_table_insert(taken, g_strdup(name), e->rel);
  if (e->action == WAPF_BATCH_SKIPPED &&
      (!e->row || !e->row->output || strcmp(e->row->output, name) != 0)) {
    demote(e);
    return 1;
  }
  return 0;
}

size_t wapf__names_assign(wapf__batch *b) {
  GHashTable *taken =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (size_t i = 0; i < b->n_dirs; i++)
    g_hash_table_insert(taken, g_strdup(b->dirs[i]), b->dirs[i]);
  size_t lost = 0;
  for (size_t i = 0; i < b->n; i++) {
    wapf__bentry *e = &b->e[i];
    if (e->want && e->action != WAPF_BATCH_FAILED)
      lost += (size_t)assign_one(taken, e);
  }
  g_hash_table_destroy(taken);
  return lost;
}

void wapf__names_guard(wapf__batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    wapf__bentry *e = &b->e[i];
    if (!e->todo || !e->out || e->action == WAPF_BATCH_FAILED)
      continue;
    char *path = g_build_filename(b->outdir, e->out, NULL);
    struct stat st;
    int exists = lstat(path, &st) == 0;
    g_free(path);
    if (!exists || (S_ISREG(st.st_mode) && wapf__state_owns(b->state, e->out)))
      continue;
    e->action = WAPF_BATCH_FAILED;
    e->status = WAPF_EEXIST;
    free(e->error);
    e->error = g_strdup_printf(
        "%s already exists in the output folder and was not written by an "
        "earlier batch; move it away",
        e->out);
    free(e->out);
    e->out = NULL;
  }
}

/* The temporary name of output base name out (lib/core/io.c):
 * ".<out>.XXXXXX<ext of out>", X alphanumeric. */
int wapf__is_temp_of(const char *name, const char *out) {
  size_t no = strlen(out);
  const char *dot = strrchr(out, '.');
  const char *ext = dot ? dot : "";
  if (name[0] != '.' || strncmp(name + 1, out, no) != 0 || name[1 + no] != '.')
    return 0;
  const char *x = name + 2 + no;
  for (int k = 0; k < 6; k++)
    if (!isalnum((unsigned char)x[k]))
      return 0;
  return strcmp(x + 6, ext) == 0;
}

/* Seconds a file's mtime may lag the row's time (the clock of a network
 * file system's server, coarse kernel clocks). */
static const int64_t k_clock_slack = 5;

typedef struct cleaner {
  wapf__batch *b;
  int removed;
} cleaner;

/* Temporary files of one pending output: in its folder, named after it,
 * and made no earlier than the row that marked it pending (a user's file
 * of the same pattern made before is not ours). */
static void clean_row(void *cookie, const char *rel, const wapf__brow *r) {
  cleaner *c = cookie;
  (void)rel;
  if (strcmp(r->status, "pending") != 0 || !r->output)
    return;
  char *final = g_build_filename(c->b->outdir, r->output, NULL);
  char *slash = strrchr(final, '/');
  if (!slash) {
    g_free(final);
    return;
  }
  *slash = '\0';
  const char *base = slash + 1;
  DIR *d = opendir(final);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (!wapf__is_temp_of(de->d_name, base))
      continue;
    char *p = g_build_filename(final, de->d_name, NULL);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
        (int64_t)st.st_mtim.tv_sec >= r->updated - k_clock_slack &&
        unlink(p) == 0) {
      wapf__log(c->b->ctx, WAPF_LOG_INFO, "removed %s (left by a killed run)",
                p);
      c->removed++;
    }
    g_free(p);
  }
  if (d)
    closedir(d);
  g_free(final);
}

int wapf__names_clean_temps(wapf__batch *b) {
  cleaner c = {b, 0};
  wapf__state_each(b->state, clean_row, &c);
  return c.removed;
}
