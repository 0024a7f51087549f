/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Send module pieces: captions, URLs, backoff, config, redaction, S3
 * URIs, advice, and the media-id cache. */
#include "send.h"
#include "t.h"

#include <errno.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

static void captions_count_code_points(void) {
  int valid;
  T_EQ_INT(wapf__utf8_chars("", &valid), 0);
  T_EQ_INT(wapf__utf8_chars("caf\xc3\xa9 \xe2\x98\x95", &valid), 6);
  T_CHECK(valid);
  T_EQ_INT(wapf__utf8_chars("\xf0\x9f\x98\x80", &valid), 1); /* emoji */
  wapf__utf8_chars("\xc3(", &valid);
  T_CHECK(!valid);
}

static void plain_http_only_to_loopback(void) {
  /* the host is the one libcurl connects to, read by libcurl's URL API */
  static const char *const allowed[] = {
      "https://graph.facebook.com/v21.0",
      "http://127.0.0.1:8080/x",
      "http://127.3.4.5/x",
      "http://localhost:9/",
      "http://[::1]:80/",
      "HTTPS://Example.COM/a",
      "HTTP://LOCALHOST/",
      "http://127.1/",   /* curl: 127.0.0.1 */
      "http://0x7f.1/x", /* curl: 127.0.0.1 */
      "http://[0:0:0:0:0:0:0:1]:80/",
      "http://127.0.0.1#@evil.com/", /* "@evil.com/" is the fragment */
  };
  static const char *const refused[] = {
      "http://example.com/",
      "http://127.0.0.1.evil.com/",
      "http://user@127.0.0.1:1@evil.com/",
      "http://user@127.0.0.1/",
      "http://:pw@127.0.0.1/",
      "http://127.0.0.1@evil.com/",
      "http://[::ffff:127.0.0.1]/",
      "http://0x7f000001.evil.com/",
      "ftp://127.0.0.1/",
      "https://",
      "https://a b/",
      "https://x:99999/",
      "graph.facebook.com/v21.0", /* no scheme */
  };
  for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++) {
    if (!wapf__url_allowed(allowed[i]))
      fprintf(stderr, "refused: %s\n", allowed[i]);
    T_CHECK(wapf__url_allowed(allowed[i]));
  }
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    if (wapf__url_allowed(refused[i]))
      fprintf(stderr, "allowed: %s\n", refused[i]);
    T_CHECK(!wapf__url_allowed(refused[i]));
  }
  T_CHECK(!wapf__url_allowed(NULL));
}

static void backoff_grows_with_jitter_and_honours_retry_after(void) {
  T_CHECK(wapf__backoff(1, -1, 0.0) >= 0.25 &&
          wapf__backoff(1, -1, 0.99) <= 0.5);
  T_CHECK(wapf__backoff(3, -1, 0.0) >= 1.0 &&
          wapf__backoff(3, -1, 0.99) <= 2.0);
  T_CHECK(wapf__backoff(30, -1, 0.99) <= 30.0);
  T_CHECK(wapf__backoff(1, 7, 0.5) >= 7.0);
  T_CHECK(wapf__backoff(1, 7, 0.5) < 7.5);
  T_CHECK(wapf__status_retryable(429) && wapf__status_retryable(503));
  T_CHECK(!wapf__status_retryable(400) && !wapf__status_retryable(401));
}

static void config_lines(void) {
  const char *text = "# comment\nWA_TOKEN = abc \n export D360_API_KEY='k 1'\n"
                     "EMPTY=\nWA_TOKEN_X=no\n";
  char *v = wapf__config_value(text, "WA_TOKEN");
  T_EQ_STR(v, "abc");
  free(v);
  v = wapf__config_value(text, "D360_API_KEY");
  T_EQ_STR(v, "k 1");
  free(v);
  v = wapf__config_value(text, "comment");
  T_CHECK(v == NULL);
  v = wapf__config_value(text, "EMPTY");
  T_EQ_STR(v, "");
  free(v);
}

