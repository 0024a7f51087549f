/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The folder walk: every regular file under indir, in sorted order.
 * Hidden names and outdir are skipped, links are followed only inside
 * indir, and each folder is visited once (no loops through links). */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct walker {
  wapf__batch *b;
  char *root_real;  /* realpath of indir */
  char *out_real;   /* realpath of outdir, NULL when it does not exist */
  GHashTable *seen; /* "dev:ino" of the folders visited */
} walker;

int wapf__stat_ns(const char *path, int64_t *size, int64_t *mtime_ns) {
  struct stat st;
  if (stat(path, &st) != 0)
    return wapf__errno_code(errno);
  *size = (int64_t)st.st_size;
  *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  return WAPF_OK;
}

/* 1 the first time a folder is seen, 0 after. */
static int first_visit(walker *w, const struct stat *st) {
  char key[64];
  snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)st->st_dev,
           (unsigned long long)st->st_ino);
  if (g_hash_table_contains(w->seen, key))
    return 0;
  g_hash_table_add(w->seen, g_strdup(key));
  return 1;
}

static int is_under(const char *path, const char *root) {
  size_t n = strlen(root);
  if (strcmp(root, "/") == 0)
    return 1;
  return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int add_entry(wapf__batch *b, const char *rel, const char *abs,
                     const struct stat *st) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    wapf__bentry *e = realloc(b->e, cap * sizeof *e);
    if (!e)
      return WAPF_ENOMEM;
    b->e = e;
    b->cap = cap;
  }
  wapf__bentry *e = &b->e[b->n];
  memset(e, 0, sizeof *e);
  e->rel = strdup(rel);
  e->abs = strdup(abs);
  if (!e->rel || !e->abs) {
    free(e->rel);
    free(e->abs);
    return WAPF_ENOMEM;
  }
  e->size = (int64_t)st->st_size;
  e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
  b->n++;
  b->bytes_total += e->size;
  return WAPF_OK;
}

static int add_dir(wapf__batch *b, const char *rel) {
  if (b->n_dirs == b->cap_dirs) {
    size_t cap = b->cap_dirs ? b->cap_dirs * 2 : 16;
    char **d = realloc(b->dirs, cap * sizeof *d);
    if (!d)
      return WAPF_ENOMEM;
    b->dirs = d;
    b->cap_dirs = cap;
  }
  if (!(b->dirs[b->n_dirs] = strdup(rel)))
    return WAPF_ENOMEM;
  b->n_dirs++;
  return WAPF_OK;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(walker *w, const char *abs, const char *rel, int depth);

/* A symbolic link: follow it only when it resolves inside indir. */
static int resolve_link(walker *w, const char *abs, const char *rel,
                        struct stat *st) {
  char *real = realpath(abs, NULL);
  int inside = real && is_under(real, w->root_real) &&
               !(w->out_real && is_under(real, w->out_real));
  if (!inside || stat(abs, st) != 0) {
    wapf__log(w->b->ctx, WAPF_LOG_INFO, "%s: link %s, not followed", rel,
              real ? "points outside the input folder" : "is broken");
    free(real);
    w->b->ignored++;
    return 0;
  }
  free(real);
  return 1;
}

/* One name inside a folder. */
static int visit(walker *w, const char *abs, const char *rel, int depth) {
  struct stat st;
  if (lstat(abs, &st) != 0)
    return WAPF_OK; /* vanished meanwhile */
  if (S_ISLNK(st.st_mode) && !resolve_link(w, abs, rel, &st))
    return WAPF_OK;
  if (S_ISDIR(st.st_mode)) {
    char *real = realpath(abs, NULL);
    int is_out = real && w->out_real && strcmp(real, w->out_real) == 0;
    free(real);
    if (is_out || !first_visit(w, &st))
      return WAPF_OK;
    return walk_dir(w, abs, rel, depth + 1);
  }
  if (S_ISREG(st.st_mode))
    return add_entry(w->b, rel, abs, &st);
  wapf__log(w->b->ctx, WAPF_LOG_INFO, "%s: not a regular file, skipped", rel);
  w->b->ignored++;
  return WAPF_OK;
}

/* Sorted, non-hidden names of a folder (NULL-terminated, malloc'd). */
static char **list_names(const char *abs, size_t *n_out) {
  DIR *d = opendir(abs);
  if (!d)
    return NULL;
  size_t n = 0, cap = 16;
  char **v = malloc(cap * sizeof *v);
  struct dirent *de;
  while (v && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    if (n + 1 >= cap) {
      char **nv = realloc(v, (cap *= 2) * sizeof *v);
      if (!nv) {
        for (size_t i = 0; i < n; i++)
          free(v[i]);
        free(v);
        v = NULL;
        break;
      }
      v = nv;
    }
    v[n++] = strdup(de->d_name);
  }
  closedir(d);
  if (!v)
    return NULL;
  qsort(v, n, sizeof *v, cmp_str);
  v[n] = NULL;
  *n_out = n;
  return v;
}

static int walk_dir(walker *w, const char *abs, const char *rel, int depth) {
  if (depth > 64) {
    wapf__log(w->b->ctx, WAPF_LOG_WARNING, "%s: folders nested too deep", rel);
    return WAPF_OK;
  }
  if (*rel && add_dir(w->b, rel) != WAPF_OK)
    return WAPF_ENOMEM;
  size_t n = 0;
  char **names = list_names(abs, &n);
  if (!names) {
    wapf__log(w->b->ctx, WAPF_LOG_WARNING, "%s: cannot read the folder",
              *rel ? rel : ".");
    return WAPF_OK;
  }
  int rc = WAPF_OK;
  for (size_t i = 0; i < n && rc == WAPF_OK; i++) {
    char *a = names[i] ? g_build_filename(abs, names[i], NULL) : NULL;
    char *r = names[i] ? g_build_filename(rel, names[i], NULL) : NULL;
    rc = a && r ? visit(w, a, r, depth) : WAPF_ENOMEM;
    g_free(a);
    g_free(r);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return rc;
}

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const wapf__bentry *)a)->rel, ((const wapf__bentry *)b)->rel);
}

