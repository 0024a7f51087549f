/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Two-pass video: x264's first pass measures how hard every frame is to
 * code (and, with mb-tree, how much each block is referenced later); the
 * second spends the byte budget from those statistics. Against one-pass
 * ABR it lands within about a percent of the target instead of short of
 * it on easy content, and moves bits from easy scenes to hard ones.
 *
 * The statistics live in a private folder (mode 0700, under the system's
 * temporary folder, named wapf-x264-PID-XXXXXX) that is removed with its
 * files on every path. A process killed outright cannot remove its own:
 * the next two-pass run removes the folders of processes that are gone. */
#include "av.h"

#include <libavutil/time.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIRST_SHARE 0.35 /* of the progress bar: the first pass is cheap */

/* Remove every file of dir (x264 writes the stats, .mbtree and their
 * .temp siblings), then dir itself. */
static void remove_dir(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
      char *p = g_build_filename(dir, name, NULL);
      g_unlink(p);
      g_free(p);
    }
    g_dir_close(d);
  }
  g_rmdir(dir);
}

#define PREFIX "wapf-x264-"

/* Folders of this user's runs whose process no longer exists. */
static void sweep_stale(wapf_context *ctx) {
  const char *tmp = g_get_tmp_dir();
  GDir *d = g_dir_open(tmp, 0, NULL);
  if (!d)
    return;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (strncmp(name, PREFIX, strlen(PREFIX)) != 0)
      continue;
    char *end = NULL;
    long pid = strtol(name + strlen(PREFIX), &end, 10);
    if (pid <= 0 || !end || *end != '-' || pid == (long)getpid() ||
        kill((pid_t)pid, 0) == 0 || errno != ESRCH)
      continue;
    char *path = g_build_filename(tmp, name, NULL);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
        st.st_uid == geteuid()) {
      wapf__log(ctx, WAPF_LOG_DEBUG, "removing %s (its run is gone)", path);
      remove_dir(path);
    }
    g_free(path);
  }
  g_dir_close(d);
}

/* A pass other than the job's own reads its own demuxer, placed the way
 * the job's was (the same trim), so that it sees the frames the job
 * sees. audio: keep the job's audio stream (a pass that writes the file). */
static int open_input(wapf_context *ctx, const wapf_facts *f,
                      const wapf_av_job *job, int audio, wapf_av_in *in) {
  const wapf_options *opt = job->opt;
  int rc = wapf__demux_open(ctx, f, in);
  if (rc != WAPF_OK)
    return rc;
  in->vidx = job->in.vidx;
  in->aidx = audio ? job->in.aidx : -1;
  rc = wapf__demux_trim(ctx, in, opt ? opt->start : 0, opt ? opt->duration : -1,
                        0);
  in->span = job->in.span;
  in->cut_end = job->in.cut_end;
  if (rc != WAPF_OK)
    wapf__demux_close(in);
  return rc;
}

static int first_pass(wapf_context *ctx, const wapf_facts *f,
                      const wapf_av_job *job, const char *stats) {
  wapf_av_job one = *job;
  int rc = open_input(ctx, f, job, 0, &one.in);
  if (rc != WAPF_OK)
    return rc;
  one.amode = WAPF_AV_SKIP;
  one.out_path = NULL;
  one.vp.pass = 1;
  one.vp.stats = stats;
  one.prog_base = job->prog_base;
  one.prog_share = job->prog_share * FIRST_SHARE;
  rc = wapf__pipeline_run(ctx, &one);
  wapf__demux_close(&one.in);
  return rc;
}

/* ---- the budget left unspent ---- */

#define REFILLS 2       /* last passes run again, at most */
#define MAX_STEP 1.5    /* bitrate factor of one of them, at most */
#define MIN_RETURN 0.25 /* share of a bitrate rise a refill must return */

typedef struct point {
  double bitrate; /* video bit/s asked */
  double vbytes;  /* video bytes written */
} point;

/* The video bitrate of the next run of the last pass: the one that
 * brings the video's bytes to the aim, proportionally from the last run
 * (b) the first time, then along the secant through the last two runs
 * (a, b: a run over the limit counts as a measure too). 0 when the
 * encoder returned less than MIN_RETURN of the last rise. */
static double next_bitrate(double want, const point *a, point b) {
  if (b.vbytes <= 0)
    return 0;
  double next = b.bitrate * want / b.vbytes;
  if (a) {
    double slope = (b.vbytes - a->vbytes) / (b.bitrate - a->bitrate);
    if (!(slope * b.bitrate >= MIN_RETURN * b.vbytes))
      return 0;
    next = b.bitrate + (want - b.vbytes) / slope;
  }
  return next > b.bitrate * MAX_STEP ? b.bitrate * MAX_STEP : next;
}

/* One more run of the last pass at bitrate, from the first pass's
 * statistics, with the VBV of wapf__budget_refill_vbv, into a new
 * temporary file beside the output. Kept, replacing the output (*size
 * bytes) and last's plan, when larger and within the limit. *got
 * receives the run's measure. */
static int refill_once(wapf_context *ctx, const wapf_facts *f, wapf_av_job *job,
                       wapf_av_job *last, double bitrate, int64_t *size,
                       point *got) {
  wapf_av_job again = *last;
  AVRational fr = wapf__job_frame_rate(last);
  again.vp.vbitrate = (int64_t)bitrate;
  wapf__budget_refill_vbv(&again.vp, fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0);
  again.prog_base = job->prog_base + job->prog_share;
  again.prog_share = 0; /* the bar stays full: the size is not known before */
  wapf_tmpfile t;
  int rc = wapf__tmp_open(ctx, &t, job->out->final, NULL, 1);
  if (rc == WAPF_OK)
    rc = open_input(ctx, f, last, 1, &again.in);
  if (rc != WAPF_OK) {
    wapf__tmp_discard(&t);
    return rc;
  }
  again.out_path = t.path;
  rc = wapf__pipeline_run(ctx, &again);
  wapf__demux_close(&again.in);
  int64_t got_size = rc == WAPF_OK ? wapf__file_size(t.path) : -1;
  *got = (point){bitrate, (double)again.vbytes};
  if (rc == WAPF_OK && got_size > *size && got_size <= job->limit) {
    wapf__tmp_discard(job->out);
    *job->out = t;
    again.in = last->in;
    *last = again;
    *size = got_size;
    return WAPF_OK;
  }
  if (rc == WAPF_OK)
    wapf__log(ctx, WAPF_LOG_INFO,
              "the last pass again gave %lld bytes (%s): the %lld before "
              "are kept",
              (long long)got_size,
              got_size > job->limit ? "over the limit" : "no more",
              (long long)*size);
  wapf__tmp_discard(&t);
  return rc;
}

/* Run the last pass again while the output stays under the floor (a
 * stretch that takes fewer bytes than the first pass promised: a still
 * title, a near-black scene). last is the run kept. Errors other than a
 * cancel keep the output there is. */
static int refill(wapf_context *ctx, const wapf_facts *f, wapf_av_job *job,
                  wapf_av_job *last) {
  point tried = {(double)last->vp.vbitrate, (double)last->vbytes}, prev;
  int64_t size = wapf__file_size(job->out->path);
  for (int n = 0; n < REFILLS && size >= 0; n++) {
    if ((double)size >= (double)job->limit * WAPF_AV_FILL_FLOOR)
      return WAPF_OK;
    double want = (double)job->limit * WAPF_AV_FILL -
                  ((double)size - (double)last->vbytes);
    double b = next_bitrate(want, n ? &prev : NULL, tried);
    if (b < (double)last->vp.vbitrate * 1.01)
      return WAPF_OK;
    wapf__log(ctx, WAPF_LOG_INFO,
              "the last pass filled %.1f %% of %lld bytes: once more at %lld "
              "kbit/s",
              100.0 * (double)size / (double)job->limit, (long long)job->limit,
              (long long)(b / 1000));
    if (!job->first_bytes)
      job->first_bytes = size;
    int64_t before = size;
    prev = tried;
    int rc = refill_once(ctx, f, job, last, b, &size, &tried);
    if (rc == WAPF_ECANCELLED)
      return rc;
    if (rc != WAPF_OK) {
      wapf__log(ctx, WAPF_LOG_WARNING, "the last pass again failed (%s)",
                wapf_last_error(ctx));
      return WAPF_OK;
    }
    if (size == before)
      continue; /* not kept: the next run goes along the secant */
    job->refills++;
    job->vp.vbitrate = last->vp.vbitrate;
    job->vp.maxrate = last->vp.maxrate;
    job->vp.bufsize = last->vp.bufsize;
    job->vp.level = last->vp.level;
    job->out_path = job->out->path;
  }
  return WAPF_OK;
}

int wapf__twopass_run(wapf_context *ctx, const wapf_facts *f,
                      wapf_av_job *job) {
  GError *err = NULL;
  sweep_stale(ctx);
  char tmpl[64];
  snprintf(tmpl, sizeof tmpl, PREFIX "%ld-XXXXXX", (long)getpid());
  char *dir = g_dir_make_tmp(tmpl, &err);
  if (!dir) {
    wapf__log(ctx, WAPF_LOG_WARNING,
              "no temporary folder for two passes (%s); encoding in one",
              err ? err->message : "unknown error");
    g_clear_error(&err);
    return wapf__pipeline_run(ctx, job);
  }
  char *stats = g_build_filename(dir, "x264.stats", NULL);
  wapf_av_job two = *job;
  int64_t t0 = av_gettime_relative();
  int rc = first_pass(ctx, f, job, stats);
  double first_s = (double)(av_gettime_relative() - t0) / 1e6;
  if (rc == WAPF_OK) {
    two.vp.pass = 2;
    two.vp.stats = stats;
    two.prog_base = job->prog_base + job->prog_share * FIRST_SHARE;
    two.prog_share = job->prog_share * (1 - FIRST_SHARE);
  } else if (rc != WAPF_ECANCELLED) {
    wapf__log(ctx, WAPF_LOG_WARNING,
              "the first pass failed (%s); encoding in one pass",
              wapf_last_error(ctx));
    rc = WAPF_OK;
  }
  if (rc == WAPF_OK) {
    t0 = av_gettime_relative();
    rc = wapf__pipeline_run(ctx, &two);
  }
  if (rc == WAPF_OK && two.vp.pass == 2)
    wapf__log(ctx, WAPF_LOG_INFO, "two passes: first %.2f s, second %.2f s",
              first_s, (double)(av_gettime_relative() - t0) / 1e6);
  if (rc == WAPF_OK && two.vp.pass == 2 && job->limit > 0 && job->out)
    rc = refill(ctx, f, job, &two);
  job->in = two.in;
  remove_dir(dir);
  g_free(stats);
  g_free(dir);
  return rc;
}
