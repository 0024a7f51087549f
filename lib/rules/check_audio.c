/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audio and voice notes. Audio takes AAC, M4A (AAC), MP3, AMR and
 * Ogg/Opus mono as they are; a voice note is Ogg/Opus mono only. The
 * accepted forms are in table.c (wapf__audio_forms, wapf__voice_forms). */
#include "rules.h"

#include <stdio.h>
#include <string.h>

/* The two kinds differ only in their ids, forms and wording. */
typedef struct audio_rules {
  const char *format, *channels, *streams, *size;
  const wapf__audio_form *forms;
  const char *takes;     /* "WhatsApp takes" / "a voice note must be" */
  int any_channel_count; /* audio: only Ogg/Opus must be mono */
  int cover_is_warning;
  const char *what; /* for the size message */
  const char *channels_tail, *streams_tail;
} audio_rules;

static const audio_rules k_audio = {
    "audio.format",
    "audio.channels",
    "audio.streams",
    "audio.size",
    wapf__audio_forms,
    "WhatsApp takes",
    1,
    1,
    "audio",
    "WhatsApp takes Ogg/Opus in mono only",
    "an audio message carries one audio stream only"};
static const audio_rules k_voice = {
    "voice.format",
    "voice.channels",
    "voice.streams",
    "voice.size",
    wapf__voice_forms,
    "a voice note must be",
    0,
    0,
    "a voice note",
    "a voice note must be mono (stereo fails transcription)",
    "a voice note carries one audio stream only"};

static const char *or_unknown(const char *s) {
  return s && s[0] ? s : "unknown";
}

/* "AAC (ADTS), M4A (AAC), MP3, ... or Ogg/Opus mono" from the table. */
static const char *forms_text(const wapf__audio_form *forms, char *buf,
                              size_t size) {
  size_t n = 0, o = 0;
  buf[0] = '\0';
  while (forms[n].format)
    n++;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && strcmp(forms[i].label, forms[i - 1].label) == 0)
      continue;
    const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
    o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s", sep,
                          forms[i].label);
  }
  return buf;
}

static const wapf__audio_form *
find_form(const audio_rules *k, const wapf_facts *f, const wapf_stream *a) {
  for (const wapf__audio_form *x = k->forms; x->format; x++)
    if (strcmp(x->format, f->format) == 0 && strcmp(x->codec, a->codec) == 0)
      return x;
  return NULL;
}

static void check_format(const wapf__check *c, const audio_rules *k,
                         const wapf_stream *a) {
  char list[160];
  const wapf__audio_form *x = find_form(k, c->f, a);
  int max = x ? x->max_channels : 0;
  if (!x)
    wapf__add_finding(c->r, k->format, WAPF_SEV_FAIL,
                      "format is %s with %s audio; %s %s",
                      or_unknown(c->f->format), or_unknown(a->codec), k->takes,
                      forms_text(k->forms, list, sizeof list));
  if (!x && !k->any_channel_count)
    max = 1;
  if (max > 0 && a->channels > max)
    wapf__add_finding(c->r, k->channels, WAPF_SEV_FAIL,
                      "audio has %d channels; %s", a->channels,
                      k->channels_tail);
}

static int count_covers(const wapf_facts *f) {
  int n = 0;
  for (size_t i = 0; i < f->n_streams; i++)
    n += f->streams[i].type == WAPF_STREAM_VIDEO && f->streams[i].attached_pic;
  return n;
}

/* Everything but the kept audio stream; cover art apart for audio. */
static void check_streams(const wapf__check *c, const audio_rules *k,
                          const wapf_stream *a) {
  char list[160];
  int n =
      wapf__other_streams(c->f, a, 1, !k->cover_is_warning, list, sizeof list);
  if (k->cover_is_warning && count_covers(c->f))
    wapf__add_finding(c->r, "audio.cover_art", WAPF_SEV_WARNING,
                      "the file has embedded cover art; WhatsApp does not "
                      "show it");
  if (n)
    wapf__add_finding(c->r, k->streams, WAPF_SEV_FAIL,
                      "the file has %d stream%s besides the audio (%s); %s", n,
                      n > 1 ? "s" : "", list, k->streams_tail);
}

static void check_sizes(const wapf__check *c, const audio_rules *k) {
  char got[32], lim[32];
  int64_t icon = wapf__voice_play_icon_limit;
  wapf__check_size(c, k->size, wapf_kind_limit(c->r->kind, 0), k->what);
  if (k != &k_voice || wapf__has_finding(c->r, k->size) || c->f->size <= icon)
    return;
  wapf__add_finding(c->r, "voice.play_icon", WAPF_SEV_WARNING,
                    "size is %s bytes, over %s: the voice note arrives "
                    "without the play icon",
                    wapf__commas(got, sizeof got, c->f->size),
                    wapf__commas(lim, sizeof lim, icon));
}

static void check_not_audio(const wapf__check *c) {
  char why[192];
  if (c->f->media == WAPF_MEDIA_AV)
    snprintf(why, sizeof why, "the file has no audio stream");
  else
    snprintf(why, sizeof why, "content is %s", or_unknown(c->f->mime));
  wapf__not_kind(c, why);
}

void wapf__check_audio(const wapf__check *c) {
  const audio_rules *k = c->r->kind == WAPF_KIND_VOICE ? &k_voice : &k_audio;
  if (c->f->media != WAPF_MEDIA_AV || wapf__count_audio(c->f) == 0) {
    check_not_audio(c);
    return;
  }
  const wapf_stream *a = wapf__selected_audio(c);
  if (!a)
    return;
  if (!a->decoder_available)
    wapf__not_decodable(c, a->codec);
  check_format(c, k, a);
  check_streams(c, k, a);
  check_sizes(c, k);
}
