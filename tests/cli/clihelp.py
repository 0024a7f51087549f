# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers shared by the CLI tests: sanity of a run, hashes, folder
listings, an MP4 top-level box walk, and the expected verdicts computed
from independent tools (ffprobe, vipsheader, webpinfo)."""
import hashlib
import json
import os
import struct
import subprocess

from wapftest import *

TIMEOUT = 120  # any single run of the tool; a hang fails the test


def sane(p):
    """The process ended by itself: no signal, no abort, no sanitizer."""
    rc = p.returncode
    assert rc >= 0 and rc not in (134, 136, 139), f"crashed: rc={rc}\n{p.stderr}"
    assert "AddressSanitizer" not in p.stderr, p.stderr
    assert "runtime error:" not in p.stderr, p.stderr
    return p


def tool(*args, **kw):
    kw.setdefault("timeout", TIMEOUT)
    return sane(run(*args, **kw))


def tool_json(*args, **kw):
    kw.setdefault("timeout", TIMEOUT)
    p, doc = run_json(*args, **kw)
    sane(p)
    return p, doc


def lines(text):
    return [l for l in text.splitlines() if l.strip()]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def listing(d):
    """Every name in d, hidden ones included (temporary files start with .)."""
    return sorted(os.listdir(d))


def mp4_top_boxes(path):
    """[(type, offset, size)] of the top-level ISO-BMFF boxes."""
    return mp4_boxes(path)


# ---- independent verdicts -------------------------------------------------

H264_PROFILES = {"Baseline", "Constrained Baseline", "Main", "High"}


def has_bframes(path, v):
    """Meta: Android clients do not play H.264 with B-frames. ffprobe's
    reorder depth, else a B among the first 64 frames' types."""
    if int(v.get("has_b_frames", 0)) > 0:
        return True
    out = sh(f"ffprobe -v error -select_streams {v['index']} -read_intervals %+#64 "
             f"-show_entries frame=pict_type -of csv=p=0 '{path}'")
    return "B" in out


