/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the frames of an animated sticker (lib/image/frames.c):
 * an animated GIF or WebP is probed, then decoded frame by frame onto the
 * 512x512 canvas as `convert --as sticker` does. The frames must be in
 * time order, inside the 10 s kept, and the memory they hold bounded. */
#include "fuzz.h"
#include "image.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void frames(wapf_context *ctx, const wapf_facts *f) {
  wapf_options o;
  wapf_default_options(&o);
  o.kind = WAPF_KIND_STICKER;
  wapf_frames fr;
  if (wapf__frames_load(ctx, f, &o, 15, 1.0, &fr) != WAPF_OK)
    return;
  if (fr.n < 1 || fr.end_ms > WAPF_ANIM_MAX_MS ||
      fr.bytes > (size_t)160 * WAPF_STICKER_SIDE * WAPF_STICKER_SIDE * 4)
    abort();
  for (int i = 1; i < fr.n; i++)
    if (fr.v[i].t_ms <= fr.v[i - 1].t_ms)
      abort();
  wapf__frames_free(&fr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* only what the sticker path would decode: GIF and WebP */
  if (size < 12 ||
      (memcmp(data, "GIF8", 4) != 0 &&
       (memcmp(data, "RIFF", 4) != 0 || memcmp(data + 8, "WEBP", 4) != 0)))
    return 0;
  wapf_context *ctx = fuzz_ctx();
  char path[256];
  fuzz_file(data, size, path, sizeof path);
  wapf_facts *f = NULL;
  if (wapf_probe(ctx, path, &f) == WAPF_OK && f->media == WAPF_MEDIA_IMAGE &&
      (!strcmp(f->format, "gif") || !strcmp(f->format, "webp")))
    frames(ctx, f);
  wapf_facts_free(&f);
  unlink(path);
  return 0;
}
