/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf_send(): configuration -> prepare the file -> link, publish or
 * upload (through the media-id cache) -> send the message. */
#include "send.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>

static const wapf__provider *const k_providers[] = {
    &wapf__prov_meta, &wapf__prov_360dialog, &wapf__prov_onprem,
    &wapf__prov_qikchat, &wapf__prov_lipachat};
#define N_PROVIDERS (sizeof k_providers / sizeof k_providers[0])

const wapf__provider *wapf__provider_get(wapf_provider id) {
  for (size_t i = 0; i < N_PROVIDERS; i++)
    if (k_providers[i]->id == id)
      return k_providers[i];
  return NULL;
}

const char *wapf_provider_name(wapf_provider p) {
  const wapf__provider *v = wapf__provider_get(p);
  return v ? v->name : "?";
}

int wapf_provider_from_name(const char *name, wapf_provider *out) {
  for (size_t i = 0; name && i < N_PROVIDERS; i++)
    if (strcmp(name, k_providers[i]->name) == 0) {
      *out = k_providers[i]->id;
      return WAPF_OK;
    }
  return WAPF_EINVAL;
}

void wapf_default_send_request(wapf_send_request *r) {
  memset(r, 0, sizeof *r);
  r->provider = WAPF_PROVIDER_META;
  r->timeout = 120;
  r->connect_timeout = 15;
  r->max_attempts = 4;
  r->retry_budget = 60;
}

/* Provider, credentials and base URL: all before touching the file. */
static int configure(wapf__send *s) {
  const wapf_send_request *q = s->req;
  s->prov = wapf__provider_get(q->provider);
  if (!s->prov->by_id && !q->link && !q->publish)
    return wapf__fail(s->ctx, WAPF_ECONFIG,
                      "%s sends links only: give --link URL or --publish "
                      "s3://BUCKET/PREFIX --public-base-url URL",
                      s->prov->name);
  if (s->prov->id == WAPF_PROVIDER_LIPACHAT && (!q->from || !*q->from))
    return wapf__fail(s->ctx, WAPF_ECONFIG, "lipachat needs --from NUMBER");
  int rc = wapf__creds_load(s);
  if (rc != WAPF_OK)
    return rc;
  const char *base = q->api_base && *q->api_base ? q->api_base
                     : s->creds.onprem_base      ? s->creds.onprem_base
                                                 : s->prov->default_base;
  if (!base)
    return wapf__fail(s->ctx, WAPF_ECONFIG,
                      "%s has no default address: give --api-base URL or "
                      "set WA_ONPREM_BASE",
                      s->prov->name);
  s->base = g_strdup(base);
  for (size_t n = strlen(s->base); n && s->base[n - 1] == '/';)
    s->base[--n] = '\0';
  if (!wapf__url_allowed(s->base))
    return wapf__sfail(s, WAPF_ECONFIG,
                       "--api-base %s: only HTTPS (plain HTTP only to "
                       "loopback)",
                       s->base);
  s->gver = q->graph_version && *q->graph_version ? q->graph_version
                                                  : WAPF_GRAPH_VERSION;
  s->cacert = q->cacert && *q->cacert ? q->cacert : getenv("CURL_CA_BUNDLE");
  if (s->cacert && !*s->cacert)
    s->cacert = NULL;
  return WAPF_OK;
}

/* Upload, or take the id from the cache (under the cache's lock, so that
 * runs sending one file at once upload it once). */
static int obtain_id(wapf__send *s, wapf__cache *cache, const char *key) {
  int rc = wapf__cache_lock(s, cache, key);
  if (rc != WAPF_OK)
    return rc;
  if (cache && wapf__cache_get(cache, key, s->media_id, sizeof s->media_id)) {
    wapf__cache_unlock(cache);
    s->res->cache_hit = 1;
    wapf__slog(s, WAPF_LOG_INFO, "media id %s from the cache (no upload)",
               s->media_id);
    return WAPF_OK;
  }
  rc = s->prov->upload(s);
  if (rc == WAPF_OK)
    wapf__slog(s, WAPF_LOG_INFO, "uploaded %lld bytes as %s: media id %s",
               (long long)s->size, s->mime, s->media_id);
  if (rc == WAPF_OK && cache && wapf__cache_put(cache, key, s->media_id))
    wapf__slog(s, WAPF_LOG_WARNING,
               "could not store the media id in the "
               "cache");
  wapf__cache_unlock(cache);
  return rc;
}

