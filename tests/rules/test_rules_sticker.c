/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules for stickers: each rule passing and failing, make-sticker for any
 * picture or video, the static and animated size boundaries, and the
 * provider flag WAPF_TARGET_NO_ANIMATED_STICKER. */
#include "fx.h"

static const char *const k_sticker_ids[] = {"sticker.format",
                                            "sticker.dimensions",
                                            "sticker.size",
                                            "sticker.frame_delay",
                                            "sticker.duration",
                                            "sticker.animated",
                                            NULL};

static void fx_webp(fx *x, int w, int h, int64_t size) {
  fx_picture(x, "/s/cat.webp", "webp", "image/webp", w, h, size);
  x->f.image.bands = 4;
  x->f.image.has_alpha = 1;
  snprintf(x->f.image.loader, sizeof x->f.image.loader, "webpdemux");
}

static const wapf_report *check_no_animated(const fx *x) {
  wapf_options o;
  wapf_default_options(&o);
  o.kind = WAPF_KIND_STICKER;
  o.target_flags = WAPF_TARGET_NO_ANIMATED_STICKER;
  return check_opt(x, &o);
}

static void static_sticker_compliant(void) {
  fx x;
  fx_webp(&x, 512, 512, 90000);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_STICKER);
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->n_findings, 0); /* alpha is fine on a sticker */
  T_EQ_STR(r->out_ext, ".webp");
  T_EQ_STR(r->out_mime, "image/webp");
  for (int i = 0; k_sticker_ids[i]; i++)
    EXPECT_PASS(r, k_sticker_ids[i]);
  r = check_no_animated(&x); /* static stickers suit every provider */
  EXPECT_PASS(r, "sticker.animated");
  T_EQ_INT(r->compliant, 1);
}

static void static_size_boundary(void) {
  fx x;
  fx_webp(&x, 512, 512, 100000);
  const wapf_report *r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_PASS(r, "sticker.size");
  x.f.size = 100001;
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "sticker.size");
  x.f.size = 120000; /* 512x512 static WebP of 120 KB */
  r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_FAIL(r, "sticker.size");
  T_EQ_STR(message_of(r, "sticker.size"),
           "size is 120,000 bytes, over the 100,000-byte limit for a "
           "sticker");
  T_EQ_STR(wapf_plan_name(r->plan), "make-sticker");
  T_EQ_STR(r->out_ext, ".webp");
  T_HAS(r->plan_reason, "static, at most 100,000 bytes");
}

static void animated_size_boundary(void) {
  fx x;
  fx_webp(&x, 512, 512, 500000);
  fx_animate(&x, 30, 50);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_PASS(r, "sticker.size");
  T_EQ_INT(r->kind, WAPF_KIND_STICKER);
  T_EQ_INT(r->compliant, 1);
  x.f.size = 500001;
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "sticker.size");
  T_HAS(message_of(r, "sticker.size"), "500,000-byte limit for an animated");
  T_EQ_INT(r->plan, WAPF_PLAN_MAKE_STICKER);
}

static void dimensions(void) {
  fx x;
  fx_webp(&x, 640, 480, 50000);
  const wapf_report *r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "sticker.dimensions");
  T_EQ_STR(message_of(r, "sticker.dimensions"),
           "sticker is 640x480; it must be exactly 512x512");
  T_EQ_INT(r->plan, WAPF_PLAN_MAKE_STICKER);
  /* under auto a static WebP that is not 512x512 is an image */
  r = check_as(&x, WAPF_KIND_AUTO);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_IMAGE);
}

static void frame_delays_and_duration(void) {
  fx x;
  fx_webp(&x, 512, 512, 200000);
  fx_animate(&x, 10, 8);
  const wapf_report *r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_PASS(r, "sticker.frame_delay");
  x.delays[4] = 7;
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "sticker.frame_delay");
  T_EQ_STR(message_of(r, "sticker.frame_delay"),
           "frame 5 lasts 7 ms; every frame of a sticker must last at least "
           "8 ms");
  T_EQ_INT(r->plan, WAPF_PLAN_MAKE_STICKER);
  fx_webp(&x, 512, 512, 200000);
  fx_animate(&x, 50, 200); /* exactly 10 s */
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_PASS(r, "sticker.duration");
  x.delays[0] = 210;
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "sticker.duration");
  T_EQ_STR(message_of(r, "sticker.duration"),
           "animation lasts 10.01 s; a sticker lasts at most 10 s");
}

static void any_picture_or_video_makes_a_sticker(void) {
  fx x;
  fx_picture(&x, "/s/photo.jpg", "jpeg", "image/jpeg", 4000, 3000, 3000000);
  const wapf_report *r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "sticker.format");
  T_EQ_STR(wapf_plan_name(r->plan), "make-sticker");
  T_HAS(r->plan_reason, "static");
  fx_picture(&x, "/s/party.gif", "gif", "image/gif", 320, 240, 900000);
  fx_animate(&x, 20, 100);
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "sticker.format");
  T_EQ_INT(r->plan, WAPF_PLAN_MAKE_STICKER);
  T_HAS(r->plan_reason, "animated");
  fx_mp4(&x);
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "sticker.format");
  T_EQ_INT(r->plan, WAPF_PLAN_MAKE_STICKER);
  T_EQ_STR(r->out_ext, ".webp");
  T_EQ_STR(r->out_mime, "image/webp");
  T_HAS(r->plan_reason, "at most 10 s");
}

static void provider_without_animated_stickers(void) {
  fx x;
  fx_webp(&x, 512, 512, 300000);
  fx_animate(&x, 30, 50);
  const wapf_report *r = check_no_animated(&x);
  EXPECT_FAIL(r, "sticker.animated");
  T_EQ_INT(r->compliant, 0);
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
  T_EQ_STR(r->plan_reason, "the sticker would be animated; this provider "
                           "takes no animated stickers");
  fx_mp4(&x);
  r = check_no_animated(&x);
  EXPECT_FAIL(r, "sticker.animated");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
  fx_picture(&x, "/s/photo.png", "png", "image/png", 800, 800, 300000);
  r = check_no_animated(&x);
  EXPECT_PASS(r, "sticker.animated");
  T_EQ_INT(r->plan, WAPF_PLAN_MAKE_STICKER);
}

static void not_a_sticker_source(void) {
  fx x;
  fx_other(&x, "/s/readme.txt", "text/plain", 300);
  const wapf_report *r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "file.kind");
  T_EQ_STR(r->plan_reason, "not a sticker (content is text/plain)");
  fx_sound(&x, "/s/a.mp3", "mp3", "audio/mpeg", "mp3", 2, 100000);
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "file.kind");
  fx_mp4(&x);
  snprintf(x.s[0].codec, sizeof x.s[0].codec, "vvc");
  x.s[0].decoder_available = 0;
  r = check_as(&x, WAPF_KIND_STICKER);
  EXPECT_FAIL(r, "file.decodable");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
}

static void every_sticker_rule_was_exercised(void) {
  const wapf_kind kinds[] = {WAPF_KIND_STICKER};
  T_CHECK(coverage_of(kinds, 1));
}

int main(void) {
  if (!fx_setup())
    return 1;
  T_RUN(static_sticker_compliant);
  T_RUN(static_size_boundary);
  T_RUN(animated_size_boundary);
  T_RUN(dimensions);
  T_RUN(frame_delays_and_duration);
  T_RUN(any_picture_or_video_makes_a_sticker);
  T_RUN(provider_without_animated_stickers);
  T_RUN(not_a_sticker_source);
  T_RUN(every_sticker_rule_was_exercised);
  fx_teardown();
  return T_DONE();
}
