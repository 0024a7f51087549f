/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The proof of a status webhook, checked before its body is parsed:
 * Meta's X-Hub-Signature-256 (HMAC-SHA256 of the raw body under the app
 * secret, GLib's GHmac), or a shared secret the provider is configured to
 * send (HTTP Basic password, a header, a secret path segment). Every
 * comparison takes a time that depends only on the lengths. */
#include "status.h"

#include <stdlib.h>
#include <string.h>

int wapf__ct_equal(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  unsigned char d = na != nb;
  for (size_t i = 0; i < na; i++)
    d |= (unsigned char)(a[i] ^ b[nb ? i % nb : 0]);
  return d == 0;
}

void wapf__hmac_sha256_hex(const char *key, const void *data, size_t len,
                           char hex[65]) {
  GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)key, strlen(key));
  g_hmac_update(h, (const guchar *)data, (gssize)len);
  wapf__strlcpy(hex, g_hmac_get_string(h), 65);
  g_hmac_unref(h);
}

void wapf_hmac_sha256_hex(const char *key, const void *data, size_t len,
                          char hex[65]) {
  if (hex)
    hex[0] = '\0';
  if (key && hex && (data || !len))
    wapf__hmac_sha256_hex(key, data ? data : "", len, hex);
}

static const char *header(const wapf_webhook_request *q, const char *name) {
  return q->header ? q->header(q->header_cookie, name) : NULL;
}

static int signature_ok(const wapf_webhook_request *q, const char *secret) {
  const char *sig = header(q, "X-Hub-Signature-256");
  if (!sig || g_ascii_strncasecmp(sig, "sha256=", 7) != 0)
    return 0;
  char hex[65], given[65];
  wapf__hmac_sha256_hex(secret, q->body, q->body_len, hex);
  wapf__strlcpy(given, sig + 7, sizeof given);
  for (char *p = given; *p; p++)
    *p = g_ascii_tolower(*p);
  int ok = strlen(sig + 7) == 64 && wapf__ct_equal(given, hex);
  memset(hex, 0, sizeof hex);
  return ok;
}

/* "Basic base64(user:secret)": the password compared. */
static int basic_ok(const char *auth, const char *secret) {
  if (!auth || g_ascii_strncasecmp(auth, "Basic ", 6) != 0 ||
      strlen(auth) > 4096)
    return 0;
  gsize n = 0;
  guchar *raw = g_base64_decode(auth + 6, &n);
  char *text = raw ? g_strndup((const char *)raw, n) : NULL;
  char *colon = text ? strchr(text, ':') : NULL;
  int ok = colon && strlen(text) == n && wapf__ct_equal(colon + 1, secret);
  if (raw)
    memset(raw, 0, n);
  if (text)
    memset(text, 0, n);
  g_free(raw);
  g_free(text);
  return ok;
}

static int shared_ok(wapf_context *ctx, const wapf_webhook_request *q,
                     const char *secret) {
  char *name = NULL;
  wapf_config_get(ctx, q->config_path, "WA_WEBHOOK_SECRET_HEADER", &name);
  const char *given = header(q, name ? name : "X-Webhook-Secret");
  free(name);
  return (given && wapf__ct_equal(given, secret)) |
         (q->path_secret && wapf__ct_equal(q->path_secret, secret)) |
         basic_ok(header(q, "Authorization"), secret);
}

static char *secret_of(wapf_context *ctx, const wapf_webhook_request *q,
                       const char *key) {
  char *v = NULL;
  if (wapf_config_get(ctx, q->config_path, key, &v) != WAPF_OK || !v)
    return NULL;
  if (!*v) {
    free(v);
    return NULL;
  }
  return v;
}

static void wipe(char *s) {
  if (s) {
    memset(s, 0, strlen(s));
    free(s);
  }
}

int wapf__webhook_verify(wapf_context *ctx, const wapf_webhook_request *q) {
  static const char *shared[] = {
      NULL, "WA_WEBHOOK_SECRET_360DIALOG", "WA_WEBHOOK_SECRET_ONPREM",
      "WA_WEBHOOK_SECRET_QIKCHAT", "WA_WEBHOOK_SECRET_LIPACHAT"};
  const char *name = wapf_provider_name(q->provider);
  char *sig = NULL, *sh = NULL;
  if (q->provider == WAPF_PROVIDER_META)
    sig = secret_of(ctx, q, "WA_APP_SECRET");
  else if (q->provider == WAPF_PROVIDER_360DIALOG)
    sig = secret_of(ctx, q, "WA_360DIALOG_APP_SECRET");
  if (!sig && q->provider != WAPF_PROVIDER_META)
    sh = secret_of(ctx, q, shared[q->provider]);
  int ok = sig ? signature_ok(q, sig) : sh ? shared_ok(ctx, q, sh) : -1;
  int signed_ = sig != NULL || q->provider == WAPF_PROVIDER_META;
  wipe(sig);
  wipe(sh);
  if (ok < 0)
    return wapf__fail(ctx, WAPF_ECONFIG,
                      "%s webhooks: no secret configured (%s)", name,
                      q->provider == WAPF_PROVIDER_META ? "WA_APP_SECRET"
                                                        : shared[q->provider]);
  if (!ok)
    return wapf__fail(ctx, WAPF_EREFUSED, "%s webhook: missing or wrong %s",
                      name, signed_ ? "X-Hub-Signature-256" : "secret");
  return WAPF_OK;
}