/* A cached id the provider no longer knows: upload once more. */
static int stale_id(const wapf__send *s, int rc) {
  int code = s->res->provider_code;
  return rc == WAPF_EPROVIDER && s->res->cache_hit &&
         (s->res->http_status == 400 || s->res->http_status == 404) &&
         code != 131047 && code != 190 && code != 130429 && code != 131048 &&
         code != 80007;
}

static int request_valid(wapf_context *ctx, const wapf_send_request *q,
                         int need_to) {
  for (size_t i = 0; i < sizeof q->reserved; i++)
    if (q->reserved[i])
      return wapf__fail(ctx, WAPF_EINVAL, "reserved bytes must be zero");
  if (!wapf__provider_get(q->provider))
    return wapf__fail(ctx, WAPF_EINVAL, "unknown provider");
  if (need_to && (!q->to || !*q->to))
    return wapf__fail(ctx, WAPF_EINVAL, "no recipient (--to)");
  if (!(q->timeout > 0) || !(q->connect_timeout > 0) || q->max_attempts < 1 ||
      q->max_attempts > 10 || !(q->retry_budget >= 0))
    return wapf__fail(ctx, WAPF_EINVAL,
                      "timeouts or retry limits out of range");
  if (q->link && q->publish)
    return wapf__fail(ctx, WAPF_EINVAL, "give --link or --publish, not both");
  return wapf__template_valid(ctx, q);
}

/* Validate (the request, and opt when given), then provider, credentials
 * and base (before the file). */
static int begin(wapf__send *s, wapf_context *ctx, const wapf_send_request *q,
                 const wapf_options *opt, wapf_send_result *res, int need_to) {
  memset(s, 0, sizeof *s);
  s->ctx = ctx;
  s->req = q;
  s->res = res;
  s->to = q->to;
  s->caption = q->caption && *q->caption ? q->caption : NULL;
  s->link = g_strdup("");
  int rc = request_valid(ctx, q, need_to);
  if (rc == WAPF_OK && opt)
    rc = wapf__check_options(ctx, opt);
  if (rc == WAPF_OK && q->template_name &&
      (q->provider == WAPF_PROVIDER_QIKCHAT ||
       q->provider == WAPF_PROVIDER_LIPACHAT))
    return wapf__fail(ctx, WAPF_EREFUSED,
                      "%s: templates are not supported (its template "
                      "endpoint is not in the documentation this tool "
                      "follows); nothing was sent",
                      wapf_provider_name(q->provider));
  return rc == WAPF_OK ? configure(s) : rc;
}

static void end(wapf__send *s) {
  wapf__prepare_cleanup(s);
  wapf__creds_free(&s->creds);
  g_free(s->base);
  g_free(s->link);
  s->base = s->link = NULL;
}

/* By id: the cached id, or an upload. */
static int by_id(wapf__send *s, wapf__cache **cache, char **key) {
  if (!s->req->no_cache && wapf__cache_open(s, cache) != WAPF_OK) {
    wapf__slog(s, WAPF_LOG_WARNING, "media-id cache unavailable: %s",
               wapf_last_error(s->ctx));
    *cache = NULL;
  }
  *key = wapf__cache_key(s);
  return obtain_id(s, *cache, *key);
}

