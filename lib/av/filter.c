/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filter stage: libavfilter graphs for video (deinterlace, rotation,
 * scale to square pixels, frame-rate cap, pixel format) and audio (trim,
 * resample, downmix, sample format, fixed frame size). */
#include "av.h"

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/pixdesc.h>

static int graph_fail(wapf_context *ctx, int rc, const char *what) {
  return wapf__from_averror(ctx, rc, what);
}

/* Parse `chain` between the graph's source and sink, then configure. */
static int link_chain(wapf_context *ctx, wapf_av_graph *gr, const char *chain) {
  AVFilterInOut *outs = avfilter_inout_alloc();
  AVFilterInOut *ins = avfilter_inout_alloc();
  int rc = AVERROR(ENOMEM);
  if (outs && ins) {
    outs->name = av_strdup("in");
    outs->filter_ctx = gr->src;
    ins->name = av_strdup("out");
    ins->filter_ctx = gr->sink;
    rc = avfilter_graph_parse_ptr(gr->g, chain, &ins, &outs, NULL);
  }
  if (rc >= 0)
    rc = avfilter_graph_config(gr->g, NULL);
  avfilter_inout_free(&ins);
  avfilter_inout_free(&outs);
  if (rc < 0) {
    wapf__log(ctx, WAPF_LOG_DEBUG, "filter graph: %s", chain);
    return graph_fail(ctx, rc, "cannot build the filter graph");
  }
  return WAPF_OK;
}

static int make_ends(wapf_context *ctx, wapf_av_graph *gr, const char *src,
                     const char *args, const char *sink) {
  gr->g = avfilter_graph_alloc();
  if (!gr->g)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory for a filter graph");
  gr->g->nb_threads = 1;
  int rc = avfilter_graph_create_filter(&gr->src, avfilter_get_by_name(src),
                                        "in", args, NULL, gr->g);
  if (rc >= 0)
    rc = avfilter_graph_create_filter(&gr->sink, avfilter_get_by_name(sink),
                                      "out", NULL, NULL, gr->g);
  return rc < 0 ? graph_fail(ctx, rc, "filter graph ends") : WAPF_OK;
}

/* HDR (PQ or HLG transfer) to SDR BT.709 before the 8-bit encode: linear
 * light, BT.709 primaries, Hable tone mapping, back to BT.709 video range.
 * Needs zscale (libzimg), which Debian's FFmpeg has; without it the frames
 * pass unmapped (flat colours, still a compliant file). */
static const char *tonemap_chain(const AVFrame *in, enum AVPixelFormat out) {
  int hdr = in->color_trc == AVCOL_TRC_SMPTE2084 ||
            in->color_trc == AVCOL_TRC_ARIB_STD_B67;
  if (!hdr || out != AV_PIX_FMT_YUV420P || !avfilter_get_by_name("zscale") ||
      !avfilter_get_by_name("tonemap"))
    return "";
  return "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
         "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,";
}

/* The matrix a YUV frame was coded with. An untagged one is read the way
 * players read it: BT.709 from HD up, BT.601 below. */
static enum AVColorSpace source_matrix(const AVFrame *in) {
  if (in->colorspace != AVCOL_SPC_UNSPECIFIED &&
      in->colorspace != AVCOL_SPC_RESERVED)
    return in->colorspace;
  return in->width >= 1280 || in->height >= 720 ? AVCOL_SPC_BT709
                                                : AVCOL_SPC_SMPTE170M;
}

typedef struct matrix_names {
  enum AVColorSpace space;
  const char *scale; /* vf_scale's in/out_color_matrix */
  const char *iall;  /* vf_colorspace's iall, NULL: swscale converts */
} matrix_names;

static const matrix_names k_matrices[] = {
    {AVCOL_SPC_BT709, "bt709", NULL},
    {AVCOL_SPC_BT470BG, "bt470", "bt601-6-625"},
    {AVCOL_SPC_SMPTE170M, "smpte170m", "bt601-6-525"},
    {AVCOL_SPC_SMPTE240M, "smpte240m", "smpte240m"},
    {AVCOL_SPC_FCC, "fcc", "bt470m"},
    {AVCOL_SPC_BT2020_NCL, "bt2020", "bt2020"},
};

/* Scaling and the matrix change to BT.709 for a YUV source. swscale keeps
 * the source's matrix (its fast path: a change of matrix in swscale costs
 * up to four times the decoding of 1080p H.264), then vf_colorspace
 * changes only the matrix (fast=1: primaries and transfer kept, as
 * swscale does) at the output size. A matrix neither knows, or an RGB or
 * grey source: swscale converts, as before. */
static void scale_step(char *buf, size_t n, const AVFrame *in,
                       const wapf_vfilter_opts *o, int tonemapped) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(in->format);
  int yuv_in = d && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) &&
               d->nb_components >= 3;
  enum AVColorSpace m = tonemapped ? AVCOL_SPC_BT709 : source_matrix(in);
  const matrix_names *mn = NULL;
  for (size_t i = 0; yuv_in && i < sizeof k_matrices / sizeof k_matrices[0];
       i++)
    if (k_matrices[i].space == m)
      mn = &k_matrices[i];
  if (o->pix_fmt != AV_PIX_FMT_YUV420P)
    snprintf(buf, n, "scale=%d:%d:flags=bicubic", o->width, o->height);
  else if (!mn)
    snprintf(buf, n,
             "scale=%d:%d:flags=bicubic:out_range=tv:out_color_matrix=bt709",
             o->width, o->height);
  else if (!mn->iall)
    snprintf(buf, n,
             "scale=%d:%d:flags=bicubic:out_range=tv:in_color_matrix=bt709:"
             "out_color_matrix=bt709",
             o->width, o->height);
  else
    snprintf(buf, n,
             "scale=%d:%d:flags=bicubic:out_range=tv:in_color_matrix=%s:"
             "out_color_matrix=%s,format=yuv420p,colorspace=all=bt709:"
             "iall=%s:range=tv:fast=1",
             o->width, o->height, mn->scale, mn->scale, mn->iall);
}

