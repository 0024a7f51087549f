/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf_batch_state_read(): every state database of an outdir, read-only
 * (no lock, no write), into one report: the records, the counts per kind
 * and which shards have not finished (or never started). */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static const char k_rows[] =
    "SELECT path, output, status, error, findings, kind, plan, action, code,"
    " in_size, out_size, updated FROM files";

typedef struct reader {
  wapf_context *ctx;
  GPtrArray *shards;  /* wapf_batch_shard_state* */
  GHashTable *byrel;  /* path -> wapf_batch_record* (owned by recs) */
  GPtrArray *recs;    /* wapf_batch_record* */
  GHashTable *newest; /* record* -> updated time, as gint64* */
} reader;

static char *col(sqlite3_stmt *s, int i) {
  const unsigned char *t = sqlite3_column_text(s, i);
  return t ? g_strdup((const char *)t) : NULL;
}

static void record_strings_free(wapf_batch_record *r) {
  g_free((char *)r->path);
  g_free((char *)r->output);
  g_free((char *)r->status);
  g_free((char *)r->error);
  g_free((char *)r->findings);
}

/* The row into a record; a path seen in another database keeps the
 * newer row. */
static void take_row(reader *rd, sqlite3_stmt *s, const char *db) {
  const char *path = (const char *)sqlite3_column_text(s, 0);
  if (!path)
    return;
  gint64 updated = sqlite3_column_int64(s, 11);
  wapf_batch_record *old = g_hash_table_lookup(rd->byrel, path);
  if (old && *(gint64 *)g_hash_table_lookup(rd->newest, old) > updated)
    return;
  wapf_batch_record *r = old ? old : g_new0(wapf_batch_record, 1);
  if (old) {
    g_free((char *)r->output);
    g_free((char *)r->status);
    g_free((char *)r->error);
    g_free((char *)r->findings);
  } else {
    r->path = g_strdup(path);
    g_ptr_array_add(rd->recs, r);
    g_hash_table_insert(rd->byrel, (char *)r->path, r);
  }
  r->output = col(s, 1);
  r->status = col(s, 2);
  if (!r->status)
    r->status = g_strdup("pending");
  r->error = col(s, 3);
  r->findings = col(s, 4);
  const char *kind = (const char *)sqlite3_column_text(s, 5);
  if (!kind || wapf_kind_from_name(kind, &r->kind) != WAPF_OK)
    r->kind = WAPF_KIND_AUTO;
  r->plan = wapf__plan_from_name((const char *)sqlite3_column_text(s, 6));
  r->action = (wapf_batch_action)wapf__action_from_name(
      (const char *)sqlite3_column_text(s, 7));
  r->code = sqlite3_column_int(s, 8);
  r->bytes_in = sqlite3_column_int64(s, 9);
  r->bytes_out = strcmp(r->status, "done") ? 0 : sqlite3_column_int64(s, 10);
  r->db = db;
  gint64 *t = g_new(gint64, 1);
  *t = updated;
  g_hash_table_replace(rd->newest, r, t);
}

static int64_t meta_int(sqlite3 *db, const char *key, int64_t dflt) {
  sqlite3_stmt *s = NULL;
  int64_t v = dflt;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &s,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_type(s, 0) != SQLITE_NULL)
      v = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  return v;
}

static int read_db(reader *rd, const char *dir, wapf_batch_shard_state *sh) {
  char *path = g_strdup_printf("%s/%s", dir, sh->db);
  char *uri = wapf__state_ro_uri(path);
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_open_v2(
      uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
      NULL);
  g_free(uri);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    rc = sqlite3_prepare_v2(db, k_rows, -1, &s, NULL);
  }
  while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    take_row(rd, s, sh->db);
    sh->recorded++;
    rc = SQLITE_OK;
  }
  sqlite3_finalize(s);
  if (rc == SQLITE_DONE) {
    sh->planned = meta_int(db, "planned", -1);
    sh->finished = meta_int(db, "finished", 0) == 1;
  }
  int out = rc == SQLITE_DONE
                ? WAPF_OK
                : wapf__fail(rd->ctx, WAPF_EIO, "%s: %s", path,
                             db ? sqlite3_errmsg(db) : "cannot open");
  sqlite3_close(db);
  g_free(path);
  return out;
}

