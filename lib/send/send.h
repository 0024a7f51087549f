/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal interfaces of the send module (lib/send). Not installed.
 * libcurl, jansson and SQLite are used here only. */
#ifndef WAPF_SEND_H
#define WAPF_SEND_H

#include "modules.h"

#include <curl/curl.h>
#include <glib.h>
#include <jansson.h>

#define WAPF_SEND_MAX_SECRETS 4
#define WAPF_GRAPH_VERSION "v21.0"

/* Credentials and settings read from the environment / config file.
 * Owned strings; wiped and freed by wapf__creds_free(). */
typedef struct wapf__creds {
  char *token;           /* the provider's key */
  char *phone_number_id; /* meta */
  char *onprem_base;     /* WA_ONPREM_BASE */
  char *aws_key_id, *aws_secret, *aws_region, *aws_endpoint;
  char *config_path; /* the config file looked at */
} wapf__creds;

struct wapf__provider;

/* One send in progress: everything the steps share. */
typedef struct wapf__send {
  wapf_context *ctx;
  const wapf_send_request *req;
  const struct wapf__provider *prov;
  wapf_send_result *res;
  wapf__creds creds;
  const char *secrets[WAPF_SEND_MAX_SECRETS]; /* redacted everywhere */
  char *base;       /* API base without a trailing '/' (owned, any length) */
  const char *gver; /* Graph version */
  const char *cacert;
  /* the file that is sent (the input, or its converted copy) */
  const char *input;
  char *path;     /* owned */
  char *tmpdir;   /* private temporary directory, or NULL */
  wapf_kind kind; /* resolved kind (WAPF_KIND_VOICE for voice) */
  int animated;   /* sticker: animated */
  char mime[64];  /* upload type */
  int opus;       /* Ogg/Opus audio: published as audio/ogg; codecs=opus */
  int64_t size;
  char sha256[65];    /* hex of the file sent */
  char request[49];   /* hex of what was asked (wapf_send_result.request) */
  char filename[256]; /* documents: name shown */
  const char *caption;
  char *link; /* link sent, "" when by id (owned, never NULL, any length) */
  char media_id[160];
  char uuid[40];     /* lipachat messageId, fixed across retries */
  char ref[40];      /* the journal's reference of this message attempt:
                        Cloud API biz_opaque_callback_data, Lipachat's
                        messageId (status webhooks find it by it) */
  const char *to;    /* the recipient of the message being sent */
  int no_retry_said; /* answer_fail: the request was not retried */
} wapf__send;

/* ---- the provider vtable (one const instance per provider) ---- */
/* Every media kind (wapf__provider.kinds). */
#define WAPF_KINDS_ALL                                                         \
  ((1u << WAPF_KIND_VIDEO) | (1u << WAPF_KIND_AUDIO) |                         \
   (1u << WAPF_KIND_VOICE) | (1u << WAPF_KIND_IMAGE) |                         \
   (1u << WAPF_KIND_STICKER) | (1u << WAPF_KIND_DOCUMENT))
typedef struct wapf__provider {
  wapf_provider id;
  const char *name;
  const char *default_base; /* NULL: none (onprem) */
  const char *key_env;      /* environment variable of the key */
  unsigned kinds;           /* 1u << wapf_kind it can take */
  unsigned target_flags;    /* WAPF_TARGET_* for wapf_check */
  int by_id;                /* can upload and send by media id */
  int voice_flag;           /* has audio.voice (else voice goes as audio) */
  /* Upload s->path; set s->media_id. NULL for link-only providers. */
  int (*upload)(wapf__send *s);
  /* Send the message by s->media_id or s->link; fill res->message_id. */
  int (*message)(wapf__send *s);
} wapf__provider;

extern const wapf__provider wapf__prov_meta;
extern const wapf__provider wapf__prov_360dialog;
extern const wapf__provider wapf__prov_onprem;
extern const wapf__provider wapf__prov_qikchat;
extern const wapf__provider wapf__prov_lipachat;
const wapf__provider *wapf__provider_get(wapf_provider id);

/* The message "type" for a kind ("audio" for voice). */
const char *wapf__kind_type(wapf_kind kind);
/* {id|link, caption?, filename? (documents), voice? (voice_flag)} */
json_t *wapf__media_object(const wapf__send *s, int voice_flag);
/* {messaging_product? (cloud), recipient_type, to, type, <type>} */
json_t *wapf__message_body(const wapf__send *s, int cloud);
/* messages[0].id of an answer into res->message_id. */
int wapf__take_message_id(wapf__send *s, json_t *ans);

