/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The av module's own declarations: one pipeline, one stage per file.
 *
 *   demux.c   open the input, pick the streams, seek for a trim
 *   decode.c  packets -> frames (tolerating minor damage)
 *   filter.c  libavfilter graphs: deinterlace, rotate, scale, fps, format;
 *             trim, resample, downmix
 *   encode.c  libx264 / aac / libopus encoders
 *   mux.c     MP4 (faststart) / Ogg / M4A output
 *   remux.c   stream copy of a packet (REMUX, AUDIO_ONLY)
 *   budget.c  bitrate, resolution, frame rate and level from the byte budget
 *   pipeline.c the driver that moves packets through the stages
 *   convert.c wapf__av_convert(): plan -> job, one bounded retry
 *   frames.c  wapf__av_decode_frames() for animated stickers
 * Not installed; only lib/av includes it. */
#ifndef WAPF_AV_H
#define WAPF_AV_H

#include "modules.h"

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>

/* ---- demux.c ---- */
typedef struct wapf_av_in {
  wapf_av *src;         /* the input (modules.h), owned */
  AVFormatContext *fmt; /* its demuxer */
  int vidx;             /* chosen video stream, -1 none */
  int aidx;             /* chosen audio stream, -1 none */
  int64_t zero;         /* AV_TIME_BASE units: input time that becomes 0 */
  double span;          /* seconds of output expected (trim applied) */
  int cut_end;          /* 1 when a --duration ends the output at span */
} wapf_av_in;

/* The input of f: the probe's demuxer when it is still open (rewound),
 * else a fresh one (see wapf__input_open). */
int wapf__demux_open(wapf_context *ctx, const wapf_facts *f, wapf_av_in *in);
void wapf__demux_close(wapf_av_in *in);
/* First video stream that is not cover art, or -1. */
int wapf__demux_video(const AVFormatContext *fmt);
/* The audio stream for track (-1: default disposition, else first) into
 * *out (-1 when the file has none). WAPF_EINVAL (detail set) when track
 * is out of range. */
int wapf__demux_audio(wapf_context *ctx, const AVFormatContext *fmt, int track,
                      int *out);
/* Seconds the input lasts (container, else longest stream), -1 unknown. */
double wapf__demux_duration(const AVFormatContext *fmt);
/* Set in->zero and in->span for a trim (start >= 0, duration < 0 = all)
 * and seek there. keyframe: zero is the video keyframe at or before the
 * start (stream copy), else the exact start. */
int wapf__demux_trim(wapf_context *ctx, wapf_av_in *in, double start,
                     double duration, int keyframe);
/* Display rotation of a stream, clockwise degrees 0/90/180/270; *filter
 * gets the libavfilter chain that makes it upright ("" none; static). */
int wapf__demux_rotation(const AVStream *st, const char **filter);
/* Display size of a video stream: square pixels (SAR applied) and
 * upright (rotation applied). *sar receives the stream's SAR. */
void wapf__demux_display(AVFormatContext *fmt, AVStream *st, int rotation,
                         int *w, int *h, AVRational *sar);
/* Read the next packet; AVERROR_EOF at the end. Honours cancellation. */
int wapf__demux_read(wapf_av_in *in, AVPacket *pkt);

/* ---- measure.c ---- */
typedef struct wapf_av_measure {
  double seconds;      /* from the first timestamp to the last packet's end */
  int64_t audio_bytes; /* bytes of stream aidx from start for span */
} wapf_av_measure;

/* Read every packet of f's file once (no decoding). WAPF_ELIMIT when it lasts
 * over settings.max_duration; span <= 0 means to the end. */
int wapf__av_measure(wapf_context *ctx, const wapf_facts *f, int aidx,
                     double start, double span, wapf_av_measure *m);

/* ---- decode.c ---- */
typedef struct wapf_av_dec {
  AVCodecContext *cc;
  AVFrame *frame;
  int64_t frames; /* frames decoded */
  int64_t errors; /* packets the decoder refused */
  int64_t packets;
} wapf_av_dec;

typedef int (*wapf_av_frame_cb)(void *cookie, AVFrame *frame);

int wapf__dec_open(wapf_context *ctx, const AVStream *st, int threads,
                   wapf_av_dec *d);
