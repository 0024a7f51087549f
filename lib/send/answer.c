/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Providers' answers: JSON in, one clear line out for every failure
 * (the provider's message, code and details, with advice). */
#include "send.h"

#include <stdlib.h>
#include <string.h>

const char *wapf__graph_advice(long code) {
  switch (code) {
  case 131047:
    return "outside the 24-hour customer service window: send an approved "
           "template message first";
  case 131053:
    return "media upload error: the file was not accepted (run "
           "'wa-preflight check' on it)";
  case 100: return "invalid parameter: check --to, the kind and the caption";
  case 190: return "the access token is invalid or expired: renew it";
  case 130429:
  case 131048:
  case 80007:
  case 4: return "rate limited: wait and try again later";
  case 131026: return "the recipient cannot receive this message";
  case 131051: return "this message type is not supported";
  case 10:
  case 200: return "the token lacks the permission for this number";
  default: return NULL;
  }
}

char *wapf__json_dump(json_t *j) {
  char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return out;
}

json_t *wapf__answer_json(wapf__send *s, const wapf__http_resp *rp, int *rc) {
  json_error_t err;
  json_t *j = rp->body ? json_loadb(rp->body, rp->len, 0, &err) : NULL;
  if (!j || !json_is_object(j)) {
    json_decref(j);
    char *r = wapf__redact_dup(s, rp->body); /* redact, then cut */
    *rc =
        wapf__sfail(s, WAPF_EPROVIDER,
                    "%s: HTTP %ld but the answer is not a JSON object%s%.60s",
                    s->prov->name, rp->status, rp->len ? ": " : "", r ? r : "");
    free(r);
    return NULL;
  }
  *rc = WAPF_OK;
  return j;
}

static const char *jstr(json_t *o, const char *key) {
  const char *v = json_string_value(json_object_get(o, key));
  return v ? v : "";
}

/* Copy a provider's text, secrets redacted before it is cut to size. */
static void take_text(const wapf__send *s, char *dst, size_t size,
                      const char *text) {
  char *r = wapf__redact_dup(s, text);
  wapf__strlcpy(dst, r ? r : "", size);
  free(r);
}

static long jcode(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (json_is_integer(v))
    return (long)json_integer_value(v);
  if (json_is_string(v))
    return strtol(json_string_value(v), NULL, 10);
  return 0;
}

typedef struct failure {
  char message[240];
  char details[240];
  long code, subcode;
} failure;

/* Graph {"error":{...}}, On-Premises {"errors":[{...}]}, Qikchat and
 * Lipachat {"message"...}: whichever the body carries. */
static void parse_failure(const wapf__send *s, json_t *j, failure *f) {
  json_t *e = json_object_get(j, "error");
  json_t *errs = json_object_get(j, "errors");
  if (json_is_object(e)) {
    take_text(s, f->message, sizeof f->message, jstr(e, "message"));
    f->code = jcode(e, "code");
    f->subcode = jcode(e, "error_subcode");
    take_text(s, f->details, sizeof f->details,
              jstr(json_object_get(e, "error_data"), "details"));
  } else if (json_is_array(errs) && json_is_object(json_array_get(errs, 0))) {
    json_t *e0 = json_array_get(errs, 0);
    take_text(s, f->message, sizeof f->message, jstr(e0, "title"));
    if (!f->message[0])
      take_text(s, f->message, sizeof f->message, jstr(e0, "message"));
    f->code = jcode(e0, "code");
    take_text(s, f->details, sizeof f->details, jstr(e0, "details"));
  } else {
    take_text(s, f->message, sizeof f->message, jstr(j, "message"));
    if (!f->message[0])
      take_text(s, f->message, sizeof f->message, jstr(j, "error"));
    if (json_is_string(e))
      take_text(s, f->details, sizeof f->details, json_string_value(e));
    if (!strcmp(f->details, f->message))
      f->details[0] = '\0';
  }
}

static const char *status_advice(long status) {
  switch (status) {
  case 401:
  case 403: return "the key or token was rejected: check the credentials";
  case 404: return "not found: check --api-base and the sender id";
  case 413: return "the file is too large for the provider";
  case 429: return "rate limited: wait and try again later";
  default:
    return status >= 500 ? "the provider is failing: try again later" : NULL;
  }
}

int wapf__answer_fail(wapf__send *s, const wapf__http_resp *rp) {
  failure f = {"", "", 0, 0};
  json_error_t err;
  json_t *j = rp->body ? json_loadb(rp->body, rp->len, 0, &err) : NULL;
  int is_obj = json_is_object(j);
  if (is_obj)
    parse_failure(s, j, &f);
  json_decref(j);
  if (!f.message[0] && rp->body && rp->len && !is_obj) {
    char *r = wapf__redact_dup(s, rp->body);
    snprintf(f.message, sizeof f.message, "%.120s", r ? r : "");
    free(r);
  }
  for (char *p = f.message; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  const char *adv = wapf__graph_advice(f.code);
  if (!adv)
    adv = status_advice(rp->status);
  s->res->provider_code = (int)f.code;
  wapf__provider_error(s, f.message);
  char code[64] = "";
  if (f.code && f.subcode)
    snprintf(code, sizeof code, ", code %ld/%ld", f.code, f.subcode);
  else if (f.code)
    snprintf(code, sizeof code, ", code %ld", f.code);
  int rc = wapf__status_retryable(rp->status) ? WAPF_ENETWORK : WAPF_EPROVIDER;
  return wapf__sfail(
      s, rc, "%s: HTTP %ld%s%s%s%s%s%s%s%s", s->prov->name, rp->status,
      rc == WAPF_ENETWORK && !s->no_retry_said ? " after the retries" : "",
      code, f.message[0] ? ": " : "", f.message, f.details[0] ? " — " : "",
      f.details, adv ? " — " : "", adv ? adv : "");
}

static const char k_look[] =
    "the message may have been delivered: look at the provider's status "
    "webhook (or its console) before sending it again";

/* The last failure, now WAPF_EUNKNOWN with the advice to look first. */
static int as_unknown(wapf__send *s, const char *extra) {
  char why[WAPF_DETAIL_MAX];
  wapf__strlcpy(why, wapf_last_error(s->ctx), sizeof why);
  return wapf__sfail(s, WAPF_EUNKNOWN, "%s%s; %s", why, extra, k_look);
}

/* A message request that may have reached the provider and whose answer
 * does not say, readably, that it was refused, is WAPF_EUNKNOWN: a
 * timeout, reset, cancel or non-HTTP reply after the body was written, an
 * answer over the size cap, a 3xx, a 5xx other than 503 with
 * Retry-After. A 4xx is a refusal (failed); 429 and 503 with Retry-After
 * say it was not processed. */
static int unknown_outcome(wapf__send *s, int rc, const wapf__http_resp *rp,
                           int once) {
  if (rc != WAPF_OK)
    return rp->not_sent ? rc : as_unknown(s, "");
  if (rp->status >= 500 && !wapf__refused_unprocessed(rp)) {
    s->no_retry_said = once;
    wapf__answer_fail(s, rp); /* the provider's code and text */
    s->no_retry_said = 0;
    return as_unknown(s, once ? ", not retried" : "");
  }
  if (rp->status < 200 || (rp->status >= 300 && rp->status < 400)) {
    wapf__sfail(s, WAPF_EUNKNOWN, "%s: HTTP %ld to the message request",
                s->prov->name, rp->status);
    return as_unknown(s,
                      rp->status >= 300 ? " (a redirect, not followed)" : "");
  }
  return WAPF_OK;
}

/* The provider said, in the answer, that it refused: an "error" object or
 * text, a non-empty "errors" list, or "status": false. */
static int says_refused(json_t *ans) {
  json_t *e = json_object_get(ans, "error");
  json_t *errs = json_object_get(ans, "errors");
  return json_is_object(e) || (json_is_string(e) && *json_string_value(e)) ||
         (json_is_array(errs) && json_array_size(errs) > 0) ||
         json_is_false(json_object_get(ans, "status"));
}

int wapf__answer_no_id(wapf__send *s, json_t *ans, const char *where) {
  if (!says_refused(ans))
    return wapf__sfail(s, WAPF_EUNKNOWN,
                       "%s: HTTP %d but the answer carries no %s; %s",
                       s->prov->name, s->res->http_status, where, k_look);
  failure f = {"", "", 0, 0};
  parse_failure(s, ans, &f);
  s->res->provider_code = (int)f.code;
  wapf__provider_error(s, f.message);
  return wapf__sfail(
      s, WAPF_EPROVIDER, "%s: HTTP %d, the message was refused%s%s%s%s",
      s->prov->name, s->res->http_status, f.message[0] ? ": " : "", f.message,
      f.details[0] ? " — " : "", f.details);
}

int wapf__upload_answer(wapf__send *s, int rc, wapf__http_resp *rp,
                        const char *list, const char *where) {
  if (rc == WAPF_OK && (rp->status < 200 || rp->status > 299))
    rc = wapf__answer_fail(s, rp);
  json_t *j = rc == WAPF_OK ? wapf__answer_json(s, rp, &rc) : NULL;
  json_t *holder = list ? json_array_get(json_object_get(j, list), 0) : j;
  const char *id = json_string_value(json_object_get(holder, "id"));
  if (rc == WAPF_OK && (!id || !*id))
    rc = wapf__sfail(s, WAPF_EPROVIDER, "%s: the upload answer has no %s",
                     s->prov->name, where);
  if (rc == WAPF_OK)
    wapf__strlcpy(s->media_id, id, sizeof s->media_id);
  json_decref(j);
  wapf__http_resp_free(rp);
  return rc;
}

int wapf__post_json(wapf__send *s, const char *url, const char *what,
                    const char *const *headers, json_t *body, json_t **out) {
  wapf__http_req rq = {0};
  wapf__http_resp rp = {0};
  char *text = wapf__json_dump(body);
  if (!text)
    return wapf__fail(s->ctx, WAPF_ENOMEM, "out of memory");
  rq.method = "POST";
  rq.url = url;
  rq.what = what;
  int n = 0;
  for (; headers && headers[n] && n < 6; n++)
    rq.headers[n] = headers[n];
  rq.headers[n] = "Content-Type: application/json";
  rq.body = text;
  rq.body_len = strlen(text);
  /* Only Lipachat de-duplicates (on messageId): any other message request
   * that may have reached the provider is never sent again. */
  rq.once = s->prov->id != WAPF_PROVIDER_LIPACHAT;
  wapf__slog(s, WAPF_LOG_DEBUG, "%s body: %s", what, text);
  int rc = wapf__http(s, &rq, &rp);
  /* Lipachat too: its retries reuse the messageId, but a rerun would not */
  rc = unknown_outcome(s, rc, &rp, rq.once);
  if (rc == WAPF_OK && (rp.status < 200 || rp.status > 299))
    rc = wapf__answer_fail(s, &rp);
  else if (rc == WAPF_OK && !(*out = wapf__answer_json(s, &rp, &rc)))
    rc = as_unknown(s, ""); /* it reached the provider: unreadable answer */
  wapf__http_resp_free(&rp);
  free(text);
  return rc;
}
