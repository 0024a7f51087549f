/* wapf__image_convert(): the plans ENCODE_IMAGE and STRIP_METADATA.
 *
 * STRIP_METADATA rewrites the file's metadata segments and copies the
 * compressed pixels unchanged (strip.c). ENCODE_IMAGE decodes once, with
 * shrink-on-load when the picture is larger than WAPF_WORK_MAX_PIXELS,
 * makes it upright, 8-bit sRGB without alpha, and encodes it within
 * 5,000,000 bytes at the best quality that fits (encode_budget.c). */
#include "image.h"

#include <string.h>
#include <unistd.h>

/* Start the output over (after a lossless attempt gave up). */
static int rewind_out(wapf_context *ctx, wapf_tmpfile *out) {
  if (ftruncate(out->fd, 0) != 0 || lseek(out->fd, 0, SEEK_SET) != 0)
    return wapf__fail(ctx, WAPF_EIO, "cannot rewind the output");
  return WAPF_OK;
}

static int encode_image(wapf_context *ctx, const wapf_facts *f,
                        const wapf_options *opt, int png, wapf_tmpfile *out,
                        wapf_result *res) {
  VipsImage *im = NULL;
  wapf_budget_result br;
  int rc = wapf__progress(ctx, opt, 0.0);
  if (rc == WAPF_OK)
    rc = wapf__img_load_upright(ctx, f->path, WAPF_WORK_MAX_PIXELS, 0,
                                opt->background, &im);
  if (rc != WAPF_OK)
    return rc;
  int w0 = im->Xsize, h0 = im->Ysize;
  rc = wapf__progress(ctx, opt, 0.3);
  if (rc == WAPF_OK)
    rc = wapf__img_encode_budget(ctx, opt, im, png, !opt->keep_metadata,
                                 WAPF_IMAGE_LIMIT, &br);
  g_object_unref(im);
  if (rc != WAPF_OK)
    return rc;
  rc = wapf__img_write_all(ctx, out, br.buf, br.len);
  g_free(br.buf);
  if (rc != WAPF_OK)
    return rc;
  int src_w = f->media == WAPF_MEDIA_IMAGE ? f->image.width : w0;
  int src_h = f->media == WAPF_MEDIA_IMAGE ? f->image.height : h0;
  if ((int64_t)br.width * br.height < (int64_t)src_w * src_h)
    snprintf(res->note, sizeof res->note,
             "reduced from %dx%d to %dx%d to fit 5,000,000 bytes", src_w, src_h,
             br.width, br.height);
  else if (!png)
    snprintf(res->note, sizeof res->note, "JPEG quality %d", br.quality);
  wapf__log(ctx, WAPF_LOG_INFO, "%s: %dx%d %s q%d, %zu bytes", f->path,
            br.width, br.height, png ? "PNG" : "JPEG", br.quality, br.len);
  return wapf__progress(ctx, opt, 1.0);
}

int wapf__image_convert(wapf_context *ctx, const wapf_facts *f,
                        const wapf_report *r, const wapf_options *opt,
                        wapf_tmpfile *out, wapf_result *res) {
  int png = strcmp(r->out_ext, ".png") == 0;
  if (f->media == WAPF_MEDIA_IMAGE &&
      (uint64_t)f->image.width * (uint64_t)f->image.height > ctx->s.max_pixels)
    return wapf__fail(ctx, WAPF_ELIMIT, "%dx%d is over the %llu-pixel limit",
                      f->image.width, f->image.height,
                      (unsigned long long)ctx->s.max_pixels);
  if (r->plan == WAPF_PLAN_STRIP_METADATA) {
    int rc = wapf__img_strip(ctx, f->path, out);
    if (rc == WAPF_OK) {
      wapf__strlcpy(res->note, "metadata removed without re-encoding",
                    sizeof res->note);
      return WAPF_OK;
    }
    if (rc != WAPF_EUNSUPPORTED)
      return rc;
    wapf__log(ctx, WAPF_LOG_INFO, "%s; re-encoding instead",
              wapf_last_error(ctx));
    rc = rewind_out(ctx, out);
    if (rc != WAPF_OK)
      return rc;
  }
  return encode_image(ctx, f, opt, png, out, res);
}