static wapf_batch_shard_state *new_shard(reader *rd, const char *db, int k,
                                         int n, int present) {
  wapf_batch_shard_state *sh = g_new0(wapf_batch_shard_state, 1);
  sh->db = db ? g_strdup(db) : g_strdup_printf("shard-%d-of-%d.db", k, n);
  sh->shard_index = k;
  sh->shard_count = n;
  sh->present = present;
  sh->planned = -1;
  g_ptr_array_add(rd->shards, sh);
  return sh;
}

/* "state.db" -> (-1, 0); "shard-K-of-N.db" -> (K, N); else 0. */
static int db_name(const char *name, int *k, int *n) {
  if (strcmp(name, "state.db") == 0) {
    *k = -1;
    *n = 0;
    return 1;
  }
  int used = 0;
  if (sscanf(name, "shard-%d-of-%d.db%n", k, n, &used) != 2 ||
      name[used] != '\0' || *n < 1 || *k < 0 || *k >= *n)
    return 0;
  char again[64];
  snprintf(again, sizeof again, "shard-%d-of-%d.db", *k, *n);
  return strcmp(again, name) == 0;
}

static int cmp_shard(gconstpointer a, gconstpointer b) {
  const wapf_batch_shard_state *x = *(wapf_batch_shard_state *const *)a;
  const wapf_batch_shard_state *y = *(wapf_batch_shard_state *const *)b;
  if (x->shard_count != y->shard_count)
    return x->shard_count < y->shard_count ? -1 : 1;
  return x->shard_index - y->shard_index;
}

static int cmp_record(gconstpointer a, gconstpointer b) {
  return strcmp((*(wapf_batch_record *const *)a)->path,
                (*(wapf_batch_record *const *)b)->path);
}

/* A shard K of N with no database, for every N seen. */
static void add_missing(reader *rd) {
  GHashTable *have =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTable *counts = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (guint i = 0; i < rd->shards->len; i++) {
    wapf_batch_shard_state *sh = g_ptr_array_index(rd->shards, i);
    g_hash_table_add(have, g_strdup(sh->db));
    if (sh->shard_count > 0)
      g_hash_table_add(counts, GINT_TO_POINTER(sh->shard_count));
  }
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, counts);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    int n = GPOINTER_TO_INT(key);
    for (int k = 0; k < n; k++) {
      char name[64];
      snprintf(name, sizeof name, "shard-%d-of-%d.db", k, n);
      if (!g_hash_table_contains(have, name))
        new_shard(rd, name, k, n, 0);
    }
  }
  g_hash_table_destroy(have);
  g_hash_table_destroy(counts);
}

static int read_all(reader *rd, const char *dir) {
  DIR *d = opendir(dir);
  if (!d && errno == ENOENT)
    return wapf__fail(rd->ctx, WAPF_ENOENT, "%s: no batch state here", dir);
  if (!d)
    return wapf__from_errno(rd->ctx, errno, dir);
  struct dirent *de;
  int rc = WAPF_OK;
  while (rc == WAPF_OK && (de = readdir(d)) != NULL) {
    int k, n;
    if (db_name(de->d_name, &k, &n))
      rc = read_db(rd, dir, new_shard(rd, de->d_name, k, n, 1));
  }
  closedir(d);
  if (rc == WAPF_OK && rd->shards->len == 0)
    rc = wapf__fail(rd->ctx, WAPF_ENOENT, "%s: no batch state here", dir);
  return rc;
}