def expect_video(path):
    """(compliant, why) for `--as video`, from ffprobe and a box walk."""
    info = ffprobe(path)
    why = []
    fmt = info["format"]["format_name"]
    streams = info["streams"]
    video = [s for s in streams if s["codec_type"] == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    audio = [s for s in streams if s["codec_type"] == "audio"]
    other = [s for s in streams if s not in video and s not in audio]
    boxes = [b[0] for b in mp4_top_boxes(path)] if "mp4" in fmt else []
    if "mp4" not in fmt:
        why.append("container")
    for v in video:
        if v.get("codec_name") != "h264":
            why.append("codec")
        if v.get("pix_fmt") not in ("yuv420p", "yuvj420p"):
            why.append("pix_fmt")
        if v.get("codec_name") == "h264" and v.get("profile") not in H264_PROFILES:
            why.append("profile")
        if v.get("codec_name") == "h264" and has_bframes(path, v):
            why.append("bframes")
        w, h = v.get("width", 0), v.get("height", 0)
        if w % 2 or h % 2:
            why.append("odd")
        if max(w, h) > 1920:
            why.append("long side")
        if v.get("field_order", "progressive") not in ("progressive", "unknown"):
            why.append("interlaced")
    if any(a.get("codec_name") != "aac" for a in audio):
        why.append("audio codec")
    if len(audio) > 1:
        why.append("audio streams")
    if other:
        why.append("extra streams")
    if "moov" in boxes and "mdat" in boxes and boxes.index("moov") > boxes.index("mdat"):
        why.append("moov")
    if "moof" in boxes:
        why.append("fragmented")
    if os.path.getsize(path) > 16_000_000:
        why.append("size")
    return not why, why


AUDIO_OK_FORMATS = {"aac", "mp3", "amr"}


def expect_audio(path):
    info = ffprobe(path)
    fmt = info["format"]["format_name"]
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    why = []
    if len(audio) != 1:
        why.append("streams")
    a = audio[0] if audio else {}
    codec = a.get("codec_name")
    if "mp4" in fmt or "m4a" in fmt:
        ok = codec == "aac"
    elif fmt == "ogg":
        ok = codec == "opus" and a.get("channels") == 1
    elif fmt in ("aac", "mp3"):
        ok = codec in ("aac", "mp3")
    elif fmt in ("amr",):
        ok = codec in ("amr_nb", "amr_wb")
    else:
        ok = False
    if not ok:
        why.append(f"{fmt}/{codec}")
    if os.path.getsize(path) > 16_000_000:
        why.append("size")
    return not why, why


def expect_image(path):
    f = vips_fields(path)
    why = []
    loader = f.get("vips-loader", "")
    if loader not in ("jpegload", "pngload"):
        why.append(f"format {loader}")
    bands = int(f["bands"])
    interp = f.get("interpretation", "").lower()
    if f.get("format", "").lower() != "uchar":
        why.append("depth")
    colour_bands = 4 if interp == "cmyk" else (1 if interp in ("b-w", "grey16") else 3)
    if bands > colour_bands:
        why.append("alpha")
    if interp not in ("srgb", "b-w"):
        why.append(f"interpretation {interp}")
    orient = f.get("orientation")
    if orient and orient.split()[0] not in ("0", "1"):
        why.append("orientation")
    if any(k.startswith("exif-ifd3-") for k in f):
        why.append("gps")
    if os.path.getsize(path) > 5_000_000:
        why.append("size")
    return not why, why


def expect_sticker(path):
    """From webpinfo: a WebP canvas of exactly 512x512 within the limits."""
    out = subprocess.run(["webpinfo", path], capture_output=True,
                         text=True).stdout
    why = []
    rows = [l.strip() for l in out.splitlines()]
    canvas = [r.split("size", 1)[1].replace(" ", "") for r in rows
              if r.startswith("Canvas size")]
    width = [r.split()[1] for r in rows if r.startswith("Width:")]
    height = [r.split()[1] for r in rows if r.startswith("Height:")]
    if not out.startswith("File:") or not (canvas or width):
        why.append("not webp")
    dims = canvas[0] if canvas else f"{width[:1]}x{height[:1]}"
    if dims != "512x512":
        why.append(f"canvas {dims}")
    animated = "Animation: 1" in out
    if os.path.getsize(path) > (500_000 if animated else 100_000):
        why.append("size")
    return not why, why


# ---- fixtures made at test time ------------------------------------------

def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def png_claiming(path, width, height):
    """A PNG whose IHDR claims width x height (a decompression bomb header)
    followed by a tiny IDAT and IEND."""
    import zlib

    def chunk(typ, body):
        return (struct.pack(">I", len(body)) + typ + body +
                struct.pack(">I", zlib.crc32(typ + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return write(path, b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                 chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def random_bytes(path, n=4096, seed=7):
    import random
    return write(path, random.Random(seed).randbytes(n))


def text_file(path):
    return write(path, b"Meeting notes\n\nThis is plain text, not a video.\n" * 20)


def truncated_copy(src, path, fraction):
    with open(src, "rb") as f:
        data = f.read()
    return write(path, data[:int(len(data) * fraction)])


def sticker_512():
    """A static 512x512 WebP with alpha, well under 100 KB."""
    return fixture("cli_sticker_512.webp",
                   "vips black {out} 512 512 --bands 4")


def long_clip():
    """25 s of 720p MPEG-4 Part 2 + MP2 in Matroska: needs a transcode that
    takes several seconds, for the interrupt test."""
    return fixture(
        "cli_long_720p_mpeg4.mkv",
        "ffmpeg -v error -f lavfi -i testsrc2=size=1280x720:rate=30 "
        "-f lavfi -i sine=frequency=440:sample_rate=48000 -t 25 "
        "-c:v mpeg4 -q:v 4 -c:a mp2 -y {out}")