static int walker_init(walker *w, wapf__batch *b, struct stat *st) {
  memset(w, 0, sizeof *w);
  w->b = b;
  w->root_real = realpath(b->indir, NULL);
  if (!w->root_real || stat(w->root_real, st) != 0) {
    free(w->root_real);
    return wapf__fail(b->ctx, WAPF_ENOENT, "%s: no such folder", b->indir);
  }
  w->out_real = realpath(b->outdir, NULL);
  w->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  first_visit(w, st);
  return WAPF_OK;
}

/* Free the walker; sort (and with dedup, drop repeated) entries/dirs. */
static int walker_done(walker *w, int rc, int dedup) {
  wapf__batch *b = w->b;
  g_hash_table_destroy(w->seen);
  free(w->root_real);
  free(w->out_real);
  if (rc != WAPF_OK)
    return wapf__fail(b->ctx, rc, "listing %s: out of memory", b->indir);
  if (b->n > 1)
    qsort(b->e, b->n, sizeof *b->e, cmp_entry);
  if (b->n_dirs > 1)
    qsort(b->dirs, b->n_dirs, sizeof *b->dirs, cmp_str);
  if (!dedup)
    return WAPF_OK;
  size_t k = 0;
  for (size_t i = 0; i < b->n; i++) {
    if (k && strcmp(b->e[k - 1].rel, b->e[i].rel) == 0) {
      b->bytes_total -= b->e[i].size;
      free(b->e[i].rel);
      free(b->e[i].abs);
      continue;
    }
    b->e[k++] = b->e[i];
  }
  b->n = k;
  k = 0;
  for (size_t i = 0; i < b->n_dirs; i++) {
    if (k && strcmp(b->dirs[k - 1], b->dirs[i]) == 0) {
      free(b->dirs[i]);
      continue;
    }
    b->dirs[k++] = b->dirs[i];
  }
  b->n_dirs = k;
  return WAPF_OK;
}

int wapf__batch_walk(wapf__batch *b) {
  walker w;
  struct stat st;
  int rc = walker_init(&w, b, &st);
  if (rc != WAPF_OK)
    return rc;
  return walker_done(&w, walk_dir(&w, w.root_real, "", 0), 0);
}

/* The folder part of rel ("" at the top), g_malloc'd. */
static char *folder_of(const char *rel) {
  const char *slash = strrchr(rel, '/');
  return g_strndup(rel, slash ? (size_t)(slash - rel) : 0);
}

/* Every non-hidden file of rel's folder in rel's collision group, and
 * the folder's sub-folders (output names must not take theirs). */
