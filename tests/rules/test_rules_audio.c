/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules for audio and voice notes: each rule passing and failing, the
 * forms accepted as they are, encode-audio otherwise, the size and
 * play-icon boundaries, and the output type (.ogg, .m4a with stereo). */
#include "fx.h"

static const char *const k_audio_ids[] = {"audio.format",  "audio.channels",
                                          "audio.streams", "audio.cover_art",
                                          "audio.size",    NULL};
static const char *const k_voice_ids[] = {"voice.format",  "voice.channels",
                                          "voice.streams", "voice.play_icon",
                                          "voice.size",    NULL};

static void accepted_forms_need_nothing(void) {
  static const struct {
    const char *path, *format, *mime, *codec, *out_mime;
    int channels;
  } ok[] = {
      {"/a/song.mp3", "mp3", "audio/mpeg", "mp3", "audio/mpeg", 2},
      {"/a/song.m4a", "mp4", "audio/mp4", "aac", "audio/mp4", 2},
      {"/a/song.aac", "aac", "audio/x-hx-aac-adts", "aac", "audio/aac", 2},
      {"/a/call.amr", "amr", "audio/amr", "amr_nb", "audio/amr", 1},
      {"/a/call.awb", "amr", "audio/amr-wb", "amr_wb", "audio/amr", 1},
      {"/a/note.ogg", "ogg", "audio/ogg", "opus", "audio/ogg", 1},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    fx x;
    fx_sound(&x, ok[i].path, ok[i].format, ok[i].mime, ok[i].codec,
             ok[i].channels, 400000);
    const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
    T_CHECK(r);
    T_EQ_INT(r->kind, WAPF_KIND_AUDIO);
    T_EQ_INT(r->compliant, 1);
    T_EQ_INT(r->plan, WAPF_PLAN_NONE);
    T_EQ_STR(r->out_ext, wapf__path_ext(ok[i].path));
    T_EQ_STR(r->out_mime, ok[i].out_mime);
    for (int k = 0; k_audio_ids[k]; k++)
      EXPECT_PASS(r, k_audio_ids[k]);
  }
}

static void wav_needs_encoding(void) {
  fx x;
  wapf_options o;
  fx_sound(&x, "/a/take.wav", "wav", "audio/x-wav", "pcm_s16le", 2, 900000);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "audio.format");
  T_HAS(message_of(r, "audio.format"),
        "format is wav with pcm_s16le audio; WhatsApp takes AAC (ADTS), M4A "
        "(AAC), MP3, AMR-NB, AMR-WB or Ogg/Opus mono");
  EXPECT_PASS(r, "audio.channels"); /* re-encoded anyway */
  T_EQ_STR(wapf_plan_name(r->plan), "encode-audio");
  T_EQ_STR(r->out_ext, ".ogg");
  T_EQ_STR(r->out_mime, "audio/ogg");
  T_EQ_STR(r->plan_reason, "encode to Ogg/Opus mono");
  wapf_default_options(&o);
  o.stereo = 1;
  r = check_opt(&x, &o);
  T_CHECK(r);
  T_EQ_STR(r->out_ext, ".m4a");
  T_EQ_STR(r->out_mime, "audio/mp4");
  T_HAS(r->plan_reason, "AAC-LC stereo");
}

static void opus_must_be_mono(void) {
  fx x;
  fx_sound(&x, "/a/music.opus", "ogg", "audio/ogg", "opus", 2, 400000);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "audio.channels");
  EXPECT_PASS(r, "audio.format");
  T_EQ_STR(message_of(r, "audio.channels"),
           "audio has 2 channels; WhatsApp takes Ogg/Opus in mono only");
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_AUDIO);
  /* Opus in WebM is not Ogg */
  fx_sound(&x, "/a/music.webm", "webm", "audio/webm", "opus", 1, 400000);
  r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "audio.format");
}

static void cover_art_is_a_warning(void) {
  fx x;
  fx_sound(&x, "/a/song.mp3", "mp3", "audio/mpeg", "mp3", 2, 5000000);
  fx_cover(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUTO);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "audio.cover_art");
  EXPECT_PASS(r, "audio.streams");
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->plan, WAPF_PLAN_NONE);
}

