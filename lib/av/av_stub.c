/* SCAFFOLD: replaced by the av module. */
#include "modules.h"
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
int wapf__av_decode_frames(wapf_context *ctx, const char *path, double start,
                           double max_seconds, double max_fps, int box,
                           wapf_frame_fn fn, void *cookie) {
  (void)path;
  (void)start;
  (void)max_seconds;
  (void)max_fps;
  (void)box;
  (void)fn;
  (void)cookie;
  return wapf__fail(ctx, WAPF_EUNSUPPORTED, "video frames not built");
}
