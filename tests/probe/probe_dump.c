/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* probe_dump: run wapf_probe() on one file and print every fact as JSON,
 * for the Python probe tests (they compare it with ffprobe, vipsheader
 * and webpinfo). Usage:
 *   probe_dump [--max-pixels N] [--max-duration S] FILE
 * Prints {"status": "OK"|"ELIMIT"|..., "error": "...", "facts": {...}}. */
#include "wapf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *stream_type_name(wapf_stream_type t) {
  static const char *const names[] = {"video", "audio", "subtitle", "data",
                                      "attachment"};
  return (unsigned)t < 5 ? names[t] : "?";
}

static json_t *stream_json(const wapf_stream *s) {
  return json_pack(
      "{s:i, s:s, s:s, s:s, s:i, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:f, "
      "s:I, s:i, s:i, s:i, s:f, s:I, s:i, s:s, s:i}",
      "index", s->index, "type", stream_type_name(s->type), "codec", s->codec,
      "profile", s->profile, "level", s->level, "pix_fmt", s->pix_fmt,
      "bit_depth", s->bit_depth, "chroma", s->chroma, "width", s->width,
      "height", s->height, "rotation", s->rotation, "interlaced", s->interlaced,
      "fps", s->fps, "frames", (json_int_t)s->frames, "attached_pic",
      s->attached_pic, "sample_rate", s->sample_rate, "channels", s->channels,
      "duration", s->duration, "bit_rate", (json_int_t)s->bit_rate,
      "is_default", s->is_default, "language", s->language, "decoder_available",
      s->decoder_available);
}

static json_t *image_json(const wapf_image_facts *im) {
  json_t *delays = json_array();
  for (size_t i = 0; i < im->n_delays; i++)
    json_array_append_new(delays, json_integer(im->delays_ms[i]));
  return json_pack(
      "{s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:i, s:i, s:i, s:i, s:i, s:i, "
      "s:i, s:i, s:i, s:i, s:o, s:f, s:s}",
      "width", im->width, "height", im->height, "bands", im->bands, "bit_depth",
      im->bit_depth, "has_alpha", im->has_alpha, "alpha_used", im->alpha_used,
      "interpretation", im->interpretation, "palette", im->palette, "has_icc",
      im->has_icc, "icc_srgb", im->icc_srgb, "orientation", im->orientation,
      "has_exif", im->has_exif, "has_gps", im->has_gps, "frames", im->frames,
      "animated", im->animated, "loop", im->loop, "n_delays", (int)im->n_delays,
      "delays_ms", delays, "duration", im->duration, "loader", im->loader);
}

static json_t *facts_json(const wapf_facts *f) {
  static const char *const media[] = {"other", "av", "image"};
  json_t *streams = json_array();
  for (size_t i = 0; i < f->n_streams; i++)
    json_array_append_new(streams, stream_json(&f->streams[i]));
  json_t *o = json_pack(
      "{s:s, s:I, s:s, s:s, s:s, s:f, s:I, s:i, s:i, s:i, s:o, s:i, s:s}",
      "path", f->path, "size", (json_int_t)f->size, "mime", f->mime, "format",
      f->format, "media", (unsigned)f->media < 3 ? media[f->media] : "?",
      "duration", f->duration, "bit_rate", (json_int_t)f->bit_rate,
      "moov_at_end", f->moov_at_end, "fragmented", f->fragmented, "n_streams",
      (int)f->n_streams, "streams", streams, "damaged", f->damaged, "damage",
      f->damage);
  if (o && f->media == WAPF_MEDIA_IMAGE)
    json_object_set_new(o, "image", image_json(&f->image));
  return o;
}

int main(int argc, char **argv) {
  wapf_settings s;
  wapf_default_settings(&s);
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--max-pixels") && i + 1 < argc)
      s.max_pixels = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--max-duration") && i + 1 < argc)
      s.max_duration = strtod(argv[++i], NULL);
    else
      path = argv[i];
  }
  if (!path) {
    fprintf(stderr, "usage: probe_dump [--max-pixels N] [--max-duration S] "
                    "FILE\n");
    return 2;
  }
  wapf_context *ctx = NULL;
  if (wapf_open(&ctx, &s) != WAPF_OK) {
    fprintf(stderr, "probe_dump: wapf_open failed\n");
    return 2;
  }
  wapf_facts *f = NULL;
  int rc = wapf_probe(ctx, path, &f);
  json_t *out = json_pack("{s:s, s:s}", "status", wapf_err_name(rc), "error",
                          wapf_last_error(ctx));
  if (rc == WAPF_OK)
    json_object_set_new(out, "facts", facts_json(f));
  char *txt = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS);
  puts(txt ? txt : "{}");
  free(txt);
  json_decref(out);
  wapf_facts_free(&f);
  wapf_close(&ctx);
  return 0;
}