/* Send pkt (NULL = drain) and pass every frame to cb. Minor decoding
 * errors are counted and skipped; a non-zero cb return is passed up. */
int wapf__dec_send(wapf_context *ctx, wapf_av_dec *d, const AVPacket *pkt,
                   wapf_av_frame_cb cb, void *cookie);
/* WAPF_ECORRUPT when packets were read but nothing decoded. */
int wapf__dec_verdict(wapf_context *ctx, const wapf_av_dec *d,
                      const char *what);
void wapf__dec_close(wapf_av_dec *d);

/* ---- filter.c ---- */
typedef struct wapf_vfilter_opts {
  int width, height;  /* output size (even for H.264), > 0 */
  const char *orient; /* chain from wapf__demux_rotation, "" none */
  int deinterlace;    /* insert bwdif for interlaced frames */
  AVRational fps;     /* cap: {0,1} = keep the source timestamps */
  enum AVPixelFormat pix_fmt;
  double trim; /* seconds kept from pts 0; < 0 = all */
} wapf_vfilter_opts;

typedef struct wapf_afilter_opts {
  int rate;                /* output sample rate */
  int channels;            /* 1 or 2 */
  enum AVSampleFormat fmt; /* encoder's sample format */
  int frame_size;          /* samples per output frame, 0 = any */
  double trim;             /* seconds kept from pts 0; < 0 = all */
} wapf_afilter_opts;

typedef struct wapf_av_graph {
  AVFilterGraph *g;
  AVFilterContext *src, *sink;
  /* what the source was configured with, to notice changes */
  int w, h, fmt, rate, channels;
  int space; /* video: the frames' colour matrix tag */
  AVRational tb;
} wapf_av_graph;

int wapf__vgraph_open(wapf_context *ctx, wapf_av_graph *gr, const AVFrame *in,
                      AVRational tb, AVRational sar,
                      const wapf_vfilter_opts *o);
int wapf__agraph_open(wapf_context *ctx, wapf_av_graph *gr, const AVFrame *in,
                      AVRational tb, const wapf_afilter_opts *o);
/* 1 when frame no longer matches the graph's source parameters. */
int wapf__graph_changed(const wapf_av_graph *gr, const AVFrame *f);
/* Push a frame (NULL = end of stream) and pass every output to cb with
 * its pts in the sink's time base (av_buffersink_get_time_base). */
int wapf__graph_run(wapf_context *ctx, wapf_av_graph *gr, AVFrame *in,
                    wapf_av_frame_cb cb, void *cookie);
void wapf__graph_close(wapf_av_graph *gr);

/* ---- budget.c ---- */
/* Share of the limit an average-bitrate encode aims at (budget.c says
 * why), and the share under which its last pass runs again (twopass.c). */
#define WAPF_AV_FILL 0.98
#define WAPF_AV_FILL_FLOOR 0.95
typedef enum wapf_rc_mode {
  WAPF_RC_CRF = 0, /* constant quality, VBV cap keeps it in budget */
  WAPF_RC_ABR,     /* average bitrate from the byte budget */
} wapf_rc_mode;

typedef struct wapf_vsource {
  int width, height; /* display size: SAR and rotation applied */
  double fps;        /* average frame rate, <= 0 unknown */
  double seconds;    /* output duration */
  int has_audio;
  int audio_channels;     /* output audio channels (1/2) */
  int64_t audio_copy_bps; /* > 0: the audio is copied, at this real rate */
  int max_long_side;
  int64_t limit; /* bytes */
} wapf_vsource;

typedef struct wapf_vplan {
  int width, height; /* even */
  AVRational fps;    /* cap, {0,1} none */
  wapf_rc_mode mode;
  int crf;
  int64_t vbitrate; /* ABR target, bit/s */
  int64_t maxrate;  /* VBV */
  int64_t bufsize;
  int64_t abitrate;  /* AAC bit/s */
  int level;         /* H.264 level_idc: 40 = 4.0 */
  wapf_speed speed;  /* encoder effort (x264 preset and settings) */
  int aq_variance;   /* x264 aq-mode 1 (variance) in place of tune ssim's
                        auto-variance: measured per file (decide.c) */
  int pass;          /* 0 one pass; 1 first of two (writes stats); 2 second */
  const char *stats; /* passes 1 and 2: x264's statistics file */
} wapf_vplan;

