/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: wapf_probe() on a file, then wapf_check() of its facts for
 * every kind. One target for all the families: the front end picks the
 * reader from the content, so a mutant may move from one reader to
 * another, as a hostile file would; the seed corpus has one folder per
 * family (corpus/probe/<family>/) so that each reader is reached. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check_all(wapf_context *ctx, const wapf_facts *f) {
  static const wapf_kind kinds[] = {
      WAPF_KIND_AUTO,  WAPF_KIND_IMAGE,    WAPF_KIND_VIDEO,  WAPF_KIND_AUDIO,
      WAPF_KIND_VOICE, WAPF_KIND_DOCUMENT, WAPF_KIND_STICKER};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    wapf_options o;
    wapf_default_options(&o);
    o.kind = kinds[i];
    wapf_report *r = NULL;
    if (wapf_check(ctx, f, &o, &r) == WAPF_OK && !r)
      abort(); /* WAPF_OK promises a report */
    wapf_report_free(&r);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wapf_context *ctx = fuzz_ctx();
  char path[256];
  fuzz_file(data, size, path, sizeof path);
  wapf_facts *f = NULL;
  int rc = wapf_probe(ctx, path, &f);
  if (rc == WAPF_OK) {
    if (!f || f->size != (int64_t)size)
      abort(); /* the facts must describe this file */
    check_all(ctx, f);
  } else if (f || !wapf_last_error(ctx)[0] ||
             strchr(wapf_last_error(ctx), '\n')) {
    abort(); /* a failure leaves no facts and gives one line */
  }
  wapf_facts_free(&f);
  unlink(path);
  return 0;
}
