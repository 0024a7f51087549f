/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wapf__sticker_convert(): the plan MAKE_STICKER, static or animated. */
#include "image.h"

/* Animated when the source moves: a video, or a picture with frames. */
static int is_animated(const wapf_facts *f) {
  if (f->media == WAPF_MEDIA_AV)
    return 1;
  return f->media == WAPF_MEDIA_IMAGE &&
         (f->image.animated || f->image.frames > 1);
}

int wapf__sticker_convert(wapf_context *ctx, const wapf_facts *f,
                          const wapf_report *r, const wapf_options *opt,
                          wapf_tmpfile *out, wapf_result *res) {
  (void)r;
  if (f->media == WAPF_MEDIA_IMAGE &&
      (uint64_t)f->image.width * (uint64_t)f->image.height > ctx->s.max_pixels)
    return wapf__fail(ctx, WAPF_ELIMIT, "%dx%d is over the %llu-pixel limit",
                      f->image.width, f->image.height,
                      (unsigned long long)ctx->s.max_pixels);
  int rc = wapf__progress(ctx, opt, 0.0);
  if (rc != WAPF_OK)
    return rc;
  if (is_animated(f)) {
    if (opt->target_flags & WAPF_TARGET_NO_ANIMATED_STICKER)
      return wapf__fail(ctx, WAPF_EUNFIXABLE,
                        "this provider takes no animated stickers");
    rc = wapf__sticker_animated(ctx, f, opt, out, res);
  } else {
    rc = wapf__sticker_static(ctx, f, opt, out, res);
  }
  return rc == WAPF_OK ? wapf__progress(ctx, opt, 1.0) : rc;
}