/* Choose the encoding for a video. scale < 1 lowers the bitrate (the
 * retry). WAPF_EUNFIXABLE (with a suggestion) when it cannot fit at a
 * watchable quality. */
int wapf__budget_video(wapf_context *ctx, const wapf_vsource *s, double scale,
                       wapf_vplan *p);
/* Opus or AAC bitrate for an audio output of seconds; voice aims at the
 * play-icon size first. *note gets a remark ("" none). */
int wapf__budget_audio(wapf_context *ctx, double seconds, int voice,
                       int stereo_aac, int channels, double scale,
                       int64_t *bitrate, char *note, size_t note_size);
/* w x h of s's display size scaled so that its long side is long_side
 * (never up), even. */
void wapf__fit_long_side(const wapf_vsource *s, int long_side, int *w, int *h);
/* Give p the size w x h, with the VBV and level that size needs. */
void wapf__budget_resize(const wapf_vsource *s, int w, int h, wapf_vplan *p);
/* The VBV of a last pass run again at p->vbitrate (twopass.c): the cap
 * of the first run in its own average, a buffer of four times the cap,
 * within the level p's size needs at fps (frames a second). */
void wapf__budget_refill_vbv(wapf_vplan *p, double fps);
/* Smallest sensible H.264 level for a size, frame rate and bitrate. */
int wapf__h264_level(int width, int height, double fps, int64_t maxrate);

/* ---- decide.c ---- */
/* Pick the size of an average-bitrate encode (job->vp from the budget) by
 * trial encodes of short segments of f at the sizes around the budget's
 * guess; sets job->vp's size (and VBV, level) to the winner and fills
 * res->video and res->video_dropped. At --speed best a second trial at
 * that size measures x264's variance AQ against tune ssim's
 * auto-variance (job->vp.aq_variance, res->video_aq). Trials that fail
 * leave the guess (logged); only WAPF_ECANCELLED is returned. */
struct wapf_av_job;
int wapf__decide_video(wapf_context *ctx, const wapf_facts *f,
                       const wapf_vsource *s, struct wapf_av_job *job,
                       wapf_result *res);

/* ---- encode.c ---- */
/* The x264 preset for p's size and speed at fps (a CPU budget per speed),
 * and its cost relative to veryfast at 1080p30. */
const char *wapf__enc_preset(const wapf_vplan *p, double fps);
double wapf__enc_cost(const wapf_vplan *p, double fps);
/* The same for the first pass of a two-pass encode (twopass.c). */
double wapf__enc_first_pass_cost(const wapf_vplan *p, double fps);
int wapf__enc_video(wapf_context *ctx, const wapf_vplan *p, AVRational tb,
                    AVRational fr, int threads, AVCodecContext **out);
/* codec: "aac" or "libopus"; voice tunes Opus for speech. */
int wapf__enc_audio(wapf_context *ctx, const char *codec, int rate,
                    int channels, int64_t bitrate, int voice,
                    AVCodecContext **out);
typedef int (*wapf_av_packet_cb)(void *cookie, AVPacket *pkt);
/* Send a frame (NULL = drain) and pass every packet to cb. */
int wapf__enc_send(wapf_context *ctx, AVCodecContext *enc, const AVFrame *f,
                   AVPacket *pkt, wapf_av_packet_cb cb, void *cookie);

/* ---- mux.c ---- */
typedef struct wapf_av_mux {
  AVFormatContext *fmt;
  int started;     /* header written */
  unsigned serial; /* Ogg: the first stream's serial number */
} wapf_av_mux;

/* An Ogg serial number derived from the input's content (its size and
 * first 64 KiB), so that one input always gives the same bytes: the Ogg
 * muxer otherwise draws a random serial for every file. */
unsigned wapf__mux_serial(const char *path, int64_t size);

/* format: "mp4", "ipod" (m4a) or "ogg". */
int wapf__mux_open(wapf_context *ctx, wapf_av_mux *m, const char *path,
                   const char *format);
