/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ABI rules seen from a caller (include/wapf.h, "ABI"): run-time
 * version, reserved bytes that must be zero in every structure the caller
 * fills, texts allocated to fit instead of cut, room for more kinds. */
#include "wapf.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void version_number_at_run_time(void) {
  T_EQ_INT(wapf_version_number(), WAPF_API_VERSION);
  char v[32];
  snprintf(v, sizeof v, "%u.%u.%u", wapf_version_number() >> 16,
           (wapf_version_number() >> 8) & 0xff, wapf_version_number() & 0xff);
  T_EQ_STR(v, wapf_version());
}

/* A small text file: a document, probed without any media library. */
static char *text_file(void) {
  static char path[] = "/tmp/wapf-abi-XXXXXX.txt";
  int fd = mkstemps(path, 4);
  if (fd < 0)
    return NULL;
  if (write(fd, "hello\n", 6) != 6)
    path[0] = '\0';
  close(fd);
  return path;
}

static void options_reserved_must_be_zero(void) {
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  char *path = text_file();
  T_CHECK(path && path[0]);
  wapf_facts *f = NULL;
  T_EQ_INT(wapf_probe(ctx, path, &f), WAPF_OK);
  wapf_options o;
  wapf_default_options(&o);
  wapf_report *r = NULL;
  T_EQ_INT(wapf_check(ctx, f, &o, &r), WAPF_OK);
  o.reserved[sizeof o.reserved - 1] = 1;
  wapf_report *r2 = NULL;
  T_EQ_INT(wapf_check(ctx, f, &o, &r2), WAPF_EINVAL);
  T_CHECK(r2 == NULL && strstr(wapf_last_error(ctx), "reserved"));
  char out[64];
  snprintf(out, sizeof out, "%s.out.txt", path);
  T_EQ_INT(wapf_convert(ctx, f, r, &o, out, NULL), WAPF_EINVAL);
  T_CHECK(access(out, F_OK) != 0);
  wapf_send_request q;
  wapf_default_send_request(&q);
  q.to = "15551234567";
  q.api_base = "http://127.0.0.1:9"; /* never reached */
  T_EQ_INT(wapf_send(ctx, path, &o, &q, NULL), WAPF_EINVAL);
  wapf_batch_settings bs;
  wapf_batch_default_settings(&bs);
  bs.options.reserved[0] = 1;
  T_EQ_INT(wapf_batch_run(ctx, "/tmp", "/tmp/wapf-abi-never", &bs, NULL),
           WAPF_EINVAL);
  T_CHECK(access("/tmp/wapf-abi-never", F_OK) != 0);
  wapf_report_free(&r);
  wapf_facts_free(&f);
  unlink(path);
  wapf_close(&ctx);
}

/* A picture no library can read, under a long name: the damage text, the
 * finding and the plan's reason carry the whole name (they were cut at
 * 160 and 240 bytes). */
static void long_texts_are_whole(void) {
  char dir[] = "/tmp/wapf-abi-XXXXXX";
  T_CHECK(mkdtemp(dir));
  char name[256];
  memset(name, 'n', sizeof name);
  name[200] = '\0';
  char path[512];
  snprintf(path, sizeof path, "%s/%s.webp", dir, name);
  FILE *fp = fopen(path, "wb");
  T_CHECK(fp);
  fputs("RIFF\x20\x01\x01\x01WEBPVP8 and then nothing libwebp wants", fp);
  fclose(fp);
  wapf_context *ctx = NULL;
  T_EQ_INT(wapf_open(&ctx, NULL), WAPF_OK);
  wapf_facts *f = NULL;
  T_EQ_INT(wapf_probe(ctx, path, &f), WAPF_OK);
  T_EQ_INT(f->damaged, 1);
  T_CHECK(strlen(f->damage) > 160 && strstr(f->damage, name));
  wapf_report *r = NULL;
  T_EQ_INT(wapf_check(ctx, f, NULL, &r), WAPF_OK);
  T_CHECK(r->n_findings > 0);
  int whole = 0;
  for (size_t i = 0; i < r->n_findings; i++)
    whole |= strlen(r->findings[i].message) > 240 &&
             strstr(r->findings[i].message, name) != NULL;
  T_CHECK(whole);
  T_CHECK(r->plan != WAPF_PLAN_UNFIXABLE || strstr(r->plan_reason, name));
  T_CHECK(r->out_mime != NULL);
  wapf_report_free(&r);
  wapf_facts_free(&f);
  unlink(path);
  rmdir(dir);
  wapf_close(&ctx);
}

static void room_for_more_kinds(void) {
  wapf_batch_summary s;
  T_CHECK(sizeof s.kinds / sizeof s.kinds[0] == WAPF_BATCH_KIND_SLOTS);
  T_CHECK(WAPF_KIND_DOCUMENT < WAPF_BATCH_KIND_SLOTS);
}

int main(void) {
  T_RUN(version_number_at_run_time);
  T_RUN(options_reserved_must_be_zero);
  T_RUN(long_texts_are_whole);
  T_RUN(room_for_more_kinds);
  return T_DONE();
}
