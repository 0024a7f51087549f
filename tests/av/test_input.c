/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The input is opened and analysed once: wapf_convert() takes back the
 * demuxer wapf_probe() left open (lib/probe/input.c). For each container,
 * a conversion through the probe's demuxer must give exactly the packets
 * of one through a fresh open (the packets the probe's B-frame scan read
 * are given again, in order: MP4's AAC priming packet, Matroska's audio
 * ahead of the first video cluster). A changed file or other facts are
 * never served the kept demuxer. */
#include "avt.h"

#include <libavformat/avformat.h>
#include <libavutil/md5.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

static int reused; /* "demuxer reused" lines logged */

static void on_log(void *cookie, wapf_log_level level, const char *msg) {
  (void)cookie, (void)level;
  if (strstr(msg, "the probe's demuxer reused"))
    reused++;
}

static wapf_context *open_logged(void) {
  wapf_context *ctx = NULL;
  wapf_settings s;
  wapf_default_settings(&s);
  s.threads = 2;
  s.logger = on_log;
  s.log_level = WAPF_LOG_DEBUG;
  return wapf_open(&ctx, &s) == WAPF_OK ? ctx : NULL;
}

static int convert(wapf_context *ctx, const wapf_facts *f, const char *out) {
  wapf_report *r = NULL;
  wapf_options o;
  wapf_default_options(&o);
  o.overwrite = 1;
  int rc = wapf_check(ctx, f, &o, &r);
  if (rc == WAPF_OK)
    rc = wapf_convert(ctx, f, r, &o, out, NULL);
  wapf_report_free(&r);
  return rc;
}

/* Every packet of path (stream, size, pts, dts, flags, bytes) into one
 * digest, and their count. */
static int packets_digest(const char *path, char hex[33]) {
  AVFormatContext *fc = NULL;
  if (avformat_open_input(&fc, path, NULL, NULL) < 0)
    return -1;
  struct AVMD5 *md5 = av_md5_alloc();
  AVPacket *pkt = av_packet_alloc();
  int n = 0;
  av_md5_init(md5);
  while (av_read_frame(fc, pkt) >= 0) {
    int64_t head[5] = {pkt->stream_index, pkt->size, pkt->pts, pkt->dts,
                       pkt->flags};
    av_md5_update(md5, (const uint8_t *)head, sizeof head);
    av_md5_update(md5, pkt->data, pkt->size);
    av_packet_unref(pkt);
    n++;
  }
  uint8_t d[16];
  av_md5_final(md5, d);
  for (int i = 0; i < 16; i++)
    snprintf(hex + 2 * i, 3, "%02x", d[i]);
  av_free(md5);
  av_packet_free(&pkt);
  avformat_close_input(&fc);
  return n;
}

/* Convert in through the probe's demuxer and through a fresh one (the
 * kept demuxer replaced by another file's probe): same packets. */
static void same_packets(const char *in, const char *ext) {
  wapf_context *ctx = open_logged();
  T_CHECK(ctx);
  char out1[600], out2[600];
  snprintf(out1, sizeof out1, "%s.kept.%s", in, ext);
  snprintf(out2, sizeof out2, "%s.fresh.%s", in, ext);
  wapf_facts *f = NULL, *other = NULL;
  T_EQ_INT(wapf_probe(ctx, in, &f), WAPF_OK);
  reused = 0;
  T_EQ_INT(convert(ctx, f, out1), WAPF_OK);
  T_EQ_INT(reused, 1);
  const char *tone = avt_make("other.wav", "-f lavfi -i sine=d=1");
  T_EQ_INT(wapf_probe(ctx, tone, &other), WAPF_OK);
  reused = 0;
  T_EQ_INT(convert(ctx, f, out2), WAPF_OK); /* f's demuxer is gone */
  T_EQ_INT(reused, 0);
  wapf_facts_free(&f);
  wapf_facts_free(&other);
  wapf_close(&ctx);
  char h1[33], h2[33];
  int n1 = packets_digest(out1, h1), n2 = packets_digest(out2, h2);
  if (n1 != n2 || strcmp(h1, h2) != 0)
    fprintf(stderr, "%s: kept %d packets %s, fresh %d packets %s\n", in, n1, h1,
            n2, h2);
  T_CHECK(n1 > 10);
  T_EQ_INT(n1, n2);
  T_CHECK(strcmp(h1, h2) == 0);
}

#define AV_SRC                                                                 \
  "-f lavfi -i testsrc2=s=320x240:r=25 -f lavfi -i sine=r=44100 -t 3 "

static void input_mp4_priming(void) {
  /* no B-frames: the probe reads 64 frames to be sure (the queue) */
  same_packets(avt_make("nob.mp4", AV_SRC "-c:v libx264 -bf 0 -pix_fmt "
                                          "yuv420p -c:a aac"),
               "mp4");
}

static void input_containers(void) {
  const char *made = avt_make("nob.mp4", AV_SRC "-c:v libx264 -bf 0 -pix_fmt "
                                                "yuv420p -c:a aac");
  T_CHECK(made);
  char mp4[512]; /* avt_path's buffers are a ring */
  snprintf(mp4, sizeof mp4, "%s", made);
  static const char *const ext[] = {"mkv", "mov", "ts", "flv", "avi"};
  for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "copy.%s", ext[i]);
    same_packets(avt_make(name, "-i '%s' -c copy", mp4), "mp4");
  }
  same_packets(avt_make("raw.h264", "-i '%s' -an -c copy", mp4), "mp4");
  same_packets(avt_make("bf.mkv", AV_SRC "-c:v libx264 -bf 2 -pix_fmt "
                                         "yuv420p -c:a aac -t 1"),
               "mp4");
}

static void input_audio(void) {
  same_packets(avt_make("a.flac", "-f lavfi -i sine=r=44100 -t 3"), "ogg");
  same_packets(avt_make("a.wav", "-f lavfi -i sine=r=48000 -t 3"), "ogg");
}

/* The file rewritten between probe and conversion: never the old
 * demuxer (it would read the old inode or stale streams). */
static void input_changed_file(void) {
  const char *src = avt_make("nob.mp4", AV_SRC "-c:v libx264 -bf 0 -pix_fmt "
                                               "yuv420p -c:a aac");
  const char *in = avt_make("changed.mkv", "-i '%s' -c copy", src);
  T_CHECK(in);
  wapf_context *ctx = open_logged();
  wapf_facts *f = NULL;
  T_EQ_INT(wapf_probe(ctx, in, &f), WAPF_OK);
  struct timespec later[2] = {{.tv_nsec = UTIME_OMIT}, {0}};
  clock_gettime(CLOCK_REALTIME, &later[1]);
  later[1].tv_sec += 5;
  T_CHECK(utimensat(AT_FDCWD, in, later, 0) == 0);
  reused = 0;
  T_EQ_INT(convert(ctx, f, avt_path("changed.out.mp4")), WAPF_OK);
  T_EQ_INT(reused, 0);
  wapf_facts_free(&f);
  wapf_close(&ctx);
}

int main(void) {
  atexit(avt_cleanup);
  T_RUN(input_mp4_priming);
  T_RUN(input_containers);
  T_RUN(input_audio);
  T_RUN(input_changed_file);
  return T_DONE();
}
