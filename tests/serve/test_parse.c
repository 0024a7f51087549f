/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of tools/serve/parse.c: the pure parsers of untrusted bytes
 * (base64 in pieces, address classes, listen addresses, headers). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "../../tools/serve/parse.h"
#include "t.h"

/* Decode text fed in pieces of `step` bytes; -1 on error, else length. */
static long decode(const char *text, size_t step, uint8_t *out) {
  b64_dec d;
  char why[200];
  size_t n = strlen(text), o = 0, k = 0;
  b64_init(&d);
  for (size_t i = 0; i < n; i += step) {
    size_t len = n - i < step ? n - i : step;
    uint8_t buf[64];
    if (len > 16 || b64_feed(&d, text + i, len, buf, &k, why, sizeof why))
      return -1;
    memcpy(out + o, buf, k);
    o += k;
  }
  if (b64_finish(&d, out + o, &k, why, sizeof why))
    return -1;
  return (long)(o + k);
}

static void base64_round_trip_in_pieces(void) {
  uint8_t in[40], out[64];
  char enc[64];
  for (size_t n = 1; n < sizeof in; n++) {
    for (size_t i = 0; i < n; i++)
      in[i] = (uint8_t)(i * 37 + n);
    b64_encode(in, n, enc);
    T_EQ_INT(strlen(enc), b64_enc_len(n));
    for (size_t step = 1; step <= 16; step += 5) {
      T_EQ_INT(decode(enc, step, out), (long)n);
      T_CHECK(memcmp(in, out, n) == 0);
    }
  }
}

static void base64_forms(void) {
  uint8_t out[64];
  T_EQ_INT(decode("QUJD", 4, out), 3);
  T_EQ_INT(decode("QUI", 1, out), 2); /* no padding */
  T_EQ_INT(decode("QQ==", 2, out), 1);
  T_EQ_INT(decode("QU\r\nJD\n", 3, out), 3); /* line breaks */
  T_EQ_INT(decode("data:audio/ogg;base64,QUJD", 5, out), 3);
  T_CHECK(memcmp(out, "ABC", 3) == 0);
  T_EQ_INT(decode("-_-_", 4, out), 3); /* URL-safe */
  T_EQ_INT(decode("dat", 2, out), 2);  /* looks like "data:", is not */
}

static void base64_refusals(void) {
  uint8_t out[64];
  T_EQ_INT(decode("QUJD!", 2, out), -1);
  T_EQ_INT(decode("QUJDR", 2, out), -1);  /* one sextet left */
  T_EQ_INT(decode("Q===", 2, out), -1);   /* '=' too early */
  T_EQ_INT(decode("QQ==QQ", 2, out), -1); /* data after padding */
  T_EQ_INT(decode("QQ===", 2, out), -1);  /* too much padding */
  T_EQ_INT(decode("", 1, out), -1);       /* nothing */
  T_EQ_INT(decode("data:audio/ogg;base64", 4, out), -1);
}

static int pub4(const char *ip) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  inet_pton(AF_INET, ip, &a.sin_addr);
  return addr_is_public((struct sockaddr *)&a);
}

static int pub6(const char *ip, int *link) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  *link = addr_is_link_local((struct sockaddr *)&a);
  return addr_is_public((struct sockaddr *)&a);
}

static void address_classes(void) {
  int link;
  const char *bad4[] = {"127.0.0.1",       "10.1.2.3",    "172.16.0.1",
                        "172.31.255.255",  "192.168.1.1", "169.254.169.254",
                        "100.64.0.1",      "0.0.0.0",     "224.0.0.1",
                        "255.255.255.255", "192.0.2.1",   "198.18.0.1"};
  for (size_t i = 0; i < sizeof bad4 / sizeof bad4[0]; i++)
    T_EQ_INT(pub4(bad4[i]), 0);
  T_EQ_INT(pub4("8.8.8.8"), 1);
  T_EQ_INT(pub4("172.32.0.1"), 1);
  T_EQ_INT(pub4("100.128.0.1"), 1);
  const char *bad6[] = {"::1",
                        "::",
                        "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1",
                        "fc00::1",
                        "fd00:ec2::254",
                        "fe80::1",
                        "ff02::1",
                        "2001:db8::1",
                        "64:ff9b::a9fe:a9fe",
                        "2002:7f00:1::"};
  for (size_t i = 0; i < sizeof bad6 / sizeof bad6[0]; i++)
    T_EQ_INT(pub6(bad6[i], &link), 0);
  T_EQ_INT(pub6("2606:4700::1111", &link), 1);
  T_EQ_INT(link, 0);
  T_EQ_INT(pub6("::ffff:8.8.8.8", &link), 1);
  pub6("fe80::1", &link);
  T_EQ_INT(link, 1);
  pub6("::ffff:169.254.169.254", &link);
  T_EQ_INT(link, 1);
}

static void listen_and_headers(void) {
  char host[64];
  int port;
  T_EQ_INT(parse_listen("127.0.0.1:8480", host, sizeof host, &port), 0);
  T_EQ_STR(host, "127.0.0.1");
  T_EQ_INT(port, 8480);
  T_EQ_INT(parse_listen("[::1]:0", host, sizeof host, &port), 0);
  T_EQ_STR(host, "::1");
  T_EQ_INT(parse_listen(":9", host, sizeof host, &port), 0);
  T_EQ_STR(host, "127.0.0.1");
  T_EQ_INT(parse_listen("::1:80", host, sizeof host, &port), -1);
  T_EQ_INT(parse_listen("host:70000", host, sizeof host, &port), -1);
  T_EQ_INT(parse_listen("host", host, sizeof host, &port), -1);
  T_EQ_INT(parse_content_length("10737418240"), 10737418240LL);
  T_EQ_INT(parse_content_length("-1"), -1);
  T_EQ_INT(parse_content_length("12x"), -1);
  T_EQ_INT(content_type_form("multipart/form-data; boundary=x"), 1);
  T_EQ_INT(content_type_form("application/x-www-form-urlencoded"), 2);
  T_EQ_INT(content_type_form("multipart/form-datax"), 0);
  T_EQ_INT(accept_json("text/html, application/json;q=0.9"), 1);
  T_EQ_INT(accept_json("*/*"), 0);
  T_EQ_INT(parse_audio_format(NULL), 0);
  T_EQ_INT(parse_audio_format("MP3"), 1);
  T_EQ_INT(parse_audio_format("m4a"), 2);
  T_EQ_INT(parse_audio_format("flac"), -1);
  T_EQ_INT(ct_equal("secret", "secret"), 1);
  T_EQ_INT(ct_equal("secret", "secreT"), 0);
  T_EQ_INT(ct_equal("secret", "secret2"), 0);
  T_EQ_INT(ct_equal("", "x"), 0);
}

int main(void) {
  T_RUN(base64_round_trip_in_pieces);
  T_RUN(base64_forms);
  T_RUN(base64_refusals);
  T_RUN(address_classes);
  T_RUN(listen_and_headers);
  return T_DONE();
}
