/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf_convert(): the front end every conversion goes through.
 * It owns the output file (temp + rename), dispatches on the plan, and
 * guards the size limit once more before anything becomes visible. */
#include "modules.h"

#include <string.h>
#include <sys/stat.h>

static int dispatch(wapf_context *ctx, const wapf_facts *f,
                    const wapf_report *r, const wapf_options *opt,
                    wapf_tmpfile *t, wapf_result *res) {
  /* Pictures (stickers from video too) are libvips' work: start it. */
  if (r->plan == WAPF_PLAN_STRIP_METADATA ||
      r->plan == WAPF_PLAN_ENCODE_IMAGE || r->plan == WAPF_PLAN_MAKE_STICKER) {
    int rc = wapf__need_vips(ctx);
    if (rc != WAPF_OK)
      return rc;
  }
  switch (r->plan) {
  case WAPF_PLAN_NONE: return wapf__copy_into(ctx, f->path, t);
  case WAPF_PLAN_REMUX:
  case WAPF_PLAN_AUDIO_ONLY:
  case WAPF_PLAN_TRANSCODE:
  case WAPF_PLAN_ENCODE_AUDIO: return wapf__av_convert(ctx, f, r, opt, t, res);
  case WAPF_PLAN_STRIP_METADATA:
  case WAPF_PLAN_ENCODE_IMAGE:
    return wapf__image_convert(ctx, f, r, opt, t, res);
  case WAPF_PLAN_MAKE_STICKER:
    return wapf__sticker_convert(ctx, f, r, opt, t, res);
  case WAPF_PLAN_UNFIXABLE:
  default:
    return wapf__fail(ctx, WAPF_EUNFIXABLE, "%s",
                      r->plan_reason && r->plan_reason[0]
                          ? r->plan_reason
                          : "cannot be made compliant");
  }
}

/* The last guard: a file over the kind's limit never becomes visible. */
static int check_output(wapf_context *ctx, const wapf_facts *f,
                        const wapf_report *r, wapf_tmpfile *t,
                        wapf_result *res) {
  struct stat st;
  if (fstat(t->fd, &st) != 0 && stat(t->path, &st) != 0)
    return wapf__fail(ctx, WAPF_EIO, "cannot read back the output");
  res->bytes_out = (int64_t)st.st_size;
  if (res->bytes_out == 0)
    return wapf__fail(ctx, WAPF_EINTERNAL, "conversion wrote nothing");
  int animated = f->media == WAPF_MEDIA_IMAGE ? f->image.animated : 0;
  if (r->kind == WAPF_KIND_STICKER && f->media == WAPF_MEDIA_AV)
    animated = 1;
  int64_t limit = wapf_kind_limit(r->kind, animated);
  if (limit > 0 && res->bytes_out > limit)
    return wapf__fail(ctx, WAPF_EUNFIXABLE,
                      "output would be %lld bytes, over the %lld-byte limit "
                      "for %s",
                      (long long)res->bytes_out, (long long)limit,
                      wapf_kind_name(r->kind));
  return WAPF_OK;
}

static int convert_file(wapf_context *ctx, const wapf_facts *f,
                        const wapf_report *r, const wapf_options *opt,
                        const char *out_path, wapf_result *res) {
  wapf_options def;
  wapf_result local;
  wapf_tmpfile t;
  if (!ctx || !f || !r || !out_path)
    return WAPF_EINVAL;
  wapf__clear(ctx);
  if (!opt) {
    wapf_default_options(&def);
    opt = &def;
  }
  if (wapf__check_options(ctx, opt) != WAPF_OK)
    return WAPF_EINVAL;
  if (!f->mime || !f->damage || !r->out_mime || !r->plan_reason)
    return wapf__fail(ctx, WAPF_EINVAL, "facts or report without strings");
  if (!res)
    res = &local;
  memset(res, 0, sizeof *res);
  res->action = r->plan;
  res->kind = r->kind;
  res->bytes_in = f->size;
  wapf__strlcpy(res->mime, r->out_mime, sizeof res->mime);
  if (r->plan == WAPF_PLAN_UNFIXABLE)
    return wapf__fail(ctx, WAPF_EUNFIXABLE, "%s", r->plan_reason);
  double t0 = wapf__now();
  int rc = wapf__tmp_open(ctx, &t, out_path, f->path, opt->overwrite);
  if (rc != WAPF_OK)
    return rc;
  rc = dispatch(ctx, f, r, opt, &t, res);
  if (rc == WAPF_OK && wapf__cancelled(ctx))
    rc = wapf__fail(ctx, WAPF_ECANCELLED, "cancelled");
  if (rc == WAPF_OK)
    rc = check_output(ctx, f, r, &t, res);
  if (rc == WAPF_OK)
    rc = wapf__tmp_commit(ctx, &t);
  else
    wapf__tmp_discard(&t);
  res->seconds = wapf__now() - t0;
  if (rc == WAPF_OK)
    wapf__log(ctx, WAPF_LOG_INFO, "%s: %s, %lld -> %lld bytes in %.2f s",
              out_path, wapf_plan_name(r->plan), (long long)res->bytes_in,
              (long long)res->bytes_out, res->seconds);
  return rc;
}

int wapf_convert(wapf_context *ctx, const wapf_facts *f, const wapf_report *r,
                 const wapf_options *opt, const char *out_path,
                 wapf_result *res) {
  if (!ctx)
    return WAPF_EINVAL;
  wapf__enter(ctx);
  int rc = convert_file(ctx, f, r, opt, out_path, res);
  wapf__leave(ctx);
  return rc;
}
