/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf__av_decode_frames(): upright RGBA frames for animated stickers. */
#include "avt.h"

typedef struct got {
  int n, w, h, stride;
  int64_t first_ms, last_ms;
  int monotonic;
  int stop_after;   /* return 7 after this many frames, 0 never */
  uint8_t px[2][4]; /* two probe pixels of the first frame */
  int px_at[2][2];
} got;

static int on_frame(void *cookie, const uint8_t *rgba, int w, int h, int stride,
                    int64_t pts_ms) {
  got *g = cookie;
  if (g->n == 0) {
    g->w = w, g->h = h, g->stride = stride, g->first_ms = pts_ms;
    g->monotonic = 1;
    for (int i = 0; i < 2; i++) {
      int x = g->px_at[i][0], y = g->px_at[i][1];
      if (x < w && y < h)
        memcpy(g->px[i], rgba + (size_t)y * stride + (size_t)x * 4, 4);
    }
  } else if (pts_ms <= g->last_ms) {
    g->monotonic = 0;
  }
  if (w != g->w || h != g->h)
    g->monotonic = 0;
  g->last_ms = pts_ms;
  g->n++;
  return g->stop_after && g->n >= g->stop_after ? 7 : 0;
}

/* Probe path, then decode its frames from the facts (the probe's demuxer
 * is taken back, as in a conversion); the probe's status when it fails. */
static int frames_of(wapf_context *ctx, const char *path, double start,
                     double secs, double fps, int box, got *g) {
  wapf_facts *f = NULL;
  int rc = wapf_probe(ctx, path, &f);
  if (rc == WAPF_OK)
    rc = wapf__av_decode_frames(ctx, f, start, secs, fps, box, on_frame, g);
  wapf_facts_free(&f);
  return rc;
}

static void frames_generated_fps_and_trim(void) {
  const char *in = avt_make("t30.mp4", "-f lavfi -i testsrc=s=320x240:r=30 "
                                       "-t 3 -c:v libx264 -pix_fmt yuv420p");
  T_CHECK(in);
  wapf_context *ctx = avt_open();
  got g = {0};
  int rc = frames_of(ctx, in, 0.5, 1.0, 10, 128, &g);
  wapf_close(&ctx);
  T_EQ_INT(rc, WAPF_OK);
  T_EQ_INT(g.w, 128);
  T_EQ_INT(g.h, 96);
  T_CHECK(g.stride >= 128 * 4);
  T_CHECK(g.monotonic);
  T_CHECK(g.n >= 9 && g.n <= 11); /* 1 s at <= 10 fps */
  T_CHECK(g.first_ms >= 0 && g.first_ms < 100);
  T_CHECK(g.last_ms < 1000);
}

/* Rotation comes from the display matrix and is applied to the pixels:
 * the same way ffmpeg's autorotate shows it. */
static void frames_rotation_applied(void) {
  const char *flat = avt_make(
      "band.mp4", "-f lavfi -i color=red:s=320x120:r=10,pad=320:240:0:0:blue "
                  "-t 1 -c:v libx264 -pix_fmt yuv420p");
  T_CHECK(flat);
  const char *rot = avt_make("band_rot.mp4",
                             "-i '%s' -c copy -metadata:s:v:0 rotate=90", flat);
  T_CHECK(rot);
  wapf_context *ctx = avt_open();
  got g = {.px_at = {{8, 32}, {40, 32}}};
  int rc = frames_of(ctx, rot, 0, 10, 0, 64, &g);
  wapf_close(&ctx);
  T_EQ_INT(rc, WAPF_OK);
  T_EQ_INT(g.w, 48);
  T_EQ_INT(g.h, 64);
  T_EQ_INT(g.n, 10);
  /* ffmpeg -i band_rot.mp4 shows the red band on the left */
  T_CHECK(g.px[0][0] > 200 && g.px[0][2] < 60);
  T_CHECK(g.px[1][2] > 200 && g.px[1][0] < 60);
  T_EQ_INT(g.px[0][3], 255);
}

static void frames_gif_with_alpha(void) {
  const char *in = avt_corpus("video/animated_gif_cogs_5frames.gif");
  if (!in)
    T_SKIP("corpus absent");
  wapf_context *ctx = avt_open();
  got g = {0};
  int rc = frames_of(ctx, in, 0, 10, 30, 512, &g);
  wapf_close(&ctx);
  T_EQ_INT(rc, WAPF_OK);
  T_EQ_INT(g.n, 5);
  T_EQ_INT(g.w, 512);
  T_EQ_INT(g.h, 464); /* 85x77 */
  T_CHECK(g.monotonic);
}

static void frames_portrait_phone_clip(void) {
  const char *in =
      avt_corpus("video/h264_aac_4k60_portrait_rot90_moov_at_end.mp4");
  if (!in)
    T_SKIP("corpus absent");
  wapf_context *ctx = avt_open();
  got g = {0};
  int rc = frames_of(ctx, in, 0, 10, 10, 512, &g);
  wapf_close(&ctx);
  T_EQ_INT(rc, WAPF_OK);
  T_EQ_INT(g.h, 512);
  T_EQ_INT(g.w, 288);
  T_CHECK(g.n >= 2 && g.n <= 5); /* 0.31 s at <= 10 fps */
}

static void frames_callback_stops(void) {
  const char *in = avt_make("t30.mp4", "unused");
  T_CHECK(in);
  wapf_context *ctx = avt_open();
  got g = {.stop_after = 3};
  int rc = frames_of(ctx, in, 0, 10, 0, 64, &g);
  wapf_close(&ctx);
  T_EQ_INT(rc, 7);
  T_EQ_INT(g.n, 3);
}

static void frames_refuses_audio_and_garbage(void) {
  const char *wav = avt_make("tone.wav", "-f lavfi -i sine=d=1");
  T_CHECK(wav);
  wapf_context *ctx = avt_open();
  got g = {0};
  T_EQ_INT(frames_of(ctx, wav, 0, 1, 0, 64, &g), WAPF_EUNSUPPORTED);
  T_CHECK(strstr(wapf_last_error(ctx), "no video"));
  const char *bad = avt_corpus("malformed/webm_vp9_invalid_bitstream.webm");
  if (bad) {
    int rc = frames_of(ctx, bad, 0, 10, 0, 64, &g);
    T_CHECK(rc == WAPF_ECORRUPT || rc == WAPF_OK);
  }
  T_EQ_INT(frames_of(ctx, "/nonexistent.mp4", 0, 1, 0, 64, &g), WAPF_ENOENT);
  wapf_close(&ctx);
}

int main(void) {
  atexit(avt_cleanup);
  T_RUN(frames_generated_fps_and_trim);
  T_RUN(frames_rotation_applied);
  T_RUN(frames_gif_with_alpha);
  T_RUN(frames_portrait_phone_clip);
  T_RUN(frames_callback_stops);
  T_RUN(frames_refuses_audio_and_garbage);
  return T_DONE();
}
