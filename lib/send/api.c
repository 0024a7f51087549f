/* wapf_send(): configuration -> prepare the file -> link, publish or
 * upload (through the media-id cache) -> send the message. */
#include "send.h"

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

static int request_valid(wapf_context *ctx, const wapf_send_request *q) {
  for (size_t i = 0; i < sizeof q->reserved; i++)
    if (q->reserved[i])
      return wapf__fail(ctx, WAPF_EINVAL, "reserved bytes must be zero");
  if (!wapf__provider_get(q->provider))
    return wapf__fail(ctx, WAPF_EINVAL, "unknown provider");
  if (!q->to || !*q->to)
    return wapf__fail(ctx, WAPF_EINVAL, "no recipient (--to)");
  if (!(q->timeout > 0) || !(q->connect_timeout > 0) || q->max_attempts < 1 ||
      q->max_attempts > 10 || !(q->retry_budget >= 0))
    return wapf__fail(ctx, WAPF_EINVAL,
                      "timeouts or retry limits out of range");
  if (q->link && q->publish)
    return wapf__fail(ctx, WAPF_EINVAL, "give --link or --publish, not both");
  return WAPF_OK;
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
  wapf__strlcpy(s->base, base, sizeof s->base);
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

/* Upload, or take the id from the cache. */
static int obtain_id(wapf__send *s, wapf__cache *cache, const char *key) {
  if (cache && wapf__cache_get(cache, key, s->media_id, sizeof s->media_id)) {
    s->res->cache_hit = 1;
    wapf__slog(s, WAPF_LOG_INFO, "media id %s from the cache (no upload)",
               s->media_id);
    return WAPF_OK;
  }
  int rc = s->prov->upload(s);
  if (rc == WAPF_OK)
    wapf__slog(s, WAPF_LOG_INFO, "uploaded %lld bytes as %s: media id %s",
               (long long)s->size, s->mime, s->media_id);
  if (rc == WAPF_OK && cache && wapf__cache_put(cache, key, s->media_id))
    wapf__slog(s, WAPF_LOG_WARNING,
               "could not store the media id in the "
               "cache");
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

static int by_id(wapf__send *s) {
  wapf__cache *cache = NULL;
  char key[1024];
  if (!s->req->no_cache && wapf__cache_open(s, &cache) != WAPF_OK) {
    wapf__slog(s, WAPF_LOG_WARNING, "media-id cache unavailable: %s",
               wapf_last_error(s->ctx));
    cache = NULL;
  }
  wapf__cache_key(s, key, sizeof key);
  int rc = obtain_id(s, cache, key);
  if (rc == WAPF_OK)
    rc = s->prov->message(s);
  if (stale_id(s, rc)) {
    wapf__slog(s, WAPF_LOG_INFO, "cached media id refused; uploading again");
    wapf__cache_drop(cache, key);
    s->res->cache_hit = 0;
    s->res->provider_code = 0;
    s->res->provider_error[0] = '\0';
    rc = obtain_id(s, NULL, key);
    if (rc == WAPF_OK && cache)
      wapf__cache_put(cache, key, s->media_id);
    if (rc == WAPF_OK)
      rc = s->prov->message(s);
  }
  wapf__cache_close(&cache);
  return rc;
}

static int deliver(wapf__send *s) {
  int rc;
  if (s->req->link) {
    wapf__strlcpy(s->link, s->req->link, sizeof s->link);
    rc = wapf__verify_link(s, s->link);
    if (rc == WAPF_OK)
      rc = s->prov->message(s);
  } else if (s->req->publish) {
    rc = wapf__publish(s);
    if (rc == WAPF_OK)
      rc = s->prov->message(s);
  } else {
    rc = by_id(s);
  }
  wapf__strlcpy(s->res->url, s->link, sizeof s->res->url);
  wapf__strlcpy(s->res->media_id, s->media_id, sizeof s->res->media_id);
  return rc;
}

int wapf_send(wapf_context *ctx, const char *path, const wapf_options *opt,
              const wapf_send_request *req, wapf_send_result *res) {
  wapf_send_result local;
  wapf_options def;
  if (!ctx || !path || !req)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  if (!res)
    res = &local;
  memset(res, 0, sizeof *res);
  if (!opt) {
    wapf_default_options(&def);
    opt = &def;
  }
  int rc = request_valid(ctx, req);
  if (rc == WAPF_OK)
    rc = wapf__check_options(ctx, opt);
  if (rc != WAPF_OK)
    return rc;
  wapf__send s;
  memset(&s, 0, sizeof s);
  s.ctx = ctx;
  s.req = req;
  s.res = res;
  s.input = path;
  s.caption = req->caption && *req->caption ? req->caption : NULL;
  s.path = strdup(path);
  wapf__op_begin(ctx); /* a cancel sticks through probe/check/convert */
  rc = s.path ? configure(&s) : wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  if (rc == WAPF_OK)
    rc = wapf__prepare(&s, opt);
  if (rc == WAPF_OK && wapf__cancelled(ctx))
    rc = wapf__fail(ctx, WAPF_ECANCELLED, "cancelled before the upload");
  if (rc == WAPF_OK)
    rc = deliver(&s);
  wapf__op_end(ctx);
  if (rc == WAPF_OK)
    wapf__slog(&s, WAPF_LOG_INFO, "sent %s via %s: message id %s",
               wapf_kind_name(s.kind), s.prov->name, res->message_id);
  wapf__prepare_cleanup(&s);
  wapf__creds_free(&s.creds);
  return rc;
}