static void video_asked_as_audio_needs_encoding(void) {
  fx x;
  fx_mp4(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "audio.streams");
  T_EQ_STR(message_of(r, "audio.streams"),
           "the file has 1 stream besides the audio (1 video); an audio "
           "message carries one audio stream only");
  EXPECT_PASS(r, "audio.format"); /* AAC in MP4 is fine by itself */
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_AUDIO);
  /* a video without audio cannot be audio */
  x.f.n_streams = 1;
  r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "file.kind");
  T_EQ_STR(r->plan_reason, "not audio (the file has no audio stream)");
}

static void size_boundary(void) {
  fx x;
  fx_sound(&x, "/a/long.mp3", "mp3", "audio/mpeg", "mp3", 2, 16000000);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_PASS(r, "audio.size");
  x.f.size = 16000001;
  r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "audio.size");
  T_EQ_STR(message_of(r, "audio.size"),
           "size is 16,000,001 bytes, over the 16,000,000-byte limit for "
           "audio");
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_AUDIO);
}

static void not_audio(void) {
  fx x;
  fx_picture(&x, "/a/cover.png", "png", "image/png", 500, 500, 90000);
  const wapf_report *r = check_as(&x, WAPF_KIND_AUDIO);
  EXPECT_FAIL(r, "file.kind");
  T_EQ_STR(r->plan_reason, "not audio (content is image/png)");
  r = check_as(&x, WAPF_KIND_VOICE);
  T_CHECK(r);
  T_EQ_STR(r->plan_reason, "not a voice note (content is image/png)");
}

static void missing_track_and_undecodable(void) {
  fx x;
  wapf_options o;
  fx_sound(&x, "/a/s.mp3", "mp3", "audio/mpeg", "mp3", 2, 100000);
  wapf_default_options(&o);
  o.kind = WAPF_KIND_AUDIO;
  o.audio_track = 1;
  const wapf_report *r = check_opt(&x, &o);
  EXPECT_FAIL(r, "file.audio_track");
  T_EQ_STR(r->plan_reason, "audio track 1 asked for, but the file has 1 "
                           "audio stream (tracks 0 to 0)");
  o.audio_track = 0;
  r = check_opt(&x, &o);
  EXPECT_PASS(r, "file.audio_track");
  T_EQ_INT(r->compliant, 1);
  x.s[0].decoder_available = 0;
  r = check_opt(&x, &o);
  EXPECT_FAIL(r, "file.decodable");
  T_EQ_INT(r->plan, WAPF_PLAN_UNFIXABLE);
}

/* ---- voice ---- */

static void voice_note_compliant(void) {
  fx x;
  fx_sound(&x, "/v/note.ogg", "ogg", "audio/ogg", "opus", 1, 300000);
  const wapf_report *r = check_as(&x, WAPF_KIND_VOICE);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_VOICE);
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->n_findings, 0);
  T_EQ_STR(r->out_ext, ".ogg");
  T_EQ_STR(r->out_mime, "audio/ogg");
  for (int k = 0; k_voice_ids[k]; k++)
    EXPECT_PASS(r, k_voice_ids[k]);
}

static void stereo_opus_voice_needs_encoding(void) {
  fx x;
  wapf_options o;
  fx_sound(&x, "/v/note.opus", "ogg", "audio/ogg", "opus", 2, 300000);
  const wapf_report *r = check_as(&x, WAPF_KIND_VOICE);
  EXPECT_FAIL(r, "voice.channels");
  EXPECT_PASS(r, "voice.format");
  T_EQ_STR(wapf_plan_name(r->plan), "encode-audio");
  T_EQ_STR(r->out_ext, ".ogg");
  T_EQ_STR(r->out_mime, "audio/ogg");
  T_HAS(r->plan_reason, "Ogg/Opus mono");
  wapf_default_options(&o); /* --stereo does not apply to voice notes */
  o.kind = WAPF_KIND_VOICE;
  o.stereo = 1;
  r = check_opt(&x, &o);
  T_CHECK(r);
  T_EQ_STR(r->out_ext, ".ogg");
}

static void mp3_voice_needs_encoding(void) {
  fx x;
  fx_sound(&x, "/v/memo.mp3", "mp3", "audio/mpeg", "mp3", 2, 300000);
  const wapf_report *r = check_as(&x, WAPF_KIND_VOICE);
  EXPECT_FAIL(r, "voice.format");
  EXPECT_FAIL(r, "voice.channels");
  T_HAS(message_of(r, "voice.format"), "a voice note must be Ogg/Opus mono");
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_AUDIO);
}