static void secrets_are_redacted(void) {
  wapf__send s;
  memset(&s, 0, sizeof s);
  s.secrets[0] = "sekrit-token";
  s.secrets[1] = "abc";   /* too short: never redacted, never loops */
  s.secrets[2] = "k7Qw9"; /* short: redacted whole only */
  char buf[128] = "Bearer sekrit-token and sekrit-token, abc, k7Qw9, k7Qw";
  wapf__redact(&s, buf, sizeof buf);
  T_EQ_STR(buf, "Bearer [redacted] and [redacted], abc, [redacted], k7Qw");
  char tight[16] = "x sekrit-token";
  wapf__redact(&s, tight, sizeof tight);
  T_CHECK(strstr(tight, "sekrit") == NULL);
}

/* Any run of 8 or more characters of a secret, anywhere, is redacted: a
 * prefix, a middle part, a suffix, two pieces side by side; 7 are not. */
static void pieces_of_a_secret_are_redacted(void) {
  static const char tok[] = "EAAGm0PX4ZCpsBAsecretMetaToken9876";
  const char *sec[] = {tok, NULL, "wJalrXUtnFEMI/K7MDENG/bPxRfiCY"};
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"Malformed access token EAAGm0PX4ZCpsBAsecre...",
       "Malformed access token [redacted]..."},
      {"token ...0PX4ZCpsBAsec... bad", "token ...[redacted]... bad"},
      {"ends in cretMetaToken9876.", "ends in [redacted]."},
      {"EAAGm0PX4ZCpsBA+etaToken9876", "[redacted]+[redacted]"},
      {"EAAGm0PX4ZCpsBAwJalrXUtnFEMI", "[redacted][redacted]"},
      {"seven EAAGm0P and Token98 stay", "seven EAAGm0P and Token98 stay"},
      {"aws I/K7MDENG/bPx!", "aws [redacted]!"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *r = wapf__redact_text(sec, 3, cases[i].in);
    T_EQ_STR(r, cases[i].out);
    free(r);
  }
  /* every window of 8 or more, at every place in a long text */
  char text[300];
  for (size_t len = 8; len <= sizeof tok - 1; len++)
    for (size_t at = 0; at + len <= sizeof tok - 1; at++) {
      snprintf(text, sizeof text, "x%.*sy", (int)len, tok + at);
      char *r = wapf__redact_text(sec, 3, text);
      T_EQ_STR(r, "x[redacted]y");
      free(r);
    }
}

/* ---- a token at every offset of a long answer and of a log line ---- */
#define TOKEN_X "Zq8xW3pL0vN5tR7yB2mKc4Hd"
static char g_seen[1 << 16];

static void keep_log(void *cookie, wapf_log_level l, const char *msg) {
  (void)cookie, (void)l;
  size_t n = strlen(g_seen);
  snprintf(g_seen + n, sizeof g_seen - n, "%s\n", msg);
}

/* 1 when no 6-character piece of the token is in text. */
static int no_piece(const char *text) {
  const char *tok = TOKEN_X;
  for (size_t i = 0; i + 6 <= strlen(tok); i++) {
    char piece[7];
    memcpy(piece, tok + i, 6);
    piece[6] = '\0';
    if (strstr(text, piece)) {
      fprintf(stderr, "piece %s found in: %s\n", piece, text);
      return 0;
    }
  }
  return 1;
}

