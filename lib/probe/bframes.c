/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* B-frames of the H.264 streams: the SPS reorder depth (libavcodec's
 * has_b_frames, from VUI max_num_reorder_frames) and, where that is zero,
 * the slice types of the first frames read with the H.264 parser. Meta:
 * Android WhatsApp clients do not play H.264 with B-frames. */
#include "probe_av.h"

#include <libavcodec/avcodec.h>

#define SCAN_FRAMES 64    /* video frames looked at per stream */
#define SCAN_PACKETS 2000 /* packets read in all */
#define SCAN_BYTES (32 << 20)

typedef struct scan {
  AVCodecParserContext *parser;
  AVCodecContext *cc; /* holds the extradata (avcC) the parser reads */
  int frames;
  int seen_b;
} scan;

static int wants_scan(const AVStream *st, const wapf_stream *s) {
  return s->type == WAPF_STREAM_VIDEO && !s->attached_pic &&
         st->codecpar->codec_id == AV_CODEC_ID_H264 && s->b_frames < 0;
}

static void open_scan(const AVStream *st, scan *sc) {
  sc->parser = av_parser_init(AV_CODEC_ID_H264);
  sc->cc = avcodec_alloc_context3(NULL);
  if (!sc->parser || !sc->cc ||
      avcodec_parameters_to_context(sc->cc, st->codecpar) < 0) {
    av_parser_close(sc->parser);
    avcodec_free_context(&sc->cc);
    sc->parser = NULL;
    return;
  }
  sc->parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
}

static void parse_packet(scan *sc, const AVPacket *pkt) {
  uint8_t *out = NULL;
  int out_size = 0;
  av_parser_parse2(sc->parser, sc->cc, &out, &out_size, pkt->data, pkt->size,
                   pkt->pts, pkt->dts, pkt->pos);
  if (sc->parser->pict_type == AV_PICTURE_TYPE_B)
    sc->seen_b = 1;
  sc->frames++;
}

/* Read the first packets once and feed each H.264 stream's parser. */
static void read_slices(wapf_av *av, scan *sc, int n) {
  AVPacket *pkt = av_packet_alloc();
  int64_t bytes = 0;
  for (int i = 0; pkt && i < SCAN_PACKETS && bytes < SCAN_BYTES; i++) {
    if (wapf__input_read(av, pkt) < 0)
      break;
    bytes += pkt->size;
    int k = pkt->stream_index;
    if (k >= 0 && k < n && sc[k].parser && sc[k].frames < SCAN_FRAMES &&
        !sc[k].seen_b)
      parse_packet(&sc[k], pkt);
    av_packet_unref(pkt);
    int busy = 0;
    for (int j = 0; j < n; j++)
      busy |= sc[j].parser && sc[j].frames < SCAN_FRAMES && !sc[j].seen_b;
    if (!busy)
      break;
  }
  av_packet_free(&pkt);
}

void wapf__av_bframes(wapf_av *av, wapf_facts *f) {
  AVFormatContext *fc = av->fc;
  size_t n = f->n_streams < fc->nb_streams ? f->n_streams : fc->nb_streams;
  int todo = 0;
  for (size_t i = 0; i < n; i++) {
    wapf_stream *s = &f->streams[i];
    const AVStream *st = fc->streams[i];
    if (s->type != WAPF_STREAM_VIDEO ||
        st->codecpar->codec_id != AV_CODEC_ID_H264)
      continue;
    s->reorder_depth = st->codecpar->video_delay;
    if (s->reorder_depth > 0)
      s->b_frames = 1;
    todo |= wants_scan(st, s);
  }
  if (!todo)
    return;
  scan *sc = av_calloc(n, sizeof *sc);
  if (!sc)
    return;
  for (size_t i = 0; i < n; i++)
    if (wants_scan(fc->streams[i], &f->streams[i]))
      open_scan(fc->streams[i], &sc[i]);
  read_slices(av, sc, n);
  for (size_t i = 0; i < n; i++) {
    if (!sc[i].parser)
      continue;
    if (sc[i].frames > 0)
      f->streams[i].b_frames = sc[i].seen_b;
    av_parser_close(sc[i].parser);
    avcodec_free_context(&sc[i].cc);
  }
  av_free(sc);
}
