/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The endpoints' work: probe, check, convert under the gate, each call
 * bounded by the request's deadline; errors become HTTP answers. */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../json_out.h"
#include "parse.h"
#include "work.h"

void answer_error(srv_answer *a, int status, const char *reason,
                  const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(a->message, sizeof a->message, fmt, ap);
  va_end(ap);
  a->status = status;
  a->reason = reason;
  json_decref(a->json);
  a->json = json_object();
  json_object_set_new(a->json, "error", json_string(reason));
  json_object_set_new(a->json, "message", jo_str(a->message));
}

void answer_free(srv_answer *a) {
  json_decref(a->json);
  g_free(a->file);
  free(a->report);
  memset(a, 0, sizeof *a);
}

/* The library's detail of the last failure with the server's own paths
 * taken out: the input becomes the client's name for it, other files of
 * the request folder their bare names. */
static const char *lib_detail(const srv_work *w, wapf_context *ctx, char *buf,
                              size_t n) {
  const char *d = ctx ? wapf_last_error(ctx) : "";
  size_t dl = strlen(w->dir), o = 0;
  while (d && *d && o + 1 < n) {
    const char *rest = d + dl;
    if (strncmp(d, w->dir, dl) != 0 || *rest != '/') {
      buf[o++] = *d++;
      continue;
    }
    int is_in = !strncmp(rest, "/in", 3) && !isalnum((unsigned char)rest[3]);
    const char *put = is_in ? w->name : "";
    int k = snprintf(buf + o, n - o, "%s", put);
    o += k > 0 ? (size_t)k : 0;
    if (o >= n)
      o = n - 1;
    d = is_in ? rest + 3 : rest + 1;
  }
  buf[o < n ? o : n - 1] = '\0';
  return buf;
}

/* A library failure as an answer. */
static void lib_error(srv_answer *a, const srv_job *job, const char *d,
                      int rc) {
  char msg[400];
  if (d && *d)
    snprintf(msg, sizeof msg, "%s (%s)", wapf_strerror(rc), d);
  else
    snprintf(msg, sizeof msg, "%s", wapf_strerror(rc));
  switch (rc) {
  case WAPF_ECANCELLED:
    if (gate_late(job))
      answer_error(a, 504, "timeout", "the request took longer than --timeout");
    else
      answer_error(a, 503, "shutting_down", "%s", msg);
    a->retry_after = 5;
    return;
  case WAPF_EEMPTY:
  case WAPF_ECORRUPT:
  case WAPF_EUNSUPPORTED: answer_error(a, 422, "unreadable", "%s", msg); return;
  case WAPF_EUNFIXABLE: answer_error(a, 422, "unfixable", "%s", msg); return;
  case WAPF_ELIMIT: answer_error(a, 422, "limit", "%s", msg); return;
  case WAPF_ENOMEM:
    answer_error(a, 503, "no_memory", "%s", msg);
    a->retry_after = 5;
    return;
  default: answer_error(a, 500, "internal", "%s", msg); return;
  }
}

static void do_check(srv_work *w, srv_answer *a, const wapf_facts *f,
                     const wapf_report *r) {
  (void)f;
  a->status = 200;
  a->reason = "";
  a->json = jo_report(w->name, r);
}

/* The whole file at path as a JSON base64 string; NULL on failure. */
static json_t *file_base64(const char *path, int64_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  json_t *j = NULL;
  if (fd < 0)
    return NULL;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    uint8_t *buf = malloc((size_t)st.st_size);
    char *b64 = malloc(b64_enc_len((size_t)st.st_size) + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
      ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
      if (n <= 0)
        break;
      got += (size_t)n;
    }
    if (buf && b64 && got == (size_t)st.st_size) {
      b64_encode(buf, got, b64);
      j = json_stringn_nocheck(b64, b64_enc_len(got));
      *size = (int64_t)got;
    }
    free(buf);
    free(b64);
  }
  close(fd);
  return j;
}

