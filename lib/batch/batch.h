/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal declarations of the batch module (lib/batch). Not installed.
 *
 * A run goes through these steps, all driven from the caller's thread:
 *   walk.c    list the inputs (sorted, hidden/outdir/links handled)
 *   state.c   the SQLite state in outdir/.wa-preflight: what is done
 *   plan.c    decide per input: skip, remembered failure, or probe+check
 *   names.c   output names, "-N" collisions, leftover temp files
 *   pool.c    worker threads (one context each) and the result queue
 *   report.c  the summary counts and the JSON report
 *   batch.c   wapf_batch_run(): the steps in order
 */
#ifndef WAPF_BATCH_H
#define WAPF_BATCH_H

#include "internal.h"

#include <glib.h>
#include <pthread.h>
#include <stdint.h>

#define WAPF__STATE_DIR ".wa-preflight"

/* What an earlier run recorded about one input (a row of the state). */
typedef struct wapf__brow {
  int64_t in_size, in_mtime_ns;
  char in_hash[65];
  char *options; /* fingerprint of the options used */
  char *output;  /* relative output path, NULL when none */
  char *want;    /* output name before collisions, NULL when none */
  int64_t out_size, out_mtime_ns;
  char out_hash[65];
  wapf_kind kind;
  wapf_plan plan;
  char status[12]; /* "pending", "done", "failed", "error" */
  int action;      /* wapf_batch_action of the run that did it */
  int code;        /* WAPF_E* of a failure */
  char *error;
  char *findings;  /* JSON array text, NULL when none */
  int64_t updated; /* time() of the row's last write */
} wapf__brow;

/* One input file and everything decided about it. */
typedef struct wapf__bentry {
  char *rel; /* path relative to indir, '/'-separated */
  char *abs; /* indir/rel, the path opened */
  int64_t size, mtime_ns;
  const wapf__brow *row; /* earlier state, NULL when none (owned by state) */

  int todo;          /* 1: must be written in this run */
  int checked;       /* probed and checked in this run */
  wapf_facts *facts; /* while todo; freed once written */
  wapf_report *rep;
  wapf_kind kind;
  wapf_plan plan;
  char out_ext[12];
  char *want;     /* relative output name before collisions */
  char *out;      /* relative output assigned, NULL when none */
  int renamed;    /* out got a "-N" suffix */
  char *findings; /* JSON array text of the findings, NULL when none */

  wapf_batch_action action;
  int from_state;
  int refresh; /* skipped, but the row's stat data must be updated */
  int status;  /* WAPF_OK or the failure's code */
  char *error; /* one line, NULL when none */
  char note[160];
  char in_hash[65];
  int64_t out_size, out_mtime_ns;
  char out_hash[65];
  double seconds;
} wapf__bentry;

/* The whole run. */
typedef struct wapf__batch {
  wapf_context *ctx; /* the caller's context (cancel flag, logger) */
  wapf_batch_settings bs;
  char *indir, *outdir; /* as given, without trailing '/' */
  char *opt_print;      /* fingerprint of the options */
  char *opt_fail;       /* the same + library version, for failures */
  wapf__bentry *e;      /* entries, sorted by rel */
  size_t n, cap;
  char **dirs; /* input folders (relative) that hold entries */
  size_t n_dirs, cap_dirs;
  int64_t ignored;
  int64_t bytes_total, bytes_done, n_done;
  int64_t n_checked, n_to_check;
  struct wapf__state *state; /* NULL in a dry run without state */
  wapf_batch_summary sum;
  int jobs, threads;
  wapf_context **wctx; /* one context per worker */
  char *shard;         /* "shard-K-of-N" or NULL */
  int stop;            /* the event callback asked to stop */
} wapf__batch;

/* ---- walk.c ---- */
/* List every input under b->indir into b->e (sorted by rel). */
int wapf__batch_walk(wapf__batch *b);
void wapf__batch_entries_free(wapf__batch *b);

/* ---- fileinfo (walk.c) ---- */
/* Size and mtime (ns) of path, following links; WAPF_OK or the errno's
 * code (wapf__errno_code). */
int wapf__stat_ns(const char *path, int64_t *size, int64_t *mtime_ns);

/* ---- state.c ---- */
typedef struct wapf__state wapf__state;
/* Open (create unless read_only) outdir's state and lock it against a
 * second run. shard: "shard-K-of-N" or NULL (state.db). read_only: open
 * only when it exists; *out NULL if not. */
int wapf__state_open(wapf_context *ctx, const char *outdir, const char *shard,
                     int read_only, wapf__state **out);
