/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure parsers of untrusted bytes (see parse.h). */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_listen(const char *s, char *host, size_t host_len, int *port) {
  const char *colon;
  size_t hl;
  if (!s || !*s)
    return -1;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':')
      return -1;
    hl = (size_t)(close - s - 1);
    s++;
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon || memchr(s, ':', (size_t)(colon - s)))
      return -1;
    hl = (size_t)(colon - s);
  }
  if (hl >= host_len)
    return -1;
  if (hl == 0)
    snprintf(host, host_len, "127.0.0.1");
  else {
    memcpy(host, s, hl);
    host[hl] = '\0';
  }
  char *end;
  errno = 0;
  long p = strtol(colon + 1, &end, 10);
  if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
    return -1;
  *port = (int)p;
  return 0;
}

static int v4_public(uint32_t a) {
  static const struct {
    uint32_t net, mask;
  } bad[] = {
      {0x00000000, 0xFF000000}, /* 0/8 "this network" */
      {0x0A000000, 0xFF000000}, /* 10/8 */
      {0x64400000, 0xFFC00000}, /* 100.64/10 shared (CGN) */
      {0x7F000000, 0xFF000000}, /* 127/8 loopback */
      {0xA9FE0000, 0xFFFF0000}, /* 169.254/16 link-local, metadata */
      {0xAC100000, 0xFFF00000}, /* 172.16/12 */
      {0xC0000000, 0xFFFFFF00}, /* 192.0.0/24 IETF */
      {0xC0000200, 0xFFFFFF00}, /* 192.0.2/24 documentation */
      {0xC0A80000, 0xFFFF0000}, /* 192.168/16 */
      {0xC6120000, 0xFFFE0000}, /* 198.18/15 benchmarking */
      {0xC6336400, 0xFFFFFF00}, /* 198.51.100/24 documentation */
      {0xCB007100, 0xFFFFFF00}, /* 203.0.113/24 documentation */
      {0xE0000000, 0xF0000000}, /* 224/4 multicast */
      {0xF0000000, 0xF0000000}, /* 240/4 reserved, broadcast */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if ((a & bad[i].mask) == bad[i].net)
      return 0;
  return 1;
}

static uint32_t v4_at(const uint8_t *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
         b[3];
}

static int v6_public(const uint8_t *b) {
  static const uint8_t zero[12] = {0};
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static const uint8_t nat64[12] = {0, 0x64, 0xFF, 0x9B};
  if (memcmp(b, zero, 12) == 0) /* ::, ::1, IPv4-compatible */
    return 0;
  if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
    return v4_public(v4_at(b + 12));
  if ((b[0] & 0xFE) == 0xFC) /* fc00::/7 unique local (fd00:ec2::254) */
    return 0;
  if (b[0] == 0xFE && (b[1] & 0x80) == 0x80) /* fe80::/10, fec0::/10 */
    return 0;
  if (b[0] == 0xFF) /* multicast */
    return 0;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8)
    return 0;                       /* 2001:db8::/32 documentation */
  if (b[0] == 0x20 && b[1] == 0x02) /* 6to4: the embedded IPv4 */
    return v4_public(v4_at(b + 2));
  return 1;
}

int addr_is_public(const struct sockaddr *sa) {
  if (!sa)
    return 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    return v4_public(ntohl(in->sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    return v6_public(in6->sin6_addr.s6_addr);
  }
  return 0;
}

int addr_is_link_local(const struct sockaddr *sa) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static const uint8_t aws6[16] = {0xFD, 0, 0x0E, 0xC2, 0, 0, 0, 0,
                                   0,    0, 0,    0,    0, 0, 0, 0x54};
  if (!sa)
    return 0;
  if (sa->sa_family == AF_INET) {
    uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
    return (a & 0xFFFF0000) == 0xA9FE0000;
  }
  if (sa->sa_family == AF_INET6) {
    const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (memcmp(b, mapped, 12) == 0)
      return b[12] == 169 && b[13] == 254;
    return (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) || memcmp(b, aws6, 16) == 0;
  }
  return 0;
}

int addr_is_loopback(const struct sockaddr *sa) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (!sa)
    return 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (memcmp(b, mapped, 12) == 0)
      return b[12] == 127;
    for (int i = 0; i < 15; i++)
      if (b[i])
        return 0;
    return b[15] == 1;
  }
  return 0;
}

/* ---- base64 ---- */

void b64_init(b64_dec *d) {
  memset(d, 0, sizeof *d);
}

size_t b64_out_max(size_t n) {
  return (n + 8) / 4 * 3 + 3;
}

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

static int b64_err(b64_dec *d, char *why, size_t wl, const char *what) {
  snprintf(why, wl, "base64: %s at character %llu", what,
           (unsigned long long)d->in_pos);
  return -1;
}

/* The bytes the sextets in acc stand for when input ends after them. */
static size_t b64_flush(b64_dec *d, uint8_t *out) {
  size_t n = 0;
  if (d->nacc == 2)
    out[n++] = (uint8_t)(d->acc >> 4);
  else if (d->nacc == 3) {
    out[n++] = (uint8_t)(d->acc >> 10);
    out[n++] = (uint8_t)(d->acc >> 2);
  }
  d->nacc = 0;
  d->acc = 0;
  return n;
}

