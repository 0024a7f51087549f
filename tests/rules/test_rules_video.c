/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules for video: each rule passing and failing, the plan chosen for the
 * typical inputs, the size boundary, and what convert would produce. */
#include "fx.h"

static const char *const k_video_ids[] = {
    "video.container",     "video.codec",         "video.pixel_format",
    "video.profile",       "video.dimensions",    "video.long_side",
    "video.interlaced",    "video.size",          "video.audio_codec",
    "video.audio_streams", "video.extra_streams", "video.faststart",
    "video.fragmented",    "video.bframes",       NULL};

static void compliant_mp4_needs_nothing(void) {
  fx x;
  fx_mp4(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_VIDEO);
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->n_findings, 0);
  T_EQ_STR(wapf_plan_name(r->plan), "none");
  T_EQ_STR(r->out_ext, ".mp4");
  T_EQ_STR(r->out_mime, "video/mp4");
  for (int i = 0; k_video_ids[i]; i++)
    EXPECT_PASS(r, k_video_ids[i]);
}

static void phone_variants_are_compliant(void) {
  fx x;
  fx_mp4(&x);
  snprintf(x.f.format, sizeof x.f.format, "3gp");
  snprintf(x.path, sizeof x.path, "/media/old phone.3GP");
  snprintf(x.s[0].pix_fmt, sizeof x.s[0].pix_fmt, "yuvj420p");
  snprintf(x.s[0].profile, sizeof x.s[0].profile, "Constrained Baseline");
  x.s[0].rotation = 90;
  x.s[0].width = 1920; /* the long side exactly at the limit */
  x.s[0].height = 1080;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  T_CHECK(r);
  T_EQ_INT(r->compliant, 1);
  T_EQ_STR(r->out_ext, ".3GP"); /* as written in the name */
  T_EQ_STR(r->out_mime, "video/3gpp");
}

/* A trim asks for an exact cut: a compliant file is still compliant, but
 * the plan becomes a transcode (a stream copy cuts at keyframes). */
static void trim_of_a_compliant_video_transcodes(void) {
  fx x;
  fx_mp4(&x);
  wapf_options o;
  wapf_default_options(&o);
  o.kind = WAPF_KIND_VIDEO;
  T_CHECK(check_opt(&x, &o)->plan == WAPF_PLAN_NONE);
  o.start = 2;
  const wapf_report *r = check_opt(&x, &o);
  T_CHECK(r);
  T_EQ_INT(r->compliant, 1);
  T_EQ_STR(wapf_plan_name(r->plan), "transcode");
  T_EQ_STR(r->out_ext, ".mp4");
  x.f.moov_at_end = 1; /* a remux alone would not cut exactly either */
  o.start = 0;
  o.duration = 3;
  r = check_opt(&x, &o);
  T_CHECK(r);
  T_EQ_INT(r->compliant, 0);
  T_EQ_STR(wapf_plan_name(r->plan), "transcode");
}

/* Meta: Android clients do not play H.264 with B-frames, in any profile;
 * High without B-frames (phones) plays. */
static void bframes_need_a_transcode(void) {
  fx x;
  fx_mp4(&x);
  x.s[0].b_frames = 0; /* phone-like: High, no B-frames */
  x.s[0].reorder_depth = 0;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_PASS(r, "video.bframes");
  T_EQ_STR(wapf_plan_name(r->plan), "none");
  const char *profiles[] = {"High", "Main", "Baseline"};
  for (int i = 0; i < 3; i++) {
    snprintf(x.s[0].profile, sizeof x.s[0].profile, "%s", profiles[i]);
    x.s[0].b_frames = 1;
    x.s[0].reorder_depth = 2;
    r = check_as(&x, WAPF_KIND_VIDEO);
    EXPECT_FAIL(r, "video.bframes");
    T_EQ_INT(r->compliant, 0);
    T_EQ_STR(wapf_plan_name(r->plan), "transcode");
    T_HAS(message_of(r, "video.bframes"), "Android");
    T_HAS(r->plan_reason, "without B-frames");
  }
  /* with moov at end as well: still a transcode, not a remux */
  x.f.moov_at_end = 1;
  r = check_as(&x, WAPF_KIND_VIDEO);
  T_EQ_STR(wapf_plan_name(r->plan), "transcode");
  /* unknown (-1) is not a finding: nothing was seen */
  x.s[0].b_frames = -1;
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_PASS(r, "video.bframes");
  T_EQ_STR(wapf_plan_name(r->plan), "remux");
  /* other codecs are judged by video.codec alone */
  snprintf(x.s[0].codec, sizeof x.s[0].codec, "hevc");
  x.s[0].b_frames = 1;
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_PASS(r, "video.bframes");
}

