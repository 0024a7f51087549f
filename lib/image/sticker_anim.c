/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Animated sticker: a looping 512x512 animated WebP of at most 500,000
 * bytes and 10 s, every frame at least 8 ms, made with WebPAnimEncoder.
 *
 * The frames are decoded once (frames.c, at most 15 per second). The size
 * search then walks the levers in order: quality (binary search, on a
 * prediction from a sample of frames, then verified by a full encode),
 * frame rate (15, 10, 8, 6 fps), frame count (the clip shortened), and as
 * the last resort a smaller picture inside the canvas. The first frame is
 * always a key frame covering the whole canvas. */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#define Q_TOP 80
#define Q_FLOOR 20
#define PREDICT_FRAMES 12
/* The work bound of one conversion: 512x512 frames encoded over every
 * attempt (predictions, full encodes, every lever), at most 40 encodes of
 * the longest animation the output may hold (15 fps for 10 s). A clip
 * needs tens to about a hundred (10 s of noise: 103); the whole ladder
 * without its shortcuts would take tens of thousands (minutes of CPU).
 * Past the bound the search stops and says so. */
#define ANIM_ENCODE_MAX (40 * 15 * WAPF_ANIM_MAX_MS / 1000)

static const double fps_ladder[] = {15, 10, 8, 6};
static const int64_t len_ladder[] = {
    WAPF_ANIM_MAX_MS, 7000, 5000, 3000, 2000, 1000};
static const double scale_ladder[] = {1.0, 0.7, 0.5, 0.3};

typedef struct anim_job {
  wapf_context *ctx;
  const wapf_options *opt;
  const wapf_frames *fr;
  const uint8_t *exif;
  size_t exif_n;
  int *idx; /* selected frame indices */
  int n;
  int64_t end;  /* end time of the selection */
  long encoded; /* frames encoded so far, against ANIM_ENCODE_MAX */
} anim_job;

static int over_work(anim_job *j) {
  return wapf__fail(j->ctx, WAPF_ELIMIT,
                    "no animated WebP of at most %d bytes was found within "
                    "%d frame encodes (the conversion's work bound)",
                    WAPF_ANIM_STICKER_LIMIT, ANIM_ENCODE_MAX);
}

/* Select frames at most fps per second, ending by max_ms. */
static void select_frames(anim_job *j, double fps, int64_t max_ms) {
  const wapf_frames *fr = j->fr;
  int64_t gap = (int64_t)(1000.0 / fps), last = 0;
  j->n = 0;
  for (int i = 0; i < fr->n; i++) {
    int64_t t = fr->v[i].t_ms;
    if (t > max_ms - WAPF_ANIM_MIN_FRAME_MS)
      break; /* the last frame lasts at least 8 ms, ending by max_ms */
    if (j->n == 0 || t - last >= gap) {
      j->idx[j->n++] = i;
      last = t;
    }
  }
  j->end = fr->end_ms < max_ms ? fr->end_ms : max_ms;
}

static int add_frame(anim_job *j, WebPAnimEncoder *enc, const WebPConfig *c,
                     const uint8_t *rgba, int64_t ts) {
  WebPPicture pic;
  int side = j->fr->side;
  if (++j->encoded > ANIM_ENCODE_MAX)
    return over_work(j);
  if (!WebPPictureInit(&pic))
    return wapf__fail(j->ctx, WAPF_EINTERNAL, "libwebp version mismatch");
  pic.use_argb = 1;
  pic.width = pic.height = side;
  if (!WebPPictureImportRGBA(&pic, rgba, side * 4))
    return wapf__fail(j->ctx, WAPF_ENOMEM, "out of memory");
  int ok = WebPAnimEncoderAdd(enc, &pic, (int)ts, c);
  int err = pic.error_code;
  WebPPictureFree(&pic);
  if (!ok)
    return err != VP8_ENC_OK
               ? wapf__from_webp_enc(j->ctx, err, "WebP animation")
               : wapf__fail(j->ctx, WAPF_EINTERNAL, "WebP animation: %s",
                            WebPAnimEncoderGetError(enc));
  return wapf__progress(j->ctx, j->opt, -1);
}