/* "file:PATH?mode=ro" (or immutable=1 when no WAL is left), g_free'd. */
char *wapf__state_ro_uri(const char *path);
typedef void (*wapf__row_fn)(void *cookie, const char *rel,
                             const wapf__brow *r);
/* Call fn for every row read at open (any order). */
void wapf__state_each(const wapf__state *st, wapf__row_fn fn, void *cookie);
/* Names stored in a row back to values (unknown: NONE / FAILED). */
wapf_plan wapf__plan_from_name(const char *name);
int wapf__action_from_name(const char *name);
/* Set a meta key ("planned", "finished", "shard", ...). */
int wapf__state_meta(wapf__state *st, const char *key, const char *value);
void wapf__state_close(wapf__state **st);
/* The row of an input, NULL when none. */
const wapf__brow *wapf__state_get(const wapf__state *st, const char *rel);
/* 1 when an earlier run wrote (or was writing) outdir/rel_out. */
int wapf__state_owns(const wapf__state *st, const char *rel_out);
int wapf__state_begin(wapf__state *st);
int wapf__state_commit(wapf__state *st);
/* Record an entry: status "pending" before its output is written, then
 * "done" (after the rename), "failed" or "error". */
int wapf__state_put(wapf__state *st, const wapf__bentry *e, const char *options,
                    const char *status);

/* ---- plan.c ---- */
/* Decide from the state which entries need no work (skipped or
 * remembered failure) and mark the others todo. */
void wapf__plan_from_state(wapf__batch *b);
/* Fill kind/plan/out_ext/want/findings of a probed and checked entry. */
int wapf__plan_checked(wapf__batch *b, wapf__bentry *e);
/* The options fingerprint stored with each row. */
char *wapf__options_print(const wapf_context *ctx, const wapf_options *o);
/* 1 when a failure code would fail again on the same input. */
int wapf__code_is_final(int code);

/* ---- names.c ---- */
/* Give every entry with a wanted name its output name, in sorted input
 * order, "-N" on collisions. Returns how many skipped entries lost their
 * recorded name (they become todo again). */
size_t wapf__names_assign(wapf__batch *b);
/* Refuse outputs that would replace a file no earlier run wrote. */
void wapf__names_guard(wapf__batch *b);
/* Remove the temporary files a killed run left beside the outputs its
 * state marks pending (and made after that mark); nothing else. */
int wapf__names_clean_temps(wapf__batch *b);
/* 1 when name is the temporary name of output base name out. */
int wapf__is_temp_of(const char *name, const char *out);

/* ---- select.c ---- */
/* The collision group of a relative path (g_malloc'd): the path without
 * the last component's extension and without trailing "-<digits>". */
char *wapf__group_key(const char *rel);
/* Refuse absolute or ".." paths of bs->inputs (WAPF_EINVAL). */
int wapf__inputs_check(wapf_context *ctx, const wapf_batch_settings *bs);
/* Keep only the entries of shard bs.shard_index (no-op when unsharded). */
void wapf__select_shard(wapf__batch *b);

/* ---- walk.c (list) ---- */
/* The entries of b->bs.inputs (with their collision groups) instead of
 * the whole folder. */
int wapf__batch_walk_list(wapf__batch *b);

/* ---- pool.c ---- */
typedef int (*wapf__job_fn)(wapf__batch *b, wapf_context *wctx,
                            wapf__bentry *e);
typedef void (*wapf__done_fn)(wapf__batch *b, wapf__bentry *e, int started);
/* Run fn on each of items with b->jobs workers; done() runs on the
 * caller's thread for each start (started=1) and finish (started=0).
 * Returns WAPF_ECANCELLED when stopped, else WAPF_OK. */
int wapf__pool_run(wapf__batch *b, wapf__bentry **items, size_t n,
                   wapf__job_fn fn, wapf__done_fn done);

/* ---- report.c ---- */
/* Count a finished entry into the summary. */
void wapf__report_count(wapf__batch *b, const wapf__bentry *e);
/* Call the event callback; sets b->stop when it asks to stop. */
void wapf__report_event(wapf__batch *b, const wapf__bentry *e,
                        wapf_batch_event_type type, int64_t done,
                        int64_t total);
/* A JSON string of any bytes (invalid UTF-8 bytes become U+FFFD). */
struct json_t *wapf__json_str(const char *s);
/* Findings of a report as a JSON array text (malloc'd). */
char *wapf__findings_json(const wapf_report *rep);
/* Write the JSON report to b->bs.report_path (temp + rename). */
int wapf__report_write(wapf__batch *b);

#endif
