/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One HTTP request with libcurl: timeouts, certificate verification,
 * loopback-only plain HTTP, bounded answers, the headers that matter, and
 * the one place where CURLcode becomes a WAPF_E* code. */
#include "send.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static gpointer curl_init_once(gpointer unused) {
  (void)unused;
  return GINT_TO_POINTER(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
}

static int curl_ready(void) {
  static GOnce once = G_ONCE_INIT;
  g_once(&once, curl_init_once, NULL);
  return GPOINTER_TO_INT(once.retval);
}

/* CURLcode -> WAPF_E*, once, keeping curl's own words in the detail. */
static int from_curl(wapf__send *s, CURLcode cc, const char *errbuf,
                     const char *what, const char *url) {
  int code;
  switch (cc) {
  case CURLE_OUT_OF_MEMORY: code = WAPF_ENOMEM; break;
  case CURLE_ABORTED_BY_CALLBACK: code = WAPF_ECANCELLED; break;
  case CURLE_READ_ERROR: code = WAPF_EIO; break;
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_TOO_MANY_REDIRECTS:
  case CURLE_NOT_BUILT_IN: code = WAPF_ECONFIG; break;
  default: code = WAPF_ENETWORK; break; /* connect, DNS, timeout, reset */
  }
  const char *text = errbuf && *errbuf ? errbuf : curl_easy_strerror(cc);
  char shown[1024];
  wapf__url_for_log(url, shown, sizeof shown);
  const char *hint = "";
  if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
    hint = " (give the CA with --cacert or CURL_CA_BUNDLE)";
  return wapf__sfail(s, code, "%s %s: %s%s", what, shown, text, hint);
}

void wapf__url_for_log(const char *url, char *buf, size_t size) {
  size_t n = strcspn(url, "?#");
  if (n + 4 > size)
    n = size > 4 ? size - 4 : 0;
  memcpy(buf, url, n);
  buf[n] = '\0';
  if (url[n]) /* a query may hold a signature: never shown */
    wapf__strlcpy(buf + n, "?...", size - n);
}

void wapf__http_resp_free(wapf__http_resp *r) {
  free(r->body);
  memset(r, 0, sizeof *r);
  r->content_length = -1;
  r->retry_after = -1;
}

/* host as libcurl gives it: "localhost", 127.0.0.0/8 (curl has already
 * turned "127.1" or "0x7f.1" into the dotted form), or [::1]. */
static int host_is_loopback(const char *host) {
  struct in_addr a;
  struct in6_addr a6;
  size_t n = strlen(host);
  if (strcasecmp(host, "localhost") == 0)
    return 1;
  if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
    char h[INET6_ADDRSTRLEN + 1];
    if (n - 2 >= sizeof h)
      return 0;
    memcpy(h, host + 1, n - 2);
    h[n - 2] = '\0';
    return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
  }
  return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* Read by libcurl's URL API, the parser the transfer itself uses, so the
 * check and the request cannot see two different hosts in one text. */
int wapf__url_allowed(const char *url) {
  CURLU *u = url ? curl_url() : NULL;
  char *scheme = NULL, *host = NULL, *user = NULL;
  int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
           curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
           curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
  if (ok && strcmp(scheme, "https") != 0)
    ok = strcmp(scheme, "http") == 0 && /* no userinfo tricks */
         curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
         host_is_loopback(host);
  curl_free(scheme);
  curl_free(host);
  curl_free(user);
  curl_url_cleanup(u);
  return ok;
}

typedef struct xfer {
  wapf__send *s;
  wapf__http_resp *rp;
  int headers_only;
  int over;          /* body over the cap */
  FILE *in;          /* raw body */
  int64_t count_max; /* count the body, keep nothing, stop past this */
} xfer;

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  xfer *x = ud;
  size_t len = sz * n;
  if (x->headers_only)
    return 0; /* stop: the headers are all we need */
  if (x->count_max > 0) {
    x->rp->counted += (int64_t)len;
    return x->rp->counted > x->count_max ? 0 : len; /* read no further */
  }
  if (x->rp->len + len > WAPF_HTTP_MAX_BODY) {
    x->over = 1;
    return 0;
  }
  char *b = realloc(x->rp->body, x->rp->len + len + 1);
  if (!b)
    return 0;
  memcpy(b + x->rp->len, p, len);
  x->rp->len += len;
  b[x->rp->len] = '\0';
  x->rp->body = b;
  return len;
}