static void video_chain(char *buf, size_t n, const AVFrame *in,
                        const wapf_vfilter_opts *o, const char *tonemap) {
  char trim[64] = "trim=start=0,", fps[48] = "", scale[320];
  if (o->trim > 0)
    snprintf(trim, sizeof trim, "trim=start=0:end=%.6f,", o->trim);
  if (o->fps.num > 0)
    snprintf(fps, sizeof fps, "fps=%d/%d,", o->fps.num, o->fps.den);
  scale_step(scale, sizeof scale, in, o, *tonemap != '\0');
  snprintf(buf, n, "%s%s%s%s%s%s,setsar=1,%sformat=%s", trim, tonemap,
           o->deinterlace ? "bwdif=mode=send_frame:deint=interlaced," : "",
           o->orient && *o->orient ? o->orient : "",
           o->orient && *o->orient ? "," : "", scale, fps,
           av_get_pix_fmt_name(o->pix_fmt));
}

int wapf__vgraph_open(wapf_context *ctx, wapf_av_graph *gr, const AVFrame *in,
                      AVRational tb, AVRational sar,
                      const wapf_vfilter_opts *o) {
  char args[256], chain[1024];
  memset(gr, 0, sizeof *gr);
  if (in->sample_aspect_ratio.num > 0)
    sar = in->sample_aspect_ratio;
  if (sar.num <= 0 || sar.den <= 0)
    sar = (AVRational){1, 1};
  snprintf(args, sizeof args,
           "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
           in->width, in->height, in->format, tb.num, tb.den, sar.num, sar.den);
  int rc = make_ends(ctx, gr, "buffer", args, "buffersink");
  if (rc != WAPF_OK)
    return rc;
  video_chain(chain, sizeof chain, in, o, tonemap_chain(in, o->pix_fmt));
  gr->w = in->width;
  gr->h = in->height;
  gr->fmt = in->format;
  gr->space = (int)in->colorspace;
  gr->tb = tb;
  return link_chain(ctx, gr, chain);
}

int wapf__agraph_open(wapf_context *ctx, wapf_av_graph *gr, const AVFrame *in,
                      AVRational tb, const wapf_afilter_opts *o) {
  char layout[64] = "", args[256], chain[384], trim[64] = "atrim=start=0";
  AVChannelLayout cl;
  memset(gr, 0, sizeof *gr);
  if (in->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC ||
      av_channel_layout_copy(&cl, &in->ch_layout) < 0)
    av_channel_layout_default(&cl, in->ch_layout.nb_channels);
  av_channel_layout_describe(&cl, layout, sizeof layout);
  av_channel_layout_uninit(&cl);
  snprintf(args, sizeof args,
           "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
           tb.num, tb.den, in->sample_rate,
           av_get_sample_fmt_name((enum AVSampleFormat)in->format), layout);
  int rc = make_ends(ctx, gr, "abuffer", args, "abuffersink");
  if (rc != WAPF_OK)
    return rc;
  if (o->trim > 0)
    snprintf(trim, sizeof trim, "atrim=start=0:end=%.6f", o->trim);
  snprintf(chain, sizeof chain,
           "%s,aresample=%d:async=1:first_pts=0,aformat=sample_fmts=%s:"
           "sample_rates=%d:channel_layouts=%s",
           trim, o->rate, av_get_sample_fmt_name(o->fmt), o->rate,
           o->channels == 1 ? "mono" : "stereo");
  gr->rate = in->sample_rate;
  gr->channels = in->ch_layout.nb_channels;
  gr->fmt = in->format;
  gr->tb = tb;
  rc = link_chain(ctx, gr, chain);
  if (rc == WAPF_OK && o->frame_size > 0)
    av_buffersink_set_frame_size(gr->sink, (unsigned)o->frame_size);
  return rc;
}

int wapf__graph_changed(const wapf_av_graph *gr, const AVFrame *f) {
  if (!gr->g)
    return 1;
  if (f->sample_rate > 0)
    return f->sample_rate != gr->rate ||
           f->ch_layout.nb_channels != gr->channels || f->format != gr->fmt;
  return f->width != gr->w || f->height != gr->h || f->format != gr->fmt ||
         (int)f->colorspace != gr->space;
}

int wapf__graph_run(wapf_context *ctx, wapf_av_graph *gr, AVFrame *in,
                    wapf_av_frame_cb cb, void *cookie) {
  int rc = av_buffersrc_add_frame_flags(gr->src, in, AV_BUFFERSRC_FLAG_PUSH);
  if (rc < 0 && rc != AVERROR_EOF)
    return graph_fail(ctx, rc, "filtering");
  AVFrame *out = av_frame_alloc();
  if (!out)
    return wapf__fail(ctx, WAPF_ENOMEM, "out of memory filtering");
  for (;;) {
    rc = av_buffersink_get_frame(gr->sink, out);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
      rc = WAPF_OK;
      break;
    }
    if (rc < 0) {
      rc = graph_fail(ctx, rc, "filtering");
      break;
    }
    rc = cb(cookie, out);
    av_frame_unref(out);
    if (rc != 0)
      break;
  }
  av_frame_free(&out);
  return rc;
}

void wapf__graph_close(wapf_av_graph *gr) {
  avfilter_graph_free(&gr->g);
  gr->src = gr->sink = NULL;
}
