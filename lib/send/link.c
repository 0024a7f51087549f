/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A link is verified before it is sent: HTTPS (plain HTTP to loopback
 * only), HTTP 200 to a HEAD (or 200/206 to a ranged GET when HEAD is not
 * allowed), a Content-Type of the kind and not an HTML page, a
 * Content-Length within the kind's limit. The caching headers Meta
 * honours are reported. */
#include "send.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The MIME types a kind may be served as. */
static int type_fits(wapf_kind kind, const char *t) {
  static const char *const video[] = {"video/mp4", "video/3gpp", NULL};
  static const char *const audio[] = {"audio/aac", "audio/mp4", "audio/mpeg",
                                      "audio/amr", "audio/ogg", NULL};
  static const char *const voice[] = {"audio/ogg", NULL};
  static const char *const image[] = {"image/jpeg", "image/png", NULL};
  static const char *const sticker[] = {"image/webp", NULL};
  const char *const *list = NULL;
  switch (kind) {
  case WAPF_KIND_VIDEO: list = video; break;
  case WAPF_KIND_AUDIO: list = audio; break;
  case WAPF_KIND_VOICE: list = voice; break;
  case WAPF_KIND_IMAGE: list = image; break;
  case WAPF_KIND_STICKER: list = sticker; break;
  default: return strcmp(t, "text/html") != 0 && *t;
  }
  for (; *list; list++)
    if (strcmp(t, *list) == 0)
      return 1;
  return 0;
}

/* "max-age=N", "no-cache", ... of Cache-Control, plus Last-Modified and
 * ETag, as one line for the result. */
static void caching_report(wapf__send *s, const wapf__http_resp *rp) {
  static const char *const words[] = {"max-age", "no-cache", "no-store",
                                      "private"};
  char line[240] = "";
  char lc[160];
  size_t i;
  for (i = 0; rp->cache_control[i] && i < sizeof lc - 1; i++)
    lc[i] = (char)tolower((unsigned char)rp->cache_control[i]);
  lc[i] = '\0';
  int cc = 0;
  for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
    cc |= strstr(lc, words[w]) != NULL;
  if (cc)
    snprintf(line, sizeof line, "Cache-Control: %s", rp->cache_control);
  if (rp->last_modified[0])
    snprintf(line + strlen(line), sizeof line - strlen(line), "%sLast-Modified",
             line[0] ? "; " : "");
  if (rp->etag[0])
    snprintf(line + strlen(line), sizeof line - strlen(line), "%sETag",
             line[0] ? "; " : "");
  if (!line[0])
    wapf__strlcpy(line,
                  "none (no Cache-Control max-age/no-cache/no-store/private, "
                  "Last-Modified or ETag): Meta will not cache the file",
                  sizeof line);
  wapf__strlcpy(s->res->link_caching, line, sizeof s->res->link_caching);
  wapf__slog(s, WAPF_LOG_INFO, "link caching headers: %s", line);
}

/* HEAD first; a server that refuses HEAD gets a ranged GET. */
static int fetch_head(wapf__send *s, const char *url, wapf__http_resp *rp,
                      int *ranged) {
  wapf__http_req rq = {.method = "HEAD", .url = url, .what = "link check"};
  rq.follow = 1;
  rq.headers_only = 1;
  int rc = wapf__http(s, &rq, rp);
  *ranged = 0;
  if (rc == WAPF_OK &&
      (rp->status == 405 || rp->status == 501 || rp->status == 403)) {
    rq.method = "GET";
    rq.headers[0] = "Range: bytes=0-0";
    *ranged = 1;
    rc = wapf__http(s, &rq, rp);
  }
  return rc;
}

/* The whole size: Content-Length, or the total of a Content-Range. */
static int64_t served_size(const wapf__http_resp *rp, int ranged) {
  if (ranged && rp->status == 206) {
    const char *sl = strrchr(rp->content_range, '/');
    return sl && isdigit((unsigned char)sl[1]) ? strtoll(sl + 1, NULL, 10) : -1;
  }
  return rp->content_length;
}

/* No size announced: read the body, keeping nothing, but never more than
 * the kind's limit + 1 byte (over that it is too large anyway). The size
 * read, or -1 (no limit to cap with), or -2 (the read failed). */
