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

/* Pass 1 reads its own demuxer, placed the way the job's was (the same
 * trim), so that pass 2 sees the frames pass 1 saw. */
static int first_pass(wapf_context *ctx, const wapf_facts *f,
                      const wapf_av_job *job, const char *stats) {
  wapf_av_job one = *job;
  const wapf_options *opt = job->opt;
  int rc = wapf__demux_open(ctx, f, &one.in);
  if (rc != WAPF_OK)
    return rc;
  one.in.vidx = job->in.vidx;
  one.in.aidx = -1;
  rc = wapf__demux_trim(ctx, &one.in, opt ? opt->start : 0,
                        opt ? opt->duration : -1, 0);
  one.in.span = job->in.span;
  one.in.cut_end = job->in.cut_end;
  one.amode = WAPF_AV_SKIP;
  one.out_path = NULL;
  one.vp.pass = 1;
  one.vp.stats = stats;
  one.prog_base = job->prog_base;
  one.prog_share = job->prog_share * FIRST_SHARE;
  if (rc == WAPF_OK)
    rc = wapf__pipeline_run(ctx, &one);
  wapf__demux_close(&one.in);
  return rc;
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
  job->in = two.in;
  remove_dir(dir);
  g_free(stats);
  g_free(dir);
  return rc;
}