/* The converted file's path in the request folder (g_free). */
static char *out_path(const srv_work *w, const char *ext) {
  g_autofree char *name = g_strconcat("out", ext, NULL);
  return g_build_filename(w->dir, name, NULL);
}

/* Convert and answer the file (or {"report", "file"}). */
static void do_convert(srv_work *w, srv_answer *a, wapf_context *ctx,
                       const srv_job *job, const wapf_facts *f,
                       const wapf_report *r) {
  wapf_result res;
  memset(&res, 0, sizeof res);
  char *out = out_path(w, r->out_ext);
  int rc = wapf_convert(ctx, f, r, &w->opt, out, &res);
  if (rc == WAPF_OK && gate_late(job))
    rc = WAPF_ECANCELLED;
  if (rc != WAPF_OK) {
    char d[512];
    lib_error(a, job, lib_detail(w, ctx, d, sizeof d), rc);
    json_object_set_new(a->json, "report",
                        jo_result(w->name, NULL, r->kind, &res, rc, d));
    g_free(out);
    return;
  }
  json_t *rep = jo_result(w->name, NULL, r->kind, &res, rc, "");
  a->status = 200;
  a->reason = "";
  snprintf(a->mime, sizeof a->mime, "%s", res.mime);
  snprintf(a->filename, sizeof a->filename, "converted%s", r->out_ext);
  if (w->want_json) {
    int64_t size = 0;
    json_t *b = file_base64(out, &size);
    if (!b) {
      json_decref(rep);
      answer_error(a, 500, "internal", "cannot read the converted file");
    } else {
      a->json = json_object();
      json_object_set_new(a->json, "report", rep);
      json_object_set_new(a->json, "file", b);
    }
    g_free(out);
    return;
  }
  a->report = json_dumps(rep, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(rep);
  a->file = out;
}

/* /process-audio: Ogg/Opus voice note, or what was asked. */
static void do_audio(srv_work *w, srv_answer *a, wapf_context *ctx,
                     const srv_job *job, const wapf_facts *f,
                     const wapf_report *r) {
  wapf_result res;
  wapf_facts *of = NULL;
  memset(&res, 0, sizeof res);
  if (r->plan == WAPF_PLAN_UNFIXABLE) {
    answer_error(a, 422, "unfixable", "cannot be made a voice note: %s",
                 r->plan_reason);
    return;
  }
  char *out = out_path(w, r->out_ext);
  int rc = wapf_convert(ctx, f, r, &w->opt, out, &res);
  if (rc == WAPF_OK && !gate_late(job))
    rc = wapf_probe(ctx, out, &of);
  if (rc == WAPF_OK && gate_late(job))
    rc = WAPF_ECANCELLED;
  int64_t size = 0;
  json_t *b64 = rc == WAPF_OK ? file_base64(out, &size) : NULL;
  char d[512];
  if (rc != WAPF_OK)
    lib_error(a, job, lib_detail(w, ctx, d, sizeof d), rc);
  else if (!b64)
    answer_error(a, 500, "internal", "cannot read the converted file");
  else {
    const char *fmt = !strcmp(of->format, "ogg")   ? "ogg"
                      : !strcmp(of->format, "mp3") ? "mp3"
                                                   : "mp4";
    a->status = 200;
    a->reason = "";
    a->json = json_object();
    json_object_set_new(a->json, "duration", jo_real(of->duration));
    json_object_set_new(a->json, "audio", b64);
    json_object_set_new(a->json, "format", json_string(fmt));
    json_object_set_new(a->json, "size", json_integer(size));
    b64 = NULL;
  }
  json_decref(b64);
  wapf_facts_free(&of);
  g_free(out);
}

/* Check again with the options format= asks for: Ogg/Opus voice, MP3
 * (Evolution API uploads the answer as audio/mpeg named .mp3: a compliant
 * MP3 stays as it is, anything else is encoded to MP3), or AAC in M4A. */
static int audio_options(srv_work *w, wapf_context *ctx, const wapf_facts *f,
                         wapf_report **r) {
  if (w->format == FMT_OGG) {
    w->opt.kind = WAPF_KIND_VOICE;
    return wapf_check(ctx, f, &w->opt, r);
  }
  w->opt.kind = WAPF_KIND_AUDIO;
  if (w->format == FMT_MP3) {
    w->opt.mp3 = 1;
    return wapf_check(ctx, f, &w->opt, r);
  }
  w->opt.stereo = 1; /* AAC-LC in MP4 */
  return wapf_check(ctx, f, &w->opt, r);
}

static void run_job(srv_state *s, srv_work *w, srv_answer *a, srv_job *job) {
  wapf_context *ctx = ctxpool_take(s);
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  if (!ctx) {
    answer_error(a, 500, "internal", "cannot start the media libraries");
    return;
  }
  gate_attach(job, ctx);
  w->opt.progress = gate_progress;
  w->opt.progress_cookie = job;
  int rc = wapf_probe(ctx, w->in, &f);
  if (rc == WAPF_OK && gate_late(job))
    rc = WAPF_ECANCELLED;
  if (rc == WAPF_OK)
    rc = w->ep == EP_PROCESS_AUDIO ? audio_options(w, ctx, f, &r)
                                   : wapf_check(ctx, f, &w->opt, &r);
  if (rc == WAPF_OK && gate_late(job))
    rc = WAPF_ECANCELLED;
  if (rc != WAPF_OK) {
    char d[512];
    lib_error(a, job, lib_detail(w, ctx, d, sizeof d), rc);
    if (w->ep == EP_CHECK && a->status == 422) { /* like check --json */
      json_decref(a->json);
      a->json = jo_report_error(w->name, rc, d);
    }
  } else if (w->ep == EP_CHECK)
    do_check(w, a, f, r);
  else if (w->ep == EP_CONVERT && r->plan == WAPF_PLAN_UNFIXABLE) {
    answer_error(a, 422, "unfixable", "cannot be made compliant: %s",
                 r->plan_reason);
    json_object_set_new(a->json, "check", jo_report(w->name, r));
  } else if (w->ep == EP_CONVERT)
    do_convert(w, a, ctx, job, f, r);
  else
    do_audio(w, a, ctx, job, f, r);
  wapf_report_free(&r);
  wapf_facts_free(&f);
  gate_attach(job, NULL); /* no cancel reaches ctx after this */
  ctxpool_give(s, ctx);
}

/* The url's file into w->in, within the job's time; 0 or an answer. */
static int fetch(const srv_config *c, const srv_work *w, srv_answer *a) {
  char why[400];
  fetch_limits lim = {c->max_body, w->deadline - cli_now(),
                      c->allow_private_urls, 5};
  int st = fetch_url(w->url, w->in, &lim, why, sizeof why);
  if (st)
    answer_error(a, st,
                 st == 400   ? "url_refused"
                 : st == 413 ? "too_large"
                 : st == 504 ? "url_timeout"
                             : "url_failed",
                 "%s", why);
  return st;
}

void work_run(srv_state *s, srv_work *w, srv_answer *a) {
  const srv_config *c = s->c;
  srv_job job;
  memset(&job, 0, sizeof job);
  job.deadline = w->deadline;
  int g = gate_enter(s, &job);
  if (g == -1) {
    answer_error(a, 503, "queue_full",
                 "%d conversions are running and %d waiting; try again",
                 c->workers, c->queue);
    a->retry_after = 2;
    return;
  }
  if (g == -2) {
    answer_error(a, 504, "timeout", "no worker became free within --timeout");
    return;
  }
  if (!w->url || fetch(c, w, a) == 0)
    run_job(s, w, a, &job);
  gate_leave(&job);
}
