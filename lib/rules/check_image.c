/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Images: JPEG or PNG, 8-bit sRGB or grey, no alpha, upright, no GPS,
 * at most 5,000,000 bytes. The accepted values are in table.c
 * (wapf__image). */
#include "rules.h"

#include <stdio.h>
#include <string.h>

static const char *or_unknown(const char *s) {
  return s && s[0] ? s : "unknown";
}

static void check_format(const wapf__check *c) {
  const wapf_image_facts *im = &c->f->image;
  if (wapf__find_form(wapf__image.formats, c->f->format))
    return;
  wapf__add_finding(c->r, "image.format", WAPF_SEV_FAIL,
                    "format is %s%s; WhatsApp shows JPEG and PNG only (others "
                    "fail with error 131053)",
                    or_unknown(c->f->format),
                    im->animated ? " (animated)" : "");
}

static void check_pixels(const wapf__check *c) {
  const wapf_image_facts *im = &c->f->image;
  if (im->bit_depth > 0 && im->bit_depth != wapf__image.bit_depth)
    wapf__add_finding(c->r, "image.bit_depth", WAPF_SEV_FAIL,
                      "image has %d bits per channel; WhatsApp shows 8-bit "
                      "images only",
                      im->bit_depth);
  if (im->interpretation[0] &&
      !wapf__in_list(wapf__image.interpretations, im->interpretation))
    wapf__add_finding(c->r, "image.colorspace", WAPF_SEV_FAIL,
                      "colour space is %s; WhatsApp shows sRGB or greyscale "
                      "only",
                      im->interpretation);
  if (im->has_alpha)
    wapf__add_finding(c->r, "image.alpha", WAPF_SEV_FAIL,
                      "image has an alpha channel%s: WhatsApp renders "
                      "transparency black",
                      im->alpha_used == 0 ? " (every pixel opaque)" : "");
}

static void check_metadata(const wapf__check *c) {
  const wapf_image_facts *im = &c->f->image;
  if (im->orientation > wapf__image.max_orientation)
    wapf__add_finding(c->r, "image.orientation", WAPF_SEV_FAIL,
                      "EXIF orientation is %d: phones other than WhatsApp "
                      "show it %s",
                      im->orientation,
                      im->orientation <= 4 ? "flipped or upside down"
                                           : "sideways");
  if (im->has_gps && !c->opt->keep_metadata)
    wapf__add_finding(c->r, "image.gps", WAPF_SEV_FAIL,
                      "image carries a GPS position in its EXIF data: it "
                      "tells where the photo was taken");
}

/* 1 when some failure already means a re-encode (which converts the
 * pixels to sRGB and drops the profile). */
static int reencoded(const wapf_report *r) {
  for (size_t i = 0; i < r->n_findings; i++)
    if (r->findings[i].severity == WAPF_SEV_FAIL &&
        wapf__rule_fix((size_t)wapf__rule_index(r->findings[i].id)) ==
            WAPF_PLAN_ENCODE_IMAGE)
      return 1;
  return 0;
}

/* A profile other than sRGB (Display P3, Adobe RGB, ...) kept as it is. */
static void check_icc(const wapf__check *c) {
  if (c->f->image.has_icc && !c->f->image.icc_srgb && !reencoded(c->r))
    wapf__add_finding(c->r, "image.icc", WAPF_SEV_WARNING,
                      "image has an embedded ICC colour profile that is "
                      "not sRGB (Display P3, Adobe RGB, ...): colours may "
                      "shift on some phones");
}

/* An animated AVIF/HEIF (image sequence), probed as audio/video. */
static int is_sequence(const wapf_facts *f) {
  return strcmp(f->format, "avifs") == 0 || strcmp(f->format, "heifs") == 0;
}

void wapf__check_image(const wapf__check *c) {
  char why[192];
  const wapf_stream *v = wapf__main_video(c->f);
  if (c->f->media == WAPF_MEDIA_IMAGE) {
    check_format(c);
    check_pixels(c);
    check_metadata(c);
    wapf__check_size(c, "image.size", wapf_kind_limit(WAPF_KIND_IMAGE, 0),
                     "an image");
    check_icc(c);
    return;
  }
  if (c->f->media == WAPF_MEDIA_AV && v && is_sequence(c->f)) {
    /* like an animated GIF: its first frame becomes the image */
    check_format(c);
    return;
  }
  if (c->f->media == WAPF_MEDIA_AV && v)
    snprintf(why, sizeof why, "the file is a video, %s; send it as video",
             or_unknown(v->codec));
  else if (c->f->media == WAPF_MEDIA_AV)
    snprintf(why, sizeof why, "the file is audio, %s; send it as audio",
             or_unknown(c->f->format));
  else
    snprintf(why, sizeof why, "content is %s", or_unknown(c->f->mime));
  wapf__not_kind(c, why);
}