static void moov_at_end_needs_remux(void) {
  fx x;
  fx_mp4(&x);
  x.f.moov_at_end = 1;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.faststart");
  T_EQ_INT(r->compliant, 0);
  T_EQ_STR(wapf_plan_name(r->plan), "remux");
  T_HAS(r->plan_reason, "faststart MP4");
  T_EQ_STR(r->out_ext, ".mp4");
  T_EQ_STR(r->out_mime, "video/mp4");
}

static void fragmented_needs_remux(void) {
  fx x;
  fx_mp4(&x);
  x.f.fragmented = 1;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.fragmented");
  T_EQ_INT(r->plan, WAPF_PLAN_REMUX);
}

static void mkv_and_mov_need_remux(void) {
  fx x;
  fx_mp4(&x);
  snprintf(x.f.format, sizeof x.f.format, "matroska");
  snprintf(x.mime, sizeof x.mime, "video/x-matroska");
  x.f.moov_at_end = -1;
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_FAIL(r, "video.container");
  T_HAS(message_of(r, "video.container"), "container is matroska");
  T_EQ_INT(r->plan, WAPF_PLAN_REMUX);
  T_EQ_STR(r->out_ext, ".mp4");
  snprintf(x.f.format, sizeof x.f.format, "mov");
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.container");
  T_EQ_INT(r->plan, WAPF_PLAN_REMUX);
}

static void mp3_audio_needs_audio_only(void) {
  fx x;
  fx_mp4(&x);
  snprintf(x.s[1].codec, sizeof x.s[1].codec, "mp3");
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.audio_codec");
  T_EQ_STR(message_of(r, "video.audio_codec"),
           "audio codec is mp3; WhatsApp plays AAC only");
  T_EQ_STR(wapf_plan_name(r->plan), "audio-only");
  /* moov at the end as well: audio-only also writes a faststart MP4 */
  x.f.moov_at_end = 1;
  r = check_as(&x, WAPF_KIND_VIDEO);
  T_CHECK(r);
  T_EQ_INT(r->plan, WAPF_PLAN_AUDIO_ONLY);
}

static void hevc_needs_transcode(void) {
  fx x;
  fx_mp4(&x);
  snprintf(x.s[0].codec, sizeof x.s[0].codec, "hevc");
  snprintf(x.s[0].profile, sizeof x.s[0].profile, "Main");
  x.f.moov_at_end = 1;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.codec");
  T_EQ_STR(message_of(r, "video.codec"),
           "video codec is hevc; WhatsApp plays H.264 only");
  T_EQ_STR(wapf_plan_name(r->plan), "transcode");
  T_HAS(r->plan_reason, "H.264");
}

static void pixel_format_and_profile(void) {
  fx x;
  fx_mp4(&x);
  snprintf(x.s[0].pix_fmt, sizeof x.s[0].pix_fmt, "yuv420p10le");
  snprintf(x.s[0].profile, sizeof x.s[0].profile, "High 10");
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.pixel_format");
  EXPECT_FAIL(r, "video.profile");
  T_HAS(message_of(r, "video.pixel_format"), "yuv420p10le");
  T_HAS(message_of(r, "video.profile"), "High 10");
  T_EQ_INT(r->plan, WAPF_PLAN_TRANSCODE);
  /* 4:2:2 8-bit */
  fx_mp4(&x);
  snprintf(x.s[0].pix_fmt, sizeof x.s[0].pix_fmt, "yuv422p");
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.pixel_format");
  /* unknown pixel format: judged by depth and chroma */
  fx_mp4(&x);
  x.s[0].pix_fmt[0] = '\0';
  x.s[0].bit_depth = 10;
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.pixel_format");
  x.s[0].bit_depth = 8;
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_PASS(r, "video.pixel_format");
}

