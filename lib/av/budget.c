/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Budget: bitrate, resolution, frame rate and H.264 level from the byte
 * limit and the duration.
 *
 * The byte budget is 97% of the limit minus the container's overhead and
 * the audio. When the budget is generous (many bits per pixel at the
 * source size) the video is encoded at constant quality with a VBV cap
 * that keeps it inside; when it binds, at an average bitrate, on the
 * largest resolution that still gets enough bits per pixel per frame
 * (a 2-minute 1080p clip at ~1 Mbit/s goes to 720p). */
#include "av.h"

#include <math.h>

/* share of the limit the encoder aims at. With x264's rate tolerance at
 * its default the second pass landed 0-1.5 % under its aim (0.96 gave
 * 94.8-95.2 % on a scrolling-text clip, under the 95 % promised); with
 * the tighter second pass below --speed best (encode.c) it landed 0.2-2.6 %
 * under it, so 0.98 leaves the limit 2 % (2.3 % of the video's share)
 * and gives 95.5-97.7 % on the six benchmark sources
 * (bench/av/RESULTS.md section 17). The second attempt is there for a
 * clip that still goes over. */
#define FILL WAPF_AV_FILL
#define AUDIO_FILL 0.97 /* audio alone: the encoders' own rate control */
#define BPP_ABR 0.03    /* bits/pixel/frame a resolution needs (ABR) */
/* the same above 1280: 0.032 on the 10 s cuts (bench/av/tune.py) sent the
 * 60 s noisy 1080p source to 720p, and the full-length run showed 1080p
 * better (SSIM 0.8125 against 0.8065, bench/av/RESULTS.md section 5) */
#define BPP_ABR_HD 0.03
#define BPP_CRF 0.12         /* above this the budget does not bind */
#define MIN_VIDEO_BPS 150000 /* below this at 240p nobody can watch it */
#define CRF_QUALITY 23
#define OPUS_MIN_BPS 6000
#define AAC_MIN_BPS 24000
#define VOICE_ICON_BYTES 512000

/* H.264 levels (Annex A, table A-1): max frame size and macroblock rate;
 * Main profile MaxBR and MaxCPB in kbit/s (the output is Main). */
static const struct {
  int idc, max_fs, max_mbps, max_kbr, max_cpb;
} levels[] = {
    {30, 1620, 40500, 10000, 10000},      {31, 3600, 108000, 14000, 14000},
    {32, 5120, 216000, 20000, 20000},     {40, 8192, 245760, 20000, 25000},
    {41, 8192, 245760, 50000, 62500},     {42, 8704, 522240, 50000, 62500},
    {50, 22080, 589824, 135000, 135000},  {51, 36864, 983040, 240000, 240000},
    {52, 36864, 2073600, 240000, 240000},
};
#define N_LEVELS (int)(sizeof levels / sizeof levels[0])

static int level_index(int width, int height, double fps, int64_t maxrate) {
  int64_t fs = (int64_t)((width + 15) / 16) * ((height + 15) / 16);
  double mbps = (double)fs * (fps > 0 ? fps : 30);
  for (int i = 0; i < N_LEVELS; i++)
    if (fs <= levels[i].max_fs && mbps <= levels[i].max_mbps &&
        maxrate <= (int64_t)levels[i].max_kbr * 1000)
      return i;
  return N_LEVELS - 1;
}

int wapf__h264_level(int width, int height, double fps, int64_t maxrate) {
  return levels[level_index(width, height, fps, maxrate)].idc;
}

/* Bytes the MP4 boxes take beyond the media (sample tables, headers). */
static double mp4_overhead(double seconds, double fps, int has_audio) {
  double vframes = seconds * (fps > 0 ? fps : 30);
  double aframes = has_audio ? seconds * 48000.0 / 1024 : 0;
  return 16384 + vframes * 14 + aframes * 8;
}

static int even(double x) {
  int v = 2 * (int)lround(x / 2);
  return v < 2 ? 2 : v;
}

void wapf__fit_long_side(const wapf_vsource *s, int long_side, int *w, int *h) {
  int src_long = s->width > s->height ? s->width : s->height;
  double k = src_long > long_side ? (double)long_side / src_long : 1.0;
  *w = even(s->width * k);
  *h = even(s->height * k);
}