/* A stream fed by an encoder; returns its index or an error. */
int wapf__mux_add_enc(wapf_context *ctx, wapf_av_mux *m,
                      const AVCodecContext *enc);
/* A stream copied from ist (keeps the display matrix); index or error. */
int wapf__mux_add_copy(wapf_context *ctx, wapf_av_mux *m, const AVStream *ist);
int wapf__mux_start(wapf_context *ctx, wapf_av_mux *m,
                    const AVDictionary *meta);
/* Write pkt (timestamps in tb) to stream index; takes the packet's data. */
int wapf__mux_write(wapf_context *ctx, wapf_av_mux *m, AVPacket *pkt,
                    AVRational tb, int index);
int wapf__mux_finish(wapf_context *ctx, wapf_av_mux *m);
void wapf__mux_close(wapf_av_mux *m);

/* ---- remux.c ---- */
/* Shift a copied packet so in->zero becomes 0. Returns 0 to keep it, 1 to
 * drop it (video before its first keyframe, audio before the start),
 * 2 when it lies past the end of a trim. *started tracks the keyframe. */
int wapf__copy_prepare(const wapf_av_in *in, const AVStream *ist, int *started,
                       AVPacket *pkt);
/* 1 when a stream can be copied as it is into a compliant MP4. */
int wapf__copy_video_ok(const AVStream *st, int max_long_side);
int wapf__copy_audio_ok(const AVStream *st);

/* ---- pipeline.c ---- */
typedef enum wapf_av_mode {
  WAPF_AV_SKIP = 0,
  WAPF_AV_COPY,
  WAPF_AV_ENCODE,
} wapf_av_mode;

typedef struct wapf_av_job {
  /* input */
  wapf_av_in in;
  wapf_av_mode vmode, amode;
  /* video encode */
  wapf_vfilter_opts vf;
  wapf_vplan vp;
  /* audio encode */
  const char *acodec; /* "aac" or "libopus" */
  wapf_afilter_opts af;
  int64_t abitrate;
  int64_t acopy_bps; /* a copied audio's real bit/s over the span */
  int voice;
  /* output */
  const char *out_path;
  const char *out_format; /* "mp4", "ipod", "ogg" */
  int keep_metadata;
  unsigned serial; /* Ogg serial (wapf__mux_serial) */
  int threads;
  const wapf_options *opt;      /* progress callback */
  double prog_base, prog_share; /* progress: base + share x fraction done */
  int64_t vbytes; /* video bytes the last run wrote (pipeline.c) */
  /* two passes that leave the budget unspent (twopass.c): with limit > 0
   * and out the temporary file at out_path, a last pass that lands under
   * WAPF_AV_FILL_FLOOR of limit runs again; a result over limit is never
   * kept. refills counts the passes run again, first_bytes is the size
   * before them (0 when none ran). */
  int64_t limit;
  wapf_tmpfile *out;
  int refills;
  int64_t first_bytes;
} wapf_av_job;

/* Make a packed RGBA-type frame opaque on rgb (0xRRGGBB), in place
 * (flatten.c); other formats are left as they are. */
int wapf__flatten_alpha(wapf_context *ctx, AVFrame *f, uint32_t rgb);

/* The video's frame rate as the encoder is given it: the plan's cap, else
 * libavformat's guess for the chosen stream ({0,1} when there is none). */
AVRational wapf__job_frame_rate(const wapf_av_job *job);

/* Run the job from the input's current position to the end (or trim).
 * A job without out_path writes nothing (a first pass: the video's
 * packets are dropped, the audio is not read). */
int wapf__pipeline_run(wapf_context *ctx, wapf_av_job *job);

/* ---- twopass.c ---- */
/* Run an average-bitrate video job in two passes: a fast first pass over
 * a fresh demuxer of f (trimmed by opt's start and the job's span) writes
 * x264's statistics into a private temporary folder, the second encodes
 * job with them. The folder and every file in it are removed on every
 * path (success, error, cancel). A first pass that fails for another
 * reason than a cancel is logged and the job runs in one pass. */
int wapf__twopass_run(wapf_context *ctx, const wapf_facts *f, wapf_av_job *job);

#endif
