/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Before any request: the caption, probe -> check (with the provider's
 * target flags) -> convert into a private temporary directory when the
 * file is not compliant, the document's name, and the file's SHA-256. */
#include "send.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAPF_CAPTION_MAX 1024

size_t wapf__utf8_chars(const char *str, int *valid) {
  const unsigned char *p = (const unsigned char *)str;
  size_t n = 0;
  *valid = g_utf8_validate(str, -1, NULL);
  for (; *p; p++)
    if ((*p & 0xC0) != 0x80) /* every byte that starts a code point */
      n++;
  return n;
}

int wapf__caption_ok(wapf__send *s) {
  int valid;
  if (!s->caption)
    return WAPF_OK;
  size_t n = wapf__utf8_chars(s->caption, &valid);
  if (!valid)
    return wapf__fail(s->ctx, WAPF_EREFUSED, "the caption is not valid UTF-8");
  if (n > WAPF_CAPTION_MAX)
    return wapf__fail(s->ctx, WAPF_EREFUSED,
                      "the caption has %zu characters; WhatsApp takes at "
                      "most %d",
                      n, WAPF_CAPTION_MAX);
  return WAPF_OK;
}

static const char *base_name(const char *path) {
  const char *sl = strrchr(path, '/');
  return sl ? sl + 1 : path;
}