/* The first half on s (prepared): link, publish or upload. */
static int reachable(wapf__send *s, wapf__cache **cache, char **key) {
  int rc = wapf__cancelled(s->ctx)
               ? wapf__fail(s->ctx, WAPF_ECANCELLED, "cancelled")
               : WAPF_OK;
  if (rc == WAPF_OK && s->req->link) {
    g_free(s->link);
    s->link = g_strdup(s->req->link);
    rc = wapf__verify_link(s, s->link);
  } else if (rc == WAPF_OK && s->req->publish) {
    rc = wapf__publish(s);
  } else if (rc == WAPF_OK) {
    rc = by_id(s, cache, key);
  }
  free(s->res->url);
  s->res->url = strdup(s->link);
  if (!s->res->url && rc == WAPF_OK)
    rc = wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
  wapf__strlcpy(s->res->media_id, s->media_id, sizeof s->res->media_id);
  wapf__sha256_to_bytes(s->sha256, s->res->sha256);
  wapf__digest_to_bytes(s->request, s->res->request, sizeof s->res->request);
  return rc;
}

void wapf__digest_to_bytes(const char *hex, uint8_t *out, size_t n) {
  memset(out, 0, n);
  for (size_t i = 0; i < n && hex[2 * i] && hex[2 * i + 1]; i++)
    out[i] = (uint8_t)(g_ascii_xdigit_value(hex[2 * i]) * 16 +
                       g_ascii_xdigit_value(hex[2 * i + 1]));
}

