/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The av back end through the public calls (probe -> check -> convert):
 * progress, cancellation, no partial output; and the byte budget's
 * choices (resolution, rate control, level, refusal) as plain numbers. */
#include "../../lib/av/av.h"
#include "avt.h"

#include <sys/stat.h>

/* ---- budget ---- */

static wapf_vsource src1080(double seconds, double fps) {
  wapf_vsource s = {.width = 1920,
                    .height = 1080,
                    .fps = fps,
                    .seconds = seconds,
                    .has_audio = 1,
                    .audio_channels = 2,
                    .max_long_side = 1920,
                    .limit = 16000000};
  return s;
}

/* Bits the plan can spend must fit in the limit. */
static int64_t planned_bytes(const wapf_vplan *p, double seconds) {
  int64_t v = p->mode == WAPF_RC_ABR ? p->vbitrate : p->maxrate;
  return (int64_t)((double)(v + p->abitrate) * seconds / 8);
}

static void budget_two_minutes_1080p_goes_720p(void) {
  wapf_context *ctx = avt_open();
  wapf_vsource s = src1080(120, 30);
  wapf_vplan p;
  T_EQ_INT(wapf__budget_video(ctx, &s, 1.0, &p), WAPF_OK);
  wapf_close(&ctx);
  T_EQ_INT(p.mode, WAPF_RC_ABR);
  T_EQ_INT(p.width, 1280);
  T_EQ_INT(p.height, 720);
  T_CHECK(p.vbitrate > 800000 && p.vbitrate < 1100000);
  int64_t bytes = planned_bytes(&p, 120);
  T_CHECK(bytes <= 16000000 && bytes >= 16000000 * 85 / 100);
  T_CHECK(p.level >= 31 && p.level <= 40);
}

static void budget_one_minute_1080p60_caps_fps(void) {
  wapf_context *ctx = avt_open();
  wapf_vsource s = src1080(60, 60);
  wapf_vplan p;
  T_EQ_INT(wapf__budget_video(ctx, &s, 1.0, &p), WAPF_OK);
  wapf_close(&ctx);
  T_EQ_INT(p.mode, WAPF_RC_ABR);
  T_EQ_INT(p.fps.num, 30); /* budget binds: 30 fps is the better use */
  int64_t bytes = planned_bytes(&p, 60);
  T_CHECK(bytes <= 16000000 && bytes >= 16000000 * 85 / 100);
  /* a lower retry scale lowers the bitrate */
  wapf_vplan q;
  ctx = avt_open();
  T_EQ_INT(wapf__budget_video(ctx, &s, 0.9, &q), WAPF_OK);
  wapf_close(&ctx);
  T_CHECK(q.vbitrate < p.vbitrate);
}

static void budget_short_clip_constant_quality(void) {
  wapf_context *ctx = avt_open();
  wapf_vsource s = src1080(10, 30);
  s.width = 3840, s.height = 2160, s.max_long_side = 1920;
  wapf_vplan p;
  T_EQ_INT(wapf__budget_video(ctx, &s, 1.0, &p), WAPF_OK);
  wapf_close(&ctx);
  T_EQ_INT(p.mode, WAPF_RC_CRF);
  T_EQ_INT(p.width, 1920);
  T_EQ_INT(p.height, 1080);
  T_EQ_INT(p.level, 40);
  T_CHECK(planned_bytes(&p, 10) + p.bufsize / 8 <= 16000000);
}

static void budget_respects_max_long_side(void) {
  wapf_context *ctx = avt_open();
  wapf_vsource s = src1080(60, 30);
  s.width = 1280, s.height = 720, s.max_long_side = 1278;
  wapf_vplan p;
  T_EQ_INT(wapf__budget_video(ctx, &s, 1.0, &p), WAPF_OK);
  wapf_close(&ctx);
  T_EQ_INT(p.mode, WAPF_RC_ABR);
  T_EQ_INT(p.width, 1278); /* enough bits: no step down the ladder */
  T_EQ_INT(p.height, 718);
}

static void budget_refuses_two_hours(void) {
  wapf_context *ctx = avt_open();
  wapf_vsource s = src1080(7200, 30);
  wapf_vplan p;
  T_EQ_INT(wapf__budget_video(ctx, &s, 1.0, &p), WAPF_EUNFIXABLE);
  T_CHECK(strstr(wapf_last_error(ctx), "--start"));
  T_CHECK(strstr(wapf_last_error(ctx), "7200-second"));
  wapf_close(&ctx);
}

