# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small ctypes binding of libwapf, written from include/wapf.h the way a
binding author would: the public structures by hand, every function with
its prototype. tests/install/test_binding.py loads it against the installed
library and checks these layouts against tests/install/abi-layout.txt."""
import ctypes as C

u8 = C.c_uint8
LOG_FN = C.CFUNCTYPE(None, C.c_void_p, C.c_int, C.c_char_p)
PROGRESS_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_double)

WAPF_OK, WAPF_EINVAL, WAPF_ENOENT = 0, -1, -4
MEDIA_AV = 1
PLAN_REMUX = 2
LOG_DEBUG = 3


class Settings(C.Structure):
    _fields_ = [("logger", LOG_FN), ("log_cookie", C.c_void_p),
                ("log_level", C.c_int), ("max_pixels", C.c_uint64),
                ("max_duration", C.c_double), ("max_long_side", C.c_int),
                ("threads", C.c_int), ("reserved", u8 * 64)]


class Stream(C.Structure):
    _fields_ = [("index", C.c_int), ("type", C.c_int),
                ("codec", C.c_char * 32), ("profile", C.c_char * 32),
                ("level", C.c_int), ("pix_fmt", C.c_char * 32),
                ("bit_depth", C.c_int), ("chroma", C.c_int),
                ("width", C.c_int), ("height", C.c_int),
                ("rotation", C.c_int), ("interlaced", C.c_int),
                ("fps", C.c_double), ("frames", C.c_int64),
                ("attached_pic", C.c_int), ("sample_rate", C.c_int),
                ("channels", C.c_int), ("duration", C.c_double),
                ("bit_rate", C.c_int64), ("is_default", C.c_int),
                ("language", C.c_char * 8), ("decoder_available", C.c_int),
                ("reorder_depth", C.c_int), ("b_frames", C.c_int),
                ("reserved", u8 * 56)]


class ImageFacts(C.Structure):
    _fields_ = [("width", C.c_int), ("height", C.c_int), ("bands", C.c_int),
                ("bit_depth", C.c_int), ("has_alpha", C.c_int),
                ("alpha_used", C.c_int), ("interpretation", C.c_char * 16),
                ("palette", C.c_int), ("has_icc", C.c_int),
                ("icc_srgb", C.c_int), ("orientation", C.c_int),
                ("has_exif", C.c_int), ("has_gps", C.c_int),
                ("frames", C.c_int), ("animated", C.c_int), ("loop", C.c_int),
                ("n_delays", C.c_size_t), ("delays_ms", C.POINTER(C.c_int)),
                ("duration", C.c_double), ("loader", C.c_char * 32),
                ("reserved", u8 * 32)]


class Facts(C.Structure):
    _fields_ = [("path", C.c_char_p), ("size", C.c_int64),
                ("mime", C.c_char_p), ("format", C.c_char * 32),
                ("media", C.c_int), ("duration", C.c_double),
                ("bit_rate", C.c_int64), ("moov_at_end", C.c_int),
                ("fragmented", C.c_int), ("n_streams", C.c_size_t),
                ("streams", C.POINTER(Stream)), ("damaged", C.c_int),
                ("damage", C.c_char_p), ("reserved", u8 * 32),
                ("image", ImageFacts)]


class Options(C.Structure):
    _fields_ = [("kind", C.c_int), ("stereo", C.c_int),
                ("audio_track", C.c_int), ("start", C.c_double),
                ("duration", C.c_double), ("png", C.c_int),
                ("background", C.c_uint32), ("fit", C.c_int),
                ("keep_metadata", C.c_int), ("overwrite", C.c_int),
                ("target_flags", C.c_uint), ("pack_id", C.c_char_p),
                ("pack_name", C.c_char_p), ("publisher", C.c_char_p),
                ("emoji", C.c_char_p), ("progress", PROGRESS_FN),
                ("progress_cookie", C.c_void_p), ("speed", C.c_int),
                ("mp3", C.c_int), ("reserved", u8 * 56)]


class Finding(C.Structure):
    _fields_ = [("id", C.c_char_p), ("severity", C.c_int),
                ("message", C.c_char_p), ("reserved", u8 * 32)]


class Report(C.Structure):
    _fields_ = [("kind", C.c_int), ("compliant", C.c_int),
                ("n_findings", C.c_size_t), ("findings", C.POINTER(Finding)),
                ("plan", C.c_int), ("plan_reason", C.c_char_p),
                ("out_mime", C.c_char_p), ("out_ext", C.c_char * 12),
                ("reserved", u8 * 32)]


class VideoDecision(C.Structure):
    _fields_ = [("made", u8), ("skipped", u8), ("candidates", u8),
                ("chosen", u8), ("height", C.c_uint16 * 4),
                ("ssim", C.c_uint16 * 4), ("frames", C.c_uint16),
                ("trial_cs", C.c_uint16), ("kbps", C.c_uint16)]


class Result(C.Structure):
    _fields_ = [("action", C.c_int), ("kind", C.c_int),
                ("bytes_in", C.c_int64), ("bytes_out", C.c_int64),
                ("seconds", C.c_double), ("mime", C.c_char * 128),
                ("note", C.c_char * 240), ("video", VideoDecision),
                ("video_dropped", u8), ("video_aq", u8),
                ("video_aq_ssim", C.c_uint16), ("video_refills", u8),
                ("video_first_fill", u8)]


class SendResult(C.Structure):
    _fields_ = [("message_id", C.c_char * 160), ("media_id", C.c_char * 160),
                ("cache_hit", C.c_int), ("kind", C.c_int), ("plan", C.c_int),
                ("url", C.c_void_p), ("link_caching", C.c_char * 240),
                ("http_status", C.c_int), ("attempts", C.c_int),
                ("provider_code", C.c_int), ("provider_error", C.c_char * 240),
                ("sha256", u8 * 32), ("duplicate", C.c_int),
                ("request", u8 * 24), ("reserved", u8 * 4)]


STRUCTS = {"wapf_settings": Settings, "wapf_stream": Stream,
           "wapf_image_facts": ImageFacts, "wapf_facts": Facts,
           "wapf_options": Options, "wapf_finding": Finding,
           "wapf_report": Report, "wapf_result": Result,
           "wapf_video_decision": VideoDecision,
           "wapf_send_result": SendResult}

P = C.c_void_p  # wapf_context *


def load(path):
    """The library at path with every prototype this binding uses."""
    lib = C.CDLL(path)
    protos = {
        "wapf_version": (C.c_char_p, []),
        "wapf_version_number": (C.c_uint, []),
        "wapf_strerror": (C.c_char_p, [C.c_int]),
        "wapf_err_name": (C.c_char_p, [C.c_int]),
        "wapf_default_settings": (None, [C.POINTER(Settings)]),
        "wapf_open": (C.c_int, [C.POINTER(P), C.POINTER(Settings)]),
        "wapf_close": (None, [C.POINTER(P)]),
        "wapf_last_error": (C.c_char_p, [P]),
        "wapf_free": (None, [C.c_void_p]),
        "wapf_probe": (C.c_int, [P, C.c_char_p, C.POINTER(C.POINTER(Facts))]),
        "wapf_facts_free": (None, [C.POINTER(C.POINTER(Facts))]),
        "wapf_default_options": (None, [C.POINTER(Options)]),
        "wapf_check": (C.c_int, [P, C.POINTER(Facts), C.POINTER(Options),
                                 C.POINTER(C.POINTER(Report))]),
        "wapf_report_free": (None, [C.POINTER(C.POINTER(Report))]),
        "wapf_plan_name": (C.c_char_p, [C.c_int]),
        "wapf_convert": (C.c_int, [P, C.POINTER(Facts), C.POINTER(Report),
                                   C.POINTER(Options), C.c_char_p,
                                   C.POINTER(Result)]),
        "wapf_config_get": (C.c_int, [P, C.c_char_p, C.c_char_p,
                                      C.POINTER(C.c_void_p)]),
        "wapf_send_result_clear": (None, [C.POINTER(SendResult)]),
    }
    for name, (res, args) in protos.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib
