/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The facts of one libavformat stream: codec, profile, pixel format, bit
 * depth and chroma, rotation, interlacing, rates, disposition. */
#include "probe_av.h"

#include <math.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

static wapf_stream_type stream_type(enum AVMediaType t) {
  switch (t) {
  case AVMEDIA_TYPE_VIDEO: return WAPF_STREAM_VIDEO;
  case AVMEDIA_TYPE_AUDIO: return WAPF_STREAM_AUDIO;
  case AVMEDIA_TYPE_SUBTITLE: return WAPF_STREAM_SUBTITLE;
  case AVMEDIA_TYPE_ATTACHMENT: return WAPF_STREAM_ATTACHMENT;
  default: return WAPF_STREAM_DATA;
  }
}

/* "h264", or the container's four-character code when this FFmpeg does not
 * know the codec (VVC in FFmpeg 5.1 shows as "vvc1"). */
static void codec_name(const AVCodecParameters *par, char *out, size_t n) {
  if (par->codec_id != AV_CODEC_ID_NONE) {
    wapf__strlcpy(out, avcodec_get_name(par->codec_id), n);
    return;
  }
  char tag[AV_FOURCC_MAX_STRING_SIZE] = "";
  if (par->codec_tag)
    av_fourcc_make_string(tag, par->codec_tag);
  wapf__strlcpy(out, tag[0] ? tag : "unknown", n);
}

/* 420, 422, 444, 411, 410 from the subsampling; 400 for grey. */
static int chroma_of(const AVPixFmtDescriptor *d) {
  if (d->flags & AV_PIX_FMT_FLAG_PAL)
    return 444; /* palette entries are full RGB */
  int planes = d->nb_components - ((d->flags & AV_PIX_FMT_FLAG_ALPHA) ? 1 : 0);
  if (planes < 3)
    return 400;
  if (d->flags & AV_PIX_FMT_FLAG_RGB)
    return 444;
  int w = d->log2_chroma_w, h = d->log2_chroma_h;
  if (w == 1 && h == 1)
    return 420;
  if (w == 1 && h == 0)
    return 422;
  if (w == 0 && h == 0)
    return 444;
  if (w == 2 && h == 0)
    return 411;
  if (w == 2 && h == 2)
    return 410;
  return -1;
}

/* Clockwise degrees the viewer sees the picture turned: the display matrix
 * holds the counter-clockwise rotation to apply, FFmpeg's sign. */
static int rotation_of(const AVStream *st) {
  size_t sz = 0;
  const uint8_t *m =
      av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &sz);
  if (!m || sz < 9 * sizeof(int32_t))
    return 0;
  double deg = -av_display_rotation_get((const int32_t *)m);
  if (isnan(deg))
    return 0;
  long q = lround(deg / 90.0);
  return (int)(((q % 4) + 4) % 4) * 90;
}

static void video_facts(const AVStream *st, wapf_stream *s) {
  const AVCodecParameters *par = st->codecpar;
  s->width = par->width > 0 ? par->width : -1;
  s->height = par->height > 0 ? par->height : -1;
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(par->format);
  if (d) {
    wapf__strlcpy(s->pix_fmt, d->name, sizeof s->pix_fmt);
    s->bit_depth = d->comp[0].depth;
    s->chroma = chroma_of(d);
  }
  s->rotation = rotation_of(st);
  s->interlaced =
      par->field_order == AV_FIELD_TT || par->field_order == AV_FIELD_BB ||
      par->field_order == AV_FIELD_TB || par->field_order == AV_FIELD_BT;
  AVRational r =
      st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  if (r.num > 0 && r.den > 0)
    s->fps = av_q2d(r);
  s->attached_pic = (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
  if (st->nb_frames > 0)
    s->frames = st->nb_frames;
  else if (s->attached_pic)
    s->frames = 1;
  else if (s->duration > 0 && s->fps > 0)
    s->frames = llround(s->duration * s->fps);
}

static void common_facts(const AVStream *st, wapf_stream *s) {
  const AVCodecParameters *par = st->codecpar;
  s->index = st->index;
  s->type = stream_type(par->codec_type);
  codec_name(par, s->codec, sizeof s->codec);
  const char *prof = avcodec_profile_name(par->codec_id, par->profile);
  wapf__strlcpy(s->profile, prof ? prof : "", sizeof s->profile);
  s->level = par->level >= 0 ? par->level : -1;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    s->duration = (double)st->duration * av_q2d(st->time_base);
  s->bit_rate = par->bit_rate > 0 ? par->bit_rate : -1;
  s->is_default = (st->disposition & AV_DISPOSITION_DEFAULT) != 0;
  const AVDictionaryEntry *lang =
      av_dict_get(st->metadata, "language", NULL, 0);
  wapf__strlcpy(s->language, lang ? lang->value : "", sizeof s->language);
  s->decoder_available =
      par->codec_id != AV_CODEC_ID_NONE && avcodec_find_decoder(par->codec_id);
}

void wapf__av_stream_facts(const AVStream *st, wapf_stream *s) {
  memset(s, 0, sizeof *s);
  s->level = s->bit_depth = s->chroma = s->width = s->height = -1;
  s->fps = s->duration = -1;
  s->frames = s->bit_rate = -1;
  s->sample_rate = s->channels = -1;
  s->reorder_depth = s->b_frames = -1;
  common_facts(st, s);
  if (s->type == WAPF_STREAM_VIDEO)
    video_facts(st, s);
  if (s->type == WAPF_STREAM_AUDIO) {
    const AVCodecParameters *par = st->codecpar;
    s->sample_rate = par->sample_rate > 0 ? par->sample_rate : -1;
    s->channels =
        par->ch_layout.nb_channels > 0 ? par->ch_layout.nb_channels : -1;
  }
}