static void token_at_every_offset_is_never_cut_then_shown(void) {
  wapf_settings set;
  wapf_default_settings(&set);
  set.logger = keep_log;
  set.log_level = WAPF_LOG_DEBUG;
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, &set), WAPF_OK);
  wapf_send_request q;
  wapf_default_send_request(&q);
  wapf_send_result res;
  wapf__send s;
  memset(&s, 0, sizeof s);
  s.ctx = ctx;
  s.req = &q;
  s.res = &res;
  s.prov = &wapf__prov_meta;
  s.secrets[0] = TOKEN_X;
  char filler[1200];
  for (size_t i = 0; i < sizeof filler - 1; i++)
    filler[i] = " .,-"[i % 4];
  filler[sizeof filler - 1] = '\0';
  int bad = 0;
  for (int k = 0; k <= 1100 && !bad; k++) {
    char text[1400], body[3200];
    snprintf(text, sizeof text, "%.*s%s%s", k, filler, TOKEN_X, filler + k);
    text[1150] = '\0';
    for (int shape = 0; shape < 3 && !bad; shape++) {
      if (shape == 0)
        snprintf(body, sizeof body,
                 "{\"error\":{\"message\":\"%s\",\"code\":100,"
                 "\"error_data\":{\"details\":\"%s\"}}}",
                 text, text);
      else if (shape == 1)
        snprintf(body, sizeof body, "{\"errors\":[{\"title\":\"%s\"}]}", text);
      else
        snprintf(body, sizeof body, "%s", text); /* not JSON */
      wapf__http_resp rp = {0};
      rp.status = 400;
      rp.body = body;
      rp.len = strlen(body);
      g_seen[0] = '\0';
      memset(&res, 0, sizeof res);
      wapf__answer_fail(&s, &rp);
      int rc;
      rp.status = 200;
      json_decref(wapf__answer_json(&s, &rp, &rc));
      wapf__slog(&s, WAPF_LOG_INFO, "%s", text); /* a long log line */
      wapf__sfail(&s, WAPF_EIO, "%s", text);
      bad = !no_piece(g_seen) || !no_piece(wapf_last_error(ctx)) ||
            !no_piece(res.provider_error);
    }
  }
  wapf_close(&ctx);
  T_CHECK(!bad);
}

static void s3_uris(void) {
  char b[64], p[256];
  T_EQ_INT(wapf__s3_parse("s3://media/wa/out/", b, sizeof b, p, sizeof p),
           WAPF_OK);
  T_EQ_STR(b, "media");
  T_EQ_STR(p, "wa/out");
  T_EQ_INT(wapf__s3_parse("s3://media", b, sizeof b, p, sizeof p), WAPF_OK);
  T_EQ_STR(p, "");
  T_EQ_INT(wapf__s3_parse("s3:///x", b, sizeof b, p, sizeof p), WAPF_EINVAL);
  T_EQ_INT(wapf__s3_parse("https://x/y", b, sizeof b, p, sizeof p),
           WAPF_EINVAL);
  T_EQ_INT(wapf__s3_parse("s3://Bad_Bucket/x", b, sizeof b, p, sizeof p),
           WAPF_EINVAL);
}

static void advice_for_common_codes(void) {
  T_CHECK(strstr(wapf__graph_advice(131047), "template") != NULL);
  T_CHECK(strstr(wapf__graph_advice(190), "token") != NULL);
  T_CHECK(strstr(wapf__graph_advice(130429), "rate") != NULL);
  T_CHECK(strstr(wapf__graph_advice(131053), "media") != NULL);
  T_CHECK(strstr(wapf__graph_advice(100), "parameter") != NULL);
  T_CHECK(wapf__graph_advice(424242) == NULL);
}

static void providers_by_name(void) {
  wapf_provider p;
  T_EQ_INT(wapf_provider_from_name("360dialog", &p), WAPF_OK);
  T_EQ_INT(p, WAPF_PROVIDER_360DIALOG);
  T_EQ_STR(wapf_provider_name(WAPF_PROVIDER_LIPACHAT), "lipachat");
  T_EQ_INT(wapf_provider_from_name("Meta", &p), WAPF_EINVAL);
  T_CHECK(wapf__prov_onprem.target_flags & WAPF_TARGET_NO_ANIMATED_STICKER);
  T_CHECK(!wapf__prov_qikchat.by_id && !wapf__prov_lipachat.upload);
  wapf_send_request r;
  wapf_default_send_request(&r);
  T_EQ_INT(r.max_attempts, 4);
  T_CHECK(r.timeout > 0 && r.retry_budget > 0);
}

