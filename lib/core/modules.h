/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal interfaces between the library's modules. Not installed.
 * Each module owns one folder of lib/; this header is the contract. */
#ifndef WAPF_MODULES_H
#define WAPF_MODULES_H

#include "internal.h"

/* ---- probe (lib/probe) ---- */

/* Each fills the members of f it knows; called by wapf_probe() after
 * f->path, f->size and f->mime are set. Return WAPF_OK when the file was
 * read by that library, WAPF_EUNSUPPORTED when it is not for it, or an
 * error (WAPF_ELIMIT, WAPF_ENOMEM, ...). */
int wapf__probe_av(wapf_context *ctx, wapf_facts *f);
int wapf__probe_image(wapf_context *ctx, wapf_facts *f);
int wapf__probe_webp(wapf_context *ctx, wapf_facts *f);

/* ---- the audio/video input of a conversion (lib/probe/input.c) ----
 * Every demuxer of an input is opened by the probe's reader: from the
 * content only (no file name, no extension guess, no nested opens), the
 * stream analysis bounded in bytes and time, every read cancellable. The
 * probe leaves its demuxer open on the context with the facts it filled
 * (one at most, closed by the next probe or wapf_close); opening the input
 * of those same facts, file unchanged, takes it back rewound to the first
 * packet, so a file is opened and analysed once. Anything else opens the
 * file afresh. */
typedef struct wapf_av wapf_av;
struct AVFormatContext;
struct AVPacket;
int wapf__input_open(wapf_context *ctx, const wapf_facts *f, wapf_av **out);
struct AVFormatContext *wapf__input_format(wapf_av *in);
/* av_read_frame() (AVERROR_EOF at the end, AVERROR_EXIT when cancelled). */
int wapf__input_read(wapf_av *in, struct AVPacket *pkt);
/* avformat_seek_file() to ts (AV_TIME_BASE) at the latest. */
int wapf__input_seek(wapf_av *in, int64_t ts);
void wapf__input_close(wapf_av **in);
/* The probe's side: keep (takes av's contents) and close the kept one. */
void wapf__input_keep(wapf_context *ctx, wapf_av *av, const wapf_facts *f);
void wapf__input_forget(wapf_context *ctx);

/* The context's handles, closed by wapf_close(): its libmagic handle
 * (lib/probe/mime.c) and its open send journal (lib/send/journal.c). */
void wapf__magic_release(wapf_context *ctx);
void wapf__journal_release(wapf_context *ctx);
void wapf__store_release(wapf_context *ctx);

/* ---- rules (lib/rules) ---- */

/* The kind WAPF_KIND_AUTO resolves to for these facts. */
wapf_kind wapf__auto_kind(const wapf_facts *f);

/* ---- conversion back ends; called by wapf_convert() (lib/convert) ----
 * Each writes the complete output into out->path (the temporary file; it
 * may reopen it by path or write to out->fd) and fills res->note where it
 * has something to say. The front end renames it on success, removes it
 * on failure, and checks the size limit once more. They poll
 * wapf__progress(ctx, opt, fraction) and stop with WAPF_ECANCELLED. */
int wapf__av_convert(wapf_context *ctx, const wapf_facts *f,
                     const wapf_report *r, const wapf_options *opt,
                     wapf_tmpfile *out, wapf_result *res);
int wapf__image_convert(wapf_context *ctx, const wapf_facts *f,
                        const wapf_report *r, const wapf_options *opt,
                        wapf_tmpfile *out, wapf_result *res);
int wapf__sticker_convert(wapf_context *ctx, const wapf_facts *f,
                          const wapf_report *r, const wapf_options *opt,
                          wapf_tmpfile *out, wapf_result *res);

/* ---- frames from video, for animated stickers (lib/av) ----
 * Decode the first video stream of f's file from `start` for at most
 * max_seconds, at most max_fps frames per second, each scaled to fit
 * inside box x box keeping its aspect ratio and upright (rotation
 * applied), as 8-bit RGBA. fn is called once per frame with its
 * presentation time in ms from `start`; a non-zero return from fn stops
 * decoding and is returned. */
typedef int (*wapf_frame_fn)(void *cookie, const uint8_t *rgba, int width,
                             int height, int stride, int64_t pts_ms);
int wapf__av_decode_frames(wapf_context *ctx, const wapf_facts *f, double start,
                           double max_seconds, double max_fps, int box,
                           wapf_frame_fn fn, void *cookie);

#endif