/* ---- credentials (creds.c) ---- */
/* Read what the provider (and publish) needs from the environment and
 * the config file. WAPF_ECONFIG when something required is missing. */
int wapf__creds_load(wapf__send *s);
void wapf__creds_free(wapf__creds *c);
/* The first of keys found: $keys[0] when env_too and set, else the
 * config file's (config_path NULL: the default file) keys in order. *out
 * malloc'd or NULL (none, or empty). Failures: the file is unsafe or
 * unreadable (WAPF_ECONFIG), WAPF_ENOMEM. */
int wapf__config_lookup(wapf_context *ctx, const char *config_path,
                        const char *const *keys, int n, int env_too,
                        char **out);
/* Parse "KEY=value" config text: the value of key, or NULL (malloc'd). */
char *wapf__config_value(const char *text, const char *key);
/* ---- redaction (redact.c): the one helper ---- */
/* A malloc'd copy of text (NULL: "") in which every run of 8 or more
 * characters of one of the n secrets (NULL entries skipped), and every
 * whole secret of 4 to 7 characters, is "[redacted]". Never cut. NULL on
 * ENOMEM. */
char *wapf__redact_text(const char *const *secrets, int n, const char *text);
/* The same with the secrets of s. */
char *wapf__redact_dup(const wapf__send *s, const char *text);
/* In place, redacted first and cut to size after. */
void wapf__redact(const wapf__send *s, char *buf, size_t size);
/* Keep the provider's own error text in the result, secrets redacted. */
void wapf__provider_error(wapf__send *s, const char *msg);
/* wapf__fail / wapf__log with secrets redacted. */
int wapf__sfail(wapf__send *s, int code, const char *fmt, ...)
    WAPF_PRINTF(3, 4);
void wapf__slog(wapf__send *s, wapf_log_level level, const char *fmt, ...)
    WAPF_PRINTF(3, 4);

/* ---- HTTP (http.c, retry.c) ---- */
typedef struct wapf__http_part {
  const char *name;
  const char *value;     /* a plain field, or */
  const char *file_path; /* a file part */
  const char *file_type;
  const char *file_name;
} wapf__http_part;

typedef struct wapf__http_req {
  const char *method; /* "GET", "HEAD", "POST", "PUT" */
  const char *url;
  const char *what;       /* for messages: "upload", "send", ... */
  const char *headers[8]; /* "Name: value", NULL-terminated */
  const char *body;       /* JSON body, or */
  size_t body_len;
  const char *body_file;        /* the file as the raw body, or */
  const wapf__http_part *parts; /* multipart/form-data */
  int n_parts;
  const char *aws_sigv4; /* CURLOPT_AWS_SIGV4 */
  const char *userpwd;   /* with aws_sigv4 */
  int follow;            /* follow up to 5 HTTPS redirects */
  int headers_only;      /* stop reading the body (link checks) */
  int once;              /* not idempotent (a message): retried only when
                            it provably did not reach the provider */
  int64_t count_max;     /* > 0: count the body's bytes (not kept), stop
                            after this many (a capped link read) */
} wapf__http_req;

typedef struct wapf__http_resp {
  long status; /* 0 when no answer */
  char *body;  /* NUL-terminated, at most WAPF_HTTP_MAX_BODY */
  size_t len;
  char content_type[128];
  int64_t content_length; /* -1 unknown */
  char content_range[96];
  char cache_control[160];
  char last_modified[64];
  char etag[128];
  long retry_after; /* seconds, -1 none */
  double seconds;
  int curl_code;        /* CURLcode of the transfer */
  int not_sent;         /* 1: provably never reached the server (no address,
                           no connection or TLS session, no byte written) */
  int64_t counted;      /* body bytes seen with count_max */
  long redirects;       /* redirects followed (follow) */
  char final_url[1024]; /* the URL answered last, with redirects */
} wapf__http_resp;

#define WAPF_HTTP_MAX_BODY (1 << 20)

void wapf__http_resp_free(wapf__http_resp *r);
/* url without its query ("?..." instead), for messages. */
void wapf__url_for_log(const char *url, char *buf, size_t size);
/* 1 when url is https, or http to a loopback host. */
int wapf__url_allowed(const char *url);
/* One request. WAPF_OK when an HTTP answer arrived (any status), else the
 * translated CURLcode (WAPF_ENETWORK, WAPF_ECONFIG, ...). */