static void budget_levels(void) {
  T_EQ_INT(wapf__h264_level(1920, 1080, 30, 0), 40);
  T_EQ_INT(wapf__h264_level(1920, 1080, 60, 0), 42);
  T_EQ_INT(wapf__h264_level(1280, 720, 30, 0), 31);
  T_EQ_INT(wapf__h264_level(320, 240, 30, 0), 30);
  T_EQ_INT(wapf__h264_level(1920, 1080, 30, 40000000), 41);
}

static void budget_voice_and_audio(void) {
  wapf_context *ctx = avt_open();
  char note[240];
  int64_t br;
  /* 3 minutes of voice: under 512,000 bytes */
  T_EQ_INT(wapf__budget_audio(ctx, 180, 1, 0, 1, 1.0, &br, note, sizeof note),
           WAPF_OK);
  T_CHECK(br >= 6000 && br * 180 / 8 < 512000 * 95 / 100);
  T_EQ_INT(note[0], '\0');
  /* an hour of voice: too long for the play icon, still <= 16 MB */
  T_EQ_INT(wapf__budget_audio(ctx, 3600, 1, 0, 1, 1.0, &br, note, sizeof note),
           WAPF_OK);
  T_CHECK(note[0] != '\0');
  T_CHECK(br >= 6000 && br * 3600 / 8 < 16000000);
  /* 45 minutes of stereo as AAC: squeezed under the limit */
  T_EQ_INT(wapf__budget_audio(ctx, 2700, 0, 1, 2, 1.0, &br, note, sizeof note),
           WAPF_OK);
  T_CHECK(br * 2700 / 8 < 16000000 && br * 2700 / 8 > 16000000 * 85 / 100);
  /* a day of audio cannot fit */
  T_EQ_INT(wapf__budget_audio(ctx, 86400, 0, 0, 1, 1.0, &br, note, sizeof note),
           WAPF_EUNFIXABLE);
  wapf_close(&ctx);
}

/* ---- the public flow ---- */

typedef struct prog {
  int calls, cancel_at;
  double last;
  int backwards;
} prog;

static int on_progress(void *cookie, double f) {
  prog *p = cookie;
  p->calls++;
  if (f < p->last)
    p->backwards = 1;
  p->last = f;
  return p->cancel_at && p->calls >= p->cancel_at;
}

static int convert_file(const char *in, const char *out, prog *pr,
                        wapf_result *res, char *err, size_t n) {
  wapf_context *ctx = avt_open();
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  wapf_options opt;
  wapf_default_options(&opt);
  opt.progress = on_progress;
  opt.progress_cookie = pr;
  opt.overwrite = 1;
  int rc = wapf_probe(ctx, in, &f);
  if (rc == WAPF_OK)
    rc = wapf_check(ctx, f, &opt, &r);
  if (rc == WAPF_OK)
    rc = wapf_convert(ctx, f, r, &opt, out, res);
  snprintf(err, n, "%s", wapf_last_error(ctx));
  wapf_report_free(&r);
  wapf_facts_free(&f);
  wapf_close(&ctx);
  return rc;
}

static const char *hevc_like(void) {
  /* yuv444p H.264 is not compliant: a full transcode */
  return avt_make("t444.mkv", "-f lavfi -i testsrc2=s=320x240:r=30 -f lavfi "
                              "-i sine=r=44100 -t 3 -c:v libx264 -pix_fmt "
                              "yuv444p -c:a flac");
}

static void convert_reports_progress(void) {
  const char *in = hevc_like();
  T_CHECK(in);
  prog pr = {0};
  wapf_result res;
  char err[512];
  const char *out = avt_path("p.mp4");
  int rc = convert_file(in, out, &pr, &res, err, sizeof err);
  if (rc != WAPF_OK)
    fprintf(stderr, "detail: %s\n", err);
  T_EQ_INT(rc, WAPF_OK);
  T_EQ_INT(res.action, WAPF_PLAN_TRANSCODE);
  T_CHECK(pr.calls >= 5);
  T_CHECK(!pr.backwards);
  T_CHECK(pr.last == 1.0);
  struct stat st;
  T_CHECK(stat(out, &st) == 0 && st.st_size == res.bytes_out);
}