static void geometry(void) {
  fx x;
  fx_mp4(&x);
  x.s[0].width = 1281;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.dimensions");
  T_EQ_STR(message_of(r, "video.dimensions"),
           "video is 1281x720; width and height must be even");
  T_EQ_INT(r->plan, WAPF_PLAN_TRANSCODE);
  fx_mp4(&x);
  x.s[0].width = 1080; /* portrait: the long side is the height */
  x.s[0].height = 1922;
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.long_side");
  T_HAS(message_of(r, "video.long_side"), "at most 1920 pixels");
  EXPECT_PASS(r, "video.dimensions");
}

static void long_side_follows_the_settings(void) {
  wapf_settings s;
  wapf_context *big = NULL;
  wapf_report *r = NULL;
  fx x;
  fx_mp4(&x);
  x.s[0].width = 3840;
  x.s[0].height = 2160;
  wapf_default_settings(&s);
  s.max_long_side = 3840;
  T_EQ_INT(wapf_open(&big, &s), WAPF_OK);
  int rc = wapf_check(big, &x.f, NULL, &r);
  int compliant = r ? r->compliant : -1;
  wapf_report_free(&r);
  wapf_close(&big);
  T_EQ_INT(rc, WAPF_OK);
  T_EQ_INT(compliant, 1);
  const wapf_report *r2 = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r2, "video.long_side");
}

static void interlaced_needs_transcode(void) {
  fx x;
  fx_mp4(&x);
  x.s[0].interlaced = 1;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.interlaced");
  T_EQ_INT(r->plan, WAPF_PLAN_TRANSCODE);
}

static void size_boundary(void) {
  fx x;
  fx_mp4(&x);
  x.f.size = 16000000;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_PASS(r, "video.size");
  T_EQ_INT(r->compliant, 1);
  x.f.size = 16000001;
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.size");
  x.f.size = 17234001;
  r = check_as(&x, WAPF_KIND_VIDEO);
  T_EQ_STR(message_of(r, "video.size"),
           "size is 17,234,001 bytes, over the 16,000,000-byte limit for "
           "video");
  T_EQ_STR(wapf_plan_name(r->plan), "transcode");
  T_HAS(r->plan_reason, "16,000,000 bytes");
}

static void three_audio_tracks_need_remux(void) {
  fx x;
  fx_mp4(&x);
  x.s[1].is_default = 0;
  fx_audio(&x, "aac", 2); /* #2, the default one */
  fx_audio(&x, "aac", 6)->is_default = 0;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.audio_streams");
  T_EQ_STR(message_of(r, "video.audio_streams"),
           "the file has 3 audio streams; WhatsApp takes one (stream #2 is "
           "kept)");
  T_EQ_STR(wapf_plan_name(r->plan), "remux");
  T_HAS(r->plan_reason, "keeping one audio stream");
}

static void the_kept_track_decides_the_audio_codec(void) {
  fx x;
  wapf_options o;
  fx_mp4(&x);
  fx_audio(&x, "mp3", 2)->is_default = 0;
  wapf_default_options(&o);
  o.audio_track = 1;
  const wapf_report *r = check_opt(&x, &o);
  EXPECT_FAIL(r, "video.audio_codec");
  T_EQ_INT(r->plan, WAPF_PLAN_AUDIO_ONLY);
  o.audio_track = 0;
  r = check_opt(&x, &o);
  EXPECT_PASS(r, "video.audio_codec");
  T_EQ_INT(r->plan, WAPF_PLAN_REMUX);
}

static void extra_streams_need_remux(void) {
  fx x;
  fx_mp4(&x);
  fx_stream(&x, WAPF_STREAM_SUBTITLE, "mov_text");
  fx_cover(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_FAIL(r, "video.extra_streams");
  T_EQ_STR(message_of(r, "video.extra_streams"),
           "the file has 2 extra streams (1 cover art, 1 subtitle); a "
           "WhatsApp video holds one video and one audio stream");
  T_EQ_INT(r->plan, WAPF_PLAN_REMUX);
  fx_mp4(&x);
  fx_stream(&x, WAPF_STREAM_DATA, "")->decoder_available = 0;
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.extra_streams");
  EXPECT_PASS(r, "file.decodable"); /* a dropped stream need not decode */
  T_EQ_INT(r->plan, WAPF_PLAN_REMUX);
}

static void no_audio_is_fine(void) {
  fx x;
  fx_mp4(&x);
  x.f.n_streams = 1;
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  T_CHECK(r);
  T_EQ_INT(r->compliant, 1);
}

static void vvc_is_unsupported(void) {
  fx x;
  fx_mp4(&x);
  snprintf(x.s[0].codec, sizeof x.s[0].codec, "vvc");
  x.s[0].decoder_available = 0;
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  EXPECT_FAIL(r, "file.decodable");
  T_EQ_INT(r->kind, WAPF_KIND_VIDEO);
  T_EQ_STR(wapf_plan_name(r->plan), "unfixable");
  T_EQ_STR(r->plan_reason,
           "unsupported: this build's FFmpeg cannot decode vvc (H.266)");
  snprintf(x.s[0].codec, sizeof x.s[0].codec, "vvc1"); /* FFmpeg 5.1 */
  r = check_as(&x, WAPF_KIND_VIDEO);
  T_CHECK(r);
  T_HAS(r->plan_reason, "cannot decode vvc (H.266)");
  fx_mp4(&x);
  snprintf(x.s[1].codec, sizeof x.s[1].codec, "ac4");
  x.s[1].decoder_available = 0;
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "file.decodable");
  T_HAS(r->plan_reason, "ac4");
}

