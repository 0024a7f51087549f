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
    char *path = wapf__path_join(b->outdir, e->out);
    struct stat st;
    int exists = path && lstat(path, &st) == 0;
    free(path);
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

int wapf__is_temp_name(const char *name) {
  if (name[0] != '.')
    return 0;
  const char *rest = name + 1;
  size_t len = strlen(rest);
  for (size_t p = 1; p + 7 <= len; p++) {
    if (rest[p] != '.')
      continue;
    int ok = 1;
    for (size_t k = 1; k <= 6 && ok; k++)
      ok = isalnum((unsigned char)rest[p + k]) != 0;
    if (!ok)
      continue;
    char *base = g_strndup(rest, p);
    const char *dot = strrchr(base, '.');
    int match = strcmp(rest + p + 7, dot ? dot : "") == 0;
    g_free(base);
    if (match)
      return 1;
  }
  return 0;
}

static int clean_dir(wapf__batch *b, const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d || depth > 64) {
    if (d)
      closedir(d);
    return 0;
  }
  int removed = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    const char *n = de->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..") ||
        (depth == 0 && !strcmp(n, WAPF__STATE_DIR)))
      continue;
    char *p = wapf__path_join(dir, n);
    struct stat st;
    if (p && lstat(p, &st) == 0) {
      if (S_ISDIR(st.st_mode))
        removed += clean_dir(b, p, depth + 1);
      else if (S_ISREG(st.st_mode) && wapf__is_temp_name(n) && unlink(p) == 0) {
        wapf__log(b->ctx, WAPF_LOG_INFO, "removed %s (left by a killed run)",
                  p);
        removed++;
      }
    }
    free(p);
  }
  closedir(d);
  return removed;
}

int wapf__names_clean_temps(wapf__batch *b) {
  return clean_dir(b, b->outdir, 0);
}
