/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process-wide set-up: libvips starts only for pictures; no
 * environment variable is set; outside the library's calls, FFmpeg's and
 * libvips' messages of the host program behave as if the library were not
 * there (FFmpeg's default callback, GLib's default handler); inside them
 * they reach the context's logger as one line each. */
#include "internal.h"
#include "t.h"

#include <pthread.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>
#include <vips/vips.h>

static char dir[] = "/tmp/wapf-global-XXXXXX";

static char *file_in(const char *name) {
  static char path[4][256];
  static int k;
  char *p = path[k++ % 4];
  snprintf(p, sizeof path[0], "%s/%s", dir, name);
  return p;
}

/* A 0.1 s 8 kHz mono 16-bit WAV, written by hand. */
static void write_wav(const char *path) {
  unsigned char h[44] = "RIFF\0\0\0\0WAVEfmt ";
  uint32_t n = 1600, v;
  FILE *f = fopen(path, "wb");
  v = 36 + n;
  memcpy(h + 4, &v, 4);
  unsigned char fmt[20] = {16, 0, 0,    0,    1, 0, 1, 0, 0x40, 0x1f,
                           0,  0, 0x80, 0x3e, 0, 0, 2, 0, 16,   0};
  memcpy(h + 16, fmt, 20);
  memcpy(h + 36, "data", 4);
  memcpy(h + 40, &n, 4);
  fwrite(h, 1, 44, f);
  for (uint32_t i = 0; i < n; i++)
    fputc((int)(i * 7 % 251), f);
  fclose(f);
}

static int probe_ok(wapf_context *ctx, const char *path) {
  wapf_facts *f = NULL;
  int rc = wapf_probe(ctx, path, &f);
  wapf_facts_free(&f);
  return rc;
}

static void vips_starts_only_for_pictures(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  T_CHECK(!wapf__vips_started());
  FILE *t = fopen(file_in("a.txt"), "w");
  fputs("plain text\n", t);
  fclose(t);
  write_wav(file_in("a.wav"));
  T_EQ_INT(probe_ok(ctx, file_in("a.txt")), WAPF_OK);
  T_EQ_INT(probe_ok(ctx, file_in("a.wav")), WAPF_OK);
  T_CHECK(!wapf__vips_started());
  char cmd[512];
  snprintf(cmd, sizeof cmd, "vips black '%s' 8 8 2>/dev/null",
           file_in("a.png"));
  if (system(cmd) != 0) {
    wapf_close(&ctx);
    T_SKIP("the vips command cannot make a PNG here");
  }
  T_EQ_INT(probe_ok(ctx, file_in("a.png")), WAPF_OK);
  T_CHECK(wapf__vips_started());
  T_CHECK(getenv("VIPS_WARNING") == NULL); /* no setenv in a library */
  wapf_close(&ctx);
}

/* stderr of fn(), read back through a file. */
static const char *stderr_of(void (*fn)(void)) {
  static char buf[4096];
  fflush(stderr);
  int saved = dup(2);
  int fd = open(file_in("stderr.txt"), O_RDWR | O_CREAT | O_TRUNC, 0600);
  dup2(fd, 2);
  fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  close(fd);
  return buf;
}

static void host_av_log(void) {
  av_log(NULL, AV_LOG_ERROR, "host ffmpeg\n");
}
static void host_g_log(void) {
  g_log("VIPS", G_LOG_LEVEL_WARNING, "host vips");
  g_log("GLib-GObject", G_LOG_LEVEL_WARNING, "host gobject");
}

static void host_messages_are_untouched(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  T_EQ_INT(probe_ok(ctx, file_in("a.png")), WAPF_OK); /* libvips running */
  T_CHECK(strstr(stderr_of(host_av_log), "host ffmpeg") != NULL);
  const char *err = stderr_of(host_g_log);
  T_CHECK(strstr(err, "host vips") != NULL);
  T_CHECK(strstr(err, "host gobject") != NULL);
  T_EQ_INT(av_log_get_level(), AV_LOG_INFO); /* never changed */
  wapf_close(&ctx);
}

static char logged[8192];

static void on_log(void *cookie, wapf_log_level level, const char *msg) {
  (void)cookie;
  (void)level;
  size_t n = strlen(logged);
  snprintf(logged + n, sizeof logged - n, "%s\n", msg);
}