int wapf__http_once(wapf__send *s, const wapf__http_req *rq,
                    wapf__http_resp *rp);
/* The request with retries on 429/5xx/network failures. WAPF_OK with the
 * last answer in rp (which may still be a 429/5xx when the retries are
 * exhausted), or the network error of the last try. */
int wapf__http(wapf__send *s, const wapf__http_req *rq, wapf__http_resp *rp);
/* The wait before try n (1-based retry number), in seconds, given the
 * server's Retry-After (-1 none) and a random number in [0,1). */
double wapf__backoff(int n, long retry_after, double rnd);
/* 1 when a status is worth retrying (429, 5xx). */
int wapf__status_retryable(long status);
/* 1 for an answer that says the request was not processed: 429, or 503
 * with Retry-After. */
int wapf__refused_unprocessed(const wapf__http_resp *rp);

/* ---- answers (answer.c) ---- */
/* Parse a JSON answer body; NULL (with the failure set) when not JSON. */
json_t *wapf__answer_json(wapf__send *s, const wapf__http_resp *rp, int *rc);
/* A failed answer (non-2xx) as one line: the provider's message, code and
 * details with advice. Fills res->provider_code/error; returns
 * WAPF_ENETWORK for 429/5xx (after the retries), else WAPF_EPROVIDER. */
int wapf__answer_fail(wapf__send *s, const wapf__http_resp *rp);
/* The advice for a Graph error code, or NULL. */
const char *wapf__graph_advice(long code);
/* Serialize a JSON body (takes the reference); NULL on ENOMEM. */
char *wapf__json_dump(json_t *j);
/* The shared tail of an upload: a non-2xx is a failure (answer_fail); the
 * id at list[0].id (list NULL: at "id") goes into s->media_id, where
 * names it in the failure. Frees rp. */
int wapf__upload_answer(wapf__send *s, int rc, wapf__http_resp *rp,
                        const char *list, const char *where);
/* A 2xx answer to a message request without the message id at where:
 * WAPF_EPROVIDER when the answer says it refused the message ("error",
 * "errors", "status": false), else WAPF_EUNKNOWN. */
int wapf__answer_no_id(wapf__send *s, json_t *ans, const char *where);
/* POST a message as a JSON object (takes the reference) and parse the 2xx
 * answer into *out (caller json_decref's it). Once the request may have
 * reached the provider, an answer that cannot be read (not JSON, over the
 * cap, a 3xx, a non-HTTP reply, lost) is WAPF_EUNKNOWN, never a refusal. */
int wapf__post_json(wapf__send *s, const char *url, const char *what,
                    const char *const *headers, json_t *body, json_t **out);

/* ---- steps ---- */
int wapf__prepare(wapf__send *s, const wapf_options *opt); /* prepare.c */
void wapf__prepare_cleanup(wapf__send *s);
int wapf__caption_ok(wapf__send *s);
/* The provider can take s->kind (with s->caption)? WAPF_EREFUSED if not. */
int wapf__can_take(wapf__send *s);
size_t wapf__utf8_chars(const char *str, int *valid);
/* s->request from the source's digest, the kind and, when the file is
 * converted, the options that change the output. */
void wapf__request_digest(wapf__send *s, const char *source,
                          const wapf_options *o, int converted);
/* hex <-> the 32 bytes of wapf_send_result.sha256 (all zero = none). */
void wapf__sha256_to_bytes(const char *hex, uint8_t out[32]);
void wapf__sha256_to_hex(const uint8_t in[32], char hex[65]);
/* The same for n bytes (hex holds 2n + 1). */
void wapf__digest_to_bytes(const char *hex, uint8_t *out, size_t n);
void wapf__digest_to_hex(const uint8_t *in, size_t n, char *hex);
int wapf__verify_link(wapf__send *s, const char *url); /* link.c */
int wapf__publish(wapf__send *s);                      /* s3.c */
int wapf__s3_parse(const char *uri, char *bucket, size_t bsize, char *prefix,
                   size_t psize);

