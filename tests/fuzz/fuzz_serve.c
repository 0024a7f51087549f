/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: `wa-preflight serve` on untrusted bytes. The pure parsers
 * (tools/serve/parse.c): the first byte picks the piece size the base64
 * decoder is fed in; the decode must not depend on how the input is cut,
 * must fit b64_out_max(), and must survive a re-encode; the header and
 * address parsers must not crash on the same bytes. Then the same bytes
 * as a request body through libmicrohttpd into the upload code
 * (serve_upload.c). */
#include "fuzz.h"
#include "serve_upload.h"

#include "../../tools/serve/parse.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Decode in pieces of step bytes into a malloc'd buffer; -1 on a refusal. */
static long decode(const uint8_t *in, size_t n, size_t step, uint8_t **out) {
  b64_dec d;
  char why[200];
  size_t o = 0, k = 0;
  uint8_t *buf = malloc(b64_out_max(n) + 8);
  if (!buf)
    abort();
  b64_init(&d);
  for (size_t i = 0; i < n; i += step) {
    size_t len = n - i < step ? n - i : step;
    if (b64_feed(&d, (const char *)in + i, len, buf + o, &k, why, sizeof why)) {
      free(buf);
      return -1;
    }
    o += k;
    if (o > b64_out_max(i + len))
      abort();
  }
  if (b64_finish(&d, buf + o, &k, why, sizeof why)) {
    free(buf);
    return -1;
  }
  *out = buf;
  return (long)(o + k);
}

static void check_base64(const uint8_t *in, size_t n, size_t step) {
  uint8_t *a = NULL, *b = NULL, *c = NULL;
  long na = decode(in, n, n ? n : 1, &a);
  long nb = decode(in, n, step, &b);
  if ((na < 0) != (nb < 0) ||
      (na >= 0 && (na != nb || memcmp(a, b, (size_t)na))))
    abort();
  if (na > 0) {
    char *enc = malloc(b64_enc_len((size_t)na) + 1);
    if (!enc)
      abort();
    b64_encode(a, (size_t)na, enc);
    long nc = decode((const uint8_t *)enc, strlen(enc), 3, &c);
    if (nc != na || memcmp(a, c, (size_t)na))
      abort();
    free(enc);
  }
  free(a);
  free(b);
  free(c);
}

static void check_text(const char *s) {
  char host[64];
  int port = -1;
  if (parse_listen(s, host, sizeof host, &port) == 0 &&
      (port < 0 || port > 65535 || strlen(host) >= sizeof host))
    abort();
  (void)content_type_form(s);
  (void)accept_json(s);
  (void)parse_audio_format(s);
  (void)parse_flag(s);
  if (parse_content_length(s) < -1)
    abort();
  if (ct_equal(s, s) != 1)
    abort();
}

static void check_addresses(const uint8_t *d, size_t n) {
  struct sockaddr_in6 a6;
  struct sockaddr_in a4;
  memset(&a6, 0, sizeof a6);
  memset(&a4, 0, sizeof a4);
  a6.sin6_family = AF_INET6;
  a4.sin_family = AF_INET;
  memcpy(&a6.sin6_addr, d, n < 16 ? n : 16);
  memcpy(&a4.sin_addr, d, n < 4 ? n : 4);
  /* a loopback or link-local address is never public */
  if (addr_is_public((struct sockaddr *)&a6) &&
      (addr_is_loopback((struct sockaddr *)&a6) ||
       addr_is_link_local((struct sockaddr *)&a6)))
    abort();
  if (addr_is_public((struct sockaddr *)&a4) &&
      (addr_is_loopback((struct sockaddr *)&a4) ||
       addr_is_link_local((struct sockaddr *)&a4)))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0 || size > 1 << 20)
    return 0;
  size_t step = (size_t)data[0] % 17 + 1;
  check_base64(data + 1, size - 1, step);
  char *text = fuzz_strndup(data + 1, size - 1);
  check_text(text);
  free(text);
  check_addresses(data + 1, size - 1);
  fuzz_serve_upload(data, size);
  return 0;
}