void wapf__digest_to_hex(const uint8_t *in, size_t n, char *hex) {
  int zero = 1;
  for (size_t i = 0; i < n; i++)
    zero &= in[i] == 0;
  hex[0] = '\0';
  for (size_t i = 0; !zero && i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", in[i]);
}

void wapf__sha256_to_bytes(const char *hex, uint8_t out[32]) {
  wapf__digest_to_bytes(hex, out, 32);
}

void wapf__sha256_to_hex(const uint8_t in[32], char hex[65]) {
  wapf__digest_to_hex(in, 32, hex);
}

static const char *state_for(int rc) {
  switch (rc) {
  case WAPF_OK: return "sent";
  case WAPF_EUNKNOWN: return "unknown";
  default: return "failed";
  }
}

/* Status events that came before the answer join the row. The outcome
 * is already recorded: a store lost here costs only that merge (the
 * events stay in the journal, unlinked), never the outcome. */
static void attach_early_statuses(wapf__send *s, wapf__journal *j,
                                  long long id) {
  if (wapf__status_attach(wapf__journal_db(j), id) == WAPF_OK ||
      (wapf__journal_again(s->ctx, j) &&
       wapf__status_attach(wapf__journal_db(j), id) == WAPF_OK))
    return;
  wapf__slog(s, WAPF_LOG_WARNING,
             "the outcome is recorded, but status events that came before "
             "it are not merged: %s",
             wapf__db_error(wapf__journal_db(j)));
}

/* The message's outcome into the journal. When it cannot be written even
 * after waiting for a lost store, the journal keeps the claim ("pending",
 * read as "unknown" once this run ends): a sent message is then reported
 * as unknown too, so that nothing trusts an outcome the journal lacks. */
static int record_outcome(wapf__send *s, wapf__journal *j, long long id,
                          int rc) {
  int e = wapf__journal_done(s->ctx, j, id, state_for(rc), s->res->message_id,
                             rc == WAPF_OK ? NULL : wapf_last_error(s->ctx));
  if (e == WAPF_OK) {
    attach_early_statuses(s, j, id);
    return rc;
  }
  wapf__slog(s, WAPF_LOG_WARNING,
             "could not record the outcome of the send in the journal: %s",
             wapf__db_error(wapf__journal_db(j)));
  if (rc != WAPF_OK)
    return rc; /* refused or unknown already: nothing to correct */
  return wapf__sfail(s, WAPF_EUNKNOWN,
                     "to %s: sent (message id %s), but the journal could "
                     "not record it: %s",
                     s->to, s->res->message_id,
                     wapf__db_error(wapf__journal_db(j)));
}

/* The second half on s: journal intent, the message, journal outcome. */
static int message(wapf__send *s) {
  const wapf_send_request *q = s->req;
  int rc = wapf__can_take(s);
  if (rc != WAPF_OK)
    return rc;
  wapf__journal *j = NULL;
  rc = wapf__journal_open(s->ctx, q->cache_dir, q->config_path, &j);
  if (rc != WAPF_OK)
    return rc;
  char sender[80];
  wapf__sender(s, sender, sizeof sender);
  char *tpl = wapf__template_text(q);
  const char *media = s->sha256[0]     ? s->sha256
                      : s->media_id[0] ? s->media_id
                                       : s->link;
  wapf__journal_row row = {s->prov->name,
                           sender,
                           s->to,
                           media,
                           s->kind ? wapf_kind_name(s->kind) : NULL,
                           s->caption,
                           tpl,
                           q->template_name,
                           s->request[0] ? s->request : NULL,
                           s->kind == WAPF_KIND_DOCUMENT ? s->filename : NULL};
  long long id = 0;
  rc = tpl ? WAPF_OK : wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
  if (rc == WAPF_OK && wapf__cancelled(s->ctx))
    rc = wapf__fail(s->ctx, WAPF_ECANCELLED, "cancelled");
  if (rc == WAPF_OK)
    rc = wapf__journal_intent(s, j, &row, q->resend, &id);
  if (rc == WAPF_OK)
    rc = wapf__status_begin(s, j, id);
  if (rc == WAPF_OK)
    rc = record_outcome(s, j, id, s->prov->message(s));
  free(tpl);
  wapf__journal_close(&j);
  if (rc == WAPF_OK)
    wapf__slog(s, WAPF_LOG_INFO, "sent %s to %s via %s: message id %s",
               s->kind ? wapf_kind_name(s->kind) : "template", s->to,
               s->prov->name, s->res->message_id);
  return rc;
}

static void start_result(wapf_send_result **res, wapf_send_result *local) {
  if (!*res)
    *res = local;
  memset(*res, 0, sizeof **res);
}

/* The message half after a fresh upload or a cached id: send, and when a
 * cached id is refused as stale, upload once more and send again. */
static int message_half(wapf__send *s, wapf__cache *cache, const char *key) {
  int rc = message(s);
  if (!stale_id(s, rc) || wapf__cancelled(s->ctx))
    return rc;
  wapf__slog(s, WAPF_LOG_INFO, "cached media id refused; uploading again");
  wapf__cache_drop(cache, key);
  s->res->cache_hit = s->res->provider_code = 0;
  s->res->provider_error[0] = '\0';
  rc = obtain_id(s, NULL, key);
  if (rc == WAPF_OK && cache)
    wapf__cache_put(cache, key, s->media_id);
  wapf__strlcpy(s->res->media_id, s->media_id, sizeof s->res->media_id);
  if (rc == WAPF_OK)
    rc = message(s); /* the first was refused: not delivered */
  return rc;
}

/* Before anything is uploaded, published or sent (wapf_send, and
 * wapf_upload given the recipient it is for): the journal opened,
 * migrated and found writable (the context keeps it for message()), so
 * that an unusable store stops the send with its one line. */
static int store_ready(wapf__send *s) {
  wapf__journal *j = NULL;
  int rc =
      wapf__journal_open(s->ctx, s->req->cache_dir, s->req->config_path, &j);
  if (rc == WAPF_OK)
    rc = wapf__journal_writable(s->ctx, j);
  wapf__journal_close(&j);
  return rc;
}

/* wapf_upload() (deliver 0) and wapf_send() (deliver 1): validate, convert
 * when needed, make the media reachable (a cached id, an upload, a publish
 * or a verified link) and, when asked, send the message. */
static int run_file(wapf_context *ctx, const char *path,
                    const wapf_options *opt, const wapf_send_request *req,
                    wapf_send_result *res, int deliver) {
  wapf_send_result local;
  wapf_options def;
  if (!ctx || !path || !req)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  start_result(&res, &local);
  res->url = strdup("");
  if (!res->url)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  if (!opt) {
    wapf_default_options(&def);
    opt = &def;
  }
  wapf__send s;
  wapf__cache *cache = NULL;
  char *key = NULL;
  wapf__op_begin(ctx); /* a cancel sticks through probe/check/convert */
  int rc = begin(&s, ctx, req, opt, res, deliver);
  if (rc == WAPF_OK && (deliver || (req->to && *req->to)))
    rc = store_ready(&s); /* an upload for a send to req->to too */
  s.input = path;
  s.path = rc == WAPF_OK ? strdup(path) : NULL;
  if (rc == WAPF_OK && !s.path)
    rc = wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  if (rc == WAPF_OK)
    rc = wapf__prepare(&s, opt);
  if (rc == WAPF_OK)
    rc = reachable(&s, &cache, &key);
  if (rc == WAPF_OK && deliver)
    rc = message_half(&s, cache, key);
  wapf__cache_close(&cache);
  wapf__op_end(ctx);
  end(&s);
  g_free(key);
  if (res == &local)
    wapf_send_result_clear(res);
  return rc;
}

int wapf_upload(wapf_context *ctx, const char *path, const wapf_options *opt,
                const wapf_send_request *req, wapf_send_result *res) {
  return run_file(ctx, path, opt, req, res, 0);
}

int wapf_send_message(wapf_context *ctx, const wapf_send_request *req,
                      const wapf_send_result *media, wapf_send_result *res) {
  wapf_send_result local;
  if (!ctx || !req)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  if (res && media && res != media) {
    *res = *media;
    res->url = strdup(media->url ? media->url : "");
  } else if (!res || !media) {
    start_result(&res, &local);
    res->url = strdup("");
  } else if (!res->url) { /* res is media, filled by hand for an id */
    res->url = strdup("");
  }
  if (!res->url)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  res->message_id[0] = res->provider_error[0] = '\0';
  res->attempts = res->http_status = res->provider_code = res->duplicate = 0;
  wapf__send s;
  int rc = begin(&s, ctx, req, NULL, res, 1);
  if (rc == WAPF_OK && !media && !req->template_name)
    rc = wapf__fail(ctx, WAPF_EINVAL,
                    "no media: only a template can be sent "
                    "without one");
  if (rc == WAPF_OK && media) {
    s.kind = media->kind;
    wapf__strlcpy(s.media_id, media->media_id, sizeof s.media_id);
    g_free(s.link);
    s.link = g_strdup(media->url ? media->url : "");
    wapf__sha256_to_hex(media->sha256, s.sha256);
    wapf__digest_to_hex(media->request, sizeof media->request, s.request);
    if (s.kind == WAPF_KIND_DOCUMENT && req->filename &&
        strlen(req->filename) >= sizeof s.filename) /* never cut */
      rc = wapf__fail(ctx, WAPF_EINVAL, "the document's name is over %zu bytes",
                      sizeof s.filename - 1);
    else if (s.kind == WAPF_KIND_DOCUMENT && req->filename)
      wapf__strlcpy(s.filename, req->filename, sizeof s.filename);
    if (s.kind <= WAPF_KIND_AUTO || (!s.media_id[0] && !s.link[0]))
      rc = wapf__fail(ctx, WAPF_EINVAL,
                      "media: want a kind and a media id "
                      "or a link");
    else if (!s.link[0] && !s.prov->by_id)
      rc = wapf__fail(ctx, WAPF_ECONFIG, "%s sends links only", s.prov->name);
  }
  if (rc == WAPF_OK)
    rc = message(&s);
  end(&s);
  if (res == &local)
    wapf_send_result_clear(res);
  return rc;
}

void wapf_send_result_clear(wapf_send_result *r) {
  if (!r)
    return;
  free(r->url);
  memset(r, 0, sizeof *r);
}

int wapf_send(wapf_context *ctx, const char *path, const wapf_options *opt,
              const wapf_send_request *req, wapf_send_result *res) {
  return run_file(ctx, path, opt, req, res, 1);
}