static int setup(anim_job *j, int q, WebPAnimEncoder **enc, WebPConfig *c) {
  WebPAnimEncoderOptions eo;
  if (!WebPAnimEncoderOptionsInit(&eo) || !WebPConfigInit(c))
    return wapf__fail(j->ctx, WAPF_EINTERNAL, "libwebp version mismatch");
  eo.anim_params.loop_count = 0; /* forever */
  eo.anim_params.bgcolor = 0x00000000;
  eo.allow_mixed = 0;
  eo.minimize_size = 0;
  c->quality = (float)q;
  c->method = 4;
  c->alpha_quality = q < Q_FLOOR ? 50 : 90;
  c->thread_level = 1;
  if (!WebPValidateConfig(c))
    return wapf__fail(j->ctx, WAPF_EINTERNAL, "invalid WebP configuration");
  *enc = WebPAnimEncoderNew(j->fr->side, j->fr->side, &eo);
  if (!*enc)
    return wapf__fail(j->ctx, WAPF_ENOMEM, "out of memory");
  return WAPF_OK;
}

/* Frame 1 again, as a full-canvas key frame (WebPAnimEncoder crops it
 * to its non-transparent part): the first frame, which apps show as the
 * still preview, then covers the whole sticker. */
static int full_first(anim_job *j, const WebPConfig *c, WebPMuxFrameInfo *fi) {
  WebPPicture pic;
  WebPMemoryWriter w;
  int side = j->fr->side;
  if (!WebPPictureInit(&pic))
    return wapf__fail(j->ctx, WAPF_EINTERNAL, "libwebp version mismatch");
  pic.use_argb = 1;
  pic.width = pic.height = side;
  if (!WebPPictureImportRGBA(&pic, j->fr->v[j->idx[0]].rgba, side * 4))
    return wapf__fail(j->ctx, WAPF_ENOMEM, "out of memory");
  WebPMemoryWriterInit(&w);
  pic.writer = WebPMemoryWrite;
  pic.custom_ptr = &w;
  int ok = WebPEncode(c, &pic);
  int err = pic.error_code;
  WebPPictureFree(&pic);
  if (!ok) {
    WebPMemoryWriterClear(&w);
    return wapf__from_webp_enc(j->ctx, err, "WebP encode");
  }
  WebPDataClear(&fi->bitstream);
  fi->bitstream.bytes = w.mem;
  fi->bitstream.size = w.size;
  fi->x_offset = fi->y_offset = 0;
  return WAPF_OK;
}

/* Copy the frames of raw into mux, the first one made full-canvas. When
 * every frame was the same, WebPAnimEncoder made a still picture (and the
 * muxer turns a lone frame into one too): it is shown twice, for half of
 * the time each, so that the sticker stays an animated WebP. */
static int copy_frames(anim_job *j, const WebPConfig *c, WebPMux *src,
                       WebPMux *dst) {
  int n = 0, err = WebPMuxNumChunks(src, WEBP_CHUNK_ANMF, &n), rc = WAPF_OK;
  int still = err == WEBP_MUX_OK && n == 0;
  int64_t half =
      j->end / 2 > WAPF_ANIM_MIN_FRAME_MS ? j->end / 2 : WAPF_ANIM_MIN_FRAME_MS;
  for (int i = 1; rc == WAPF_OK && err == WEBP_MUX_OK && i <= (still ? 2 : n);
       i++) {
    WebPMuxFrameInfo fi;
    memset(&fi, 0, sizeof fi);
    err = WebPMuxGetFrame(src, still ? 1 : (uint32_t)i, &fi);
    if (err != WEBP_MUX_OK)
      break;
    if (still) {
      fi.id = WEBP_CHUNK_ANMF;
      fi.duration = (int)half;
      fi.dispose_method = WEBP_MUX_DISPOSE_NONE;
      fi.blend_method = WEBP_MUX_NO_BLEND;
    }
    if (i == 1)
      rc = full_first(j, c, &fi);
    if (rc == WAPF_OK)
      err = WebPMuxPushFrame(dst, &fi, 1);
    WebPDataClear(&fi.bitstream);
  }
  return rc != WAPF_OK ? rc : wapf__from_mux(j->ctx, err, "WebP animation");
}