static void animated_pictures_as_video(void) {
  fx x;
  fx_picture(&x, "/m/party.gif", "gif", "image/gif", 320, 240, 900000);
  fx_animate(&x, 20, 100);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "video.container");
  EXPECT_FAIL(r, "video.codec");
  T_EQ_INT(r->plan, WAPF_PLAN_TRANSCODE);
  T_EQ_STR(r->out_ext, ".mp4");
  fx_picture(&x, "/m/a.webp", "webp", "image/webp", 300, 300, 90000);
  fx_animate(&x, 20, 100);
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "file.decodable");
  T_HAS(r->plan_reason, "animated WebP");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
}

static void not_a_video(void) {
  fx x;
  fx_other(&x, "/m/notes.mp4", "text/plain", 1200);
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "file.kind");
  T_EQ_STR(message_of(r, "file.kind"), "not a video (content is text/plain)");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
  T_EQ_STR(r->plan_reason, "not a video (content is text/plain)");
  fx_picture(&x, "/m/p.png", "png", "image/png", 640, 480, 50000);
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "file.kind");
  T_HAS(r->plan_reason, "send it as image");
  fx_sound(&x, "/m/s.mp3", "mp3", "audio/mpeg", "mp3", 2, 300000);
  fx_cover(&x);
  r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "file.kind");
  T_HAS(r->plan_reason, "audio only (mp3)");
}

static void damaged_is_unfixable(void) {
  fx x;
  fx_mp4(&x);
  x.f.damaged = 1;
  snprintf(x.damage, sizeof x.damage, "samples past the end of the file");
  const wapf_report *r = check_as(&x, WAPF_KIND_VIDEO);
  EXPECT_FAIL(r, "file.damaged");
  T_EQ_INT(r->compliant, 0);
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
  T_EQ_STR(r->plan_reason,
           "the file is damaged: samples past the end of the file");
}

static void every_video_rule_was_exercised(void) {
  const wapf_kind kinds[] = {WAPF_KIND_VIDEO};
  T_CHECK(coverage_of(kinds, 1));
}

int main(void) {
  if (!fx_setup())
    return 1;
  T_RUN(compliant_mp4_needs_nothing);
  T_RUN(phone_variants_are_compliant);
  T_RUN(trim_of_a_compliant_video_transcodes);
  T_RUN(bframes_need_a_transcode);
  T_RUN(moov_at_end_needs_remux);
  T_RUN(fragmented_needs_remux);
  T_RUN(mkv_and_mov_need_remux);
  T_RUN(mp3_audio_needs_audio_only);
  T_RUN(hevc_needs_transcode);
  T_RUN(pixel_format_and_profile);
  T_RUN(geometry);
  T_RUN(long_side_follows_the_settings);
  T_RUN(interlaced_needs_transcode);
  T_RUN(size_boundary);
  T_RUN(three_audio_tracks_need_remux);
  T_RUN(the_kept_track_decides_the_audio_codec);
  T_RUN(extra_streams_need_remux);
  T_RUN(no_audio_is_fine);
  T_RUN(vvc_is_unsupported);
  T_RUN(animated_pictures_as_video);
  T_RUN(not_a_video);
  T_RUN(damaged_is_unfixable);
  T_RUN(every_video_rule_was_exercised);
  fx_teardown();
  return T_DONE();
}