/* Copy a header's value into dst when line is "name: value". */
static void take(const char *line, size_t n, const char *name, char *dst,
                 size_t size) {
  size_t k = strlen(name);
  if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
    return;
  const char *v = line + k + 1;
  const char *e = line + n;
  while (v < e && isspace((unsigned char)*v))
    v++;
  while (e > v && isspace((unsigned char)e[-1]))
    e--;
  size_t m = (size_t)(e - v) < size - 1 ? (size_t)(e - v) : size - 1;
  memcpy(dst, v, m);
  dst[m] = '\0';
}

static size_t on_header(char *line, size_t sz, size_t n, void *ud) {
  wapf__http_resp *r = ((xfer *)ud)->rp;
  size_t len = sz * n;
  if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) { /* a new answer */
    r->content_type[0] = r->content_range[0] = r->cache_control[0] = '\0';
    r->last_modified[0] = r->etag[0] = '\0';
  }
  take(line, len, "Content-Type", r->content_type, sizeof r->content_type);
  take(line, len, "Content-Range", r->content_range, sizeof r->content_range);
  take(line, len, "Cache-Control", r->cache_control, sizeof r->cache_control);
  take(line, len, "Last-Modified", r->last_modified, sizeof r->last_modified);
  take(line, len, "ETag", r->etag, sizeof r->etag);
  return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c,
                       curl_off_t d) {
  (void)a, (void)b, (void)c, (void)d;
  return wapf__cancelled(((xfer *)ud)->s->ctx);
}

static void set_common(CURL *h, wapf__send *s, const wapf__http_req *rq,
                       xfer *x, char *errbuf) {
  const wapf_send_request *q = s->req;
  curl_easy_setopt(h, CURLOPT_URL, rq->url);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, rq->follow ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (s->cacert)
    curl_easy_setopt(h, CURLOPT_CAINFO, s->cacert);
  long total = (long)(q->timeout * 1000);
  long conn = (long)(q->connect_timeout * 1000);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, conn < total ? conn : total);
  char ua[64];
  snprintf(ua, sizeof ua, "wa-preflight/%s", wapf_version());
  curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
}

/* The body: JSON in memory, a raw file, or multipart. */
static int set_body(CURL *h, wapf__send *s, const wapf__http_req *rq, xfer *x,
                    curl_mime **mime) {
  if (rq->parts) {
    *mime = curl_mime_init(h);
    for (int i = 0; *mime && i < rq->n_parts; i++) {
      const wapf__http_part *p = &rq->parts[i];
      curl_mimepart *part = curl_mime_addpart(*mime);
      curl_mime_name(part, p->name);
      if (p->file_path) {
        if (curl_mime_filedata(part, p->file_path) != CURLE_OK)
          return wapf__sfail(s, WAPF_EIO, "%s: cannot read", p->file_path);
        curl_mime_filename(part, p->file_name);
        curl_mime_type(part, p->file_type);
      } else {
        curl_mime_data(part, p->value, CURL_ZERO_TERMINATED);
      }
    }
    if (!*mime)
      return wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
    curl_easy_setopt(h, CURLOPT_MIMEPOST, *mime);
  } else if (rq->body_file) {
    x->in = fopen(rq->body_file, "rb");
    int64_t size = wapf__file_size(rq->body_file);
    if (!x->in || size < 0)
      return wapf__from_errno(s->ctx, errno, rq->body_file);
    curl_easy_setopt(h, CURLOPT_READDATA, x->in);
    if (strcmp(rq->method, "PUT") == 0) {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    } else {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
    }
  } else if (rq->body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
  }
  if (strcmp(rq->method, "HEAD") == 0)
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  return WAPF_OK;
}

static void read_info(CURL *h, wapf__http_resp *rp) {
  curl_off_t cl = -1, ra = -1;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rp->status);
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK)
    rp->content_length = cl;
  if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
    rp->retry_after = (long)ra;
  char *last = NULL;
  curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &rp->redirects);
  if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &last) == CURLE_OK && last)
    wapf__strlcpy(rp->final_url, last, sizeof rp->final_url);
}

/* 1 when the request provably never reached the server: no address, no
 * connection, no TLS session, or not one byte of the request written. */
