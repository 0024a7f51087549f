/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `url` inputs: libcurl, HTTP(S) only, to public addresses only unless
 * --allow-private-urls. The address is checked on every socket curl
 * opens (CURLOPT_OPENSOCKETFUNCTION sees the resolved address it is about
 * to connect to), so redirects and DNS tricks are checked too; redirects
 * are capped, the size is capped while downloading, the time overall.
 * Link-local addresses (cloud metadata, 169.254.169.254) are refused even
 * with --allow-private-urls: no media lives there. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "parse.h"
#include "serve.h"

typedef struct fetch_state {
  FILE *out;
  uint64_t got, max;
  int too_big, refused, allow_private;
  char refused_addr[64];
} fetch_state;

int fetch_global_init(void) {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static curl_socket_t open_socket(void *cookie, curlsocktype purpose,
                                 struct curl_sockaddr *a) {
  fetch_state *st = cookie;
  (void)purpose;
  if (addr_is_link_local(&a->addr) ||
      (!st->allow_private && !addr_is_public(&a->addr))) {
    const void *raw =
        a->family == AF_INET
            ? (const void *)&((const struct sockaddr_in *)&a->addr)->sin_addr
            : (const void *)&((const struct sockaddr_in6 *)&a->addr)->sin6_addr;
    if (!inet_ntop(a->family, raw, st->refused_addr, sizeof st->refused_addr))
      snprintf(st->refused_addr, sizeof st->refused_addr, "?");
    st->refused = 1;
    return CURL_SOCKET_BAD;
  }
  return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t on_data(char *p, size_t size, size_t n, void *cookie) {
  fetch_state *st = cookie;
  size_t len = size * n;
  if (st->got + len > st->max) {
    st->too_big = 1;
    return 0; /* aborts the transfer */
  }
  st->got += len;
  return fwrite(p, 1, len, st->out) == len ? len : 0;
}

static void set_options(CURL *c, CURLU *url, fetch_state *st,
                        const fetch_limits *lim) {
  long ms = (long)(lim->seconds * 1000);
  curl_easy_setopt(c, CURLOPT_CURLU, url);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)lim->max_redirects);
  curl_easy_setopt(c, CURLOPT_PROXY, ""); /* no proxy from the env */
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms < 10000 ? ms : 10000L);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)lim->max_bytes);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, st);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "wa-preflight-serve");
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
}

/* The status to answer for a finished transfer. */
static int outcome(CURLcode rc, long http, const fetch_state *st, char *why,
                   size_t wl, const fetch_limits *lim) {
  if (st->refused) {
    snprintf(why, wl,
             "url: refused to connect to %s (loopback, private, link-local "
             "or metadata address)",
             st->refused_addr);
    return 400;
  }
  if (st->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
    snprintf(why, wl, "url: the file is over %llu bytes",
             (unsigned long long)lim->max_bytes);
    return 413;
  }
  switch (rc) {
  case CURLE_OK: break;
  case CURLE_OPERATION_TIMEDOUT:
    snprintf(why, wl, "url: no complete answer within %.0f s", lim->seconds);
    return 504;
  case CURLE_TOO_MANY_REDIRECTS:
    snprintf(why, wl, "url: more than %d redirects", lim->max_redirects);
    return 400;
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
    snprintf(why, wl, "url: %s (http and https only)", curl_easy_strerror(rc));
    return 400;
  default: snprintf(why, wl, "url: %s", curl_easy_strerror(rc)); return 502;
  }
  if (http < 200 || http > 299) {
    snprintf(why, wl, "url: the server answered HTTP %ld", http);
    return 502;
  }
  if (st->got == 0) {
    snprintf(why, wl, "url: the server sent an empty file");
    return 400;
  }
  return 0;
}

/* *u: url parsed by libcurl's URL API, the parse the transfer then uses;
 * 0, or 400 with why when it is no http or https URL. */
static int parse_url(const char *url, CURLU **u, char *why, size_t why_len) {
  char *scheme = NULL;
  CURLUcode uc = CURLUE_OUT_OF_MEMORY;
  if ((*u = curl_url()) &&
      (uc = curl_url_set(*u, CURLUPART_URL, url, 0)) == CURLUE_OK)
    uc = curl_url_get(*u, CURLUPART_SCHEME, &scheme, 0);
  int ok = uc == CURLUE_OK && (!g_ascii_strcasecmp(scheme, "http") ||
                               !g_ascii_strcasecmp(scheme, "https"));
  curl_free(scheme);
  if (ok)
    return 0;
  if (uc == CURLUE_OK || uc == CURLUE_BAD_SCHEME || uc == CURLUE_NO_SCHEME ||
      uc == CURLUE_UNSUPPORTED_SCHEME)
    snprintf(why, why_len, "url: want an http:// or https:// URL");
  else
    snprintf(why, why_len, "url: %s (http and https only)",
             curl_url_strerror(uc));
  curl_url_cleanup(*u);
  *u = NULL;
  return 400;
}

static int fetch_parsed(CURLU *url, const char *path, const fetch_limits *lim,
                        char *why, size_t why_len) {
  fetch_state st;
  memset(&st, 0, sizeof st);
  st.max = lim->max_bytes;
  st.allow_private = lim->allow_private;
  if (!(st.out = fopen(path, "wbx"))) {
    snprintf(why, why_len, "cannot write the temporary file");
    return 500;
  }
  CURL *c = curl_easy_init();
  if (!c) {
    fclose(st.out);
    snprintf(why, why_len, "out of memory");
    return 500;
  }
  set_options(c, url, &st, lim);
  CURLcode rc = curl_easy_perform(c);
  long http = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
  curl_easy_cleanup(c);
  int wrote = fclose(st.out) == 0;
  int status = outcome(rc, http, &st, why, why_len, lim);
  if (status == 0 && !wrote) {
    snprintf(why, why_len, "cannot write the temporary file");
    status = 500;
  }
  return status;
}

int fetch_url(const char *url, const char *path, const fetch_limits *lim,
              char *why, size_t why_len) {
  CURLU *u = NULL;
  int status = parse_url(url, &u, why, why_len);
  if (status == 0)
    status = fetch_parsed(u, path, lim, why, why_len);
  curl_url_cleanup(u);
  return status;
}