static void cache_round_trip(void) {
  char dir[] = "/tmp/wapf-cache-XXXXXX";
  T_CHECK(mkdtemp(dir) != NULL);
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  wapf_send_request q;
  wapf_default_send_request(&q);
  q.cache_dir = dir;
  wapf_send_result res;
  wapf__send s;
  memset(&s, 0, sizeof s);
  s.ctx = ctx;
  s.req = &q;
  s.res = &res;
  s.prov = &wapf__prov_meta;
  s.base = "https://graph.example";
  strcpy(s.sha256, "ab12");
  wapf__cache *c = NULL, *c2 = NULL;
  T_EQ_INT(wapf__cache_open(&s, &c), WAPF_OK);
  T_EQ_INT(wapf__cache_open(&s, &c2), WAPF_OK); /* two at once */
  char id[64] = "";
  char *key = wapf__cache_key(&s);
  s.base = "https://other.example";
  char *other = wapf__cache_key(&s);
  T_CHECK(strcmp(key, other) != 0);
  /* a cache folder too long for the buffer is refused, not cut */
  char *longdir = g_strnfill(2000, 'd');
  char out[1024];
  errno = 0;
  T_EQ_INT(wapf__cache_dir(longdir, out, sizeof out), -1);
  T_EQ_INT(errno, ENAMETOOLONG);
  T_EQ_INT(wapf__cache_dir("/tmp/short", out, sizeof out), 0);
  T_EQ_STR(out, "/tmp/short");
  g_free(longdir);
  /* a base of any length keeps the file's hash in the key (never cut) */
  char *longbase = g_strnfill(4000, 'b');
  s.base = longbase;
  char *longkey = wapf__cache_key(&s);
  T_CHECK(g_str_has_suffix(longkey, "|ab12"));
  g_free(longkey);
  g_free(longbase);
  T_EQ_INT(wapf__cache_get(c, key, id, sizeof id), 0);
  T_EQ_INT(wapf__cache_put(c, key, "MEDIA-1"), WAPF_OK);
  T_EQ_INT(wapf__cache_get(c2, key, id, sizeof id), 1);
  T_EQ_STR(id, "MEDIA-1");
  T_EQ_INT(wapf__cache_get(c2, other, id, sizeof id), 0);
  T_EQ_INT(wapf__cache_drop(c2, key), WAPF_OK);
  T_EQ_INT(wapf__cache_get(c, key, id, sizeof id), 0);
  /* an entry older than 30 days is not used */
  T_EQ_INT(wapf__cache_put(c, key, "MEDIA-2"), WAPF_OK);
  char db[128];
  snprintf(db, sizeof db, "%s/media-ids.sqlite", dir);
  sqlite3 *raw = NULL;
  T_EQ_INT(sqlite3_open(db, &raw), SQLITE_OK);
  sqlite3_busy_timeout(raw, 5000);
  T_EQ_INT(sqlite3_exec(raw, "UPDATE media SET created = created - 31*24*3600",
                        NULL, NULL, NULL),
           SQLITE_OK);
  sqlite3_close(raw);
  T_EQ_INT(wapf__cache_get(c, key, id, sizeof id), 0);
  g_free(key);
  g_free(other);
  wapf__cache_close(&c);
  wapf__cache_close(&c2);
  wapf_close(&ctx);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  T_CHECK(system(cmd) == 0);
}

int main(void) {
  T_RUN(captions_count_code_points);
  T_RUN(plain_http_only_to_loopback);
  T_RUN(backoff_grows_with_jitter_and_honours_retry_after);
  T_RUN(config_lines);
  T_RUN(secrets_are_redacted);
  T_RUN(pieces_of_a_secret_are_redacted);
  T_RUN(token_at_every_offset_is_never_cut_then_shown);
  T_RUN(s3_uris);
  T_RUN(advice_for_common_codes);
  T_RUN(providers_by_name);
  T_RUN(cache_round_trip);
  return T_DONE();
}