/* The extension for a document MIME type when the name has none. */
static const char *ext_for_mime(const char *mime) {
  static const char *const map[][2] = {
      {"application/pdf", ".pdf"},
      {"text/plain", ".txt"},
      {"application/msword", ".doc"},
      {"application/vnd.ms-excel", ".xls"},
      {"application/vnd.ms-powerpoint", ".ppt"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml."
       "document",
       ".docx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       ".xlsx"},
      {"application/vnd.openxmlformats-officedocument.presentationml."
       "presentation",
       ".pptx"},
      {"application/zip", ".zip"},
      {"text/csv", ".csv"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(mime, map[i][0]) == 0)
      return map[i][1];
  return "";
}

/* The name shown for a document, carrying the file's own extension. */
static int doc_filename(wapf__send *s, const char *out_ext) {
  const char *given = s->req->filename;
  const char *name = given && *given ? given : base_name(s->input);
  const char *ext = out_ext && *out_ext ? out_ext : ext_for_mime(s->mime);
  const char *dot = strrchr(name, '.');
  if (strchr(name, '/'))
    return wapf__fail(s->ctx, WAPF_EINVAL, "--filename %s: a name, not a path",
                      name);
  if (strlen(name) + strlen(ext) >= sizeof s->filename) /* never cut */
    return wapf__fail(s->ctx, WAPF_EINVAL,
                      "the document's name is over %zu bytes: give a "
                      "shorter --filename",
                      sizeof s->filename - 1 - strlen(ext));
  if (dot && dot != name && *ext && strcasecmp(dot, ext) != 0)
    return wapf__fail(s->ctx, WAPF_EREFUSED,
                      "the name %s says %s but the file is %s (%s); give a "
                      "name ending in %s",
                      name, dot, ext, s->mime, ext);
  wapf__strlcpy(s->filename, name, sizeof s->filename); /* fits, above */
  if ((!dot || dot == name) && *ext)
    g_strlcat(s->filename, ext, sizeof s->filename);
  return WAPF_OK;
}

int wapf__can_take(wapf__send *s) {
  if (!s->kind) /* a template without a media header */
    return WAPF_OK;
  if (s->req->template_name && s->kind != WAPF_KIND_IMAGE &&
      s->kind != WAPF_KIND_VIDEO && s->kind != WAPF_KIND_DOCUMENT)
    return wapf__fail(s->ctx, WAPF_EREFUSED,
                      "a template's media header is an image, a video or a "
                      "document, not a %s",
                      wapf_kind_name(s->kind));
  if (!(s->prov->kinds & (1u << s->kind)))
    return wapf__fail(s->ctx, WAPF_EREFUSED, "%s cannot send a %s",
                      s->prov->name, wapf_kind_name(s->kind));
  if (s->caption && (s->kind == WAPF_KIND_AUDIO || s->kind == WAPF_KIND_VOICE ||
                     s->kind == WAPF_KIND_STICKER))
    return wapf__fail(s->ctx, WAPF_EREFUSED,
                      "a %s takes no caption (only image, video and "
                      "document do)",
                      wapf_kind_name(s->kind));
  return WAPF_OK;
}

/* Convert into a private directory: <tmp>/wapf-send-XXXXXX/<stem><ext>. */
static int convert_private(wapf__send *s, const wapf_facts *f,
                           const wapf_report *r, const wapf_options *opt) {
  char out[2048];
  wapf__tmp_sweep(s); /* folders left by a killed run */
  int rc = wapf__tmp_make(s);
  if (rc != WAPF_OK)
    return rc;
  const char *b = base_name(s->input);
  const char *dot = strrchr(b, '.');
  int stem = dot && dot != b ? (int)(dot - b) : (int)strlen(b);
  snprintf(out, sizeof out, "%s/%.*s%s", s->tmpdir, stem, b, r->out_ext);
  free(s->path);
  s->path = strdup(out);
  if (!s->path)
    return wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
  wapf__slog(s, WAPF_LOG_INFO, "%s: converting (%s)", s->input,
             wapf_plan_name(r->plan));
  return wapf_convert(s->ctx, f, r, opt, s->path, NULL);
}

static int has_opus(const wapf_facts *f) {
  for (size_t i = 0; i < f->n_streams; i++)
    if (f->streams[i].type == WAPF_STREAM_AUDIO &&
        strcmp(f->streams[i].codec, "opus") == 0)
      return 1;
  return 0;
}

static int after_check(wapf__send *s, const wapf_facts *f, const wapf_report *r,
                       const wapf_options *opt) {
  s->kind = r->kind;
  s->res->kind = r->kind;
  s->res->plan = r->plan;
  s->animated = f->media == WAPF_MEDIA_AV ||
                (f->media == WAPF_MEDIA_IMAGE && f->image.animated);
  wapf__strlcpy(s->mime, r->out_mime, sizeof s->mime);
  s->mime[strcspn(s->mime, "; ")] = '\0';
  if (s->kind == WAPF_KIND_VOICE)
    wapf__strlcpy(s->mime, "audio/ogg", sizeof s->mime); /* never opus */
  s->opus = strcmp(s->mime, "audio/ogg") == 0 &&
            (r->plan != WAPF_PLAN_NONE || has_opus(f)); /* we encode Opus */
  int rc = wapf__can_take(s);
  if (rc == WAPF_OK && s->kind == WAPF_KIND_VOICE && !s->prov->voice_flag)
    wapf__slog(s, WAPF_LOG_WARNING,
               "%s has no voice flag: the voice note (Ogg/Opus, mono) is "
               "sent as audio, shown as a file to play, not as a voice "
               "message",
               s->prov->name);
  if (rc == WAPF_OK && r->plan == WAPF_PLAN_UNFIXABLE && !r->compliant)
    rc = wapf__fail(s->ctx, WAPF_EUNFIXABLE, "%s",
                    r->plan_reason[0] ? r->plan_reason
                                      : "cannot be made compliant");
  if (rc == WAPF_OK && r->plan != WAPF_PLAN_NONE && s->req->link)
    rc = wapf__fail(s->ctx, WAPF_EREFUSED,
                    "the file needs converting (plan: %s), so the link "
                    "cannot serve it: convert it, put the result at the "
                    "link, or use --publish",
                    wapf_plan_name(r->plan));
  if (rc == WAPF_OK && s->kind == WAPF_KIND_DOCUMENT)
    rc = doc_filename(s, r->out_ext);
  if (rc == WAPF_OK && r->plan != WAPF_PLAN_NONE)
    rc = convert_private(s, f, r, opt);
  return rc;
}

static void add_text(GChecksum *c, const char *text) {
  const char *t = text ? text : "";
  g_checksum_update(c, (const guchar *)t, (gssize)strlen(t));
  g_checksum_update(c, (const guchar *)"\x1f", 1);
}

void wapf__request_digest(wapf__send *s, const char *source,
                          const wapf_options *o, int converted) {
  GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
  guint8 d[32];
  gsize n = sizeof d;
  add_text(c, "wapf-request-1");
  add_text(c, source);
  add_text(c, wapf_kind_name(s->kind));
  if (converted) { /* a file sent as it is: no option changes its bytes */
    char *opts = g_strdup_printf(
        "stereo=%d track=%d start=%.17g duration=%.17g png=%d bg=%06x "
        "fit=%d metadata=%d targets=%u speed=%d",
        o->stereo, o->audio_track, o->start, o->duration, o->png,
        (unsigned)o->background, (int)o->fit, o->keep_metadata, o->target_flags,
        (int)o->speed);
    add_text(c, opts);
    g_free(opts);
    add_text(c, o->pack_id);
    add_text(c, o->pack_name);
    add_text(c, o->publisher);
    add_text(c, o->emoji);
  }
  g_checksum_get_digest(c, d, &n);
  g_checksum_free(c);
  wapf__digest_to_hex(d, (sizeof s->request - 1) / 2, s->request);
}

/* The source's digest first: what was asked for is known even when the
 * conversion gives other bytes than last time. */
static int source_digest(wapf__send *s, char hex[65]) {
  return wapf__sha256_file(s->ctx, s->input, hex);
}

int wapf__prepare(wapf__send *s, const wapf_options *opt) {
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  wapf_options o = *opt;
  char source[65] = "";
  o.target_flags |= s->prov->target_flags;
  o.overwrite = 0;
  int rc = wapf__caption_ok(s);
  if (rc == WAPF_OK)
    rc = source_digest(s, source);
  if (rc == WAPF_OK)
    rc = wapf_probe(s->ctx, s->input, &f);
  if (rc == WAPF_OK)
    rc = wapf_check(s->ctx, f, &o, &r);
  if (rc == WAPF_OK)
    rc = after_check(s, f, r, &o);
  if (rc == WAPF_OK)
    wapf__request_digest(s, source, &o, r->plan != WAPF_PLAN_NONE);
  wapf_report_free(&r);
  wapf_facts_free(&f);
  if (rc == WAPF_OK) {
    s->size = wapf__file_size(s->path);
    rc = wapf__sha256_file(s->ctx, s->path, s->sha256);
    if (rc == WAPF_OK && s->size < 0)
      rc = wapf__from_errno(s->ctx, EIO, s->path);
  }
  return rc;
}

void wapf__prepare_cleanup(wapf__send *s) {
  wapf__tmp_remove(s);
  free(s->path);
  s->path = NULL;
}
