/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stickers: WebP, exactly 512x512, at most 100,000 bytes static or
 * 500,000 animated, every frame >= 8 ms, at most 10 s. Any picture or
 * video can be made into one; a provider flagged
 * WAPF_TARGET_NO_ANIMATED_STICKER takes static stickers only. The
 * accepted values are in table.c (wapf__sticker). */
#include "rules.h"

#include <stdio.h>
#include <string.h>

static const char *or_unknown(const char *s) {
  return s && s[0] ? s : "unknown";
}

static void check_animated(const wapf__check *c, int animated) {
  if (animated && (c->opt->target_flags & WAPF_TARGET_NO_ANIMATED_STICKER))
    wapf__add_finding(c->r, "sticker.animated", WAPF_SEV_FAIL,
                      "the sticker would be animated; this provider takes no "
                      "animated stickers");
}

static void check_frames(const wapf__check *c) {
  const wapf_image_facts *im = &c->f->image;
  int64_t total = 0;
  for (size_t i = 0; i < im->n_delays && im->delays_ms; i++) {
    total += im->delays_ms[i];
    if (im->delays_ms[i] < wapf__sticker.min_frame_ms &&
        !wapf__has_finding(c->r, "sticker.frame_delay"))
      wapf__add_finding(c->r, "sticker.frame_delay", WAPF_SEV_FAIL,
                        "frame %zu lasts %d ms; every frame of a sticker must "
                        "last at least %d ms",
                        i + 1, im->delays_ms[i], wapf__sticker.min_frame_ms);
  }
  if (im->n_delays == 0 || !im->delays_ms)
    total = (int64_t)(im->duration * 1000.0 + 0.5);
  if (total > wapf__sticker.max_total_ms)
    wapf__add_finding(c->r, "sticker.duration", WAPF_SEV_FAIL,
                      "animation lasts %.2f s; a sticker lasts at most %d s",
                      (double)total / 1000.0,
                      wapf__sticker.max_total_ms / 1000);
}

static void check_webp(const wapf__check *c) {
  const wapf_image_facts *im = &c->f->image;
  char what[64];
  int animated = im->animated || im->frames > 1;
  if (im->width != wapf__sticker.width || im->height != wapf__sticker.height)
    wapf__add_finding(c->r, "sticker.dimensions", WAPF_SEV_FAIL,
                      "sticker is %dx%d; it must be exactly %dx%d", im->width,
                      im->height, wapf__sticker.width, wapf__sticker.height);
  snprintf(what, sizeof what, "%s sticker", animated ? "an animated" : "a");
  wapf__check_size(c, "sticker.size",
                   wapf_kind_limit(WAPF_KIND_STICKER, animated), what);
  if (animated)
    check_frames(c);
  check_animated(c, animated);
}

static void check_source(const wapf__check *c, int animated) {
  wapf__add_finding(c->r, "sticker.format", WAPF_SEV_FAIL,
                    "format is %s (%s); a sticker is a 512x512 WebP",
                    or_unknown(c->f->format), or_unknown(c->f->mime));
  check_animated(c, animated);
}

void wapf__check_sticker(const wapf__check *c) {
  const wapf_facts *f = c->f;
  const wapf_stream *v = f->media == WAPF_MEDIA_AV ? wapf__main_video(f) : 0;
  char why[192];
  if (f->media == WAPF_MEDIA_IMAGE && strcmp(f->format, "webp") == 0) {
    check_webp(c);
  } else if (f->media == WAPF_MEDIA_IMAGE) {
    check_source(c, f->image.animated || f->image.frames > 1);
  } else if (v) {
    if (!v->decoder_available)
      wapf__not_decodable(c, v->codec);
    check_source(c, 1);
  } else {
    snprintf(why, sizeof why, "content is %s%s", or_unknown(f->mime),
             f->media == WAPF_MEDIA_AV ? ", without a picture" : "");
    wapf__not_kind(c, why);
  }
}