static void voice_play_icon_and_size(void) {
  fx x;
  fx_sound(&x, "/v/long.ogg", "ogg", "audio/ogg", "opus", 1, 600000);
  const wapf_report *r = check_as(&x, WAPF_KIND_VOICE);
  EXPECT_FAIL(r, "voice.play_icon"); /* reported: a warning */
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->plan, WAPF_PLAN_NONE);
  T_EQ_STR(message_of(r, "voice.play_icon"),
           "size is 600,000 bytes, over 512,000: the voice note arrives "
           "without the play icon");
  x.f.size = 512000;
  r = check_as(&x, WAPF_KIND_VOICE);
  EXPECT_PASS(r, "voice.play_icon");
  x.f.size = 512001;
  r = check_as(&x, WAPF_KIND_VOICE);
  EXPECT_FAIL(r, "voice.play_icon");
  x.f.size = 16000000;
  r = check_as(&x, WAPF_KIND_VOICE);
  EXPECT_PASS(r, "voice.size");
  x.f.size = 16000001;
  r = check_as(&x, WAPF_KIND_VOICE);
  EXPECT_FAIL(r, "voice.size");
  T_CHECK(!message_of(r, "voice.play_icon")); /* the failure says it all */
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_AUDIO);
}

static void voice_with_cover_art(void) {
  fx x;
  fx_sound(&x, "/v/note.ogg", "ogg", "audio/ogg", "opus", 1, 300000);
  fx_cover(&x);
  const wapf_report *r = check_as(&x, WAPF_KIND_VOICE);
  EXPECT_FAIL(r, "voice.streams");
  T_CHECK(!message_of(r, "audio.cover_art"));
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_AUDIO);
}

static void every_audio_rule_was_exercised(void) {
  const wapf_kind kinds[] = {WAPF_KIND_AUDIO, WAPF_KIND_VOICE};
  T_CHECK(coverage_of(kinds, 2));
}

/* A trim on compliant audio: still compliant, but encoded to cut exactly;
 * a still picture ignores it. */
static void trim_of_compliant_audio_encodes(void) {
  fx x;
  fx_sound(&x, "/a/song.mp3", "mp3", "audio/mpeg", "mp3", 2, 400000);
  wapf_options o;
  wapf_default_options(&o);
  o.duration = 30;
  const wapf_report *r = check_opt(&x, &o);
  T_CHECK(r);
  T_EQ_INT(r->kind, WAPF_KIND_AUDIO);
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_AUDIO);
  T_EQ_STR(r->out_ext, ".ogg");
  o.kind = WAPF_KIND_VOICE;
  fx_sound(&x, "/a/note.ogg", "ogg", "audio/ogg", "opus", 1, 100000);
  r = check_opt(&x, &o);
  T_CHECK(r);
  T_EQ_INT(r->compliant, 1);
  T_EQ_INT(r->plan, WAPF_PLAN_ENCODE_AUDIO);
  fx_picture(&x, "/p/photo.jpg", "jpeg", "image/jpeg", 640, 480, 90000);
  o.kind = WAPF_KIND_AUTO;
  r = check_opt(&x, &o);
  T_CHECK(r);
  T_EQ_INT(r->plan, WAPF_PLAN_NONE);
}

int main(void) {
  if (!fx_setup())
    return 1;
  T_RUN(accepted_forms_need_nothing);
  T_RUN(wav_needs_encoding);
  T_RUN(opus_must_be_mono);
  T_RUN(cover_art_is_a_warning);
  T_RUN(video_asked_as_audio_needs_encoding);
  T_RUN(size_boundary);
  T_RUN(not_audio);
  T_RUN(missing_track_and_undecodable);
  T_RUN(voice_note_compliant);
  T_RUN(stereo_opus_voice_needs_encoding);
  T_RUN(mp3_voice_needs_encoding);
  T_RUN(voice_play_icon_and_size);
  T_RUN(voice_with_cover_art);
  T_RUN(trim_of_compliant_audio_encodes);
  T_RUN(every_audio_rule_was_exercised);
  fx_teardown();
  return T_DONE();
}
