/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules for images: each rule passing and failing, strip-metadata when GPS
 * is the only problem, encode-image otherwise, the size boundary, and the
 * output type (.jpg, .png with --png or for a PNG stripped losslessly). */
#include "fx.h"

static const char *const k_image_ids[] = {
    "image.format", "image.bit_depth",   "image.colorspace",
    "image.alpha",  "image.orientation", "image.gps",
    "image.icc",    "image.size",        NULL};

static void fx_jpeg(fx *x) {
  fx_picture(x, "/p/photo.jpeg", "jpeg", "image/jpeg", 4032, 3024, 2500000);
  x->f.image.has_exif = 1;
  x->f.image.orientation = 1;
}

static void fx_rgba_png(fx *x) {
  fx_picture(x, "/p/logo.png", "png", "image/png", 800, 600, 120000);
  x->f.image.bands = 4;
  x->f.image.has_alpha = 1;
  x->f.image.alpha_used = 1;
}

static void compliant_jpeg_needs_nothing(void) {
  fx x;
  fx_jpeg(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_IMAGE);
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->n_findings, 0);
  T_EQ_INT(r->plan, WAPF_PLAN_NONE);
  T_EQ_STR(r->out_ext, ".jpeg"); /* kept as it is, with its own name */
  T_EQ_STR(r->out_mime, "image/jpeg");
  for (int i = 0; k_image_ids[i]; i++)
    EXPECT_PASS(r, k_image_ids[i]);
}

static void grey_png_is_compliant(void) {
  fx x;
  fx_picture(&x, "/p/scan.png", "png", "image/png", 1200, 1600, 300000);
  x.f.image.bands = 1;
  snprintf(x.f.image.interpretation, sizeof x.f.image.interpretation, "b-w");
  x.f.image.orientation = 0;
  const wapf_report *r = check_as(&x, WAPF_KIND_IMAGE);
  T_CHECK(r);
  T_EQ_INT(r->compliant, 1);
  T_EQ_STR(r->out_mime, "image/png");
}

static void rgba_png_needs_encoding(void) {
  fx x;
  wapf_options o;
  fx_rgba_png(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_FAIL(r, "image.alpha");
  T_EQ_STR(message_of(r, "image.alpha"),
           "image has an alpha channel: WhatsApp renders transparency black");
  T_EQ_STR(wapf_plan_name(r->plan), "encode-image");
  T_EQ_STR(r->out_ext, ".jpg");
  T_EQ_STR(r->out_mime, "image/jpeg");
  T_HAS(r->plan_reason, "flattened onto #FFFFFF");
  wapf_default_options(&o);
  o.png = 1;
  o.background = 0x102030;
  r = check_opt(&x, &o);
  T_CHECK(r);
  T_EQ_STR(r->out_ext, ".png");
  T_EQ_STR(r->out_mime, "image/png");
  T_HAS(r->plan_reason, "PNG");
  T_HAS(r->plan_reason, "#102030");
  /* an alpha band that is all opaque still fails: the band is the rule */
  x.f.image.alpha_used = 0;
  r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.alpha");
  T_HAS(message_of(r, "image.alpha"), "every pixel opaque");
}

static void gps_only_strips_metadata(void) {
  fx x;
  wapf_options o;
  fx_jpeg(&x);
  x.f.image.has_gps = 1;
  const wapf_report *r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.gps");
  T_EQ_STR(wapf_plan_name(r->plan), "strip-metadata");
  T_EQ_STR(r->out_ext, ".jpg");
  T_EQ_STR(r->out_mime, "image/jpeg");
  T_HAS(r->plan_reason, "losslessly");
  /* --keep-metadata: the position is the user's choice */
  wapf_default_options(&o);
  o.keep_metadata = 1;
  r = check_opt(&x, &o);
  EXPECT_PASS(r, "image.gps");
  T_EQ_INT(r->plan, WAPF_PLAN_NONE);
  /* a PNG stripped losslessly stays a PNG */
  fx_picture(&x, "/p/map.png", "png", "image/png", 640, 480, 90000);
  x.f.image.has_gps = 1;
  r = check_as(&x, WAPF_KIND_IMAGE);
  T_CHECK(r);
  T_EQ_INT(r->plan, WAPF_PLAN_STRIP_METADATA);
  T_EQ_STR(r->out_ext, ".png");
  T_EQ_STR(r->out_mime, "image/png");
}

static void orientation_needs_encoding(void) {
  fx x;
  fx_jpeg(&x);
  x.f.image.has_gps = 1;
  x.f.image.orientation = 6;
  const wapf_report *r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.orientation");
  T_EQ_STR(message_of(r, "image.orientation"),
           "EXIF orientation is 6: phones other than WhatsApp show it "
           "sideways");
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_IMAGE); /* not just strip */
  T_HAS(r->plan_reason, "orientation applied");
  x.f.image.orientation = 3;
  r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.orientation");
  T_HAS(message_of(r, "image.orientation"), "upside down");
}

