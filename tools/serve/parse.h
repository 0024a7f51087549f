/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure parsers of the untrusted bytes the service reads: no I/O, no
 * globals, so a fuzz target can call each one on any input. */
#ifndef WAPF_SERVE_PARSE_H
#define WAPF_SERVE_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (host "127.0.0.1"). 0 or -1. */
int parse_listen(const char *s, char *host, size_t host_len, int *port);

/* 1 when a client may be sent to this address: not loopback, private,
 * shared (CGN), link-local (so not 169.254.169.254), multicast, reserved,
 * documentation, or an IPv6 form of one of those (mapped, NAT64, ULA,
 * link/site-local). */
int addr_is_public(const struct sockaddr *sa);
/* 1 for link-local addresses, where cloud metadata services live:
 * 169.254.0.0/16 (169.254.169.254), fe80::/10, fd00:ec2::254, and their
 * IPv4-mapped forms. Refused even with --allow-private-urls. */
int addr_is_link_local(const struct sockaddr *sa);
/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.x. */
int addr_is_loopback(const struct sockaddr *sa);

/* A streaming base64 decoder: standard or URL-safe alphabet, whitespace
 * ignored, padding optional, a leading "data:...;base64," skipped. */
typedef struct b64_dec {
  uint32_t acc;
  int nacc;     /* sextets in acc, 0..3 */
  int ended;    /* '=' seen */
  int pad_left; /* '=' still allowed */
  int stage;    /* 0 sniffing "data:", 1 skipping to ',', 2 base64 */
  char sniff[8];
  int nsniff;
  size_t skipped;
  uint64_t in_pos, out_total;
} b64_dec;
void b64_init(b64_dec *d);
/* Decode n bytes of in; out must hold b64_out_max(n) bytes; *nout is set.
 * 0, or -1 with the reason in why. */
int b64_feed(b64_dec *d, const char *in, size_t n, uint8_t *out, size_t *nout,
             char *why, size_t why_len);
/* End of input: out must hold 3 bytes. 0, or -1 (truncated, empty). */
int b64_finish(b64_dec *d, uint8_t *out, size_t *nout, char *why,
               size_t why_len);
size_t b64_out_max(size_t n);
/* Encode n bytes into out (b64_enc_len(n) + 1 bytes, NUL-terminated). */
size_t b64_enc_len(size_t n);
void b64_encode(const uint8_t *in, size_t n, char *out);

/* Equal strings, in time that depends only on the lengths. */
int ct_equal(const char *a, const char *b);

/* /process-audio "format": 0 ogg/opus (also NULL or ""), 1 mp3, 2 mp4
 * (also m4a, aac), -1 unknown. Case-insensitive. */
int parse_audio_format(const char *s);
/* A flag's query value: "", "1", "true", "yes", "on" -> 1; "0", "false",
 * "no", "off" -> 0; else -1. */
int parse_flag(const char *s);
/* 1 when a Content-Type header is multipart/form-data (with boundary),
 * 2 application/x-www-form-urlencoded, 0 anything else. */
int content_type_form(const char *ct);
/* 1 when an Accept header asks for application/json. */
int accept_json(const char *accept);
/* Content-Length as a number; -1 when malformed. */
int64_t parse_content_length(const char *s);

#endif
