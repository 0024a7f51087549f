/* SCAFFOLD: replaced by the image module. */
#include "modules.h"
int wapf__image_convert(wapf_context *ctx, const wapf_facts *f,
                        const wapf_report *r, const wapf_options *opt,
                        wapf_tmpfile *out, wapf_result *res) {
  (void)f;
  (void)r;
  (void)opt;
  (void)out;
  (void)res;
  return wapf__fail(ctx, WAPF_EUNSUPPORTED, "image conversion not built");
}
int wapf__sticker_convert(wapf_context *ctx, const wapf_facts *f,
                          const wapf_report *r, const wapf_options *opt,
                          wapf_tmpfile *out, wapf_result *res) {
  (void)f;
  (void)r;
  (void)opt;
  (void)out;
  (void)res;
  return wapf__fail(ctx, WAPF_EUNSUPPORTED, "sticker conversion not built");
}
