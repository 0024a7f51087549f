/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wa-preflight probe: the facts the rules need, as text or JSON. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "progress.h"

/* "1,234,567" into buf. */
static const char *group_digits(int64_t v, char *buf, size_t size) {
  char raw[32];
  int n = snprintf(raw, sizeof raw, "%" PRId64, v < 0 ? 0 : v);
  size_t o = 0;
  for (int i = 0; i < n && o + 2 < size; i++) {
    if (i > 0 && (n - i) % 3 == 0)
      buf[o++] = ',';
    buf[o++] = raw[i];
  }
  buf[o] = '\0';
  return buf;
}

static void print_head(const wapf_facts *f) {
  char num[40];
  printf("%s\n  %s bytes, %s", cli_text(f->path),
         group_digits(f->size, num, sizeof num),
         f->mime[0] ? cli_text(f->mime) : "?");
  if (f->format[0])
    printf(", %s", f->format);
  if (f->duration >= 0 && f->media == WAPF_MEDIA_AV)
    printf(", %.2f s", f->duration);
  if (f->bit_rate > 0)
    printf(", %.0f kbit/s", (double)f->bit_rate / 1000);
  if (f->moov_at_end == 1)
    printf(", moov at end");
  else if (f->moov_at_end == 0)
    printf(", moov first");
  if (f->fragmented > 0)
    printf(", fragmented");
  printf("\n");
}

static const char *type_name(wapf_stream_type t) {
  static const char *const names[] = {"video", "audio", "subtitle", "data",
                                      "attachment"};
  return (unsigned)t < 5 ? names[t] : "?";
}

static void print_video(const wapf_stream *s) {
  if (s->width > 0 && s->height > 0)
    printf("  %dx%d", s->width, s->height);
  if (s->pix_fmt[0])
    printf("  %s", s->pix_fmt);
  if (s->rotation)
    printf("  rotated %d", s->rotation);
  if (s->interlaced > 0)
    printf("  interlaced");
  if (s->attached_pic > 0)
    printf("  cover art");
  else if (s->fps > 0)
    printf("  %.4g fps", s->fps);
  if (s->frames > 0)
    printf("  %" PRId64 " frame%s", s->frames, s->frames == 1 ? "" : "s");
}

static void print_stream(const wapf_stream *s) {
  printf("  #%d %-5s %s", s->index, type_name(s->type),
         s->codec[0] ? s->codec : "unknown codec");
  if (s->profile[0])
    printf(" (%s)", s->profile);
  if (s->type == WAPF_STREAM_VIDEO)
    print_video(s);
  if (s->type == WAPF_STREAM_AUDIO) {
    if (s->sample_rate > 0)
      printf("  %d Hz", s->sample_rate);
    if (s->channels > 0)
      printf("  %d ch", s->channels);
  }
  if (s->language[0] && strcmp(s->language, "und") != 0)
    printf("  %s", s->language);
  if (s->is_default > 0)
    printf("  default");
  if (!s->decoder_available)
    printf("  NO DECODER");
  printf("\n");
}

static void print_picture(const wapf_image_facts *im) {
  printf("  picture %dx%d, %d band%s, %d-bit, %s", im->width, im->height,
         im->bands, im->bands == 1 ? "" : "s", im->bit_depth,
         im->interpretation[0] ? im->interpretation : "?");
  if (im->has_alpha)
    printf(", alpha%s", im->alpha_used == 0 ? " (all opaque)" : "");
  if (im->palette)
    printf(", palette");
  if (im->has_icc)
    printf(", ICC profile");
  if (im->orientation)
    printf(", orientation %d", im->orientation);
  if (im->has_gps)
    printf(", GPS position");
  if (im->frames > 1)
    printf(", %d frames, %.2f s", im->frames, im->duration);
  else
    printf(", 1 frame");
  printf("\n");
}

static void print_facts(const wapf_facts *f) {
  print_head(f);
  for (size_t i = 0; f->streams && i < f->n_streams; i++)
    print_stream(&f->streams[i]);
  if (f->media == WAPF_MEDIA_IMAGE)
    print_picture(&f->image);
  if (f->damaged)
    printf("  damaged: %s\n",
           f->damage[0] ? cli_text(f->damage) : "(no detail)");
}

int cmd_probe(const cli_args *a) {
  wapf_context *ctx = cli_open(a);
  if (!ctx)
    return EXIT_USAGE;
  json_t *arr = a->json ? json_array() : NULL;
  int failed = 0;
  for (int i = 0; i < a->n_files && !cli_interrupted(); i++) {
    const char *path = a->files[i];
    wapf_facts *f = NULL;
    int rc = wapf_probe(ctx, path, &f);
    if (rc != WAPF_OK) {
      cli_fail(ctx, path, rc);
      failed = 1;
      if (arr)
        json_array_append_new(arr,
                              jo_facts_error(path, rc, wapf_last_error(ctx)));
      continue;
    }
    if (arr)
      json_array_append_new(arr, jo_facts(f));
    else
      print_facts(f);
    wapf_facts_free(&f);
  }
  cli_close(&ctx);
  if (arr && jo_print(arr) != 0) {
    cli_error(NULL, "cannot write the JSON output");
    return EXIT_VERDICT;
  }
  if (!arr)
    fflush(stdout);
  if (cli_interrupted())
    return 128 + cli_interrupted();
  return failed ? EXIT_VERDICT : EXIT_OK;
}