static int64_t read_capped(wapf__send *s, const char *url, int64_t limit) {
  if (limit <= 0)
    return -1;
  wapf__http_req rq = {.method = "GET", .url = s->link, .what = "link read"};
  rq.follow = 1;
  rq.count_max = limit + 1;
  wapf__http_resp rp = {0};
  int rc = wapf__http(s, &rq, &rp);
  int64_t n = rp.counted;
  long status = rp.status;
  wapf__http_resp_free(&rp);
  if (rc != WAPF_OK || status != 200) {
    if (rc == WAPF_OK)
      wapf__sfail(s, WAPF_ENETWORK, "link %s: HTTP %ld on reading it", url,
                  status);
    return -2;
  }
  wapf__slog(s, WAPF_LOG_INFO,
             "link gives no Content-Length: read %s%lld bytes",
             n > limit ? "over " : "", (long long)(n > limit ? limit : n));
  return n;
}

static int judge(wapf__send *s, const char *url, const wapf__http_resp *rp,
                 int ranged) {
  char type[128];
  size_t i;
  if (wapf__status_retryable(rp->status))
    return wapf__sfail(s, WAPF_ENETWORK,
                       "link %s answers HTTP %ld after the retries", url,
                       rp->status);
  if (rp->status != 200 && !(ranged && rp->status == 206))
    return wapf__sfail(s, WAPF_EREFUSED,
                       "link %s answers HTTP %ld, not 200: the provider could "
                       "not fetch it",
                       url, rp->status);
  for (i = 0;
       rp->content_type[i] && rp->content_type[i] != ';' &&
       !isspace((unsigned char)rp->content_type[i]) && i < sizeof type - 1;
       i++)
    type[i] = (char)tolower((unsigned char)rp->content_type[i]);
  type[i] = '\0';
  if (strcmp(type, "text/html") == 0)
    return wapf__sfail(s, WAPF_EREFUSED,
                       "link %s serves an HTML page, not the file itself", url);
  if (!type_fits(s->kind, type))
    return wapf__sfail(s, WAPF_EREFUSED,
                       "link %s is served as \"%s\"; a %s must be served as "
                       "%s",
                       url, type[0] ? type : "(no Content-Type)",
                       wapf_kind_name(s->kind), s->mime);
  if (strcmp(type, s->mime) != 0)
    wapf__slog(s, WAPF_LOG_WARNING, "link is served as %s but the file is %s",
               type, s->mime);
  int64_t size = served_size(rp, ranged);
  int64_t limit = wapf_kind_limit(s->kind, s->animated);
  if (size < 0)
    size = read_capped(s, url, limit);
  if (size == -2)
    return WAPF_ENETWORK; /* the failure is set */
  if (size < 0)
    wapf__slog(s, WAPF_LOG_WARNING, "link gives no size");
  else if (limit > 0 && size > limit)
    return wapf__sfail(s, WAPF_EREFUSED,
                       "link serves %lld bytes, over the %lld-byte limit "
                       "for a %s",
                       (long long)size, (long long)limit,
                       wapf_kind_name(s->kind));
  else if (s->size > 0 && size != s->size)
    wapf__slog(s, WAPF_LOG_WARNING,
               "link serves %lld bytes but the file has %lld: is it the "
               "same file?",
               (long long)size, (long long)s->size);
  return WAPF_OK;
}

int wapf__verify_link(wapf__send *s, const char *url) {
  wapf__http_resp rp = {0};
  int ranged = 0;
  char shown[1024];
  wapf__url_for_log(url, shown, sizeof shown);
  if (!wapf__url_allowed(url))
    return wapf__sfail(s, WAPF_EREFUSED,
                       "link %s: must be https:// (plain HTTP only to "
                       "loopback)",
                       shown);
  int rc = fetch_head(s, url, &rp, &ranged);
  if (rc == WAPF_OK && rp.redirects > 0) {
    char final[1024];
    wapf__url_for_log(rp.final_url, final, sizeof final);
    wapf__slog(s, WAPF_LOG_WARNING,
               "link %s redirects (%ld time%s) to %s: Meta's downloader is "
               "reported not to follow redirects; send the final URL",
               shown, rp.redirects, rp.redirects == 1 ? "" : "s", final);
  }
  if (rc == WAPF_OK)
    rc = judge(s, shown, &rp, ranged);
  if (rc == WAPF_OK)
    caching_report(s, &rp);
  else if (rc == WAPF_ECONFIG) /* a certificate or URL the check refused */
    rc = WAPF_EREFUSED;
  wapf__http_resp_free(&rp);
  return rc;
}