static void inside_a_call_they_reach_the_logger(void) {
  wapf_settings s;
  wapf_default_settings(&s);
  s.logger = on_log;
  s.log_level = WAPF_LOG_DEBUG;
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, &s), WAPF_OK);
  logged[0] = '\0';
  wapf__enter(ctx);
  av_log(NULL, AV_LOG_ERROR, "two\nlines\n");
  g_log("VIPS", G_LOG_LEVEL_WARNING, "Couldn't link the profiles\n");
  g_log("GLib-GObject", G_LOG_LEVEL_CRITICAL, "g_object_unref: assertion");
  wapf__leave(ctx);
  T_CHECK(strstr(logged, "ffmpeg: two lines\n") != NULL);
  T_CHECK(strstr(logged, "libvips: Couldn't link the profiles\n") != NULL);
  T_CHECK(strstr(logged, "GLib-GObject: g_object_unref: assertion\n") != NULL);
  wapf_close(&ctx);
}

/* Each thread's messages reach the logger of the context running on that
 * thread, never another's; a thread running none has its messages dropped
 * while a call runs; nothing is left marked after the calls. */
typedef struct runner {
  wapf_context *ctx;
  char log[4096];
  const char *word;
  pthread_barrier_t *bar;
} runner;

static void runner_log(void *cookie, wapf_log_level level, const char *msg) {
  (void)level;
  runner *r = cookie;
  size_t n = strlen(r->log);
  snprintf(r->log + n, sizeof r->log - n, "%s\n", msg);
}

static void *run_one(void *p) {
  runner *r = p;
  pthread_barrier_wait(r->bar);
  for (int i = 0; i < 50; i++) {
    wapf__enter(r->ctx);
    wapf__enter(r->ctx); /* nested, as wapf_send's probe */
    av_log(NULL, AV_LOG_ERROR, "%s %d", r->word, i);
    wapf__leave(r->ctx);
    av_log(NULL, AV_LOG_ERROR, "%s outer %d", r->word, i);
    wapf__leave(r->ctx);
  }
  return NULL;
}

static void *stray(void *p) {
  pthread_barrier_wait(p);
  for (int i = 0; i < 50; i++)
    av_log(NULL, AV_LOG_ERROR, "stray %d", i);
  return NULL;
}

static void each_thread_reaches_its_own_context(void) {
  pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, 3);
  runner r[2] = {{.word = "alpha", .bar = &bar}, {.word = "beta", .bar = &bar}};
  wapf_context *hold = NULL;
  T_EQ_INT(wapf_open(&hold, NULL), WAPF_OK);
  wapf__enter(hold); /* a call runs: stray messages are dropped */
  for (int i = 0; i < 2; i++) {
    wapf_settings s;
    wapf_default_settings(&s);
    s.logger = runner_log;
    s.log_cookie = &r[i];
    s.log_level = WAPF_LOG_DEBUG;
    T_EQ_INT(wapf_open(&r[i].ctx, &s), WAPF_OK);
  }
  pthread_t t[3];
  pthread_create(&t[0], NULL, run_one, &r[0]);
  pthread_create(&t[1], NULL, run_one, &r[1]);
  pthread_create(&t[2], NULL, stray, &bar);
  for (int i = 0; i < 3; i++)
    pthread_join(t[i], NULL);
  wapf__leave(hold);
  for (int i = 0; i < 2; i++) {
    char want[64];
    snprintf(want, sizeof want, "ffmpeg: %s 49\n", r[i].word);
    T_CHECK(strstr(r[i].log, want) != NULL);
    snprintf(want, sizeof want, "ffmpeg: %s outer 49\n", r[i].word);
    T_CHECK(strstr(r[i].log, want) != NULL);
    T_CHECK(strstr(r[i].log, r[1 - i].word) == NULL);
    T_CHECK(strstr(r[i].log, "stray") == NULL);
    wapf_close(&r[i].ctx);
  }
  wapf_close(&hold);
  pthread_barrier_destroy(&bar);
  /* No call runs now: a host message goes to FFmpeg's default again. */
  T_CHECK(strstr(stderr_of(host_av_log), "host ffmpeg") != NULL);
}

int main(void) {
  if (!mkdtemp(dir))
    return 1;
  T_RUN(vips_starts_only_for_pictures);
  T_RUN(host_messages_are_untouched);
  T_RUN(inside_a_call_they_reach_the_logger);
  T_RUN(each_thread_reaches_its_own_context);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    return 1;
  return T_DONE();
}
