/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libwebp at the module's boundary: its status codes translated once, the
 * sticker pack EXIF chunk, and muxing it into a WebP file. */
#include "image.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>

int wapf__from_vp8(wapf_context *ctx, int st, const char *what) {
  switch ((VP8StatusCode)st) {
  case VP8_STATUS_OK: return WAPF_OK;
  case VP8_STATUS_OUT_OF_MEMORY:
    return wapf__fail(ctx, WAPF_ENOMEM, "%s: out of memory", what);
  case VP8_STATUS_UNSUPPORTED_FEATURE:
    return wapf__fail(ctx, WAPF_EUNSUPPORTED, "%s: unsupported WebP feature",
                      what);
  case VP8_STATUS_USER_ABORT:
    return wapf__fail(ctx, WAPF_ECANCELLED, "%s: cancelled", what);
  case VP8_STATUS_INVALID_PARAM:
    return wapf__fail(ctx, WAPF_EINTERNAL, "%s: invalid parameter", what);
  case VP8_STATUS_BITSTREAM_ERROR:
  case VP8_STATUS_NOT_ENOUGH_DATA:
  case VP8_STATUS_SUSPENDED:
  default:
    return wapf__fail(ctx, WAPF_ECORRUPT,
                      "%s: damaged or truncated WebP "
                      "(status %d)",
                      what, st);
  }
}

int wapf__from_webp_enc(wapf_context *ctx, int err, const char *what) {
  switch ((WebPEncodingError)err) {
  case VP8_ENC_OK: return WAPF_OK;
  case VP8_ENC_ERROR_OUT_OF_MEMORY:
  case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY:
    return wapf__fail(ctx, WAPF_ENOMEM, "%s: out of memory", what);
  case VP8_ENC_ERROR_USER_ABORT:
    return wapf__fail(ctx, WAPF_ECANCELLED, "%s: cancelled", what);
  case VP8_ENC_ERROR_BAD_WRITE:
    return wapf__fail(ctx, WAPF_EIO, "%s: write failed", what);
  case VP8_ENC_ERROR_FILE_TOO_BIG:
  case VP8_ENC_ERROR_PARTITION0_OVERFLOW:
  case VP8_ENC_ERROR_PARTITION_OVERFLOW:
    return wapf__fail(ctx, WAPF_ELIMIT, "%s: encoder limit (error %d)", what,
                      err);
  default:
    return wapf__fail(ctx, WAPF_EINTERNAL, "%s: WebP encoder error %d", what,
                      err);
  }
}

int wapf__from_mux(wapf_context *ctx, int err, const char *what) {
  switch ((WebPMuxError)err) {
  case WEBP_MUX_OK: return WAPF_OK;
  case WEBP_MUX_MEMORY_ERROR:
    return wapf__fail(ctx, WAPF_ENOMEM, "%s: out of memory", what);
  case WEBP_MUX_BAD_DATA:
  case WEBP_MUX_NOT_ENOUGH_DATA:
    return wapf__fail(ctx, WAPF_ECORRUPT, "%s: bad WebP data", what);
  case WEBP_MUX_NOT_FOUND:
  case WEBP_MUX_INVALID_ARGUMENT:
  default:
    return wapf__fail(ctx, WAPF_EINTERNAL, "%s: WebP mux error %d", what, err);
  }
}

/* Emojis are given comma-separated; each is trimmed of spaces. */
static int add_emojis(json_t *o, const char *list) {
  json_t *a = json_array();
  if (!a || json_object_set_new(o, "emojis", a))
    return -1;
  while (list && *list) {
    const char *end = strchr(list, ',');
    size_t n = end ? (size_t)(end - list) : strlen(list);
    while (n && (*list == ' ' || *list == '\t')) {
      list++;
      n--;
    }
    while (n && (list[n - 1] == ' ' || list[n - 1] == '\t'))
      n--;
    if (n && json_array_append_new(a, json_stringn(list, n)))
      return -1;
    list = end ? end + 1 : NULL;
  }
  return 0;
}

static int set_str(json_t *o, const char *key, const char *v) {
  return v && *v ? json_object_set_new(o, key, json_string(v)) : 0;
}

static char *pack_json(const wapf_options *opt) {
  json_t *o = json_object();
  char *s = NULL;
  if (o && !set_str(o, "sticker-pack-id", opt->pack_id) &&
      !set_str(o, "sticker-pack-name", opt->pack_name) &&
      !set_str(o, "sticker-pack-publisher", opt->publisher) &&
      !add_emojis(o, opt->emoji))
    s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return s;
}

int wapf__sticker_exif(wapf_context *ctx, const wapf_options *opt,
                       uint8_t **out, size_t *out_n) {
  *out = NULL;
  *out_n = 0;
  if (!(opt->pack_id && *opt->pack_id) &&
      !(opt->pack_name && *opt->pack_name) &&
      !(opt->publisher && *opt->publisher) && !(opt->emoji && *opt->emoji))
    return WAPF_OK;
  char *js = pack_json(opt);
  if (!js)
    return wapf__fail(ctx, WAPF_EINVAL,
                      "sticker pack fields are not valid "
                      "UTF-8");
  size_t jn = strlen(js);
  if (jn > 16384) {
    free(js);
    return wapf__fail(ctx, WAPF_EINVAL, "sticker pack fields are too long");
  }
  /* II*\0, IFD0 at 8: 1 entry {0x5741, UNDEFINED, count, offset 26},
   * no next IFD, then the JSON. */
  size_t n = 26 + jn;
  uint8_t *p = calloc(1, n);
  if (!p) {
    free(js);
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
  }
  const uint8_t head[18] = {
      'I', 'I', 42,   0,    8, 0, 0,           0,
      1,   0,   0x41, 0x57, 7, 0, (uint8_t)jn, (uint8_t)(jn >> 8),
      0,   0};
  memcpy(p, head, sizeof head);
  p[18] = 26; /* value offset; the next-IFD link (22..25) stays 0 */
  memcpy(p + 26, js, jn);
  free(js);
  *out = p;
  *out_n = n;
  return WAPF_OK;
}

int wapf__webp_add_exif(wapf_context *ctx, const uint8_t *webp, size_t n,
                        const uint8_t *exif, size_t exif_n, WebPData *out) {
  WebPData in = {webp, n}, chunk = {exif, exif_n};
  WebPDataInit(out);
  WebPMux *mux = WebPMuxCreate(&in, 1);
  if (!mux)
    return wapf__fail(ctx, WAPF_EINTERNAL, "WebP mux: cannot parse own output");
  int err = exif ? WebPMuxSetChunk(mux, "EXIF", &chunk, 1) : WEBP_MUX_OK;
  if (err == WEBP_MUX_OK)
    err = WebPMuxAssemble(mux, out);
  WebPMuxDelete(mux);
  if (err != WEBP_MUX_OK) {
    WebPDataClear(out);
    return wapf__from_mux(ctx, err, "WebP mux");
  }
  return WAPF_OK;
}