/* The final file: frames, first one full, loop forever, pack EXIF. */
static int finalize(anim_job *j, const WebPConfig *c, const WebPData *raw,
                    WebPData *out) {
  WebPMux *src = WebPMuxCreate(raw, 0), *dst = WebPMuxNew();
  WebPMuxAnimParams ap;
  int rc = WAPF_OK, err = WEBP_MUX_MEMORY_ERROR;
  if (src && dst)
    err = WebPMuxGetAnimationParams(src, &ap);
  if (err == WEBP_MUX_NOT_FOUND) { /* a still picture: see copy_frames */
    ap.bgcolor = 0;
    ap.loop_count = 0;
    err = WEBP_MUX_OK;
  }
  if (err == WEBP_MUX_OK)
    err = WebPMuxSetCanvasSize(dst, j->fr->side, j->fr->side);
  if (err == WEBP_MUX_OK)
    err = WebPMuxSetAnimationParams(dst, &ap);
  if (err == WEBP_MUX_OK)
    rc = copy_frames(j, c, src, dst);
  if (err == WEBP_MUX_OK && rc == WAPF_OK && j->exif) {
    WebPData e = {j->exif, j->exif_n};
    err = WebPMuxSetChunk(dst, "EXIF", &e, 1);
  }
  if (err == WEBP_MUX_OK && rc == WAPF_OK)
    err = WebPMuxAssemble(dst, out);
  WebPMuxDelete(src);
  WebPMuxDelete(dst);
  if (rc == WAPF_OK && err != WEBP_MUX_OK)
    rc = wapf__from_mux(j->ctx, err, "WebP animation");
  if (rc != WAPF_OK)
    WebPDataClear(out);
  return rc;
}

/* Encode every step-th selected frame at quality q (step 1: the real
 * thing; each frame then lasts until the next selected one). */
static int encode(anim_job *j, int q, int step, WebPData *out) {
  WebPAnimEncoder *enc = NULL;
  WebPConfig c;
  WebPData raw;
  WebPDataInit(&raw);
  WebPDataInit(out);
  int rc = setup(j, q, &enc, &c);
  int64_t ts = 0;
  for (int k = 0; rc == WAPF_OK && k < j->n; k += step) {
    const wapf_frame *f = &j->fr->v[j->idx[k]];
    /* a sample keeps the frames' own spacing, back to back */
    ts = step == 1 ? f->t_ms : ts;
    rc = add_frame(j, enc, &c, f->rgba, ts);
    ts += step == 1 ? 0 : 100;
  }
  int64_t end = step == 1 ? j->end : ts;
  if (rc == WAPF_OK && (!WebPAnimEncoderAdd(enc, NULL, (int)end, NULL) ||
                        !WebPAnimEncoderAssemble(enc, &raw)))
    rc = wapf__fail(j->ctx, WAPF_EINTERNAL, "WebP animation: %s",
                    WebPAnimEncoderGetError(enc));
  WebPAnimEncoderDelete(enc);
  if (rc == WAPF_OK && step == 1)
    rc = finalize(j, &c, &raw, out);
  else if (rc == WAPF_OK)
    rc = wapf__webp_add_exif(j->ctx, raw.bytes, raw.size, j->exif, j->exif_n,
                             out);
  WebPDataClear(&raw);
  return rc;
}

/* Predicted size of the whole selection at q, from a sample. */
static int predict(anim_job *j, int q, size_t *out) {
  int step = j->n > PREDICT_FRAMES ? j->n / PREDICT_FRAMES : 1;
  WebPData d;
  double t0 = wapf__now();
  int rc = encode(j, q, step, &d);
  wapf__log(j->ctx, WAPF_LOG_DEBUG, "predict q%d step %d: %zu bytes, %.2f s", q,
            step, d.size, wapf__now() - t0);
  if (rc == WAPF_OK) {
    int used = (j->n + step - 1) / step;
    *out = (size_t)((double)d.size * j->n / used);
  }
  WebPDataClear(&d);
  return rc;
}

/* Best quality in [qmin, Q_TOP] by prediction, then full encodes going
 * down until one fits. *found = 0 when none at or above qmin does; then
 * *at_min is the size predicted at qmin (0 if not predicted). */
static int search(anim_job *j, int qmin, WebPData *best, int *found,
                  size_t *at_min) {
  size_t limit = WAPF_ANIM_STICKER_LIMIT, target = limit - limit / 20, n = 0;
  int rc = predict(j, qmin, at_min);
  if (rc != WAPF_OK || *at_min > limit + limit / 10)
    return rc; /* hopeless at this frame count: no full encode */
  int lo = qmin, hi = Q_TOP + 1; /* lo fits (or is the floor), hi not */
  while (rc == WAPF_OK && hi - lo > 1) {
    int mid = (lo + hi) / 2;
    rc = predict(j, mid, &n);
    if (n <= target)
      lo = mid;
    else
      hi = mid;
  }
  for (int q = lo; rc == WAPF_OK && !*found; q = q - 8 < qmin ? qmin : q - 8) {
    WebPData d;
    rc = encode(j, q, 1, &d);
    wapf__log(j->ctx, WAPF_LOG_DEBUG, "animation: %d frames q%d: %zu bytes",
              j->n, q, d.size);
    if (rc == WAPF_OK && d.size <= limit) {
      *best = d;
      *found = 1;
    } else {
      WebPDataClear(&d);
    }
    if (q == qmin)
      break;
  }
  *at_min = *found ? 0 : *at_min;
  return rc;
}