static void other_formats_need_encoding(void) {
  static const char *const fmts[][3] = {{"/p/a.webp", "webp", "image/webp"},
                                        {"/p/a.heic", "heif", "image/heic"},
                                        {"/p/a.avif", "heif", "image/avif"},
                                        {"/p/a.tif", "tiff", "image/tiff"}};
  for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
    fx x;
    fx_picture(&x, fmts[i][0], fmts[i][1], fmts[i][2], 1000, 800, 200000);
    const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
    EXPECT_FAIL(r, "image.format");
    T_EQ_INT(r->kind, WAPF_KIND_IMAGE);
    T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_IMAGE);
    T_EQ_STR(r->out_ext, ".jpg");
  }
}

static void animated_gif_as_image_uses_first_frame(void) {
  fx x;
  fx_picture(&x, "/p/party.gif", "gif", "image/gif", 320, 240, 900000);
  fx_animate(&x, 12, 80);
  const wapf_report *r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.format");
  T_HAS(message_of(r, "image.format"), "gif (animated)");
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_IMAGE);
  T_HAS(r->plan_reason, "first frame");
}

static void depth_and_colour_space(void) {
  fx x;
  fx_picture(&x, "/p/deep.png", "png", "image/png", 800, 600, 900000);
  x.f.image.bit_depth = 16;
  snprintf(x.f.image.interpretation, sizeof x.f.image.interpretation, "rgb16");
  const wapf_report *r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.bit_depth");
  EXPECT_PASS(r, "image.colorspace"); /* 16-bit RGB is said once */
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_IMAGE);
  fx_jpeg(&x);
  snprintf(x.f.image.interpretation, sizeof x.f.image.interpretation, "cmyk");
  x.f.image.bands = 4;
  r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.colorspace");
  EXPECT_PASS(r, "image.alpha");
  T_EQ_STR(message_of(r, "image.colorspace"),
           "colour space is cmyk; WhatsApp shows sRGB or greyscale only");
}

static void icc_profile_is_a_warning(void) {
  fx x;
  fx_jpeg(&x);
  x.f.image.has_icc = 1;
  x.f.image.icc_srgb = 1; /* an sRGB profile is what phones assume */
  const wapf_report *r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_PASS(r, "image.icc");
  x.f.image.icc_srgb = 0;
  r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.icc");
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->plan, WAPF_PLAN_NONE);
  x.f.image.has_gps = 1; /* stripped losslessly: the profile stays */
  r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.icc");
  T_EQ_INT(r->plan, WAPF_PLAN_STRIP_METADATA);
  x.f.image.orientation = 6; /* re-encoded to sRGB: nothing to warn */
  r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_PASS(r, "image.icc");
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_IMAGE);
}

static void size_boundary(void) {
  fx x;
  fx_jpeg(&x);
  x.f.size = 5000000;
  const wapf_report *r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_PASS(r, "image.size");
  x.f.size = 5000001;
  r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "image.size");
  T_EQ_STR(message_of(r, "image.size"),
           "size is 5,000,001 bytes, over the 5,000,000-byte limit for an "
           "image");
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_IMAGE);
}

static void not_an_image(void) {
  fx x;
  fx_mp4(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_IMAGE);
  EXPECT_FAIL(r, "file.kind");
  T_EQ_STR(r->plan_reason,
           "not an image (the file is a video, h264; send it as video)");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
  fx_other(&x, "/p/fake.jpg", "application/octet-stream", 4096);
  r = check_as(&x, WAPF_KIND_IMAGE);
  T_CHECK(r);
  T_EQ_STR(r->plan_reason,
           "not an image (content is application/octet-stream)");
  T_EQ_STR(r->out_ext, ".jpg"); /* nothing is made: the input's own */
}

static void damaged_jpeg_is_unfixable(void) {
  fx x;
  fx_jpeg(&x);
  x.f.damaged = 1;
  snprintf(x.damage, sizeof x.damage, "JPEG data ends early");
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_FAIL(r, "file.damaged");
  EXPECT_PASS(r, "image.format");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
  T_EQ_STR(r->plan_reason, "the file is damaged: JPEG data ends early");
}

static void every_image_rule_was_exercised(void) {
  const wapf_kind kinds[] = {WAPF_KIND_IMAGE};
  T_CHECK(coverage_of(kinds, 1));
}

int main(void) {
  if (!fx_setup())
    return 1;
  T_RUN(compliant_jpeg_needs_nothing);
  T_RUN(grey_png_is_compliant);
  T_RUN(rgba_png_needs_encoding);
  T_RUN(gps_only_strips_metadata);
  T_RUN(orientation_needs_encoding);
  T_RUN(other_formats_need_encoding);
  T_RUN(animated_gif_as_image_uses_first_frame);
  T_RUN(depth_and_colour_space);
  T_RUN(icc_profile_is_a_warning);
  T_RUN(size_boundary);
  T_RUN(not_an_image);
  T_RUN(damaged_jpeg_is_unfixable);
  T_RUN(every_image_rule_was_exercised);
  fx_teardown();
  return T_DONE();
}