static void convert_cancel_leaves_nothing(void) {
  const char *in = hevc_like();
  T_CHECK(in);
  prog pr = {.cancel_at = 3};
  wapf_result res;
  char err[512];
  const char *out = avt_path("c.mp4");
  T_EQ_INT(convert_file(in, out, &pr, &res, err, sizeof err), WAPF_ECANCELLED);
  T_CHECK(access(out, F_OK) != 0);
  T_EQ_INT(pr.calls, 3);
  /* no temporary file left in the folder either */
  char cmd[600];
  snprintf(cmd, sizeof cmd,
           "ls -A '%s' | grep -v -e '^t444.mkv$' -e '^p.mp4$' "
           "| grep -q .",
           avt_dir());
  T_CHECK(system(cmd) != 0);
}

static void convert_audio_track_out_of_range(void) {
  const char *in = hevc_like();
  T_CHECK(in);
  wapf_context *ctx = avt_open();
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  wapf_options opt;
  wapf_default_options(&opt);
  opt.audio_track = 3;
  T_EQ_INT(wapf_probe(ctx, in, &f), WAPF_OK);
  T_EQ_INT(wapf_check(ctx, f, &opt, &r), WAPF_OK);
  /* the rules may already refuse it; the back end must refuse it too */
  r->plan = WAPF_PLAN_TRANSCODE;
  int rc = wapf_convert(ctx, f, r, &opt, avt_path("t.mp4"), NULL);
  T_EQ_INT(rc, WAPF_EINVAL);
  T_CHECK(strstr(wapf_last_error(ctx), "no audio track 3"));
  wapf_report_free(&r);
  wapf_facts_free(&f);
  wapf_close(&ctx);
}

/* A raw .h264 declares no duration: convert measures it by reading, and
 * the duration safety limit holds for what it measured. */
static void convert_measured_duration_over_the_limit(void) {
  const char *in =
      avt_make("raw8.h264", "-f lavfi -i testsrc2=s=160x120:r=25 -t 8 "
                            "-c:v libx264 -profile:v high -f h264");
  T_CHECK(in);
  wapf_context *ctx = NULL;
  wapf_settings s;
  wapf_default_settings(&s);
  s.threads = 2;
  s.max_duration = 5;
  T_EQ_INT(wapf_open(&ctx, &s), WAPF_OK);
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  wapf_options opt;
  wapf_default_options(&opt);
  T_EQ_INT(wapf_probe(ctx, in, &f), WAPF_OK);
  T_CHECK(f->duration < 0); /* not in any header */
  T_EQ_INT(wapf_check(ctx, f, &opt, &r), WAPF_OK);
  T_EQ_INT(r->plan, WAPF_PLAN_TRANSCODE); /* B-frames */
  const char *out = avt_path("raw8.mp4");
  T_EQ_INT(wapf_convert(ctx, f, r, &opt, out, NULL), WAPF_ELIMIT);
  T_CHECK(strstr(wapf_last_error(ctx), "measured by reading"));
  T_CHECK(access(out, F_OK) != 0);
  wapf_report_free(&r);
  wapf_facts_free(&f);
  wapf_close(&ctx);
}

/* The rules call VVC unfixable; the back end must say why on its own. */
static void convert_vvc_unsupported(void) {
  const char *in = avt_corpus("video/vvc_h266_320x180.mp4");
  if (!in)
    T_SKIP("corpus absent");
  wapf_context *ctx = avt_open();
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  T_EQ_INT(wapf_probe(ctx, in, &f), WAPF_OK);
  T_EQ_INT(wapf_check(ctx, f, NULL, &r), WAPF_OK);
  r->plan = WAPF_PLAN_TRANSCODE;
  const char *out = avt_path("vvc.mp4");
  int rc = wapf_convert(ctx, f, r, NULL, out, NULL);
  T_EQ_INT(rc, WAPF_EUNSUPPORTED);
  T_CHECK(strstr(wapf_last_error(ctx), "unsupported"));
  T_CHECK(strstr(wapf_last_error(ctx), "vvc"));
  T_CHECK(access(out, F_OK) != 0);
  wapf_report_free(&r);
  wapf_facts_free(&f);
  wapf_close(&ctx);
}

int main(void) {
  atexit(avt_cleanup);
  T_RUN(budget_two_minutes_1080p_goes_720p);
  T_RUN(budget_one_minute_1080p60_caps_fps);
  T_RUN(budget_short_clip_constant_quality);
  T_RUN(budget_respects_max_long_side);
  T_RUN(budget_refuses_two_hours);
  T_RUN(budget_levels);
  T_RUN(budget_voice_and_audio);
  T_RUN(convert_reports_progress);
  T_RUN(convert_cancel_leaves_nothing);
  T_RUN(convert_audio_track_out_of_range);
  T_RUN(convert_vvc_unsupported);
  T_RUN(convert_measured_duration_over_the_limit);
  return T_DONE();
}
