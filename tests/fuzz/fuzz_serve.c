/* Fuzz target: the parsers of serve's untrusted request bytes
 * (tools/serve/parse.c): the listen address, the form and Accept headers,
 * Content-Length, flags, the audio format, the address filters and the
 * streaming base64 decoder, fed in pieces. Base64 must round-trip. */
#include "fuzz.h"
#include "parse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static void addresses(const uint8_t *data, size_t size) {
  struct sockaddr_in a4;
  struct sockaddr_in6 a6;
  memset(&a4, 0, sizeof a4);
  memset(&a6, 0, sizeof a6);
  a4.sin_family = AF_INET;
  a6.sin6_family = AF_INET6;
  memcpy(&a4.sin_addr, data, size < 4 ? size : 4);
  memcpy(&a6.sin6_addr, data, size < 16 ? size : 16);
  const struct sockaddr *sa[] = {(const struct sockaddr *)&a4,
                                 (const struct sockaddr *)&a6};
  for (int i = 0; i < 2; i++) {
    int pub = addr_is_public(sa[i]), ll = addr_is_link_local(sa[i]),
        lo = addr_is_loopback(sa[i]);
    if (pub && (ll || lo))
      abort(); /* a loopback or link-local address is never public */
  }
}

static void base64(const uint8_t *data, size_t size) {
  /* decode in two pieces, split where the first byte says */
  size_t cut = size ? data[0] % (size + 1) : 0;
  uint8_t *out = malloc(b64_out_max(size) + 3);
  b64_dec d;
  char why[128];
  size_t n1 = 0, n2 = 0, n3 = 0;
  b64_init(&d);
  if (b64_feed(&d, (const char *)data, cut, out, &n1, why, sizeof why) == 0 &&
      b64_feed(&d, (const char *)data + cut, size - cut, out + n1, &n2, why,
               sizeof why) == 0)
    b64_finish(&d, out + n1 + n2, &n3, why, sizeof why);
  if (n1 + n2 + n3 > b64_out_max(size) + 3)
    abort();
  free(out);
  /* encode then decode: the same bytes */
  char *enc = malloc(b64_enc_len(size) + 1);
  uint8_t *back = malloc(b64_out_max(b64_enc_len(size)) + 3);
  b64_encode(data, size, enc);
  b64_init(&d);
  n1 = n2 = 0;
  int rc = b64_feed(&d, enc, strlen(enc), back, &n1, why, sizeof why);
  if (rc == 0 && size > 0)
    rc = b64_finish(&d, back + n1, &n2, why, sizeof why);
  if (size > 0 && (rc != 0 || n1 + n2 != size || memcmp(back, data, size)))
    abort();
  free(enc);
  free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16)
    return 0;
  char *s = fuzz_strndup(data, size);
  char host[256];
  int port = -1;
  if (parse_listen(s, host, sizeof host, &port) == 0 &&
      (port < 0 || port > 65535 || strlen(host) >= sizeof host))
    abort();
  int f = parse_audio_format(s);
  if (f < -1 || f > 2)
    abort();
  f = parse_flag(s);
  if (f < -1 || f > 1)
    abort();
  f = content_type_form(s);
  if (f < 0 || f > 2)
    abort();
  accept_json(s);
  if (parse_content_length(s) < -1)
    abort();
  ct_equal(s, "secret-key");
  free(s);
  addresses(data, size);
  base64(data, size);
  return 0;
}
