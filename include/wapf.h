/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wapf.h - the public interface of libwapf (wa-preflight).
 *
 * libwapf makes a media file sendable through the WhatsApp Business API:
 * it probes the file, checks it against WhatsApp's rules, converts what is
 * not compliant, and hands the compliant file to a provider.
 *
 * Typical use by a sending application:
 *
 *     wapf_settings s;
 *     wapf_default_settings(&s);
 *     wapf_context *ctx = NULL;
 *     if (wapf_open(&ctx, &s) != WAPF_OK) ...
 *
 *     wapf_facts *facts = NULL;
 *     int rc = wapf_probe(ctx, "clip.mov", &facts);
 *     if (rc != WAPF_OK) {
 *         fprintf(stderr, "%s: %s\n", wapf_strerror(rc), wapf_last_error(ctx));
 *         ...
 *     }
 *     wapf_options opt;
 *     wapf_default_options(&opt);          // kind = WAPF_KIND_AUTO
 *     wapf_report *rep = NULL;
 *     rc = wapf_check(ctx, facts, &opt, &rep);
 *     if (rc == WAPF_OK && !rep->compliant && rep->plan != WAPF_PLAN_UNFIXABLE)
 *         rc = wapf_convert(ctx, facts, rep, &opt, "clip.wa.mp4", NULL);
 *     wapf_report_free(&rep);
 *     wapf_facts_free(&facts);
 *     wapf_close(&ctx);
 *
 * Conventions kept by every function here:
 *  - Functions return an int status: WAPF_OK (0) or a negative WAPF_E* code.
 *    A rule violation is not an error: it is a finding inside a report.
 *  - Constructors take `T **out`; *out is written only on success.
 *    Destructors take `T **` and set the pointer to NULL; NULL is accepted.
 *  - After a failure, wapf_last_error(ctx) gives a one-line detail (the
 *    foreign library's own text where there is one). It stays valid until
 *    the next call on the same context.
 *  - Memory the library hands out is released by the function named with
 *    it: wapf_facts_free(), wapf_report_free(),
 *    wapf_batch_state_report_free(), wapf_send_result_clear(), and
 *    wapf_free() for a plain buffer (wapf_config_get()'s string); never by
 *    the caller's own free(), which may belong to another C runtime (a
 *    binding's).
 *  - Thread rules: a context is used by one thread at a time (calls on one
 *    context never overlap; they may come from different threads one
 *    after the other); use one context per concurrent thread. Only
 *    wapf_cancel() may be called on a context while another thread uses
 *    it. Everything a context caches (its libmagic handle, its open send
 *    journal, the last probe's demuxer) belongs to it and is released by
 *    wapf_close(); the library keeps no per-thread state, so a thread may
 *    end at any time between calls. Functions without a context (names,
 *    rules, versions, wapf_free(), wapf_batch_shard_of()) may be called
 *    from any thread.
 *  - Lengths of arrays (n_streams, n_findings, ...) are size_t; other
 *    tallies (files, frames, bytes) are int64_t.
 *  - The library never prints and never exits; it logs through the
 *    settings' logger only.
 *  - Sizes are bytes, durations seconds (double), limits decimal and strict:
 *    16 MB = 16,000,000 bytes.
 *
 * ABI: how the structures grow without breaking programs built against an
 * older header (checked by tests/install/test_abi_layout.py against a
 * committed baseline; see CONTRIBUTING.md, "ABI").
 *  - The soname is libwapf.so.MAJOR (WAPF_VERSION_MAJOR). Any change that
 *    breaks a program built against an older header of the same major (a
 *    member moved, resized or removed; a fixed-size structure grown; a
 *    function removed or its signature changed) bumps the major, and so
 *    the soname. Additions bump the minor.
 *  - Every exported function carries a symbol version (WAPF_1 for those of
 *    1.0; lib/libwapf.map); the library exports nothing else.
 *  - Structures the caller allocates (on its stack or inside its own
 *    structures) keep their size forever within one soname: wapf_settings,
 *    wapf_options, wapf_send_request, wapf_batch_settings, and the results
 *    the caller passes in to be filled: wapf_result, wapf_send_result,
 *    wapf_batch_summary (with its wapf_batch_counts). New members take
 *    bytes of their `reserved` tail. Fill them with their wapf_default_*()
 *    function, which zeroes `reserved`; a call that is given a non-zero
 *    `reserved` byte in a structure the caller fills returns WAPF_EINVAL.
 *  - Structures handed out in arrays (wapf_stream, wapf_finding,
 *    wapf_rule_info, wapf_batch_counts) have a `reserved` tail too: their
 *    size, the array stride, never changes.
 *  - Structures only the library allocates and hands out by pointer
 *    (wapf_facts, wapf_image_facts inside it, wapf_report, wapf_batch_event)
 *    may also grow at their end; never allocate or copy them by value
 *    expecting a fixed size. wapf_facts.image is its last member so that
 *    wapf_image_facts can grow.
 *  - Text the library writes and the caller only reads is allocated to fit
 *    (char *, never NULL in a structure the library filled, owned by that
 *    structure), never cut; char arrays remain only where the caller writes
 *    or where the text is the library's own and bounded.
 *  - wapf_version_number() tells at run time which library is loaded;
 *    compare it with WAPF_API_VERSION, the header's.
 */
#ifndef WAPF_H
#define WAPF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WAPF_VERSION_MAJOR 1
#define WAPF_VERSION_MINOR 1
#define WAPF_VERSION_PATCH 0
#define WAPF_API_VERSION_NUMBER(a, b, c) (((a) << 16) | ((b) << 8) | (c))
#define WAPF_API_VERSION                                                       \
  WAPF_API_VERSION_NUMBER(WAPF_VERSION_MAJOR, WAPF_VERSION_MINOR,              \
                          WAPF_VERSION_PATCH)

#if defined(WAPF_BUILDING) && defined(__GNUC__)
#define WAPF_API __attribute__((visibility("default")))
#else
#define WAPF_API
#endif

/** The library's version string, "MAJOR.MINOR.PATCH". Static storage. */
WAPF_API const char *wapf_version(void);
/** The loaded library's version as WAPF_API_VERSION_NUMBER(major, minor,
 * patch), to compare at run time with the WAPF_API_VERSION a program was
 * built with: same major and a minor at least the program's = compatible
 * (the major is the soname's number, see "ABI"). */
WAPF_API unsigned wapf_version_number(void);

/* ------------------------------------------------------------------------
 * Errors. One list generates the enum, wapf_strerror() and wapf_err_name().
 * Codes are never renumbered; new ones are appended.
 * ---------------------------------------------------------------------- */
#define WAPF_ERROR_LIST(X)                                                     \
  X(OK, 0, "success")                                                          \
  X(EINVAL, -1, "invalid argument")                                            \
  X(ENOMEM, -2, "out of memory")                                               \
  X(EIO, -3, "input/output error")                                             \
  X(ENOENT, -4, "no such file")                                                \
  X(EISDIR, -5, "is a directory, not a file")                                  \
  X(EEMPTY, -6, "file is empty")                                               \
  X(ECORRUPT, -7, "file is corrupt or truncated")                              \
  X(EUNSUPPORTED, -8, "unsupported format or codec")                           \
  X(ELIMIT, -9, "over a safety limit")                                         \
  X(ECANCELLED, -10, "cancelled")                                              \
  X(EEXIST, -11, "output already exists")                                      \
  X(EUNFIXABLE, -12, "cannot be made compliant")                               \
  X(ECONFIG, -13, "configuration error")                                       \
  X(ENETWORK, -14, "provider unreachable")                                     \
  X(EPROVIDER, -15, "refused by the provider")                                 \
  X(EREFUSED, -16, "refused before sending")                                   \
  X(EINTERNAL, -17, "internal error")                                          \
  X(EUNKNOWN, -18, "delivery state unknown")

#define WAPF_X_ENUM(name, value, text) WAPF_##name = (value),
typedef enum wapf_status { WAPF_ERROR_LIST(WAPF_X_ENUM) } wapf_status;
#undef WAPF_X_ENUM

/** A sentence for a status code ("file is empty"). Static storage. */
WAPF_API const char *wapf_strerror(int code);
/** The code's name without prefix ("EEMPTY"). Static storage. */
WAPF_API const char *wapf_err_name(int code);

/* ------------------------------------------------------------------------
 * Kinds: what the file is sent as.
 * ---------------------------------------------------------------------- */
typedef enum wapf_kind {
  WAPF_KIND_AUTO = 0, /* pick from the probe (see wapf_check) */
  WAPF_KIND_VIDEO,
  WAPF_KIND_AUDIO,
  WAPF_KIND_VOICE,
  WAPF_KIND_IMAGE,
  WAPF_KIND_STICKER,
  WAPF_KIND_DOCUMENT,
} wapf_kind;

/** "auto", "video", ... Static storage; "?" for an unknown value. */
WAPF_API const char *wapf_kind_name(wapf_kind kind);
/** Parse a kind name; WAPF_EINVAL if it is not one. */
WAPF_API int wapf_kind_from_name(const char *name, wapf_kind *out);

/* ------------------------------------------------------------------------
 * Context and settings.
 * ---------------------------------------------------------------------- */
typedef enum wapf_log_level {
  WAPF_LOG_ERROR = 0,
  WAPF_LOG_WARNING = 1,
  WAPF_LOG_INFO = 2,
  WAPF_LOG_DEBUG = 3,
} wapf_log_level;

/** A log callback. msg is one line without newline, valid during the call.
 * Messages never contain secrets. The media libraries' own messages, made
 * while one of this library's calls runs on the context's thread, come
 * here too, as one line each: "ffmpeg: ..." and "libvips: ...", their
 * errors at WAPF_LOG_INFO (the library's verdict comes back as a status
 * code), the rest at WAPF_LOG_DEBUG; those of their worker threads are
 * dropped. */
typedef void (*wapf_log_fn)(void *cookie, wapf_log_level level,
                            const char *msg);

typedef struct wapf_settings {
  /** Log sink; NULL (default) discards every message. */
  wapf_log_fn logger;
  /** Passed to logger unchanged. Default NULL. */
  void *log_cookie;
  /** Most verbose level passed to logger. Default WAPF_LOG_WARNING. */
  wapf_log_level log_level;
  /** Decompression-bomb guard: images whose width*height exceeds this are
   * refused with WAPF_ELIMIT before any pixel is decoded.
   * Default 200,000,000 (200 megapixels); range 1..2^40. */
  uint64_t max_pixels;
  /** Media longer than this many seconds is refused with WAPF_ELIMIT.
   * Default 21600 (6 hours); must be > 0. */
  double max_duration;
  /** Video outputs are scaled so their long side is at most this.
   * Default 1920; range 160..4096. */
  int max_long_side;
  /** Worker threads an encoder (and libvips, for the pictures this
   * context converts) may use; 0 (default) = number of cores. */
  int threads;
  /** Reserved for future fields; must be zero (wapf_default_settings()
   * zeroes it). */
  uint8_t reserved[64];
} wapf_settings;

typedef struct wapf_context wapf_context;

/** Fill *s with the defaults above. */
WAPF_API void wapf_default_settings(wapf_settings *s);
/** Create a context. s may be NULL for the defaults. Returns WAPF_EINVAL
 * for out-of-range settings or WAPF_ENOMEM.
 *
 * Process-wide effects (the only ones; thread-safe, done once):
 *  - the first wapf_open() installs an FFmpeg log callback
 *    (av_log_set_callback). Outside this library's calls it hands every
 *    message to av_log_default_callback, so a host program's own FFmpeg
 *    messages print as before (and the av_log level is never changed); a
 *    host that installs its own callback afterwards replaces ours, and then
 *    gets FFmpeg's messages of our calls too.
 *  - libvips is started on first use of a picture (probe, image or sticker
 *    convert), not before: a program that handles only audio, video and
 *    documents never starts it. A GLib log handler is set for the "VIPS"
 *    domain only (g_log_set_handler); outside our calls it passes messages
 *    to g_log_default_handler. A host that uses libvips itself keeps
 *    working; while one of our calls runs, libvips messages of threads
 *    without a context of ours are dropped. No environment variable is
 *    set, and nothing touches stderr.
 * Failure to start libvips is reported by the call that needed it
 * (WAPF_EINTERNAL). */
WAPF_API int wapf_open(wapf_context **out, const wapf_settings *s);
/** Destroy a context and everything it caches; *ctx becomes NULL. */
WAPF_API void wapf_close(wapf_context **ctx);
/** Release a buffer the library handed out for the caller to free (the
 * string of wapf_config_get()). NULL is accepted. Any thread. */
WAPF_API void wapf_free(void *p);
/** One-line detail of the last failure on ctx ("" if none). Owned by ctx. */
WAPF_API const char *wapf_last_error(const wapf_context *ctx);
/** Ask the running operation on ctx to stop; it returns WAPF_ECANCELLED.
 * The request sticks for the whole operation, including the calls it makes
 * itself (wapf_send's probe, check and convert; a batch's workers), and an
 * HTTP transfer in flight is aborted within about 100 ms; nothing is
 * uploaded or sent after it. The flag is cleared when the next outermost
 * public call on ctx starts. Async-signal-safe and thread-safe (a lock-free
 * atomic): may be called from a signal handler or another thread. */
WAPF_API void wapf_cancel(wapf_context *ctx);

/* ------------------------------------------------------------------------
 * Probe: the facts about a file, read once.
 * ---------------------------------------------------------------------- */
typedef enum wapf_stream_type {
  WAPF_STREAM_VIDEO = 0,
  WAPF_STREAM_AUDIO,
  WAPF_STREAM_SUBTITLE,
  WAPF_STREAM_DATA,
  WAPF_STREAM_ATTACHMENT,
} wapf_stream_type;

/** One stream of an audio/video container. Unknown numbers are -1,
 * unknown strings "". */
typedef struct wapf_stream {
  int index;             /* index in the container */
  wapf_stream_type type; /* video, audio, ... */
  char codec[32];        /* FFmpeg codec name: "h264", "aac", ... */
  char profile[32];      /* "High", "LC", "Main 10", ... */
  int level;             /* codec level (H.264: 31 = 3.1) */
  char pix_fmt[32];      /* video: "yuv420p", "yuv420p10le", ... */
  int bit_depth;         /* video: bits per component */
  int chroma;            /* video: 420, 422, 444, 400 (grey) */
  int width, height;     /* video: coded size in pixels */
  int rotation;          /* video: display rotation, 0/90/180/270
                            clockwise as the viewer sees it */
  int interlaced;        /* video: 1 interlaced, 0 progressive */
  double fps;            /* video: average frame rate */
  int64_t frames;        /* video: number of frames */
  int attached_pic;      /* video: cover art, not a real video */
  int sample_rate;       /* audio: Hz */
  int channels;          /* audio */
  double duration;       /* seconds */
  int64_t bit_rate;      /* bits per second */
  int is_default;        /* disposition "default" */
  char language[8];      /* ISO 639 code from the container */
  int decoder_available; /* 1 when this build's FFmpeg can decode it */
  int reorder_depth;     /* video: frames the decoder holds back to reorder
                            (H.264 SPS VUI max_num_reorder_frames, FFmpeg's
                            has_b_frames); 0 none, -1 unknown */
  int b_frames;          /* video, H.264: 1 when the stream uses B-frames
                            (reorder depth > 0, or a B slice among its
                            first frames), 0 when none was seen, -1 not
                            known (other codecs, nothing readable) */
  /* Reserved for future members (the array stride never changes);
   * zero. */
  uint8_t reserved[56];
} wapf_stream;

/** Facts about a still or animated picture. */
typedef struct wapf_image_facts {
  int width, height;       /* pixels (the canvas, for animations) */
  int bands;               /* channels including alpha */
  int bit_depth;           /* 8, 16, 32 per band */
  int has_alpha;           /* an alpha band is present */
  int alpha_used;          /* some pixel is not fully opaque (-1 unknown) */
  char interpretation[16]; /* libvips: "srgb", "cmyk", "b-w", "grey16",
                              "rgb16", "lab", "multiband", ... */
  int palette;             /* stored as a palette (PNG/GIF) */
  int has_icc;             /* embedded ICC profile */
  int icc_srgb;            /* the embedded profile is sRGB */
  int orientation;         /* EXIF orientation 1..8, 0 absent */
  int has_exif;            /* any EXIF block */
  int has_gps;             /* EXIF GPS position present */
  int frames;              /* 1 for a still picture */
  int animated;            /* frames > 1 */
  int loop;                /* animation loop count, 0 = forever */
  size_t n_delays;         /* number of entries in delays_ms */
  int *delays_ms;          /* per-frame duration in ms, owned by facts */
  double duration;         /* sum of the delays, seconds */
  char loader[32];         /* libvips loader or "webpdemux" */
  uint8_t reserved[32];    /* future members; zero */
} wapf_image_facts;

typedef enum wapf_media {
  WAPF_MEDIA_OTHER = 0, /* neither readable picture nor audio/video */
  WAPF_MEDIA_AV,        /* audio and/or video read by libavformat */
  WAPF_MEDIA_IMAGE,     /* picture read by libvips / libwebp */
} wapf_media;

/** Allocated by wapf_probe() only (it may grow at its end, see "ABI"
 * above). Every string member is non-NULL and owned by the facts. */
typedef struct wapf_facts {
  char *path;       /* the probed path (copy, owned) */
  int64_t size;     /* bytes */
  char *mime;       /* from the content: "video/mp4", ... (owned;
                       any length: OOXML types are over 64 characters) */
  char format[32];  /* short container name: "mp4", "mov",
                       "matroska", "webm", "mpegts", "avi",
                       "ogg", "wav", "flac", "mp3", "aac", "amr",
                       "jpeg", "png", "webp", "gif", "heif",
                       "tiff", "bmp", "svg", "pdf", ... */
  wapf_media media; /* which of the members below are filled */
  double duration;  /* seconds, -1 unknown */
  int64_t bit_rate; /* container bit rate, -1 unknown */
  int moov_at_end;  /* MP4/MOV: 1 moov after mdat, 0 before,
                       -1 not applicable */
  int fragmented;   /* MP4: 1 when movie fragments (moof) */
  size_t n_streams;
  wapf_stream *streams; /* n_streams entries, owned */
  int damaged;          /* 1 when a deeper read found damage */
  char *damage;         /* what was found, "" when none (owned) */
  uint8_t reserved[32]; /* future members before image; zero */
  /** Valid when media == WAPF_MEDIA_IMAGE. Last, so that it can grow. */
  wapf_image_facts image;
} wapf_facts;

/** Read the facts of path. Never modifies the file.
 * Errors: WAPF_ENOENT, WAPF_EISDIR, WAPF_EEMPTY, WAPF_EIO,
 * WAPF_ELIMIT (pixel count or duration over the settings' limits),
 * WAPF_ENOMEM. A file no library can read is not an error: it is probed
 * as WAPF_MEDIA_OTHER with its MIME type. A file that is readable but
 * damaged (truncated JPEG/PNG, MP4 samples past the end of the file) has
 * damaged = 1. *out is owned by the caller: wapf_facts_free().
 * For an audio/video file the context keeps the probe's demuxer (one open
 * file descriptor and the packets read, at most 16 MiB) so that
 * wapf_convert() of these facts does not open and analyse the file again;
 * it is released by that conversion, the context's next wapf_probe() or
 * wapf_close(). A file changed since the probe is opened afresh. */
WAPF_API int wapf_probe(wapf_context *ctx, const char *path, wapf_facts **out);
WAPF_API void wapf_facts_free(wapf_facts **f);

/* ------------------------------------------------------------------------
 * Options shared by check, convert and send.
 * ---------------------------------------------------------------------- */
typedef enum wapf_fit {
  WAPF_FIT_CONTAIN = 0, /* whole picture inside 512x512, transparent pad */
  WAPF_FIT_COVER,       /* fill 512x512, crop the overflow */
} wapf_fit;

/** Target restrictions of a provider (see wapf_check). */
enum {
  WAPF_TARGET_NO_ANIMATED_STICKER = 1 << 0, /* On-Premises API */
};

/** Progress: fraction in 0..1 (or -1 when unknown). Return non-zero to
 * cancel; the operation then returns WAPF_ECANCELLED. */
typedef int (*wapf_progress_fn)(void *cookie, double fraction);

/** How much encoder effort a video transcode spends (convert, batch and
 * send). Every setting writes the same compliant H.264 Main profile
 * without B-frames at the same byte budget; slower settings buy picture
 * quality (BENCHMARKS.md has the measured cost and gain). */
typedef enum wapf_speed {
  WAPF_SPEED_BALANCED = 0, /* default: about the time of ffmpeg's two-pass
                              x264 veryfast at 1080p, trials included:
                              veryfast at 1080p, faster at 720p, fast
                              below */
  WAPF_SPEED_FAST,         /* less: superfast at 1080p, veryfast at 720p */
  WAPF_SPEED_BEST,         /* about 3.5x balanced: slow, slower at 720p;
                              x264's AQ mode chosen by a trial too
                              (wapf_result.video_aq) */
} wapf_speed;

typedef struct wapf_options {
  wapf_kind kind;        /* default WAPF_KIND_AUTO */
  int stereo;            /* audio as AAC-LC stereo M4A; default 0 */
  int audio_track;       /* n-th audio stream (0-based, probe order);
                            default -1 = the default-disposition track,
                            else the first */
  double start;          /* trim start, seconds; default 0 */
  double duration;       /* trim length, seconds; default -1 = all */
  int png;               /* images as PNG instead of JPEG; default 0 */
  uint32_t background;   /* flatten colour 0xRRGGBB; default 0xFFFFFF */
  wapf_fit fit;          /* stickers; default WAPF_FIT_CONTAIN */
  int keep_metadata;     /* keep GPS and other metadata; default 0 */
  int overwrite;         /* convert may replace an existing output */
  unsigned target_flags; /* WAPF_TARGET_* of the provider; default 0 */
  const char *pack_id;   /* sticker pack metadata, NULL = none */
  const char *pack_name;
  const char *publisher;
  const char *emoji;         /* comma-separated emojis */
  wapf_progress_fn progress; /* default NULL */
  void *progress_cookie;
  wapf_speed speed;     /* video encoder effort; default WAPF_SPEED_BALANCED */
  int mp3;              /* audio (not voice): encode MP3 (libmp3lame, CBR,
                           within the 16 MB limit) instead of Ogg/Opus;
                           wins over stereo; default 0 */
  uint8_t reserved[56]; /* future members; must be zero */
} wapf_options;

/** Fill *o with the defaults above. */
WAPF_API void wapf_default_options(wapf_options *o);

/* ------------------------------------------------------------------------
 * Check: findings and the plan.
 * ---------------------------------------------------------------------- */
typedef enum wapf_severity {
  WAPF_SEV_WARNING = 1, /* shown, but the file is still compliant */
  WAPF_SEV_FAIL = 2,    /* the file is not compliant */
} wapf_severity;

typedef struct wapf_finding {
  const char *id; /* stable id, "video.codec"; static storage */
  wapf_severity severity;
  char *message;        /* plain-language sentence; owned by the report */
  uint8_t reserved[32]; /* future members (array stride fixed); zero */
} wapf_finding;

/** What convert would do, cheapest first. */
typedef enum wapf_plan {
  WAPF_PLAN_NONE = 0,       /* compliant: copy unchanged */
  WAPF_PLAN_STRIP_METADATA, /* image: remove GPS/metadata losslessly */
  WAPF_PLAN_REMUX,          /* video: stream copy into a faststart MP4 */
  WAPF_PLAN_AUDIO_ONLY,     /* video: copy video, re-encode audio */
  WAPF_PLAN_TRANSCODE,      /* video: full transcode */
  WAPF_PLAN_ENCODE_AUDIO,   /* audio/voice: encode Ogg/Opus (or M4A) */
  WAPF_PLAN_ENCODE_IMAGE,   /* image: re-encode JPEG/PNG */
  WAPF_PLAN_MAKE_STICKER,   /* sticker: make a 512x512 WebP */
  WAPF_PLAN_UNFIXABLE,      /* cannot be made compliant: see plan_reason */
} wapf_plan;

/** "none", "strip-metadata", "remux", ... Static storage. */
WAPF_API const char *wapf_plan_name(wapf_plan plan);

/** Allocated by wapf_check() only (it may grow at its end). Every string
 * member is non-NULL and owned by the report. */
typedef struct wapf_report {
  wapf_kind kind; /* the kind checked (auto resolved) */
  int compliant;  /* 1 when no finding has WAPF_SEV_FAIL */
  size_t n_findings;
  wapf_finding *findings; /* owned by the report */
  wapf_plan plan;
  char *plan_reason; /* why UNFIXABLE, or a note on the plan */
  char *out_mime;    /* MIME type of what convert produces (the
                        input's own when plan is NONE) */
  char out_ext[12];  /* extension with dot: ".mp4", ".ogg", ...; ""
                        when the input's is longer than 11 bytes */
  uint8_t reserved[32];
} wapf_report;

/** Check facts against WhatsApp's rules for opt->kind (opt may be NULL:
 * defaults). WAPF_KIND_AUTO picks: a real video stream (more than one
 * frame, not cover art) -> video (animated GIF/AVIF too; an animated WebP
 * of exactly 512x512 -> sticker); audio only -> audio; a still picture ->
 * image (a static 512x512 WebP -> sticker); anything else -> document.
 * Returns WAPF_OK with *out set, or WAPF_EINVAL / WAPF_ENOMEM.
 * *out is owned by the caller: wapf_report_free(). */
WAPF_API int wapf_check(wapf_context *ctx, const wapf_facts *facts,
                        const wapf_options *opt, wapf_report **out);
WAPF_API void wapf_report_free(wapf_report **r);

/** The rules as data, for documentation and --help. */
typedef struct wapf_rule_info {
  const char *id; /* finding id, "image.size" */
  wapf_kind kind;
  wapf_severity severity;
  const char *summary;  /* one sentence */
  uint8_t reserved[32]; /* future members (array stride fixed); zero */
} wapf_rule_info;
/** The rule table; *n receives its length. Static storage. */
WAPF_API const wapf_rule_info *wapf_rules(size_t *n);
/** Size limit in bytes of a kind (animated: for stickers). */
WAPF_API int64_t wapf_kind_limit(wapf_kind kind, int animated);

/* ------------------------------------------------------------------------
 * Convert.
 * ---------------------------------------------------------------------- */
/** Filled by wapf_convert() in storage the caller gives (fixed size, see
 * "ABI"). Its texts are the library's own: the output's MIME type is
 * rep->out_mime (cut at 127 bytes only for a copied document of a longer
 * type; rep->out_mime has it whole) and note is one of its sentences. */
/** How the size of a re-encoded video was chosen (inside wapf_result).
 * When the byte budget binds, short segments spread over the clip are
 * encoded at the target bitrate at up to four sizes and compared with the
 * source (SSIM at the source's display size, at equal bytes); the best one
 * is encoded, in two x264 passes.
 * All zero when no video was re-encoded. */
typedef struct wapf_video_decision {
  uint8_t made;       /* 1 when a video was re-encoded (the rest is valid) */
  uint8_t skipped;    /* trials not run: WAPF_TRIALS_* below, 0 = measured */
  uint8_t candidates; /* sizes measured (0-4), in height[] and ssim[] */
  uint8_t chosen;     /* index of the encoded size in height[] */
  uint16_t height[4]; /* candidate heights, pixels, largest first */
  uint16_t ssim[4];   /* their mean SSIM x 10000 (ffmpeg's ssim "All"),
                         brought to the aimed bytes (a trial that over- or
                         underspends is moved along the measured slope) */
  uint16_t frames;    /* source frames the trials encoded at each size */
  uint16_t trial_cs;  /* wall time of the trials, 1/100 s */
  uint16_t kbps;      /* video bitrate of the encode kept, kbit/s (0:
                         constant quality) */
} wapf_video_decision;
/** wapf_video_decision.skipped: why no trials ran. */
#define WAPF_TRIALS_FITS 1  /* the budget does not bind: full size */
#define WAPF_TRIALS_SHORT 2 /* too few frames to measure within the cost */
#define WAPF_TRIALS_ONE 3   /* only one candidate size */

/* wapf_result.video_aq: x264's adaptive quantisation at --speed best,
 * chosen by one more trial at the chosen size (0: not measured; the
 * other speeds use tune ssim's auto-variance). */
#define WAPF_AQ_AUTO_VARIANCE 2 /* x264 aq-mode 2, tune ssim's own */
#define WAPF_AQ_VARIANCE 1      /* x264 aq-mode 1 */

typedef struct wapf_result {
  wapf_plan action; /* what was done */
  wapf_kind kind;
  int64_t bytes_in;
  int64_t bytes_out;
  double seconds;            /* wall time */
  char mime[128];            /* MIME type of the output */
  char note[240];            /* e.g. "trimmed to 10 s", "" when none */
  wapf_video_decision video; /* videos: how the size was chosen */
  uint8_t video_dropped;     /* bit i set: video.height[i] was left out
                                after the first trial segment (over 0.7 dB
                                behind the best there); its ssim is that
                                segment's, not comparable with the others' */
  uint8_t video_aq;          /* WAPF_AQ_*: measured at --speed best on the
                                chosen size, 0 otherwise */
  uint16_t video_aq_ssim;    /* SSIM x 10000 of the chosen size with
                                WAPF_AQ_VARIANCE (the auto-variance one is
                                video.ssim[video.chosen]); 0 not measured */
  uint8_t video_refills;     /* times the last x264 pass ran again because
                                it left over 5 % of the limit unspent (at
                                most 2; its bitrate and VBV raised by the
                                shortfall, from the same first pass) */
  uint8_t video_first_fill;  /* with refills: % of the limit the last pass
                                filled the first time (rounded down) */
} wapf_result;

/** Make a compliant file at out_path from the file facts describe,
 * following rep (from wapf_check with the same opt). The output is written
 * to a temporary file in out_path's folder and renamed on success: no
 * partial file is ever left, also on error or cancel. The input is never
 * modified. res may be NULL.
 * Errors: WAPF_EEXIST (out_path exists and !opt->overwrite), WAPF_EINVAL
 * (out_path is the input), WAPF_EUNFIXABLE (plan is UNFIXABLE, or no
 * encoding fits the limit; the detail says why and what to try),
 * WAPF_EUNSUPPORTED, WAPF_ECORRUPT, WAPF_ECANCELLED, WAPF_EIO. */
WAPF_API int wapf_convert(wapf_context *ctx, const wapf_facts *facts,
                          const wapf_report *rep, const wapf_options *opt,
                          const char *out_path, wapf_result *res);

/* ------------------------------------------------------------------------
 * Send (lib/send).
 * ---------------------------------------------------------------------- */

/* Sending a file:
 *
 *     wapf_send_request req;
 *     wapf_default_send_request(&req);
 *     req.provider = WAPF_PROVIDER_META;
 *     req.to = "15551234567";
 *     req.caption = "Q3 report";
 *     wapf_send_result res;
 *     int rc = wapf_send(ctx, "report.pdf", NULL, &req, &res);
 *     if (rc == WAPF_OK) printf("%s\n", res.message_id);
 *
 * wapf_send() probes the file, checks it with the provider's target flags,
 * converts it into a private temporary directory when it is not compliant
 * (never beside the input; removed afterwards), uploads it (or publishes
 * it to S3-compatible storage, or verifies the link it was given), sends
 * the message and returns the provider's message id.
 *
 * One file to many recipients: upload once, then one message each:
 *
 *     wapf_send_result media;
 *     int rc = wapf_upload(ctx, "catalogue.mp4", NULL, &req, &media);
 *     for (size_t i = 0; rc == WAPF_OK && i < n; i++) {
 *       req.to = numbers[i];
 *       wapf_send_result r;
 *       int m = wapf_send_message(ctx, &req, &media, &r);
 *       // m == WAPF_EUNKNOWN: maybe delivered, never retry blindly;
 *       // r.duplicate: the journal says it was sent already
 *     }
 *
 * Every message is journaled ($XDG_CACHE_HOME/wa-preflight/
 * send-journal.sqlite): a message is delivered at most once, also across
 * runs and processes (see wapf_send_message()).
 *
 * Credentials: every request field left NULL is read from the environment
 * first, then from the config file (KEY=value lines; refused when it is
 * readable or writable by group or others):
 *   meta      WA_TOKEN, WA_PHONE_NUMBER_ID
 *   360dialog D360_API_KEY
 *   onprem    WA_ONPREM_TOKEN, WA_ONPREM_BASE (base URL, no default)
 *   qikchat   QIKCHAT_API_KEY
 *   lipachat  LIPACHAT_API_KEY (and req.from, required)
 *   --publish AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION
 *             (default us-east-1), AWS_ENDPOINT_URL
 * Secrets are never logged and never appear in wapf_last_error() or in the
 * result: any text that would contain one is redacted.
 *
 * Robust delivery: uploads, publishes and link checks are retried on 429,
 * 5xx and network failures with exponential backoff and jitter, honouring
 * Retry-After, at most max_attempts times and never past retry_budget
 * seconds; other answers are never retried. A message is delivered at most
 * once: its request is retried only when it provably did not reach the
 * provider (see wapf_send_message()), and every message is journaled. Plain
 * HTTP is used only to loopback addresses; HTTPS is verified against cacert,
 * else $CURL_CA_BUNDLE, else the system's trust store. */

typedef enum wapf_provider {
  WAPF_PROVIDER_META = 0,  /* Meta Cloud API (upload by id) */
  WAPF_PROVIDER_360DIALOG, /* 360dialog (Cloud API bodies, by id) */
  WAPF_PROVIDER_ONPREM,    /* On-Premises API (by id; no animated
                              stickers) */
  WAPF_PROVIDER_QIKCHAT,   /* Qikchat (link only) */
  WAPF_PROVIDER_LIPACHAT,  /* Lipachat (link only) */
} wapf_provider;

/** "meta", "360dialog", "onprem", "qikchat", "lipachat". Static storage;
 * "?" for an unknown value. */
WAPF_API const char *wapf_provider_name(wapf_provider p);
/** Parse a provider name; WAPF_EINVAL if it is not one. */
WAPF_API int wapf_provider_from_name(const char *name, wapf_provider *out);

/** What to send and how. Strings are borrowed: they must stay valid during
 * wapf_send(); NULL means "not given" unless said otherwise. */
typedef struct wapf_send_request {
  /** Default WAPF_PROVIDER_META. */
  wapf_provider provider;
  /** Recipient phone number (digits). Required by wapf_send() and
   * wapf_send_message(); not used by wapf_upload(). */
  const char *to;
  /** Sender number; required for lipachat (WAPF_ECONFIG without it),
   * ignored by the others. */
  const char *from;
  /** UTF-8, at most 1024 characters (code points); image, video and
   * document only. Otherwise refused with WAPF_EREFUSED before any
   * request. */
  const char *caption;
  /** Documents: the name shown; given the file's extension when it has
   * none. Default: the input's name. At most 255 bytes with the extension
   * (WAPF_EINVAL beyond, never cut). */
  const char *filename;
  /** Send this public URL instead of uploading (verified first: HTTPS,
   * HTTP 200, Content-Type of the kind, not HTML, Content-Length within
   * the limit). The file must already be compliant. Used whole, at any
   * length (a presigned URL with a session token runs to kilobytes). */
  const char *link;
  /** "s3://BUCKET/PREFIX": PUT the compliant file there (AWS SigV4,
   * path-style) and send public_base_url + "/" + its name. */
  const char *publish;
  /** Public URL of the publish prefix; required with publish. */
  const char *public_base_url;
  /** S3 endpoint; default $AWS_ENDPOINT_URL (required with publish). */
  const char *s3_endpoint;
  /** Scheme, host and path prefix of the provider's API (without the
   * Graph version). Default the provider's real one; onprem has none
   * ($WA_ONPREM_BASE, else WAPF_ECONFIG). Used whole, at any length. */
  const char *api_base;
  /** Meta's Graph API version. Default "v21.0". */
  const char *graph_version;
  /** CA bundle for HTTPS; default $CURL_CA_BUNDLE, else the system's. */
  const char *cacert;
  /** Seconds each HTTP request may take in total. Default 120; > 0. */
  double timeout;
  /** Seconds to establish a connection. Default 15; > 0 (capped by
   * timeout). */
  double connect_timeout;
  /** Requests made at most for one step (first try included).
   * Default 4; range 1..10. */
  int max_attempts;
  /** Retrying stops when the next wait would end later than this many
   * seconds after the first try. Default 60; >= 0. */
  double retry_budget;
  /** 1: neither read nor write the media-id cache. Default 0. */
  int no_cache;
  /** Folder of the media-id cache (SQLite). Default
   * $XDG_CACHE_HOME/wa-preflight (~/.cache/wa-preflight). When given, the
   * SQLite journal is kept there too (else in the state folder: see
   * wapf_set_store()). Not used with a PostgreSQL store. */
  const char *cache_dir;
  /** Config file. Default $XDG_CONFIG_HOME/wa-preflight/config
   * (~/.config/wa-preflight/config). */
  const char *config_path;
  /** The provider's token or API key; default from the environment or
   * the config file (see above). */
  const char *token;
  /** meta: the sender's phone-number id; default $WA_PHONE_NUMBER_ID. */
  const char *phone_number_id;
  /** An approved template's name: the message is a "template" message
   * (the only kind that reaches a customer outside the 24-hour window)
   * whose media header is the file (image, video or document only), or
   * that has no header when sent without media. meta, 360dialog and
   * onprem only (WAPF_EREFUSED before any request for the others). No
   * caption with a template. */
  const char *template_name;
  /** The template's language code ("en_US"); required with a template. */
  const char *template_language;
  /** onprem: the template's namespace (required there; ignored by the
   * Cloud API and 360dialog). */
  const char *template_namespace;
  /** The body parameters in order (n_template_params strings, UTF-8,
   * each non-empty); NULL/0 for none. Borrowed. */
  const char *const *template_params;
  size_t n_template_params;
  /** 1: send even when the journal says this very message (provider,
   * sender, recipient, file, kind, caption, template) was already sent or
   * ended in an unknown state. Default 0: refused with the earlier message
   * id (WAPF_EREFUSED, res->duplicate = 1). */
  int resend;
  /** Reserved for future fields; must be zero (wapf_default_send_request()
   * zeroes it). Members are added by shrinking it. */
  uint8_t reserved[24];
} wapf_send_request;

/** What happened. Filled as far as the send went, also on failure. */
typedef struct wapf_send_result {
  char message_id[160];     /* the provider's message id ("wamid..."), "" */
  char media_id[160];       /* the uploaded (or cached) media id, "" */
  int cache_hit;            /* 1 when media_id came from the cache */
  wapf_kind kind;           /* the kind sent (auto resolved) */
  wapf_plan plan;           /* conversion applied (WAPF_PLAN_NONE: as is) */
  char *url;                /* the link sent (link/publish), "" by id;
                               any length, allocated: see below */
  char link_caching[240];   /* caching headers of the link Meta honours
                               ("Cache-Control: max-age=600; ETag"), or a
                               sentence saying there are none */
  int http_status;          /* last HTTP status from the provider, 0 none */
  int attempts;             /* HTTP requests made in total */
  int provider_code;        /* provider error code (Graph 131047...), 0 */
  char provider_error[240]; /* the provider's own message, "" */
  uint8_t sha256[32];       /* SHA-256 of the file sent (all zero:
                               unknown, e.g. a media id given by hand) */
  int duplicate;            /* 1: refused by the journal (already sent,
                               or unknown); 2: being sent right now by
                               another run (its claim is live); message_id
                               is the earlier one when known */
  uint8_t request[24];      /* what was asked for: the first 24 bytes of a
                               SHA-256 of the source file's digest, the
                               kind and the options that change the
                               output (all zero: unknown). The journal
                               knows a message by it, not by sha256, so
                               that one request is one message even if a
                               conversion gave other bytes */
  uint8_t reserved[4];      /* members are added by shrinking it */
} wapf_send_result;

/* Ownership of a wapf_send_result: wapf_send(), wapf_upload() and
 * wapf_send_message() write the whole result they are given (they never
 * read what it held, except wapf_send_message()'s media) and set url to an
 * allocated string, never NULL; release it with wapf_send_result_clear()
 * before the result is reused or goes out of scope. A media result filled
 * by hand for wapf_send_message() (zeroed, then kind and media_id or url)
 * keeps the caller's own url: the library only reads it; do not clear
 * such a result, and pass it as res only when it came from the library.
 * A call given a NULL ctx or request returns WAPF_EINVAL and leaves res
 * untouched. */

/** Free what the library allocated in *r (url) and zero *r. NULL is
 * accepted; a zeroed result is accepted. */
WAPF_API void wapf_send_result_clear(wapf_send_result *r);

/** Fill *r with the defaults above (everything else NULL/0). */
WAPF_API void wapf_default_send_request(wapf_send_request *r);

/** The value of key (e.g. "WA_TOKEN", "WA_PREFLIGHT_API_KEY") found the
 * way the credentials above are: the environment variable when set and
 * not empty, else the key's KEY=value line of the config file config_path
 * (NULL: $XDG_CONFIG_HOME/wa-preflight/config, ~/.config/...), which is
 * refused when it is not a regular file, is readable or writable by group
 * or others, or is over 64 KiB. For programs built on the library (the
 * command's `serve` reads its key so). *out is a copy for the caller to
 * release with wapf_free(), or NULL when the key is set nowhere (an absent file
 * is not an error). The value never reaches a log or wapf_last_error(). Errors:
 * WAPF_EINVAL (no key, or one with '='), WAPF_ECONFIG (unsafe or unreadable
 * file: the detail says which), WAPF_ENOMEM. */
WAPF_API int wapf_config_get(wapf_context *ctx, const char *config_path,
                             const char *key, char **out);

/** Choose the store of the send journal, the delivery states, the
 * webhook outbox and the media-id cache for the calls on ctx (since 1.1).
 *  - url NULL (the default of a new context): the environment variable
 *    WA_PREFLIGHT_DB, else the config file's WA_PREFLIGHT_DB or db line
 *    (the config file of the request: wapf_send_request.config_path, else
 *    the default one); when neither is set, SQLite.
 *  - a PostgreSQL connection string: "postgresql://USER@HOST:PORT/DB?..."
 *    (also "postgres://", or libpq's "host=... dbname=..." words). The
 *    password comes from the string, from PGPASSWORD or from the
 *    PGPASSFILE (~/.pgpass) as libpq reads them; it never reaches a log or
 *    wapf_last_error(), which name the host, port and database only. The
 *    tables are created (and later migrated) on first use, in versions
 *    recorded in schema_versions. Every process pointed at one database
 *    shares one journal: a message is claimed there before its request,
 *    so any number of senders on any number of hosts send it at most
 *    once, and a file is uploaded once per provider account.
 *  - "sqlite" or "": SQLite files whatever the environment says: the
 *    journal in wapf_send_request.cache_dir when given, else
 *    $XDG_STATE_HOME/wa-preflight/send-journal.sqlite
 *    (~/.local/state/wa-preflight; a journal left in the cache folder by
 *    an older version is moved there once); the media-id cache in the
 *    cache folder.
 * Nothing is connected here: the store is opened by the next call that
 * needs it, which fails with WAPF_ECONFIG (a refused login, an unknown
 * database, a setting that is neither) or WAPF_EIO (unreachable). The
 * string is copied (and wiped when replaced or at wapf_close()).
 * Errors: WAPF_EINVAL (NULL ctx; url neither PostgreSQL nor "sqlite"),
 * WAPF_ENOMEM. Thread rules: as every call on ctx. */
WAPF_API int wapf_set_store(wapf_context *ctx, const char *url);

/** The first half of wapf_send(): check path, convert it when needed (in
 * a private temporary folder, removed before returning) and make it
 * reachable by the provider: upload it (through the media-id cache),
 * publish it (req->publish), or verify req->link. Nothing is sent;
 * req->to is not needed. Fills res: kind, plan, media_id (by id) or url
 * (link, publish), cache_hit, sha256; pass res to
 * wapf_send_message() as its media, for as many recipients as needed.
 * With req->template_name the file must be an image, a video or a
 * document (the header kinds). opt as for wapf_send(). Retries an upload
 * freely (an extra upload is harmless).
 * When req->to is given (the upload is for a send to it), the store of
 * the journal is opened and tried with a write that is rolled back
 * before anything is uploaded or published, as wapf_send() does: a store
 * that cannot be used fails here (WAPF_EIO, WAPF_ECONFIG).
 * Errors: those of wapf_send() except WAPF_EUNKNOWN. */
WAPF_API int wapf_upload(wapf_context *ctx, const char *path,
                         const wapf_options *opt, const wapf_send_request *req,
                         wapf_send_result *res);

/** The second half: send one message to req->to, journaled (see
 * wapf_journal_list()). media is a result of wapf_upload() (borrowed;
 * kind and media_id or url are used, request and sha256 when set), or
 * one filled by hand (zeroed, then kind and media_id or url), or NULL for
 * a template without a media header (req->template_name required). res
 * may be NULL; it starts as a copy of media. A document is shown with
 * req->filename (none when NULL: give the same one as to wapf_upload()).
 * The journal row is written "pending" before the request and "sent",
 * "failed" or "unknown" after; the same message again (same provider,
 * sender, recipient, media request, caption, document name and template;
 * the media is known by its request digest, else by sha256, else by its
 * id or link) is refused (WAPF_EREFUSED, res->duplicate) unless
 * req->resend. Rows written before request digests existed still refuse
 * the file they recorded. A message request is
 * retried only when it provably did not reach the provider (no address,
 * no connection or TLS session, nothing written, 429, 503 with
 * Retry-After); Lipachat requests, which carry a de-duplicated messageId,
 * are retried like uploads.
 * Errors: WAPF_EUNKNOWN (the request may have reached the provider but its
 * answer was lost or cannot be read: a timeout or reset after it was
 * written, a 5xx, a cancel while waiting, a reply that is not HTTP, a 3xx,
 * a 2xx that is not JSON, is over 1 MiB or carries no message id without
 * saying it refused the message; it is not retried: look at the
 * provider's status webhook before sending again), WAPF_EPROVIDER (the
 * provider refused it in a readable answer: a 4xx, or a 2xx carrying an
 * error), WAPF_EREFUSED (journal, kind or caption
 * the provider cannot take, template refused for qikchat/lipachat),
 * WAPF_EIO (the journal cannot be opened or written: nothing is sent), and
 * those of wapf_send().
 * Thread rules: one context per thread; any number of threads or
 * processes may send through one journal and cache at once (SQLite WAL
 * and BEGIN IMMEDIATE around the claim; PostgreSQL: a transaction lock
 * on the message's key): two never both send one message. A message
 * claimed by another run that is still sending it is refused with
 * res->duplicate = 2. When the journal cannot record the outcome of a
 * message that was sent (a PostgreSQL server lost and not back within
 * WA_PREFLIGHT_DB_WAIT_S, default 300 s), the result is WAPF_EUNKNOWN. */
WAPF_API int wapf_send_message(wapf_context *ctx, const wapf_send_request *req,
                               const wapf_send_result *media,
                               wapf_send_result *res);

/** One row of the send journal, for wapf_journal_list(). Strings are ""
 * when absent and valid only during the callback. */
typedef struct wapf_journal_entry {
  double at, updated; /* seconds since the epoch (UTC) */
  const char *provider, *sender, *recipient;
  const char *media; /* the file's SHA-256, or the media id / link */
  const char *kind, *caption, *template_name;
  const char *state; /* "pending" (a run is sending it now), "sent",
                        "failed", "unknown" (also a pending whose run is
                        gone: at once on its own host, after its lease
                        (WA_PREFLIGHT_LEASE_S, default 600 s) when it
                        was claimed on another host) */
  const char *message_id, *detail;
  /** The delivery state reported by the provider's status webhooks
   * (wapf_webhook_ingest()): "" (none yet), "sent", "delivered", "read",
   * "played" or "failed", merged monotonically (failed is final). */
  const char *status;
  /** errors[] of a failed status as JSON ("[{\"code\":131053,...}]"),
   * "" when none. */
  const char *errors;
  double status_at; /* the status's own timestamp (seconds), 0 none */
  uint8_t reserved[8];
} wapf_journal_entry;

/** Called for each row; return non-zero to stop. */
typedef int (*wapf_journal_fn)(void *cookie, const wapf_journal_entry *e);

/** List the journal (the store of wapf_set_store(); on SQLite the journal
 * in cache_dir, NULL: the state folder), oldest first, rows at or after since
 * (seconds since the epoch; 0 = all). Errors: WAPF_EINVAL, WAPF_EIO. */
WAPF_API int wapf_journal_list(wapf_context *ctx, const char *cache_dir,
                               double since, wapf_journal_fn fn, void *cookie);

/** The failures: journal rows whose status webhook said "failed" (or
 * whose send failed), oldest first, then the failed statuses that match
 * no journal row (a message sent by another program: provider,
 * message_id, recipient, status, errors and at set, state ""), at or
 * after since.
 * Errors: WAPF_EINVAL, WAPF_EIO. */
WAPF_API int wapf_journal_failures(wapf_context *ctx, const char *cache_dir,
                                   double since, wapf_journal_fn fn,
                                   void *cookie);

/** The rows whose provider message id is message_id (normally one), for
 * a caller that waits for a delivery state (`send --wait`): poll it.
 * Errors: WAPF_EINVAL, WAPF_EIO. */
WAPF_API int wapf_journal_find(wapf_context *ctx, const char *cache_dir,
                               const char *message_id, wapf_journal_fn fn,
                               void *cookie);

/** What the preflight knows about a failure e (a row given to the
 * callback of wapf_journal_failures() or wapf_journal_list()): a one-line
 * diagnosis of the provider's errors (e->errors, or e->detail for a send
 * that failed at once) from the rules -- 131053 with "Unsupported Audio
 * mime type audio/opus" (Opus uploaded under the wrong type), a weblink
 * that answered 429 or 403, an HTML page instead of the file, a size over
 * the limit; 131047: the 24-hour window is closed, send a template --
 * written into out (always NUL-terminated; "" when nothing is known).
 * When the journal still knows the file sent (cache_dir as for
 * wapf_journal_list()) and it is unchanged (same SHA-256), it is probed
 * and checked again as the kind sent, and the check's verdict is added.
 * May be called from inside the callback. Errors: WAPF_EINVAL. */
WAPF_API int wapf_diagnose(wapf_context *ctx, const char *cache_dir,
                           const wapf_journal_entry *e, char *out, size_t size);

/* ------------------------------------------------------------------------
 * Status webhooks (lib/send): the outcome of each message, from the
 * provider, into the journal.
 *
 *     wapf_webhook_request w;
 *     wapf_default_webhook_request(&w);
 *     w.provider = WAPF_PROVIDER_META;
 *     w.body = body; w.body_len = n;          // the raw bytes, as received
 *     w.header = my_lookup; w.header_cookie = conn;
 *     wapf_webhook_result r;
 *     int rc = wapf_webhook_ingest(ctx, &w, &r);
 *     // WAPF_OK: committed, answer 200; WAPF_EREFUSED: 401;
 *     // WAPF_ECORRUPT / WAPF_ELIMIT: 400 / 413; else 500 (retried later)
 *
 * Proof, checked before the body is parsed, every comparison in constant
 * time; the secrets come from the environment or the config file (see
 * wapf_config_get()), never from the request:
 *   meta       X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
 *              body under WA_APP_SECRET>
 *   360dialog  the same under WA_360DIALOG_APP_SECRET when set; else the
 *              shared secret WA_WEBHOOK_SECRET_360DIALOG
 *   onprem, qikchat, lipachat: the shared secret WA_WEBHOOK_SECRET_ONPREM,
 *              _QIKCHAT, _LIPACHAT given as the password of HTTP Basic
 *              authorization, or as the value of the header named by
 *              WA_WEBHOOK_SECRET_HEADER (default X-Webhook-Secret), or as
 *              path_secret (a secret segment of the registered URL).
 * No secret configured for the provider: WAPF_ECONFIG (nothing accepted).
 *
 * Shapes: meta and 360dialog entry[].changes[].value.statuses[]; onprem a
 * top-level statuses[]; qikchat a top-level statuses (array or one
 * object) of Cloud API status objects; lipachat one object {messageId,
 * status, timestamp?, errors? or statusDesc?}. A body with no status
 * (an inbound message) is accepted and records nothing.
 *
 * Every status of one body is committed in one transaction: kept in the
 * journal's event table (a duplicate -- same provider, message id and
 * status -- is a no-op), and merged into the matching send
 * (biz_opaque_callback_data or Lipachat's messageId = the send's
 * reference; else the provider's message id) monotonically: sent <
 * delivered < read < played < failed, a lower one after a higher changes
 * nothing, failed keeps its errors. A send that ended "unknown" becomes
 * "sent" (or "failed") with the message id of the status. A status that
 * matches no send is kept and attached when its send is recorded.
 * Thread rules: any number of threads and processes at once (SQLite WAL,
 * BEGIN IMMEDIATE). */

/** A request header by name (case-insensitive), or NULL. */
typedef const char *(*wapf_header_fn)(void *cookie, const char *name);

typedef struct wapf_webhook_request {
  wapf_provider provider;
  const char *body; /* the raw body (not NUL-terminated), borrowed */
  size_t body_len;  /* at most WAPF_WEBHOOK_MAX_BODY (else WAPF_ELIMIT) */
  wapf_header_fn header;
  void *header_cookie;
  const char *path_secret; /* the secret segment of the URL, or NULL */
  const char *cache_dir;   /* journal folder, as wapf_send_request's */
  const char *config_path; /* as wapf_send_request's */
  /** 1: also queue the body (unchanged) in the journal's outbox for
   * forwarding, in the same transaction (see wapf_outbox_next()). */
  int forward;
  uint8_t reserved[28];
} wapf_webhook_request;

#define WAPF_WEBHOOK_MAX_BODY (1 << 20)

typedef struct wapf_webhook_result {
  int events;   /* statuses in the body */
  int recorded; /* new ones (the rest were duplicates) */
  int matched;  /* new ones that matched a send of the journal */
  int queued;   /* 1 when the body was queued for forwarding */
  uint8_t reserved[32];
} wapf_webhook_result;

WAPF_API void wapf_default_webhook_request(wapf_webhook_request *r);

/** Verify, parse and commit one webhook (see above). res may be NULL.
 * Errors: WAPF_EINVAL (NULL ctx/req/body, reserved not zero), WAPF_ELIMIT
 * (body over the cap), WAPF_ECONFIG (no secret for the provider),
 * WAPF_EREFUSED (missing or wrong proof: nothing is parsed or recorded),
 * WAPF_ECORRUPT (not JSON, or not the provider's shape: nothing
 * recorded), WAPF_EIO (the journal: nothing recorded). */
WAPF_API int wapf_webhook_ingest(wapf_context *ctx,
                                 const wapf_webhook_request *req,
                                 wapf_webhook_result *res);

/** One queued body of the outbox, for a forwarder. */
typedef struct wapf_outbox_item {
  long long id;     /* pass to wapf_outbox_done() */
  const char *body; /* the raw body as received, valid in the callback */
  size_t body_len;
  const char *provider;
  int attempts;   /* failed deliveries so far */
  double next_at; /* not before (seconds since the epoch) */
  uint8_t reserved[16];
} wapf_outbox_item;

/** The oldest queued body whose next_at has come (one item in arrival
 * order: a later body is never handed out before an earlier one is
 * done). fn is called once, or not at all when nothing is due (returns
 * WAPF_OK either way; *found says). Errors: WAPF_EINVAL, WAPF_EIO. */
WAPF_API int wapf_outbox_next(wapf_context *ctx, const char *cache_dir,
                              void (*fn)(void *cookie,
                                         const wapf_outbox_item *it),
                              void *cookie, int *found);
/** Delivered (ok 1: removed) or not (ok 0: attempts + 1, next_at =
 * now + retry_in seconds). Errors: WAPF_EINVAL, WAPF_EIO. */
/** HMAC-SHA256 of data under key, as 64 lower-case hex digits and a NUL:
 * how a forwarded body is signed (X-Preflight-Signature-256: sha256=HEX,
 * key WA_FORWARD_SECRET) and how Meta signs its webhooks. */
WAPF_API void wapf_hmac_sha256_hex(const char *key, const void *data,
                                   size_t len, char hex[65]);
WAPF_API int wapf_outbox_done(wapf_context *ctx, const char *cache_dir,
                              long long id, int ok, double retry_in);

/** Check, convert when needed, upload or publish, and send path to
 * req->to: wapf_upload() then wapf_send_message() in one call. opt may be
 * NULL (defaults; opt->kind picks the kind, e.g.
 * WAPF_KIND_VOICE for a voice note); the provider's target flags are
 * added to it. res may be NULL.
 * Errors: WAPF_EINVAL (bad request field; link and publish together),
 * WAPF_ECONFIG (missing credentials, from or base; a link-only provider
 * without link or publish; insecure config file; plain HTTP to a host
 * that is not loopback; a provider certificate that does not verify),
 * WAPF_EREFUSED (refused before any request to the provider: caption,
 * kind the provider cannot take, a document name with another extension,
 * a link that fails verification, a file that is not compliant with a
 * link), WAPF_EUNFIXABLE (cannot be made compliant), WAPF_EPROVIDER (the
 * provider or the storage refused, including a rejected key, or answered
 * something that is not the documented success; res->provider_code and
 * provider_error say how), WAPF_ENETWORK (unreachable, or 429/503 still
 * after the retries, the message provably not sent: worth trying later),
 * WAPF_EUNKNOWN (see wapf_send_message()), WAPF_ECANCELLED,
 * and the errors of wapf_probe() and wapf_convert().
 * The media-id cache: an id uploaded for the same provider, base URL,
 * sender and file content (SHA-256) within 30 days is sent without
 * uploading again; if the provider no longer knows it, the file is
 * uploaded once more. */
WAPF_API int wapf_send(wapf_context *ctx, const char *path,
                       const wapf_options *opt, const wapf_send_request *req,
                       wapf_send_result *res);

/* ------------------------------------------------------------------------
 * Batch (lib/batch): a whole folder into a mirrored folder of compliant
 * files, in parallel, resumable.
 *
 *     wapf_batch_settings bs;
 *     wapf_batch_default_settings(&bs);
 *     bs.jobs = 4;                         // 0 = one per core
 *     bs.on_event = my_progress;           // optional
 *     wapf_batch_summary sum;
 *     int rc = wapf_batch_run(ctx, "photos", "photos-wa", &bs, &sum);
 *     // rc == WAPF_OK: the folder was processed; sum.failed files failed
 *
 * Every regular file under indir (recursively, in sorted byte order) is
 * probed, checked and converted with the calls above into the same
 * relative folder under outdir: `<stem><out_ext>` (a compliant file is
 * copied unchanged and keeps its name; a document keeps its name). Two
 * inputs of one folder that would land on the same name get "-2", "-3",
 * ... in sorted input order (a.mkv -> a.mp4, a.mov -> a-2.mp4), and the
 * event says so. Hidden files and folders (name starting with '.'),
 * outdir itself when it lies inside indir, and anything that is not a
 * regular file or folder are skipped; symbolic links are followed only
 * when they point inside indir, and each folder is visited once (no loops).
 *
 * State: outdir/.wa-preflight/ holds an SQLite database (WAL) keyed by
 * the relative input path: the input's size, mtime and SHA-256, the
 * options used, the output's path, size, mtime and SHA-256, the outcome.
 * A later run skips inputs that are done and unchanged, and redoes those
 * whose input changed, whose options changed, or whose output is missing
 * or altered. Failures that would fail again (corrupt, unsupported,
 * unfixable, over a limit, empty) are remembered and not retried until
 * the input changes. Outputs are written by wapf_convert() (temporary file
 * + rename) and recorded after the rename, so a run killed at any moment
 * loses no finished output and leaves no partial one; the next run
 * removes the temporary files a killed run left in outdir, and only those
 * its state recorded as its own: the temporary name of an output the
 * state marks as being written (".<name>.XXXXXX<ext>" beside it), made
 * after that mark; any other file, whatever its name, is left alone. A
 * file in outdir
 * that an earlier run did not write is never replaced: that input fails
 * with WAPF_EEXIST. Two runs on one outdir at once are refused (except
 * shards, below: each has its own state and lock).
 * ---------------------------------------------------------------------- */

/** What happened to one input. */
typedef enum wapf_batch_action {
  WAPF_BATCH_CONVERTED = 0, /* a compliant version was made */
  WAPF_BATCH_COPIED,        /* already compliant: copied unchanged */
  WAPF_BATCH_SKIPPED,       /* done by an earlier run, nothing changed */
  WAPF_BATCH_FAILED,        /* not done; the event's error says why */
} wapf_batch_action;

/** "converted", "copied", "skipped", "failed". Static storage. */
WAPF_API const char *wapf_batch_action_name(wapf_batch_action action);

typedef enum wapf_batch_event_type {
  WAPF_BATCH_EV_CHECKED = 0, /* planning: a file was probed and checked */
  WAPF_BATCH_EV_STARTED,     /* a worker began writing a file's output */
  WAPF_BATCH_EV_FINISHED,    /* a file's outcome is final (once per input) */
} wapf_batch_event_type;

/** One event of a batch. Every pointer is owned by the batch and valid
 * only during the callback. */
typedef struct wapf_batch_event {
  wapf_batch_event_type type;
  const char *path;   /* input path relative to indir ('/'-separated) */
  const char *output; /* output path relative to outdir; NULL when none
                         (failed, or not yet known) */
  int renamed;        /* 1 when output got a "-N" suffix (collision) */
  wapf_kind kind;     /* the kind checked; WAPF_KIND_AUTO if unknown */
  wapf_plan plan;     /* the plan of wapf_check (WAPF_PLAN_NONE if none) */
  wapf_batch_action action;  /* FINISHED: the outcome (a dry run: what a
                                real run would do) */
  int status;                /* FINISHED: WAPF_OK or the file's error code */
  const char *error;         /* FINISHED: one-line reason; "" when none */
  const char *note;          /* "" or e.g. "a.mkv also becomes a.mp4" */
  const wapf_report *report; /* findings, when the file was checked in
                                this run; NULL otherwise */
  int from_state; /* FINISHED: 1 when known from an earlier run's state */
  int64_t bytes_in, bytes_out;     /* bytes_out 0 when nothing was written */
  double seconds;                  /* time spent on this file */
  int64_t done, total;             /* CHECKED: files checked / to check;
                                      STARTED and FINISHED: files finished /
                                      all inputs */
  int64_t bytes_done, bytes_total; /* input bytes of the finished files /
                                      of all inputs (for an ETA) */
  uint8_t reserved[32];
} wapf_batch_event;

/** Per-event callback. Called only on the thread that called
 * wapf_batch_run(), never from a worker. Return non-zero to stop the batch
 * (wapf_batch_run() then returns WAPF_ECANCELLED). */
typedef int (*wapf_batch_event_fn)(void *cookie, const wapf_batch_event *ev);

typedef struct wapf_batch_settings {
  /** Files converted at once, each by its own worker thread with its own
   * context. 0 (default) = the number of online cores; range 0..256.
   * Each worker's encoders get max(1, budget / jobs) threads, where the
   * budget is the context's settings.threads or, when that is 0, the
   * number of cores: the total stays near the budget. */
  int jobs;
  /** Options for every file (wapf_default_options(): kind AUTO, ...).
   * overwrite, progress and progress_cookie are ignored: the batch owns
   * them. Pointer members must stay valid during wapf_batch_run(). */
  wapf_options options;
  /** 1: probe and check every file and report what a run would do, but
   * write nothing at all (not the state, not outdir). Default 0. */
  int dry_run;
  /** Where to write a JSON report with one entry per input (path, kind,
   * action, output, findings, error), replaced atomically; NULL (default)
   * writes none. Written in a dry run too (the plan). */
  const char *report_path;
  /** Progress and outcome of each file; NULL (default) = none. */
  wapf_batch_event_fn on_event;
  void *event_cookie;
  /** Shards: shard_count N > 0 splits the inputs into N disjoint parts and
   * this run takes only part shard_index K (0 <= K < N). An input belongs
   * to the part of its *collision group*: its relative path without the
   * extension of the last component, with every trailing "-<digits>"
   * removed ("clips/a.mkv", "clips/a.mov" and "clips/a-2.mp4" are all
   * "clips/a"), so that the inputs that can compete for one output name
   * are always in the same shard and every output name (with its "-N"
   * numbering) is the one an unsharded run gives. The part is
   * FNV-1a 64 (offset basis 14695981039346656037, prime 1099511628211)
   * of the group's bytes, modulo N: the same on every machine and
   * version (wapf_batch_shard_of()). A shard keeps its own state,
   * outdir/.wa-preflight/shard-K-of-N.db, and its own lock
   * (shard-K-of-N.lock), so N shards run at once on one outdir (shared
   * or network file system); an unsharded run (N = 0, default) keeps
   * state.db and excludes every shard. Range: N 0..100000. */
  int shard_index, shard_count;
  /** An explicit list of inputs (paths relative to indir, '/'-separated)
   * instead of the whole folder; NULL (default) walks indir. A listed
   * folder brings everything under it; a listed file brings the other
   * files of its collision group (same folder, see above), so numbering
   * stays the same as a full run. Absolute paths and paths with a ".."
   * component are refused (WAPF_EINVAL, the line names the path); a listed
   * path that does not exist fails as that input (WAPF_ENOENT). Combines
   * with shards (the listed inputs of part K). The array and its strings
   * must stay valid during wapf_batch_run(). */
  const char *const *inputs;
  size_t n_inputs;
  /** Reserved for future fields; must be zero. */
  uint8_t reserved[40];
} wapf_batch_settings;

/** Counts of one kind (or of all files). */
typedef struct wapf_batch_counts {
  int64_t converted, copied, skipped, failed;
  int64_t bytes_in;     /* input bytes of the files of this kind */
  int64_t bytes_out;    /* output bytes written in this run (skipped: 0) */
  double seconds;       /* time the workers spent on them (summed) */
  uint8_t reserved[32]; /* future members (array stride fixed); zero */
} wapf_batch_counts;

/** Room in wapf_batch_summary.kinds: every wapf_kind value, present and
 * future, is below it (new kinds take free slots; it never changes within
 * a soname). */
#define WAPF_BATCH_KIND_SLOTS 16

typedef struct wapf_batch_summary {
  int64_t files;   /* inputs found (regular files, not hidden) */
  int64_t ignored; /* links out of indir, special files (not inputs) */
  int64_t renamed; /* outputs that got a "-N" suffix */
  wapf_batch_counts all;
  /** Per kind, indexed by wapf_kind; [WAPF_KIND_AUTO] counts files whose
   * kind is unknown (they could not be probed). Slots of no kind (today
   * those past WAPF_KIND_DOCUMENT) stay zero. */
  wapf_batch_counts kinds[WAPF_BATCH_KIND_SLOTS];
  double seconds; /* wall time of the run */
  int jobs;       /* workers used */
  uint8_t reserved[64];
} wapf_batch_summary;

/** Fill *bs with the defaults above (options from wapf_default_options()). */
WAPF_API void wapf_batch_default_settings(wapf_batch_settings *bs);

/** Convert every file under indir into outdir (created when missing) as
 * described above. ctx gives the settings (limits, logger) for the
 * workers' contexts; the logger is called from the worker threads too.
 * wapf_cancel(ctx) (e.g. from a signal handler) stops the batch: the
 * files in progress are abandoned without partial output, the state keeps
 * what is done. bs NULL = defaults; sum may be NULL, and is filled also
 * when the batch stops early.
 * Returns WAPF_OK when every file was handled, whether or not some failed
 * (sum->all.failed says how many; each failure has its own event and
 * report entry). Errors: WAPF_EINVAL (bad settings, outdir equal to indir,
 * indir not a folder), WAPF_ENOENT (indir missing), WAPF_EIO (outdir or
 * its state cannot be created or opened, another batch is running on
 * outdir, the report cannot be written), WAPF_ENOMEM, WAPF_ECANCELLED. */
WAPF_API int wapf_batch_run(wapf_context *ctx, const char *indir,
                            const char *outdir, const wapf_batch_settings *bs,
                            wapf_batch_summary *sum);

/** The shard (0..shard_count-1) of the input at relative path rel, as
 * described at wapf_batch_settings.shard_count; -1 when rel is NULL or
 * shard_count < 1. Pure function, any thread. */
WAPF_API int wapf_batch_shard_of(const char *rel, int shard_count);

/* ----------------------------------------------------------------------
 * Reading a batch's state (wa-preflight report): every state database
 * under outdir/.wa-preflight/ (state.db and every shard-K-of-N.db),
 * opened read-only: no lock is taken and nothing is written, so it can
 * run while shards are still working (it then sees what they have
 * committed so far).
 * ---------------------------------------------------------------------- */

/** One input as its state database recorded it. */
typedef struct wapf_batch_record {
  const char *path;     /* input, relative to indir */
  const char *output;   /* output relative to outdir; NULL when none */
  const char *status;   /* "done", "pending" (being written when the run
                           stopped), "failed" (would fail again), "error" */
  const char *error;    /* one line; NULL when none */
  const char *findings; /* JSON array text of the check's findings, or NULL */
  const char *db;       /* the state file it comes from, e.g.
                           "shard-2-of-3.db" */
  wapf_kind kind;       /* WAPF_KIND_AUTO when unknown */
  wapf_plan plan;
  wapf_batch_action action;    /* converted, copied or failed (the run that
                                  wrote it); skipped is never recorded */
  int code;                    /* WAPF_E* of a failure, else WAPF_OK */
  int64_t bytes_in, bytes_out; /* bytes_out 0 unless done */
  uint8_t reserved[32];
} wapf_batch_record;

/** One state database (or a missing shard). */
typedef struct wapf_batch_shard_state {
  const char *db;   /* file name under .wa-preflight/ */
  int shard_index;  /* K; -1 for state.db */
  int shard_count;  /* N; 0 for state.db */
  int present;      /* 0: shard K of N has no database (never ran) */
  int finished;     /* 1: its last run handled every input */
  int64_t planned;  /* inputs its last run took (-1 unknown) */
  int64_t recorded; /* rows it holds */
  uint8_t reserved[32];
} wapf_batch_shard_state;

typedef struct wapf_batch_state_report {
  wapf_batch_record *records; /* sorted by path; one per input (when two
                                 databases hold a path, the newer row) */
  size_t n_records;
  wapf_batch_shard_state *shards; /* sorted: state.db, then by N and K */
  size_t n_shards;
  int64_t unfinished;    /* shards missing or not finished */
  int64_t pending;       /* records with status "pending" */
  wapf_batch_counts all; /* skipped and seconds are 0 */
  wapf_batch_counts kinds[WAPF_BATCH_KIND_SLOTS]; /* per kind, as
                                                    wapf_batch_summary */
  uint8_t reserved[64];
} wapf_batch_state_report;

/** Read every state database of outdir into *out (free it with
 * wapf_batch_state_report_free()). Any thread, with its own ctx.
 * Errors: WAPF_EINVAL (NULL argument), WAPF_ENOENT (no state under
 * outdir), WAPF_EIO (a database cannot be read: the detail names it),
 * WAPF_ENOMEM. */
WAPF_API int wapf_batch_state_read(wapf_context *ctx, const char *outdir,
                                   wapf_batch_state_report **out);
/** Free a report of wapf_batch_state_read() and set *r to NULL (NULL ok). */
WAPF_API void wapf_batch_state_report_free(wapf_batch_state_report **r);

#ifdef __cplusplus
}
#endif
#endif /* WAPF_H */
