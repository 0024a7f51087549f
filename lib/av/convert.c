/* wapf__av_convert(): the av module's entry for the conversion plans. */
#include "av.h"

int wapf__av_convert(wapf_context *ctx, const wapf_facts *f,
                     const wapf_report *r, const wapf_options *opt,
                     wapf_tmpfile *out, wapf_result *res) {
  (void)f;
  (void)r;
  (void)opt;
  (void)out;
  (void)res;
  return wapf__fail(ctx, WAPF_EUNSUPPORTED, "video/audio conversion not built");
}