static void count(wapf_batch_counts *c, const wapf_batch_record *r) {
  if (strcmp(r->status, "pending") == 0)
    return;
  if (strcmp(r->status, "done") != 0)
    c->failed++;
  else if (r->action == WAPF_BATCH_COPIED)
    c->copied++;
  else
    c->converted++;
  c->bytes_in += r->bytes_in;
  c->bytes_out += r->bytes_out;
}

static void summarise(wapf_batch_state_report *rep) {
  for (size_t i = 0; i < rep->n_records; i++) {
    const wapf_batch_record *r = &rep->records[i];
    int k = (int)r->kind;
    if (k < 0 || k > WAPF_KIND_DOCUMENT)
      k = WAPF_KIND_AUTO;
    rep->pending += strcmp(r->status, "pending") == 0;
    count(&rep->all, r);
    count(&rep->kinds[k], r);
  }
  for (size_t i = 0; i < rep->n_shards; i++)
    rep->unfinished += !rep->shards[i].present || !rep->shards[i].finished;
}

/* Move the arrays of the reader into the report (flat arrays). */
static void flatten(reader *rd, wapf_batch_state_report *rep) {
  g_ptr_array_sort(rd->shards, cmp_shard);
  g_ptr_array_sort(rd->recs, cmp_record);
  rep->n_shards = rd->shards->len;
  rep->shards = g_new0(wapf_batch_shard_state, rep->n_shards + 1);
  for (size_t i = 0; i < rep->n_shards; i++)
    rep->shards[i] = *(wapf_batch_shard_state *)rd->shards->pdata[i];
  rep->n_records = rd->recs->len;
  rep->records = g_new0(wapf_batch_record, rep->n_records + 1);
  for (size_t i = 0; i < rep->n_records; i++) {
    wapf_batch_record *r = rd->recs->pdata[i];
    rep->records[i] = *r;
    for (size_t j = 0; j < rep->n_shards; j++) /* db: the report's copy */
      if (strcmp(rep->shards[j].db, r->db) == 0)
        rep->records[i].db = rep->shards[j].db;
  }
}

int wapf_batch_state_read(wapf_context *ctx, const char *outdir,
                          wapf_batch_state_report **out) {
  if (!ctx || !outdir || !out)
    return WAPF_EINVAL;
  *out = NULL;
  wapf__clear(ctx);
  reader rd = {
      ctx, g_ptr_array_new_with_free_func(g_free),
      g_hash_table_new(g_str_hash, g_str_equal),
      g_ptr_array_new_with_free_func(g_free),
      g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free)};
  char *dir = g_strdup_printf("%s/%s", outdir, WAPF__STATE_DIR);
  int rc = read_all(&rd, dir);
  g_free(dir);
  wapf_batch_state_report *rep = NULL;
  if (rc == WAPF_OK) {
    add_missing(&rd);
    rep = g_new0(wapf_batch_state_report, 1);
    flatten(&rd, rep);
    summarise(rep);
  } else {
    for (guint i = 0; i < rd.recs->len; i++)
      record_strings_free(rd.recs->pdata[i]);
    for (guint i = 0; i < rd.shards->len; i++)
      g_free((char *)((wapf_batch_shard_state *)rd.shards->pdata[i])->db);
  }
  /* the arrays' elements (shallow) go; their strings live in rep */
  g_ptr_array_free(rd.shards, TRUE);
  g_ptr_array_free(rd.recs, TRUE);
  g_hash_table_destroy(rd.byrel);
  g_hash_table_destroy(rd.newest);
  *out = rep;
  return rc;
}

void wapf_batch_state_report_free(wapf_batch_state_report **pr) {
  wapf_batch_state_report *r = pr ? *pr : NULL;
  if (!r)
    return;
  for (size_t i = 0; i < r->n_records; i++)
    record_strings_free(&r->records[i]);
  for (size_t i = 0; i < r->n_shards; i++)
    g_free((char *)r->shards[i].db);
  g_free(r->records);
  g_free(r->shards);
  g_free(r);
  *pr = NULL;
}
