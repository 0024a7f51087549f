/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A cancel sticks for the whole of wapf_send: asked for by the logger
 * while the file is converting (wapf_send calls wapf_convert itself), by
 * the progress callback, or by another thread while a request hangs, it
 * ends the send with WAPF_ECANCELLED and nothing reaches the provider.
 * The "provider" is a listening socket on 127.0.0.1 that this test never
 * answers: any connection made to it is counted. */
#include "t.h"
#include "wapf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

static char g_dir[] = "/tmp/wapf-cancel-XXXXXX";
static char g_png[256], g_jpg[256], g_base[64];
static int g_listen = -1;

static int listen_loopback(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(fd, 16) != 0 || getsockname(fd, (struct sockaddr *)&a, &n) != 0)
    return -1;
  snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d", ntohs(a.sin_port));
  return fd;
}

/* Connections made to the fake since the last call (accepted and closed). */
static int connections(void) {
  int n = 0;
  struct pollfd p = {g_listen, POLLIN, 0};
  while (poll(&p, 1, 0) == 1) {
    int c = accept(g_listen, NULL, NULL);
    if (c < 0)
      break;
    close(c);
    n++;
  }
  return n;
}

/* A PNG with alpha (not compliant: send converts it to JPEG first) and a
 * compliant JPEG, made with libvips. */
static int make_images(void) {
  unsigned char px[32 * 32 * 4];
  for (size_t i = 0; i < sizeof px; i += 4) {
    px[i] = 200, px[i + 1] = (unsigned char)i, px[i + 2] = 40;
    px[i + 3] = 128;
  }
  VipsImage *im =
      vips_image_new_from_memory(px, sizeof px, 32, 32, 4, VIPS_FORMAT_UCHAR);
  VipsImage *rgb = NULL;
  snprintf(g_png, sizeof g_png, "%s/alpha.png", g_dir);
  snprintf(g_jpg, sizeof g_jpg, "%s/photo.jpg", g_dir);
  int bad = !im || vips_pngsave(im, g_png, NULL) ||
            vips_extract_band(im, &rgb, 0, "n", 3, NULL) ||
            vips_jpegsave(rgb, g_jpg, NULL);
  if (rgb)
    g_object_unref(rgb);
  if (im)
    g_object_unref(im);
  return bad ? -1 : 0;
}

static void request(wapf_send_request *q, double timeout) {
  wapf_default_send_request(q);
  q->provider = WAPF_PROVIDER_META;
  q->to = "15551234567";
  q->api_base = g_base;
  q->no_cache = 1;
  q->timeout = timeout;
  q->connect_timeout = timeout;
  q->max_attempts = 1;
}

typedef struct logged {
  wapf_context *ctx;
  int converting;
} logged;

static void cancel_at_converting(void *cookie, wapf_log_level l,
                                 const char *msg) {
  logged *lg = cookie;
  (void)l;
  if (strstr(msg, "converting")) {
    lg->converting = 1;
    wapf_cancel(lg->ctx);
  }
}

static void logger_cancel_during_conversion_sends_nothing(void) {
  logged lg = {NULL, 0};
  wapf_settings s;
  wapf_default_settings(&s);
  s.logger = cancel_at_converting;
  s.log_cookie = &lg;
  s.log_level = WAPF_LOG_INFO;
  T_EQ_INT(wapf_open(&lg.ctx, &s), WAPF_OK);
  wapf_send_request q;
  request(&q, 2);
  wapf_send_result r;
  connections();
  int rc = wapf_send(lg.ctx, g_png, NULL, &q, &r);
  int made = connections();
  wapf_close(&lg.ctx);
  T_CHECK(lg.converting); /* the file was really being converted */
  T_EQ_INT(rc, WAPF_ECANCELLED);
  T_EQ_INT(made, 0);
  T_EQ_INT(r.attempts, 0);
  wapf_send_result_clear(&r);
}

static int stop_now(void *cookie, double f) {
  (void)f;
  ++*(int *)cookie;
  return 1;
}

static void progress_cancel_sends_nothing(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  wapf_options o;
  wapf_default_options(&o);
  int calls = 0;
  o.progress = stop_now;
  o.progress_cookie = &calls;
  wapf_send_request q;
  request(&q, 2);
  connections();
  int rc = wapf_send(ctx, g_png, &o, &q, NULL);
  int made = connections();
  wapf_close(&ctx);
  T_CHECK(calls > 0);
  T_EQ_INT(rc, WAPF_ECANCELLED);
  T_EQ_INT(made, 0);
}

typedef struct canceller {
  wapf_context *ctx;
  int seen; /* a connection was made before the cancel */
} canceller;

/* Wait for the upload's connection, hold it open unanswered, cancel. */
static void *cancel_when_connected(void *arg) {
  canceller *c = arg;
  struct pollfd p = {g_listen, POLLIN, 0};
  int fd = -1;
  if (poll(&p, 1, 20000) == 1)
    fd = accept(g_listen, NULL, NULL);
  c->seen = fd >= 0;
  usleep(300 * 1000);
  wapf_cancel(c->ctx); /* from another thread */
  usleep(500 * 1000);
  if (fd >= 0)
    close(fd);
  return NULL;
}

static void thread_cancel_aborts_a_hanging_upload(void) {
  canceller c = {NULL, 0};
  T_EQ_INT(wapf_open(&c.ctx, NULL), WAPF_OK);
  wapf_send_request q;
  request(&q, 60); /* would take a minute without the abort */
  wapf_send_result r;
  connections();
  pthread_t th;
  T_EQ_INT(pthread_create(&th, NULL, cancel_when_connected, &c), 0);
  int rc = wapf_send(c.ctx, g_jpg, NULL, &q, &r);
  pthread_join(th, NULL);
  int more = connections();
  wapf_close(&c.ctx);
  T_CHECK(c.seen);
  T_EQ_INT(rc, WAPF_ECANCELLED);
  T_EQ_INT(more, 0); /* no message request after the aborted upload */
  wapf_send_result_clear(&r);
}

int main(void) {
  if (!mkdtemp(g_dir) || VIPS_INIT("test"))
    return 1;
  char env[300];
  snprintf(env, sizeof env, "%s/tmp", g_dir);
  mkdir(env, 0700);
  setenv("TMPDIR", env, 1);
  setenv("XDG_CONFIG_HOME", g_dir, 1);
  setenv("WA_TOKEN", "test-token-1234567", 1);
  setenv("WA_PHONE_NUMBER_ID", "106540352242922", 1);
  g_listen = listen_loopback();
  if (g_listen < 0 || make_images() != 0)
    return 1;
  T_RUN(logger_cancel_during_conversion_sends_nothing);
  T_RUN(progress_cancel_sends_nothing);
  T_RUN(thread_cancel_aborts_a_hanging_upload);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0)
    return 1;
  return T_DONE();
}