/* ---- the send journal (journal.c) ---- */
typedef struct wapf__journal wapf__journal;
/* What makes two sends the same (all borrowed, NULL = none). */
typedef struct wapf__journal_row {
  const char *provider, *sender, *recipient;
  const char *media; /* shown: the file's SHA-256, else the id or link */
  const char *kind, *caption;
  const char *template_text; /* name, language, namespace, parameters */
  const char *template_name; /* shown by the listing */
  const char *request;       /* hex of what was asked, NULL unknown */
  const char *filename;      /* a document's name */
} wapf__journal_row;
/* The journal of the configured store (wapf__store_url), else the SQLite
 * file in cache_dir when given, else in the state folder. The context
 * keeps it open; after a lost server, waits for it (db.h). */
int wapf__journal_open(wapf_context *ctx, const char *cache_dir,
                       const char *config_path, wapf__journal **out);
void wapf__journal_close(wapf__journal **j);
/* The key of a row: provider, sender, recipient, the request (else the
 * media), caption, document name and template. */
void wapf__journal_key(const wapf__journal_row *r, char key[65]);
/* The key rows had before request digests (the media as sent, no document
 * name): still looked up, so that those rows refuse what they recorded. */
void wapf__journal_legacy_key(const wapf__journal_row *r, char key[65]);
/* Claim the send (BEGIN IMMEDIATE): refuse it as a duplicate, or write a
 * "pending" row and return its id in *row. */
int wapf__journal_intent(wapf__send *s, wapf__journal *j,
                         const wapf__journal_row *r, int resend,
                         long long *row);
/* The outcome of row; a lost server is waited for and the write tried
 * again once. WAPF_OK or the store's code (detail not set). */
int wapf__journal_done(wapf_context *ctx, wapf__journal *j, long long row,
                       const char *state, const char *message_id,
                       const char *detail);

/* ---- the store's choice (store.c) ---- */
/* *url: the PostgreSQL connection string to use (malloc'd; wipe and free
 * it), or NULL for SQLite. WAPF_ECONFIG for a setting that is neither. */
int wapf__store_url(wapf_context *ctx, const char *config_path, char **url);
/* $XDG_STATE_HOME/wa-preflight (~/.local/state/wa-preflight); -1 + errno. */
int wapf__state_dir(char *out, size_t size);
/* The SQLite journal's path (g_free): in cache_dir when given, else in the
 * state folder (an older journal of the cache folder moved there once). */
int wapf__journal_path(wapf_context *ctx, const char *cache_dir, char **path);

/* ---- temporary folders (tmpdirs.c; process identity: core) ---- */
/* Remove $TMPDIR/wapf-send-* folders whose marked owner process is gone. */
void wapf__tmp_sweep(wapf__send *s);
/* Create s->tmpdir with its owner marker; remove it (and s->path in it). */
int wapf__tmp_make(wapf__send *s);
void wapf__tmp_remove(wapf__send *s);

/* ---- templates (template.c) ---- */
/* The "template" object of a template message (cloud: Cloud API /
 * 360dialog shape; else On-Premises with namespace and policy). */
json_t *wapf__template_object(const wapf__send *s, int cloud);
/* The journal's text for the template: name, language, namespace and
 * parameters ("" when not a template), malloc'd. */
char *wapf__template_text(const wapf_send_request *q);
int wapf__template_valid(wapf_context *ctx, const wapf_send_request *q);

/* ---- media-id cache (cache.c) ---- */
/* The folder of the media-id cache (and, when given, of the journal):
 * given, else $XDG_CACHE_HOME/wa-preflight. */
int wapf__cache_dir(const char *given, char *out, size_t size);
int wapf__make_dirs(const char *path); /* mkdir -p, 0700 */
/* The sender's identity for the cache and the journal. */
void wapf__sender(const wapf__send *s, char *sender, size_t size);
typedef struct wapf__cache wapf__cache;
int wapf__cache_open(wapf__send *s, wapf__cache **out);
void wapf__cache_close(wapf__cache **c);
/* The key of the file for this provider, base and sender (malloc'd,
 * any length; NULL on ENOMEM). */
char *wapf__cache_key(const wapf__send *s);
/* A cached id younger than 30 days into id (1 found, 0 not). */
int wapf__cache_get(wapf__cache *c, const char *key, char *id, size_t size);
int wapf__cache_put(wapf__cache *c, const char *key, const char *id);
int wapf__cache_drop(wapf__cache *c, const char *key);
/* Serialize look-up + upload + store of key across runs (flock on
 * upload.lock, or PostgreSQL's advisory lock of the key; polled so that a
 * cancel is honoured): concurrent runs upload once. */
int wapf__cache_lock(wapf__send *s, wapf__cache *c, const char *key);
void wapf__cache_unlock(wapf__cache *c);

#endif