static int b64_char(b64_dec *d, unsigned char c, uint8_t *out, size_t *o,
                    char *why, size_t wl) {
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
    return 0;
  if (c == '=') {
    if (d->ended) {
      if (d->pad_left-- <= 0)
        return b64_err(d, why, wl, "too much '=' padding");
      return 0;
    }
    if (d->nacc < 2)
      return b64_err(d, why, wl, "misplaced '='");
    d->pad_left = d->nacc == 2 ? 1 : 0;
    d->ended = 1;
    size_t n = b64_flush(d, out + *o);
    *o += n;
    d->out_total += n;
    return 0;
  }
  int v = b64_value(c);
  if (v < 0)
    return b64_err(d, why, wl, "not a base64 character");
  if (d->ended)
    return b64_err(d, why, wl, "data after the '=' padding");
  d->acc = d->acc << 6 | (uint32_t)v;
  if (++d->nacc == 4) {
    out[(*o)++] = (uint8_t)(d->acc >> 16);
    out[(*o)++] = (uint8_t)(d->acc >> 8);
    out[(*o)++] = (uint8_t)d->acc;
    d->out_total += 3;
    d->nacc = 0;
    d->acc = 0;
  }
  return 0;
}

/* Leaving the "data:" sniff: decode what was held back. */
static int b64_unsniff(b64_dec *d, uint8_t *out, size_t *o, char *why,
                       size_t wl) {
  d->stage = 2;
  for (int i = 0; i < d->nsniff; i++)
    if (b64_char(d, (unsigned char)d->sniff[i], out, o, why, wl))
      return -1;
  d->nsniff = 0;
  return 0;
}

int b64_feed(b64_dec *d, const char *in, size_t n, uint8_t *out, size_t *nout,
             char *why, size_t why_len) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    d->in_pos++;
    if (d->stage == 0) {
      d->sniff[d->nsniff++] = (char)c;
      if (strncasecmp(d->sniff, "data:", (size_t)d->nsniff) == 0) {
        if (d->nsniff == 5)
          d->stage = 1, d->nsniff = 0;
        continue;
      }
      if (b64_unsniff(d, out, &o, why, why_len))
        return -1;
      continue;
    }
    if (d->stage == 1) {
      if (c == ',')
        d->stage = 2;
      else if (++d->skipped > 200)
        return b64_err(d, why, why_len, "a data: URL without ','");
      continue;
    }
    if (b64_char(d, c, out, &o, why, why_len))
      return -1;
  }
  *nout = o;
  return 0;
}

int b64_finish(b64_dec *d, uint8_t *out, size_t *nout, char *why,
               size_t why_len) {
  size_t o = 0;
  uint8_t tmp[16];
  *nout = 0;
  if (d->stage == 0 && b64_unsniff(d, tmp, &o, why, why_len))
    return -1;
  if (d->stage == 1)
    return b64_err(d, why, why_len, "a data: URL without ','");
  if (d->nacc == 1)
    return b64_err(d, why, why_len, "truncated (one character left over)");
  memcpy(out, tmp, o);
  size_t n = b64_flush(d, out + o);
  d->out_total += o + n;
  *nout = o + n;
  if (d->out_total == 0) {
    snprintf(why, why_len, "base64: no data");
    return -1;
  }
  return 0;
}

size_t b64_enc_len(size_t n) {
  return (n + 2) / 3 * 4;
}

void b64_encode(const uint8_t *in, size_t n, char *out) {
  static const char k[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0, i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = k[v >> 18];
    out[o++] = k[(v >> 12) & 63];
    out[o++] = k[(v >> 6) & 63];
    out[o++] = k[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)in[i + 1] << 8;
    out[o++] = k[v >> 18];
    out[o++] = k[(v >> 12) & 63];
    out[o++] = i + 1 < n ? k[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  out[o] = '\0';
}

int ct_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = la != lb;
  for (size_t i = 0; i < lb; i++)
    diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
  return diff == 0 && la == lb;
}

int parse_audio_format(const char *s) {
  if (!s || !*s || !strcasecmp(s, "ogg") || !strcasecmp(s, "opus"))
    return 0;
  if (!strcasecmp(s, "mp3"))
    return 1;
  if (!strcasecmp(s, "mp4") || !strcasecmp(s, "m4a") || !strcasecmp(s, "aac"))
    return 2;
  return -1;
}

int parse_flag(const char *s) {
  static const char *const yes[] = {"", "1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  if (!s)
    return 1;
  for (size_t i = 0; i < 5; i++)
    if (!strcasecmp(s, yes[i]))
      return 1;
  for (size_t i = 0; i < 4; i++)
    if (!strcasecmp(s, no[i]))
      return 0;
  return -1;
}

/* Does the media type at s (up to ';' or the end) equal want? */
static int media_type_is(const char *s, const char *want) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(want);
  if (strncasecmp(s, want, n) != 0)
    return 0;
  s += n;
  while (*s == ' ' || *s == '\t')
    s++;
  return *s == '\0' || *s == ';' || *s == ',';
}

int content_type_form(const char *ct) {
  if (!ct)
    return 0;
  if (media_type_is(ct, "multipart/form-data"))
    return 1;
  if (media_type_is(ct, "application/x-www-form-urlencoded"))
    return 2;
  return 0;
}

int accept_json(const char *accept) {
  for (const char *p = accept; p && *p;) {
    if (media_type_is(p, "application/json"))
      return 1;
    p = strchr(p, ',');
    if (p)
      p++;
  }
  return 0;
}

int64_t parse_content_length(const char *s) {
  if (!s)
    return -1;
  while (*s == ' ' || *s == '\t')
    s++;
  if (!isdigit((unsigned char)*s))
    return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  while (*end == ' ' || *end == '\t')
    end++;
  if (errno || *end || v < 0)
    return -1;
  return (int64_t)v;
}