static double bpp(int64_t bps, int w, int h, double fps) {
  return (double)bps / ((double)w * h * (fps > 0 ? fps : 30));
}

static int64_t audio_rate(const wapf_vsource *s, double total_bps) {
  if (!s->has_audio)
    return 0;
  if (s->audio_copy_bps > 0)
    return s->audio_copy_bps;
  int64_t full = s->audio_channels == 1 ? 64000 : 128000;
  int64_t low = s->audio_channels == 1 ? 32000 : 48000;
  double share = total_bps * 0.12;
  return share >= (double)full  ? full
         : share <= (double)low ? low
                                : (int64_t)share;
}

static int refuse(wapf_context *ctx, const wapf_vsource *s, int64_t ab) {
  /* longest D with (limit*FILL - overhead(D)) * 8 / D >= MIN + ab */
  double per_sec = mp4_overhead(1, 30, s->has_audio) - 16384;
  double fit = ((double)s->limit * FILL - 16384) * 8 /
               ((double)(MIN_VIDEO_BPS + ab) + per_sec * 8);
  return wapf__fail(ctx, WAPF_EUNFIXABLE,
                    "a %.0f-second video cannot fit in %lld bytes at a "
                    "watchable quality; trim it with --start/--duration to "
                    "at most about %.0f seconds",
                    s->seconds, (long long)s->limit, fit > 0 ? fit : 0);
}

/* Pick the resolution for an average bitrate that binds: the largest of
 * the allowed size and the usual steps below it with enough bits. */
static void pick_size(const wapf_vsource *s, int64_t vb, double fps,
                      wapf_vplan *p) {
  static const int ladder[] = {3840, 2560, 1920, 1280, 960, 854, 640, 426};
  wapf__fit_long_side(s, s->max_long_side, &p->width, &p->height);
  int top = p->width > p->height ? p->width : p->height;
  for (size_t i = 0; i < sizeof ladder / sizeof ladder[0]; i++) {
    int hd = (p->width > p->height ? p->width : p->height) > 1280;
    if (bpp(vb, p->width, p->height, fps) >= (hd ? BPP_ABR_HD : BPP_ABR))
      return;
    if (ladder[i] < top)
      wapf__fit_long_side(s, ladder[i], &p->width, &p->height);
  }
}

/* VBV: peaks up to cap, a buffer of buffer_caps times it (within the
 * level). */
static void set_vbv_buffer(wapf_vplan *p, double fps, int64_t cap,
                           int buffer_caps) {
  int li = level_index(p->width, p->height, fps, 0);
  int64_t lmax = (int64_t)levels[li].max_kbr * 1000;
  p->maxrate = cap < lmax ? cap : lmax;
  p->bufsize = buffer_caps * p->maxrate;
  if (p->bufsize > (int64_t)levels[li].max_cpb * 1000)
    p->bufsize = (int64_t)levels[li].max_cpb * 1000;
  p->level = wapf__h264_level(p->width, p->height, fps, p->maxrate);
}

static void set_vbv(wapf_vplan *p, double fps, int64_t cap) {
  set_vbv_buffer(p, fps, cap, 2);
}

/* The VBV cap of an average-bitrate encode, in halves of the average:
 * peaks up to 1.5 times it (within the level). Three times let two passes
 * spend more of the budget on a clip of real phone recordings (101 % of
 * the bitrate against 94 %, SSIM +0.0029 at 720p) but made x264's second
 * pass overshoot a 2-minute screen recording by 8 % (11 % with the
 * cheaper first pass), over the limit twice. */
#define ABR_PEAK_HALVES 3

void wapf__budget_resize(const wapf_vsource *s, int w, int h, wapf_vplan *p) {
  double fps = p->fps.num > 0 ? av_q2d(p->fps) : s->fps;
  p->width = w;
  p->height = h;
  if (p->mode == WAPF_RC_ABR)
    set_vbv(p, fps, p->vbitrate * ABR_PEAK_HALVES / 2);
}

