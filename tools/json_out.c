/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON documents of the command: facts (probe), reports (check), results
 * (convert). Schemas: README "JSON output". */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

json_t *jo_str(const char *s) {
  if (!s)
    return json_null();
  char *v = g_utf8_make_valid(s, -1); /* each invalid byte: U+FFFD */
  json_t *j = json_string(v);
  g_free(v);
  return j;
}

json_t *jo_real(double v) {
  return isfinite(v) ? json_real(v) : json_null();
}

json_t *jo_count(int64_t v) {
  return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *jo_bool(int v) {
  return json_boolean(v != 0);
}

json_t *jo_error(int code, const char *detail) {
  json_t *e = json_object();
  char msg[768];
  if (detail && *detail)
    snprintf(msg, sizeof msg, "%s (%s)", wapf_strerror(code), detail);
  else
    snprintf(msg, sizeof msg, "%s", wapf_strerror(code));
  json_object_set_new(e, "code", json_string(wapf_err_name(code)));
  json_object_set_new(e, "message", jo_str(msg));
  return e;
}

static const char *stream_type_name(wapf_stream_type t) {
  static const char *const names[] = {"video", "audio", "subtitle", "data",
                                      "attachment"};
  return (unsigned)t < 5 ? names[t] : "unknown";
}

static const char *media_name(wapf_media m) {
  switch (m) {
  case WAPF_MEDIA_AV: return "av";
  case WAPF_MEDIA_IMAGE: return "image";
  default: return "other";
  }
}

/* The video-only members of a stream. */
static void stream_video(json_t *j, const wapf_stream *s) {
  json_object_set_new(j, "pix_fmt", jo_str(s->pix_fmt));
  json_object_set_new(j, "bit_depth", jo_count(s->bit_depth));
  json_object_set_new(j, "chroma", jo_count(s->chroma));
  json_object_set_new(j, "width", jo_count(s->width));
  json_object_set_new(j, "height", jo_count(s->height));
  json_object_set_new(j, "rotation", json_integer(s->rotation));
  json_object_set_new(j, "interlaced", jo_bool(s->interlaced > 0));
  json_object_set_new(j, "fps", s->fps > 0 ? jo_real(s->fps) : json_null());
  json_object_set_new(j, "frames", jo_count(s->frames));
  json_object_set_new(j, "attached_pic", jo_bool(s->attached_pic > 0));
  json_object_set_new(j, "reorder_depth", jo_count(s->reorder_depth));
  json_object_set_new(j, "b_frames",
                      s->b_frames < 0 ? json_null() : jo_bool(s->b_frames));
}

static json_t *jo_stream(const wapf_stream *s) {
  json_t *j = json_object();
  json_object_set_new(j, "index", json_integer(s->index));
  json_object_set_new(j, "type", json_string(stream_type_name(s->type)));
  json_object_set_new(j, "codec", jo_str(s->codec));
  json_object_set_new(j, "profile", jo_str(s->profile));
  json_object_set_new(j, "level", jo_count(s->level));
  if (s->type == WAPF_STREAM_VIDEO)
    stream_video(j, s);
  if (s->type == WAPF_STREAM_AUDIO) {
    json_object_set_new(j, "sample_rate", jo_count(s->sample_rate));
    json_object_set_new(j, "channels", jo_count(s->channels));
  }
  json_object_set_new(j, "duration",
                      s->duration >= 0 ? jo_real(s->duration) : json_null());
  json_object_set_new(j, "bit_rate", jo_count(s->bit_rate));
  json_object_set_new(j, "default", jo_bool(s->is_default > 0));
  json_object_set_new(j, "language", jo_str(s->language));
  json_object_set_new(j, "decoder_available",
                      jo_bool(s->decoder_available > 0));
  return j;
}

static json_t *jo_image(const wapf_image_facts *im) {
  json_t *j = json_object();
  json_t *delays = json_array();
  for (size_t i = 0; im->delays_ms && i < im->n_delays; i++)
    json_array_append_new(delays, json_integer(im->delays_ms[i]));
  json_object_set_new(j, "width", jo_count(im->width));
  json_object_set_new(j, "height", jo_count(im->height));
  json_object_set_new(j, "bands", jo_count(im->bands));
  json_object_set_new(j, "bit_depth", jo_count(im->bit_depth));
  json_object_set_new(j, "interpretation", jo_str(im->interpretation));
  json_object_set_new(j, "has_alpha", jo_bool(im->has_alpha > 0));
  json_object_set_new(j, "alpha_used",
                      im->alpha_used < 0 ? json_null()
                                         : jo_bool(im->alpha_used));
  json_object_set_new(j, "palette", jo_bool(im->palette > 0));
  json_object_set_new(j, "has_icc", jo_bool(im->has_icc > 0));
  json_object_set_new(j, "icc_srgb", jo_bool(im->icc_srgb > 0));
  json_object_set_new(j, "orientation", json_integer(im->orientation));
  json_object_set_new(j, "has_exif", jo_bool(im->has_exif > 0));
  json_object_set_new(j, "has_gps", jo_bool(im->has_gps > 0));
  json_object_set_new(j, "frames", jo_count(im->frames));
  json_object_set_new(j, "animated", jo_bool(im->animated > 0));
  json_object_set_new(j, "loop", json_integer(im->loop));
  json_object_set_new(j, "delays_ms", delays);
  json_object_set_new(j, "duration", jo_real(im->duration));
  json_object_set_new(j, "loader", jo_str(im->loader));
  return j;
}

json_t *jo_facts(const wapf_facts *f) {
  json_t *j = json_object();
  json_t *streams = json_array();
  for (size_t i = 0; f->streams && i < f->n_streams; i++)
    json_array_append_new(streams, jo_stream(&f->streams[i]));
  json_object_set_new(j, "path", jo_str(f->path));
  json_object_set_new(j, "size", json_integer(f->size));
  json_object_set_new(j, "mime", jo_str(f->mime));
  json_object_set_new(j, "format", jo_str(f->format));
  json_object_set_new(j, "media", json_string(media_name(f->media)));
  json_object_set_new(j, "duration",
                      f->duration >= 0 ? jo_real(f->duration) : json_null());
  json_object_set_new(j, "bit_rate", jo_count(f->bit_rate));
  json_object_set_new(j, "moov_at_end",
                      f->moov_at_end < 0 ? json_null()
                                         : jo_bool(f->moov_at_end));
  json_object_set_new(j, "fragmented", jo_bool(f->fragmented > 0));
  json_object_set_new(j, "streams", streams);
  json_object_set_new(j, "image",
                      f->media == WAPF_MEDIA_IMAGE ? jo_image(&f->image)
                                                   : json_null());
  json_object_set_new(j, "damaged", jo_bool(f->damaged > 0));
  json_object_set_new(j, "damage", jo_str(f->damage));
  json_object_set_new(j, "error", json_null());
  return j;
}

json_t *jo_facts_error(const char *path, int code, const char *detail) {
  json_t *j = json_object();
  json_object_set_new(j, "path", jo_str(path));
  json_object_set_new(j, "error", jo_error(code, detail));
  return j;
}

static json_t *jo_finding(const wapf_finding *f) {
  json_t *j = json_object();
  json_object_set_new(j, "id", jo_str(f->id));
  json_object_set_new(
      j, "severity",
      json_string(f->severity == WAPF_SEV_FAIL ? "fail" : "warning"));
  json_object_set_new(j, "message", jo_str(f->message));
  return j;
}

json_t *jo_findings(const wapf_report *r) {
  json_t *a = json_array();
  for (size_t i = 0; r->findings && i < r->n_findings; i++)
    json_array_append_new(a, jo_finding(&r->findings[i]));
  return a;
}

json_t *jo_counts(const wapf_batch_counts *c) {
  json_t *o = json_object();
  json_object_set_new(o, "converted", json_integer(c->converted));
  json_object_set_new(o, "copied", json_integer(c->copied));
  json_object_set_new(o, "skipped", json_integer(c->skipped));
  json_object_set_new(o, "failed", json_integer(c->failed));
  json_object_set_new(o, "bytes_in", json_integer(c->bytes_in));
  json_object_set_new(o, "bytes_out", json_integer(c->bytes_out));
  json_object_set_new(o, "seconds", jo_real(c->seconds));
  return o;
}

json_t *jo_report(const char *path, const wapf_report *r) {
  json_t *j = json_object();
  json_t *findings = jo_findings(r);
  json_t *out = json_object();
  json_object_set_new(out, "ext", jo_str(r->out_ext));
  json_object_set_new(out, "mime", jo_str(r->out_mime));
  json_object_set_new(j, "path", jo_str(path));
  json_object_set_new(j, "kind", json_string(wapf_kind_name(r->kind)));
  json_object_set_new(j, "compliant", jo_bool(r->compliant));
  json_object_set_new(j, "findings", findings);
  json_object_set_new(j, "plan", jo_str(wapf_plan_name(r->plan)));
  json_object_set_new(j, "plan_reason", jo_str(r->plan_reason));
  json_object_set_new(j, "output", out);
  json_object_set_new(j, "error", json_null());
  return j;
}

json_t *jo_report_error(const char *path, int code, const char *detail) {
  json_t *j = json_object();
  json_object_set_new(j, "path", jo_str(path));
  json_object_set_new(j, "kind", json_null());
  json_object_set_new(j, "compliant", json_false());
  json_object_set_new(j, "findings", json_array());
  json_object_set_new(j, "plan", json_null());
  json_object_set_new(j, "plan_reason", json_string(""));
  json_object_set_new(j, "output", json_null());
  json_object_set_new(j, "error", jo_error(code, detail));
  return j;
}

static const char *skip_name(int skipped) {
  switch (skipped) {
  case WAPF_TRIALS_FITS: return "fits";
  case WAPF_TRIALS_SHORT: return "short";
  case WAPF_TRIALS_ONE: return "one_size";
  default: return NULL;
  }
}

/* --speed best's adaptive quantisation trial, null when none ran */
static json_t *jo_video_aq(const wapf_result *res) {
  const wapf_video_decision *d = &res->video;
  if (!res->video_aq)
    return json_null();
  json_t *j = json_object();
  json_object_set_new(j, "chosen",
                      json_string(res->video_aq == WAPF_AQ_VARIANCE
                                      ? "variance"
                                      : "auto-variance"));
  json_object_set_new(j, "ssim_variance",
                      json_real(res->video_aq_ssim / 10000.0));
  json_object_set_new(j, "ssim_auto_variance",
                      json_real(d->ssim[d->chosen & 3] / 10000.0));
  return j;
}

/* How a re-encoded video's size was chosen; null when none was. A size
 * left out after the first trial segment says so ("first_segment_only"):
 * its SSIM is that segment's. */
static json_t *jo_video_decision(const wapf_result *res) {
  const wapf_video_decision *d = &res->video;
  uint8_t dropped = res->video_dropped;
  if (!d->made)
    return json_null();
  json_t *j = json_object();
  json_t *c = json_array();
  for (int i = 0; i < d->candidates && i < 4; i++) {
    json_t *e = json_object();
    json_object_set_new(e, "height", json_integer(d->height[i]));
    json_object_set_new(e, "ssim", json_real(d->ssim[i] / 10000.0));
    json_object_set_new(e, "first_segment_only",
                        json_boolean(dropped & (1u << i)));
    json_array_append_new(c, e);
  }
  const char *skip = skip_name(d->skipped);
  json_object_set_new(j, "trials", json_boolean(!d->skipped));
  json_object_set_new(j, "skipped", skip ? json_string(skip) : json_null());
  json_object_set_new(j, "height", json_integer(d->height[d->chosen & 3]));
  json_object_set_new(j, "kbps", d->kbps ? json_integer(d->kbps) : json_null());
  json_object_set_new(j, "candidates", c);
  json_object_set_new(j, "frames", json_integer(d->frames));
  json_object_set_new(j, "trial_seconds", json_real(d->trial_cs / 100.0));
  json_object_set_new(j, "aq", jo_video_aq(res));
  json_object_set_new(j, "refills", json_integer(res->video_refills));
  json_object_set_new(j, "first_fill_percent",
                      res->video_refills ? json_integer(res->video_first_fill)
                                         : json_null());
  return j;
}

json_t *jo_result(const char *path, const char *out, wapf_kind kind,
                  const wapf_result *res, int code, const char *detail) {
  json_t *j = json_object();
  json_object_set_new(j, "path", jo_str(path));
  json_object_set_new(j, "output", code == WAPF_OK ? jo_str(out) : json_null());
  json_object_set_new(
      j, "kind",
      kind == WAPF_KIND_AUTO ? json_null() : json_string(wapf_kind_name(kind)));
  json_object_set_new(j, "action",
                      res ? jo_str(wapf_plan_name(res->action)) : json_null());
  json_object_set_new(j, "bytes_in",
                      res ? jo_count(res->bytes_in) : json_null());
  json_object_set_new(j, "bytes_out",
                      res && code == WAPF_OK ? jo_count(res->bytes_out)
                                             : json_null());
  json_object_set_new(j, "seconds", res ? jo_real(res->seconds) : json_null());
  json_object_set_new(j, "note", jo_str(res ? res->note : ""));
  json_object_set_new(j, "video_decision",
                      res ? jo_video_decision(res) : json_null());
  json_object_set_new(j, "error",
                      code == WAPF_OK ? json_null() : jo_error(code, detail));
  return j;
}

json_t *jo_document(json_t *files) {
  json_t *j = json_object();
  json_object_set_new(j, "version", json_integer(JO_SCHEMA_VERSION));
  json_object_set_new(j, "files", files);
  return j;
}

int jo_print(json_t *root) {
  int rc = root ? json_dumpf(root, stdout,
                             JSON_INDENT(2) | JSON_ENSURE_ASCII |
                                 JSON_REAL_PRECISION(10))
                : -1;
  json_decref(root);
  if (rc == 0 && (fputc('\n', stdout) == EOF || fflush(stdout) != 0))
    rc = -1;
  return rc;
}
