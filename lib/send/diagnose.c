/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf_diagnose(): the provider's failure words mapped to what the
 * preflight knows (the rules of docs/rules.md), and the file checked again
 * when it is still at hand. */
#include "status.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct failure {
  long code;
  char words[600]; /* title, message and details, lower case */
} failure;

static void take_words(failure *f, json_t *err) {
  const char *k[] = {"title", "message"};
  f->code = (long)json_integer_value(json_object_get(err, "code"));
  for (int i = 0; i < 2; i++) {
    const char *v = json_string_value(json_object_get(err, k[i]));
    if (v)
      g_strlcat(f->words, v, sizeof f->words), g_strlcat(f->words, " | ", 600);
  }
  const char *d = json_string_value(
      json_object_get(json_object_get(err, "error_data"), "details"));
  if (d)
    g_strlcat(f->words, d, sizeof f->words);
  for (char *p = f->words; *p; p++)
    *p = g_ascii_tolower(*p);
}

static const char *media_advice(const char *w) {
  if (strstr(w, "audio/opus"))
    return "Opus was uploaded as audio/opus, which the API refuses: upload "
           "it as audio/ogg (wa-preflight sends Opus as audio/ogg; "
           "codecs=opus)";
  if (strstr(w, "text/html"))
    return "the link served an HTML page instead of the file (a login or "
           "error page, often at the end of a redirect): link the file "
           "itself, or upload it by id";
  if (strstr(w, "http code 429"))
    return "the host of the link rate-limited Meta's downloader (429): "
           "upload by id, or serve the link with caching headers "
           "(Cache-Control, ETag)";
  if (strstr(w, "http code 403"))
    return "the host of the link refused Meta's downloader (403): an "
           "expired or signed URL, or one that needs cookies; make it "
           "public or upload by id";
  if (strstr(w, "weblink") || strstr(w, "download"))
    return "Meta could not download the link: it must answer 200 with the "
           "file itself, without a redirect";
  if (strstr(w, "size") || strstr(w, "too large") || strstr(w, "exceed"))
    return "the file is over the size limit of its kind: convert it "
           "(wa-preflight convert)";
  if (strstr(w, "mime type"))
    return "the type sent does not match what the bytes are, or is not one "
           "the API takes for this kind: wa-preflight check, then convert";
  return "the API did not accept the media: run wa-preflight check on it";
}

static const char *advice(const failure *f) {
  switch (f->code) {
  case 131053: return media_advice(f->words);
  case 131047:
    return "the 24-hour customer service window is closed: send an "
           "approved template (--template)";
  case 131026:
    return "the recipient cannot receive it (not on WhatsApp, an old "
           "version, or it blocked the number)";
  case 130429:
  case 131056: return "rate limited: wait and send again later";
  default: break;
  }
  if (strstr(f->words, "mime type") || strstr(f->words, "weblink"))
    return media_advice(f->words);
  return wapf__graph_advice(f->code);
}

/* The file sent, when the journal knows it and it is unchanged. */
static char *file_at_hand(wapf_context *ctx, const char *cache_dir,
                          const wapf_journal_entry *e) {
  wapf__journal *j = NULL;
  if (!*e->message_id || strlen(e->media) != 64 ||
      wapf__journal_open(ctx, cache_dir, NULL, &j) != WAPF_OK)
    return NULL;
  wapf__stmt *st = NULL;
  char *path = NULL;
  if (wapf__db_prepare(wapf__journal_db(j),
                       "SELECT path FROM sends WHERE message_id=?1 AND "
                       "provider=?2 AND media=?3 AND path IS NOT NULL "
                       "ORDER BY id DESC LIMIT 1",
                       &st) == WAPF_OK) {
    wapf__db_bind_text(st, 1, e->message_id);
    wapf__db_bind_text(st, 2, e->provider);
    wapf__db_bind_text(st, 3, e->media);
    if (wapf__db_step(st) == 1)
      path = g_strdup(wapf__db_text(st, 0));
  }
  wapf__db_finalize(&st);
  wapf__journal_close(&j);
  char hex[65];
  if (path && (access(path, R_OK) != 0 ||
               wapf__sha256_file(NULL, path, hex) != WAPF_OK ||
               strcmp(hex, e->media) != 0)) {
    g_free(path);
    path = NULL;
  }
  return path;
}

static void recheck(wapf_context *ctx, const char *path,
                    const wapf_journal_entry *e, char *out, size_t size) {
  wapf_options opt;
  wapf_default_options(&opt);
  wapf_kind k;
  if (*e->kind && wapf_kind_from_name(e->kind, &k) == WAPF_OK)
    opt.kind = k;
  wapf_facts *f = NULL;
  wapf_report *r = NULL;
  if (wapf_probe(ctx, path, &f) == WAPF_OK &&
      wapf_check(ctx, f, &opt, &r) == WAPF_OK) {
    const char *why = NULL;
    for (size_t i = 0; i < r->n_findings && !why; i++)
      if (r->findings[i].severity == WAPF_SEV_FAIL)
        why = r->findings[i].message;
    char line[700];
    snprintf(line, sizeof line, "%s%s checked again: %s%s", *out ? "; " : "",
             path, why ? "not compliant: " : "compliant as a ",
             why ? why : wapf_kind_name(r->kind));
    g_strlcat(out, line, size);
  }
  wapf_report_free(&r);
  wapf_facts_free(&f);
}

int wapf_diagnose(wapf_context *ctx, const char *cache_dir,
                  const wapf_journal_entry *e, char *out, size_t size) {
  if (!ctx || !e || !out || !size)
    return WAPF_EINVAL;
  out[0] = '\0';
  failure f;
  memset(&f, 0, sizeof f);
  json_t *errs = e->errors && *e->errors
                     ? json_loads(e->errors, JSON_DISABLE_EOF_CHECK, NULL)
                     : NULL;
  if (json_is_array(errs) && json_array_size(errs))
    take_words(&f, json_array_get(errs, 0));
  else if (e->detail) {
    g_strlcpy(f.words, e->detail, sizeof f.words);
    for (char *p = f.words; *p; p++)
      *p = g_ascii_tolower(*p);
    f.code = strstr(f.words, "131053")   ? 131053
             : strstr(f.words, "131047") ? 131047
                                         : 0;
  }
  json_decref(errs);
  const char *a = advice(&f);
  if (a)
    g_strlcpy(out, a, size);
  char *path = file_at_hand(ctx, cache_dir, e);
  if (path)
    recheck(ctx, path, e, out, size);
  g_free(path);
  return WAPF_OK;
}