static void note(anim_job *j, wapf_result *res, double fps) {
  char buf[240] = "";
  size_t o = 0;
  if (j->fr->trimmed || j->end < j->fr->end_ms)
    o += (size_t)snprintf(buf, sizeof buf, "trimmed to %.1f s; ",
                          (double)j->end / 1000);
  o += (size_t)snprintf(buf + o, sizeof buf - o, "%d frames, up to %.0f fps",
                        j->n, fps);
  if (j->fr->scale < 1.0 && o < sizeof buf)
    snprintf(buf + o, sizeof buf - o, "; picture at %.0f%% of the canvas",
             j->fr->scale * 100);
  wapf__strlcpy(res->note, buf, sizeof res->note);
}

/* All levers on one set of frames: fps, then length, quality in each.
 * A level predicted far over the limit at the quality floor tells how
 * many frames can fit: levels with more frames than that are skipped. */
static int levers(anim_job *j, int last_resort, WebPData *best, int *found,
                  wapf_result *res) {
  int rc = WAPF_OK;
  size_t nf = sizeof fps_ladder / sizeof *fps_ladder;
  size_t nl = sizeof len_ladder / sizeof *len_ladder;
  double fit_frames = 1e9;
  for (size_t l = 0; rc == WAPF_OK && !*found && l < nl; l++) {
    if (l > 0 && len_ladder[l] >= j->fr->end_ms)
      continue;
    for (size_t k = 0; rc == WAPF_OK && !*found && k < nf; k++) {
      int last = last_resort && l == nl - 1 && k == nf - 1;
      select_frames(j, fps_ladder[k], len_ladder[l]);
      if (j->n > fit_frames && !last && j->n > 1)
        continue;
      size_t at_min = 0;
      rc = search(j, last ? 0 : Q_FLOOR, best, found, &at_min);
      if (rc == WAPF_OK && *found)
        note(j, res, fps_ladder[k]);
      else if (at_min > 0)
        fit_frames = (double)j->n * WAPF_ANIM_STICKER_LIMIT * 0.95 / at_min;
    }
  }
  return rc;
}

int wapf__sticker_animated(wapf_context *ctx, const wapf_facts *f,
                           const wapf_options *opt, wapf_tmpfile *out,
                           wapf_result *res) {
  anim_job j = {ctx, opt, NULL, NULL, 0, NULL, 0, 0, 0};
  WebPData best;
  WebPDataInit(&best);
  int found = 0;
  int rc = wapf__sticker_exif(ctx, opt, (uint8_t **)&j.exif, &j.exif_n);
  size_t ns = sizeof scale_ladder / sizeof *scale_ladder;
  for (size_t s = 0; rc == WAPF_OK && !found && s < ns; s++) {
    wapf_frames fr;
    double t0 = wapf__now();
    rc = wapf__frames_load(ctx, f, opt, fps_ladder[0], scale_ladder[s], &fr);
    if (rc != WAPF_OK)
      break;
    wapf__log(ctx, WAPF_LOG_DEBUG, "%d frames decoded in %.2f s (%zu MB)", fr.n,
              wapf__now() - t0, fr.bytes >> 20);
    j.fr = &fr;
    j.idx = malloc((size_t)fr.n * sizeof *j.idx);
    if (!j.idx)
      rc = wapf__fail(ctx, WAPF_ENOMEM, "out of memory");
    else
      rc = levers(&j, s == ns - 1, &best, &found, res);
    free(j.idx);
    j.idx = NULL;
    wapf__frames_free(&fr);
  }
  free((void *)j.exif);
  wapf__log(ctx, WAPF_LOG_DEBUG, "animated sticker: %ld frames encoded",
            j.encoded);
  if (rc == WAPF_OK && !found)
    rc = wapf__fail(ctx, WAPF_EUNFIXABLE, "no animated WebP fits %d bytes",
                    WAPF_ANIM_STICKER_LIMIT);
  if (rc == WAPF_OK)
    rc = wapf__img_write_all(ctx, out, best.bytes, best.size);
  WebPDataClear(&best);
  return rc;
}
