/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the batch module: the temporary-name pattern that a run
 * may delete, argument checks of wapf_batch_run(), and one small run
 * through the public API with its events and summary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "t.h"

static void temp_names_match_only_the_library_pattern(void) {
  T_CHECK(wapf__is_temp_of(".a.mp4.Ab12Cd.mp4", "a.mp4"));
  T_CHECK(wapf__is_temp_of(".photo.jpg.000000.jpg", "photo.jpg"));
  T_CHECK(wapf__is_temp_of(".my.file.name.pdf.zZ9yY8.pdf", "my.file.name.pdf"));
  T_CHECK(wapf__is_temp_of(".README.x1Y2z3", "README"));
  T_CHECK(
      !wapf__is_temp_of(".README.x1Y2z3", "README.md")); /* not its output */
  T_CHECK(!wapf__is_temp_of(".a.mp4.Ab12Cd.mp4", "b.mp4"));
  T_CHECK(!wapf__is_temp_of("a.mp4.Ab12Cd.mp4", "a.mp4")); /* not hidden */
  T_CHECK(
      !wapf__is_temp_of(".a.mp4.Ab12Cd.ogg", "a.mp4")); /* other extension */
  T_CHECK(
      !wapf__is_temp_of(".a.mp4.Ab1-Cd.mp4", "a.mp4")); /* not alphanumeric */
  T_CHECK(!wapf__is_temp_of(".a.mp4.Ab12C.mp4", "a.mp4")); /* five characters */
  T_CHECK(!wapf__is_temp_of(".notes.txt.backup", "notes.txt"));
}

static void groups_and_shards_are_stable(void) {
  char *g = wapf__group_key("clips/a.mkv");
  T_EQ_STR(g, "clips/a");
  g_free(g);
  g = wapf__group_key("clips/a-2.mp4");
  T_EQ_STR(g, "clips/a");
  g_free(g);
  g = wapf__group_key("a-1-22");
  T_EQ_STR(g, "a");
  g_free(g);
  g = wapf__group_key("x/v1.2-3.tar.gz");
  T_EQ_STR(g, "x/v1.2-3.tar");
  g_free(g);
  g = wapf__group_key("x/-2.jpg"); /* never empty */
  T_EQ_STR(g, "x/-2");
  g_free(g);
  /* FNV-1a 64 of "clips/a" = 0x... mod N, fixed forever */
  T_EQ_INT(wapf_batch_shard_of("clips/a.mkv", 1), 0);
  T_EQ_INT(wapf_batch_shard_of("clips/a.mkv", 3),
           wapf_batch_shard_of("clips/a-2.mp4", 3));
  T_EQ_INT(wapf_batch_shard_of("clips/a.mkv", 0), -1);
  T_EQ_INT(wapf_batch_shard_of(NULL, 3), -1);
  /* known values: FNV-1a 64 of "" and of "a" (published test vectors) */
  T_EQ_INT(wapf_batch_shard_of("a.jpg", 1000),
           (int)(0xaf63dc4c8601ec8cULL % 1000));
  T_EQ_INT(wapf_batch_shard_of("foobar.png", 1000),
           (int)(0x85944171f73967e8ULL % 1000));
}

static char g_dir[64];

static void make_dir(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/wapf-batch-XXXXXX");
  if (!mkdtemp(g_dir))
    abort();
}

static void write_file(const char *rel, const char *text) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", g_dir, rel);
  char *slash = strrchr(p, '/');
  *slash = '\0';
  char cmd[300];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
  if (system(cmd) != 0)
    abort();
  *slash = '/';
  FILE *f = fopen(p, "w");
  if (!f)
    abort();
  fputs(text, f);
  fclose(f);
}

static void bad_arguments_are_refused(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  wapf_batch_settings bs;
  wapf_batch_default_settings(&bs);
  T_EQ_INT(bs.jobs, 0);
  T_EQ_INT(bs.options.kind, WAPF_KIND_AUTO);
  T_EQ_INT(wapf_batch_run(ctx, NULL, "/tmp/x", &bs, NULL), WAPF_EINVAL);
  bs.jobs = 257;
  T_EQ_INT(wapf_batch_run(ctx, g_dir, "/tmp/x", &bs, NULL), WAPF_EINVAL);
  bs.jobs = 1;
  bs.reserved[3] = 1;
  T_EQ_INT(wapf_batch_run(ctx, g_dir, "/tmp/x", &bs, NULL), WAPF_EINVAL);
  bs.reserved[3] = 0;
  T_EQ_INT(wapf_batch_run(ctx, "/nonexistent/wapf", "/tmp/x", &bs, NULL),
           WAPF_ENOENT);
  T_EQ_INT(wapf_batch_run(ctx, g_dir, g_dir, &bs, NULL), WAPF_EINVAL);
  T_CHECK(strlen(wapf_last_error(ctx)) > 0);
  wapf_close(&ctx);
}

typedef struct seen {
  int checked, started, finished, failed;
  int64_t last_done, total;
} seen;

static int count_event(void *cookie, const wapf_batch_event *ev) {
  seen *s = cookie;
  if (ev->type == WAPF_BATCH_EV_CHECKED)
    s->checked++;
  else if (ev->type == WAPF_BATCH_EV_STARTED)
    s->started++;
  else {
    s->finished++;
    s->failed += ev->action == WAPF_BATCH_FAILED;
    s->last_done = ev->done;
    s->total = ev->total;
  }
  return 0;
}

static void small_run_events_and_summary(void) {
  write_file("in/a.txt", "alpha\n");
  write_file("in/sub/b.txt", "beta\n");
  write_file("in/.hidden.txt", "hidden\n");
  write_file("in/sub/empty.pdf", "");
  char in[128], out[128];
  snprintf(in, sizeof in, "%s/in", g_dir);
  snprintf(out, sizeof out, "%s/out", g_dir);
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  wapf_batch_settings bs;
  wapf_batch_default_settings(&bs);
  seen s = {0};
  bs.on_event = count_event;
  bs.event_cookie = &s;
  bs.jobs = 2;
  wapf_batch_summary sum;
  int rc = wapf_batch_run(ctx, in, out, &bs, &sum);
  wapf_close(&ctx);
  T_EQ_INT(rc, WAPF_OK);
  T_EQ_INT(sum.files, 3);
  T_EQ_INT(sum.all.copied, 2);
  T_EQ_INT(sum.all.failed, 1); /* the empty file */
  T_EQ_INT(sum.kinds[WAPF_KIND_DOCUMENT].copied, 2);
  T_EQ_INT(s.finished, 3);
  T_EQ_INT(s.failed, 1);
  T_EQ_INT(s.checked, 3);
  T_EQ_INT(s.started, 2);
  T_EQ_INT(s.last_done, 3);
  T_EQ_INT(s.total, 3);
  char p[256];
  struct stat st;
  snprintf(p, sizeof p, "%s/sub/b.txt", out);
  T_EQ_INT(stat(p, &st), 0);
  snprintf(p, sizeof p, "%s/.hidden.txt", out);
  T_CHECK(stat(p, &st) != 0);
}

int main(void) {
  make_dir();
  T_RUN(temp_names_match_only_the_library_pattern);
  T_RUN(groups_and_shards_are_stable);
  T_RUN(bad_arguments_are_refused);
  T_RUN(small_run_events_and_summary);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", g_dir);
  return T_DONE();
}
