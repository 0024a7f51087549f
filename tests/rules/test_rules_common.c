/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rule table itself, plan names, kind limits, --as auto, the API's
 * argument checks, and the rules every kind shares (file.*). */
#include "fx.h"

#include <ctype.h>

static void rule_table_is_well_formed(void) {
  size_t n = 0;
  const wapf_rule_info *rules = wapf_rules(&n);
  T_CHECK(rules && n >= 30 && n <= FX_MAX_RULES);
  T_CHECK(wapf_rules(NULL) == rules);
  for (size_t i = 0; i < n; i++) {
    const wapf_rule_info *r = &rules[i];
    const char *dot = strchr(r->id, '.');
    size_t len = strlen(r->summary);
    T_CHECK(dot && dot != r->id && dot[1] && !strchr(dot + 1, '.'));
    /* the id names its kind: "video.codec"; "file." for every kind */
    const char *kind =
        r->kind == WAPF_KIND_AUTO ? "file" : wapf_kind_name(r->kind);
    T_EQ_INT((int)(dot - r->id), (int)strlen(kind));
    T_CHECK(strncmp(r->id, kind, strlen(kind)) == 0);
    T_CHECK(r->severity == WAPF_SEV_FAIL || r->severity == WAPF_SEV_WARNING);
    T_CHECK(len > 10 && isupper((unsigned char)r->summary[0]) &&
            r->summary[len - 1] == '.');
    /* a FAIL names the plan that fixes it; a warning needs none */
    wapf_plan fix = wapf__rule_fix(i);
    T_CHECK((r->severity == WAPF_SEV_FAIL) == (fix != WAPF_PLAN_NONE));
    T_EQ_INT(wapf__rule_index(r->id), (int)i);
    for (size_t j = 0; j < i; j++)
      T_CHECK(strcmp(rules[j].id, r->id) != 0);
  }
  T_EQ_INT(wapf__rule_index("video.nope"), -1);
}

static void plan_names(void) {
  static const char *const names[] = {
      "none",         "strip-metadata", "remux",
      "audio-only",   "transcode",      "encode-audio",
      "encode-image", "make-sticker",   "unfixable"};
  for (int p = 0; p < 9; p++)
    T_EQ_STR(wapf_plan_name((wapf_plan)p), names[p]);
  T_EQ_STR(wapf_plan_name((wapf_plan)9), "?");
  T_EQ_STR(wapf_plan_name((wapf_plan)-1), "?");
}

static void kind_limits(void) {
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_VIDEO, 0), 16000000);
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_AUDIO, 0), 16000000);
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_VOICE, 0), 16000000);
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_IMAGE, 0), 5000000);
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_STICKER, 0), 100000);
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_STICKER, 1), 500000);
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_DOCUMENT, 0), 100000000);
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_VIDEO, 1), 16000000);
  T_EQ_INT(wapf_kind_limit(WAPF_KIND_AUTO, 0), 0);
  T_EQ_INT(wapf_kind_limit((wapf_kind)99, 0), 0);
}

static void auto_kinds(void) {
  fx x;
  fx_mp4(&x);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_VIDEO);
  x.s[0].frames = -1; /* no frame count (MKV): still a real video */
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_VIDEO);
  x.s[0].frames = 1; /* one frame + audio: a still, so audio */
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_AUDIO);
  fx_sound(&x, "/a.mp3", "mp3", "audio/mpeg", "mp3", 2, 1000);
  fx_cover(&x);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_AUDIO);
  fx_sound(&x, "/a.wav", "wav", "audio/x-wav", "pcm_s16le", 2, 1000);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_AUDIO);
  fx_init(&x, "/x.ts", "mpegts", "video/mp2t", WAPF_MEDIA_AV, 1000);
  fx_stream(&x, WAPF_STREAM_DATA, "");
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_DOCUMENT);
  fx_other(&x, "/t.txt", "text/plain", 10);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_DOCUMENT);
  T_EQ_INT(wapf__auto_kind(NULL), WAPF_KIND_DOCUMENT);
}

static void auto_kinds_of_pictures(void) {
  fx x;
  fx_picture(&x, "/p.png", "png", "image/png", 512, 512, 1000);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_IMAGE);
  fx_picture(&x, "/s.webp", "webp", "image/webp", 512, 512, 1000);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_STICKER);
  x.f.image.width = 511;
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_IMAGE);
  fx_animate(&x, 10, 100); /* animated WebP, any size: sticker */
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_STICKER);
  fx_picture(&x, "/g.gif", "gif", "image/gif", 512, 512, 1000);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_IMAGE); /* one frame */
  fx_animate(&x, 10, 100);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_VIDEO);
  fx_picture(&x, "/a.avif", "heif", "image/avif", 640, 480, 1000);
  fx_animate(&x, 10, 100);
  T_EQ_INT(wapf__auto_kind(&x.f), WAPF_KIND_VIDEO);
}