static int not_sent(CURL *h, CURLcode cc) {
  long req_bytes = 0;
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &req_bytes);
  switch (cc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SSL_CONNECT_ERROR: return 1;
  case CURLE_OK: return 0;
  default: return req_bytes == 0;
  }
}

/* Run the transfer on a multi handle, polling at most 100 ms at a time,
 * so that a cancel aborts it within ~100 ms even while the server is
 * silent (the progress callback alone is called about once a second). */
static CURLcode run_transfer(CURL *h, wapf__send *s) {
  if (wapf__cancelled(s->ctx))
    return CURLE_ABORTED_BY_CALLBACK; /* nothing leaves after a cancel */
  CURLM *m = curl_multi_init();
  if (!m)
    return CURLE_OUT_OF_MEMORY;
  if (curl_multi_add_handle(m, h) != CURLM_OK) {
    curl_multi_cleanup(m);
    return CURLE_OUT_OF_MEMORY;
  }
  CURLcode cc = CURLE_OK;
  for (int running = 1; running;) {
    if (curl_multi_perform(m, &running) != CURLM_OK) {
      cc = CURLE_OUT_OF_MEMORY;
      break;
    }
    if (running && wapf__cancelled(s->ctx)) {
      cc = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    if (running)
      curl_multi_poll(m, NULL, 0, 100, NULL);
  }
  int left;
  CURLMsg *msg;
  while (cc == CURLE_OK && (msg = curl_multi_info_read(m, &left)) != NULL)
    if (msg->msg == CURLMSG_DONE && msg->easy_handle == h)
      cc = msg->data.result;
  curl_multi_remove_handle(m, h);
  curl_multi_cleanup(m);
  return cc;
}

/* Perform; a write stopped on purpose (headers only) is not a failure. */
static int perform(CURL *h, wapf__send *s, const wapf__http_req *rq, xfer *x,
                   const char *errbuf) {
  CURLcode cc = run_transfer(h, s);
  read_info(h, x->rp);
  x->rp->curl_code = (int)cc;
  x->rp->not_sent = not_sent(h, cc);
  if (cc == CURLE_WRITE_ERROR && (x->headers_only || x->count_max > 0) &&
      x->rp->status)
    cc = CURLE_OK;
  if (cc == CURLE_WRITE_ERROR && x->over)
    return wapf__sfail(s, WAPF_EPROVIDER, "%s %s: the answer is over %d bytes",
                       rq->what, rq->url, WAPF_HTTP_MAX_BODY);
  if (cc != CURLE_OK)
    return from_curl(s, cc, errbuf, rq->what, rq->url);
  return WAPF_OK;
}

int wapf__http_once(wapf__send *s, const wapf__http_req *rq,
                    wapf__http_resp *rp) {
  char errbuf[CURL_ERROR_SIZE] = "";
  struct curl_slist *hl = NULL;
  curl_mime *mime = NULL;
  xfer x = {s, rp, rq->headers_only, 0, NULL, rq->count_max};
  wapf__http_resp_free(rp);
  rp->not_sent = 1; /* until perform() says otherwise */
  if (!wapf__url_allowed(rq->url))
    return wapf__sfail(s, WAPF_ECONFIG,
                       "%s: only HTTPS is allowed (plain HTTP only to "
                       "loopback)",
                       rq->url);
  if (!curl_ready())
    return wapf__fail(s->ctx, WAPF_EINTERNAL, "libcurl failed to start");
  CURL *h = curl_easy_init();
  if (!h)
    return wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
  set_common(h, s, rq, &x, errbuf);
  for (int i = 0; i < 8 && rq->headers[i]; i++)
    hl = curl_slist_append(hl, rq->headers[i]);
  hl = curl_slist_append(hl, "Expect:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
  if (rq->aws_sigv4) {
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, rq->aws_sigv4);
    curl_easy_setopt(h, CURLOPT_USERPWD, rq->userpwd);
  }
  int rc = set_body(h, s, rq, &x, &mime);
  double t0 = wapf__now();
  if (rc == WAPF_OK)
    rc = perform(h, s, rq, &x, errbuf);
  rp->seconds = wapf__now() - t0;
  s->res->attempts++;
  curl_easy_cleanup(h);
  curl_mime_free(mime);
  curl_slist_free_all(hl);
  if (x.in)
    fclose(x.in);
  return rc;
}
