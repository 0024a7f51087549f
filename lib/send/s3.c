/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --publish s3://BUCKET/PREFIX: a path-style PUT to an S3-compatible
 * endpoint signed with AWS SigV4 by libcurl (CURLOPT_AWS_SIGV4). libcurl
 * 7.88 hashes only POST bodies, so the payload's SHA-256 is sent as
 * x-amz-content-sha256 here (and signed with the other headers). The
 * object's name is content-addressed, so it may be cached for a year. */
#include "send.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define WAPF_PUBLISH_CACHE "public, max-age=31536000, immutable"

int wapf__s3_parse(const char *uri, char *bucket, size_t bsize, char *prefix,
                   size_t psize) {
  if (!uri || strncmp(uri, "s3://", 5) != 0)
    return WAPF_EINVAL;
  const char *b = uri + 5;
  size_t n = strcspn(b, "/");
  if (n == 0 || n >= bsize)
    return WAPF_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!islower((unsigned char)b[i]) && !isdigit((unsigned char)b[i]) &&
        b[i] != '-' && b[i] != '.')
      return WAPF_EINVAL;
  memcpy(bucket, b, n);
  bucket[n] = '\0';
  const char *p = b + n;
  while (*p == '/')
    p++;
  if (strlen(p) >= psize)
    return WAPF_EINVAL; /* never cut: the object would land elsewhere */
  wapf__strlcpy(prefix, p, psize);
  size_t m = strlen(prefix);
  while (m && prefix[m - 1] == '/')
    prefix[--m] = '\0';
  return WAPF_OK;
}

/* "<sha256[:16]>-<name>" with only [A-Za-z0-9._-] (no escaping needed). */
static void object_name(const wapf__send *s, char *out, size_t size) {
  const char *b =
      s->kind == WAPF_KIND_DOCUMENT && s->filename[0]
          ? s->filename
          : (strrchr(s->path, '/') ? strrchr(s->path, '/') + 1 : s->path);
  snprintf(out, size, "%.16s-%s", s->sha256, b);
  for (char *p = out; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '-';
}

static void trim_slash(char *s) {
  size_t n = strlen(s);
  while (n && s[n - 1] == '/')
    s[--n] = '\0';
}

/* A storage refusal: S3's XML <Code> and <Message> as one line. */
static int s3_fail(wapf__send *s, const wapf__http_resp *rp) {
  char code[96] = "", msg[200] = "";
  char *red = wapf__redact_dup(s, rp->body); /* redact, then cut */
  const char *b = red ? red : "";
  const char *c = strstr(b, "<Code>"), *m = strstr(b, "<Message>");
  if (c)
    snprintf(code, sizeof code, "%.*s", (int)strcspn(c + 6, "<"), c + 6);
  if (m)
    snprintf(msg, sizeof msg, "%.*s", (int)strcspn(m + 9, "<"), m + 9);
  free(red);
  int rc = wapf__status_retryable(rp->status) ? WAPF_ENETWORK : WAPF_EPROVIDER;
  return wapf__sfail(s, rc, "publish: storage answered HTTP %ld%s%s%s%s%s",
                     rp->status, code[0] ? ": " : "", code, msg[0] ? " (" : "",
                     msg, msg[0] ? ")" : "");
}

static int put_object(wapf__send *s, const char *url) {
  char sigv4[128], ctype[128], sha[128];
  const char *region = s->creds.aws_region ? s->creds.aws_region : "us-east-1";
  snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", region);
  char *userpwd =
      g_strdup_printf("%s:%s", s->creds.aws_key_id, s->creds.aws_secret);
  /* Opus must be served with its codec (Qikchat refuses bare audio/ogg) */
  snprintf(ctype, sizeof ctype, "Content-Type: %s%s", s->mime,
           s->opus ? "; codecs=opus" : "");
  snprintf(sha, sizeof sha, "x-amz-content-sha256: %s", s->sha256);
  wapf__http_req rq = {.method = "PUT", .url = url, .what = "publish"};
  rq.headers[0] = ctype;
  rq.headers[1] = "Cache-Control: " WAPF_PUBLISH_CACHE;
  rq.headers[2] = sha;
  rq.body_file = s->path;
  rq.aws_sigv4 = sigv4;
  rq.userpwd = userpwd;
  wapf__http_resp rp = {0};
  int rc = wapf__http(s, &rq, &rp);
  if (rc == WAPF_OK && (rp.status < 200 || rp.status > 299))
    rc = s3_fail(s, &rp);
  wapf__http_resp_free(&rp);
  memset(userpwd, 0, strlen(userpwd));
  g_free(userpwd);
  return rc;
}

int wapf__publish(wapf__send *s) {
  char bucket[64], prefix[512], name[300], key[1024];
  if (wapf__s3_parse(s->req->publish, bucket, sizeof bucket, prefix,
                     sizeof prefix) != WAPF_OK)
    return wapf__fail(s->ctx, WAPF_EINVAL,
                      "--publish %s: want s3://BUCKET/PREFIX", s->req->publish);
  if (!s->req->public_base_url || !*s->req->public_base_url)
    return wapf__fail(s->ctx, WAPF_EINVAL, "--publish needs --public-base-url");
  object_name(s, name, sizeof name);
  if (snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "/" : "", name) >=
      (int)sizeof key)
    return wapf__fail(s->ctx, WAPF_EINVAL, "--publish: the prefix is too long");
  char *endpoint = g_strdup(s->creds.aws_endpoint ? s->creds.aws_endpoint : "");
  trim_slash(endpoint);
  char *url = g_strdup_printf("%s/%s/%s", endpoint, bucket, key);
  g_free(endpoint);
  int rc = put_object(s, url);
  g_free(url);
  if (rc != WAPF_OK)
    return rc;
  char *pub = g_strdup(s->req->public_base_url);
  trim_slash(pub);
  g_free(s->link);
  s->link = g_strdup_printf("%s/%s", pub, name);
  g_free(pub);
  wapf__slog(s, WAPF_LOG_INFO, "published s3://%s/%s as %s", bucket, key,
             s->link);
  rc = wapf__verify_link(s, s->link);
  if (rc == WAPF_EREFUSED)
    rc = wapf__sfail(s, WAPF_EREFUSED, "%s (check --public-base-url)",
                     wapf_last_error(s->ctx));
  return rc;
}