/* A last pass run again keeps the cap (in its own average) and gets a
 * buffer of four times it: on the screen recording benchmark source at
 * --speed best, with the buffer at twice the cap the runs again dipped
 * to SSIM 0.9989 for seconds (x264's VBV emergency), and with the cap
 * bounded by the level only they overshot the limit (bench/av/RESULTS.md
 * section 21). A result over the limit is not kept, so the buffer's
 * looser hold costs at most that run. */
void wapf__budget_refill_vbv(wapf_vplan *p, double fps) {
  set_vbv_buffer(p, fps, p->vbitrate * ABR_PEAK_HALVES / 2, 4);
}

int wapf__budget_video(wapf_context *ctx, const wapf_vsource *s, double scale,
                       wapf_vplan *p) {
  memset(p, 0, sizeof *p);
  double secs = s->seconds > 0.1 ? s->seconds : 0.1;
  double fps = s->fps > 60.5 ? 60 : s->fps;
  if (s->fps > 60.5)
    p->fps = (AVRational){60, 1};
  double total =
      ((double)s->limit * FILL - mp4_overhead(secs, fps, s->has_audio)) * 8 /
      secs;
  p->abitrate = audio_rate(s, total);
  int64_t vb = (int64_t)((total - (double)p->abitrate) * scale);
  if (vb < MIN_VIDEO_BPS)
    return refuse(ctx, s, p->abitrate);
  wapf__fit_long_side(s, s->max_long_side, &p->width, &p->height);
  if (bpp(vb, p->width, p->height, fps) >= BPP_CRF) {
    p->mode = WAPF_RC_CRF;
    p->crf = CRF_QUALITY;
    /* whatever the VBV lets through still fits: rate*(secs+2) <= vb*secs */
    set_vbv(p, fps, (int64_t)((double)vb * secs / (secs + 2)));
    return WAPF_OK;
  }
  p->mode = WAPF_RC_ABR;
  if (fps > 30.5) {
    fps = 30;
    p->fps = (AVRational){30, 1};
  }
  pick_size(s, vb, fps, p);
  p->vbitrate = vb;
  set_vbv(p, fps, vb * ABR_PEAK_HALVES / 2);
  return WAPF_OK;
}

/* Bitrate that makes `bytes` over seconds, after the Ogg/MP4 overhead. */
static int64_t rate_for(double bytes, double seconds, int ogg) {
  double overhead = 4096 + seconds * (ogg ? 120 : 8 * 48000.0 / 1024);
  double r = (bytes - overhead) * 8 / seconds;
  return r > 0 ? (int64_t)r : 0;
}

static int64_t min64(int64_t a, int64_t b) {
  return a < b ? a : b;
}

int wapf__budget_audio(wapf_context *ctx, double seconds, int voice,
                       int stereo_aac, int channels, double scale,
                       int64_t *bitrate, char *note, size_t note_size) {
  const int64_t limit = wapf_kind_limit(WAPF_KIND_AUDIO, 0) > 0
                            ? wapf_kind_limit(WAPF_KIND_AUDIO, 0)
                            : 16000000;
  double secs = seconds > 0.1 ? seconds : 0.1;
  int64_t floor_bps = stereo_aac ? AAC_MIN_BPS : OPUS_MIN_BPS;
  int64_t want = stereo_aac ? (channels == 1 ? 96000 : 160000)
                 : voice    ? 32000
                            : 64000;
  int64_t fit = rate_for((double)limit * AUDIO_FILL, secs, !stereo_aac);
  note[0] = '\0';
  if (voice) {
    int64_t icon = rate_for(VOICE_ICON_BYTES * 0.95, secs, 1);
    if (icon >= OPUS_MIN_BPS)
      fit = icon;
    else
      snprintf(note, note_size,
               "too long for the play icon (voice notes up to 512,000 "
               "bytes); sent as a plain voice file");
  }
  *bitrate = (int64_t)((double)min64(want, fit) * scale);
  if (*bitrate < floor_bps)
    return wapf__fail(ctx, WAPF_EUNFIXABLE,
                      "%.0f seconds of audio cannot fit in %lld bytes at a "
                      "usable bitrate; trim it with --start/--duration",
                      seconds, (long long)limit);
  return WAPF_OK;
}