static void report_kind_is_resolved(void) {
  fx x;
  wapf_report *r = NULL;
  fx_picture(&x, "/p.jpg", "jpeg", "image/jpeg", 800, 600, 1000);
  T_EQ_INT(wapf_check(ctx_, &x.f, NULL, &r), WAPF_OK); /* opt NULL */
  int kind = r ? (int)r->kind : -1, compliant = r ? r->compliant : -1;
  wapf_report_free(&r);
  T_CHECK(r == NULL);
  wapf_report_free(&r);
  wapf_report_free(NULL);
  T_EQ_INT(kind, WAPF_KIND_IMAGE);
  T_EQ_INT(compliant, 1);
}

static void bad_arguments(void) {
  fx x;
  wapf_options o;
  wapf_report *r = NULL;
  fx_mp4(&x);
  T_EQ_INT(wapf_check(NULL, &x.f, NULL, &r), WAPF_EINVAL);
  T_EQ_INT(wapf_check(ctx_, NULL, NULL, &r), WAPF_EINVAL);
  T_EQ_INT(wapf_check(ctx_, &x.f, NULL, NULL), WAPF_EINVAL);
  wapf_default_options(&o);
  o.kind = (wapf_kind)42;
  T_EQ_INT(wapf_check(ctx_, &x.f, &o, &r), WAPF_EINVAL);
  T_HAS(wapf_last_error(ctx_), "unknown kind 42");
  x.f.streams = NULL;
  T_EQ_INT(wapf_check(ctx_, &x.f, NULL, &r), WAPF_EINVAL);
  T_CHECK(r == NULL);
}

/* ---- file.*: the rules every kind shares ---- */

static void file_damaged(void) {
  fx x;
  fx_picture(&x, "/p.png", "png", "image/png", 800, 600, 1000);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_PASS(r, "file.damaged");
  x.f.damaged = 1; /* no text from the probe: still a sentence */
  r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_FAIL(r, "file.damaged");
  T_EQ_STR(r->plan_reason, "the file is damaged: unreadable parts");
}

static void file_kind(void) {
  fx x;
  fx_other(&x, "/t.txt", "text/plain", 100);
  const wapf_report *r = check_as(&x, WAPF_KIND_DOCUMENT);
  EXPECT_PASS(r, "file.kind");
  static const wapf_kind kinds[] = {WAPF_KIND_VIDEO, WAPF_KIND_AUDIO,
                                    WAPF_KIND_VOICE, WAPF_KIND_IMAGE,
                                    WAPF_KIND_STICKER};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    r = check_as(&x, kinds[i]);
    EXPECT_FAIL(r, "file.kind");
    T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
    T_HAS(r->plan_reason, "(content is text/plain)");
    T_EQ_STR(r->out_ext, ".txt");
  }
}

static void file_decodable(void) {
  fx x;
  fx_mp4(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_PASS(r, "file.decodable");
  x.s[1].decoder_available = 0;
  snprintf(x.s[1].codec, sizeof x.s[1].codec, "%s", "");
  r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "file.decodable");
  T_EQ_STR(r->plan_reason, "unsupported: this build's FFmpeg cannot decode "
                           "this stream's codec");
}

static void file_audio_track(void) {
  fx x;
  wapf_options o;
  fx_mp4(&x);
  wapf_default_options(&o);
  o.audio_track = 0;
  const wapf_report *r = check_opt(&x, &o);
  EXPECT_PASS(r, "file.audio_track");
  o.audio_track = 2;
  fx_audio(&x, "aac", 2);
  r = check_opt(&x, &o);
  EXPECT_FAIL(r, "file.audio_track");
  T_EQ_STR(r->plan_reason, "audio track 2 asked for, but the file has 2 "
                           "audio streams (tracks 0 to 1)");
  x.f.n_streams = 1;
  r = check_opt(&x, &o);
  EXPECT_FAIL(r, "file.audio_track");
  T_HAS(r->plan_reason, "has no audio stream");
}

static void every_shared_rule_was_exercised(void) {
  const wapf_kind kinds[] = {WAPF_KIND_AUTO};
  T_CHECK(coverage_of(kinds, 1));
  /* and every rule belongs to a kind one of the rules-* tests covers */
  size_t n;
  const wapf_rule_info *rules = wapf_rules(&n);
  for (size_t i = 0; i < n; i++)
    T_CHECK(rules[i].kind >= WAPF_KIND_AUTO &&
            rules[i].kind <= WAPF_KIND_DOCUMENT);
}

int main(void) {
  if (!fx_setup())
    return 1;
  T_RUN(rule_table_is_well_formed);
  T_RUN(plan_names);
  T_RUN(kind_limits);
  T_RUN(auto_kinds);
  T_RUN(auto_kinds_of_pictures);
  T_RUN(report_kind_is_resolved);
  T_RUN(bad_arguments);
  T_RUN(file_damaged);
  T_RUN(file_kind);
  T_RUN(file_decodable);
  T_RUN(file_audio_track);
  T_RUN(every_shared_rule_was_exercised);
  fx_teardown();
  return T_DONE();
}