static int add_group(walker *w, GHashTable *groups, const char *rel) {
  char *key = wapf__group_key(rel);
  if (g_hash_table_contains(groups, key)) {
    g_free(key);
    return WAPF_OK;
  }
  g_hash_table_add(groups, key);
  char *dir = folder_of(rel);
  char *abs_dir = g_build_filename(w->root_real, dir, NULL);
  size_t n = 0;
  char **names = abs_dir ? list_names(abs_dir, &n) : NULL;
  int rc = WAPF_OK;
  for (size_t i = 0; names && i < n && rc == WAPF_OK; i++) {
    char *r = names[i] ? g_build_filename(dir, names[i], NULL) : NULL;
    char *a = names[i] ? g_build_filename(abs_dir, names[i], NULL) : NULL;
    char *g = r ? wapf__group_key(r) : NULL;
    struct stat st;
    if (!r || !a || !g)
      rc = WAPF_ENOMEM;
    else if (strcmp(g, key) == 0)
      rc = visit(w, a, r, 0);
    else if (stat(a, &st) == 0 && S_ISDIR(st.st_mode))
      rc = add_dir(w->b, r);
    g_free(r);
    g_free(a);
    g_free(g);
  }
  for (size_t i = 0; names && i < n; i++)
    free(names[i]);
  free(names);
  g_free(abs_dir);
  g_free(dir);
  return rc;
}

/* A listed path "a//b/" -> "a/b", "./a" -> "a". */
static char *clean_rel(const char *rel) {
  GString *s = g_string_new(NULL);
  for (const char *p = rel; *p;) {
    const char *q = strchr(p, '/');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (n && !(n == 1 && p[0] == '.')) {
      if (s->len)
        g_string_append_c(s, '/');
      g_string_append_len(s, p, (gssize)n);
    }
    p += n + (q ? 1 : 0);
  }
  return g_string_free(s, FALSE);
}

/* One listed path: inside indir (not through a link out of it), then
 * its folder's whole tree or its collision group; a missing path becomes
 * an input that fails when probed. */
static int add_listed(walker *w, GHashTable *groups, const char *listed) {
  char *rel = clean_rel(listed);
  char *abs = g_build_filename(w->root_real, rel, NULL);
  int rc = abs ? WAPF_OK : WAPF_ENOMEM;
  char *real = abs ? realpath(abs, NULL) : NULL;
  struct stat st;
  if (rc == WAPF_OK && !real) {
    memset(&st, 0, sizeof st);
    rc = *rel ? add_entry(w->b, rel, abs, &st) : WAPF_OK;
  } else if (rc == WAPF_OK && (!is_under(real, w->root_real) ||
                               (w->out_real && is_under(real, w->out_real)))) {
    wapf__log(w->b->ctx, WAPF_LOG_INFO, "%s: outside the input folder, skipped",
              rel);
    w->b->ignored++;
  } else if (rc == WAPF_OK && stat(abs, &st) == 0 && S_ISDIR(st.st_mode)) {
    rc = *rel ? visit(w, abs, rel, 0) : walk_dir(w, w->root_real, "", 0);
  } else if (rc == WAPF_OK) {
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    rc = base[0] == '.' ? visit(w, abs, rel, 0) : add_group(w, groups, rel);
  }
  free(real);
  g_free(abs);
  g_free(rel);
  return rc;
}

int wapf__batch_walk_list(wapf__batch *b) {
  walker w;
  struct stat st;
  int rc = walker_init(&w, b, &st);
  if (rc != WAPF_OK)
    return rc;
  GHashTable *groups =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (size_t i = 0; rc == WAPF_OK && i < b->bs.n_inputs; i++)
    rc = add_listed(&w, groups, b->bs.inputs[i]);
  g_hash_table_destroy(groups);
  return walker_done(&w, rc, 1);
}

void wapf__batch_entries_free(wapf__batch *b) {
  for (size_t i = 0; i < b->n; i++) {
    wapf__bentry *e = &b->e[i];
    free(e->rel);
    free(e->abs);
    wapf_facts_free(&e->facts);
    wapf_report_free(&e->rep);
    free(e->want);
    free(e->out);
    free(e->findings);
    free(e->error);
  }
  free(b->e);
  for (size_t i = 0; i < b->n_dirs; i++)
    free(b->dirs[i]);
  free(b->dirs);
  b->e = NULL;
  b->dirs = NULL;
  b->n = b->n_dirs = 0;
}
