# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers of the probe tests: run probe_dump (wapf_probe -> JSON) and read
the same files independently (ffprobe, vipsheader, webpinfo, a box walk)."""
import json
import os
import re
import struct
import subprocess
import sys
import time
import zlib

from wapftest import *  # noqa: F401,F403 - re-exported to the test scripts
from wapftest import FIXTURES, Skip, fixture, sh

DUMP = sys.argv[1] if len(sys.argv) > 1 else "build/tests/probe/probe_dump"


def probe(path, *opts, timeout=60):
    """(status, facts, error, seconds) of wapf_probe() on path."""
    t0 = time.monotonic()
    p = subprocess.run([DUMP, *map(str, opts), path], capture_output=True,
                       text=True, timeout=timeout)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise AssertionError(f"probe_dump {path}: exit {p.returncode}\n"
                             f"{p.stdout}\n{p.stderr}")
    # The library never prints (libvips, libheif and FFmpeg included).
    assert not p.stderr.strip(), f"probe_dump {path} printed: {p.stderr}"
    try:
        out = json.loads(p.stdout)
    except json.JSONDecodeError as err:
        raise AssertionError(f"probe_dump {path}: not JSON ({err}): "
                             f"{p.stdout!r} {p.stderr!r}")
    return out["status"], out.get("facts"), out["error"], dt


def facts(path, *opts):
    status, f, err, _ = probe(path, *opts)
    assert status == "OK", f"{path}: {status} {err}"
    return f


def eq(what, got, want):
    assert got == want, f"{what}: got {got!r}, expected {want!r}"


def near(what, got, want, tol):
    assert abs(got - want) <= tol, f"{what}: got {got}, expected {want} ±{tol}"


def gen(name, cmd):
    """A fixture made by a shell command ({out} = output path)."""
    return fixture(name, cmd)


FF = "ffmpeg -nostdin -v error -y"


def ffgen(name, args):
    return gen(name, f"{FF} {args} {{out}}")


# ---- independent readers ----

def ffstreams(path):
    return ffprobe(path)["streams"]  # noqa: F405


def ff_rotation(st):
    """Clockwise display rotation from ffprobe's display matrix side data."""
    for sd in st.get("side_data_list", []):
        if "rotation" in sd:
            return int(round(-float(sd["rotation"]))) % 360
    rot = st.get("tags", {}).get("rotate")
    return int(rot) % 360 if rot else 0


def ff_rate(s):
    n, d = s.split("/")
    return float(n) / float(d) if float(d) else -1.0


def pixfmt_depth_chroma(pix_fmt):
    """Bit depth and chroma of an FFmpeg pixel format name, parsed here."""
    m = re.match(r"^(yuvj?|yuva|gray|ya)(4\d\d)?[a-z]*?(\d+)?(le|be)?$", pix_fmt)
    rgb = re.match(r"^(rgba?|bgra?|argb|abgr|gbrap?|pal)(\d*)(le|be)?$",
                   pix_fmt)
    if rgb:  # packed RGB counts bits per pixel; planar per component
        bits = int(rgb.group(2) or 0)
        if rgb.group(1).startswith("gbr"):
            return bits or 8, 444
        per = bits // (4 if "a" in rgb.group(1) or bits == 64 else 3)
        return (per if per >= 8 else 8), 444
    if pix_fmt.startswith("gray"):
        d = re.search(r"(\d+)", pix_fmt)
        return (int(d.group(1)) if d else 8), 400
    assert m, f"pixel format {pix_fmt} not understood by the test"
    chroma = int(m.group(2)) if m.group(2) else 444
    depth = int(m.group(3)) if m.group(3) else 8
    return depth, chroma


def vh(path):
    """vipsheader -a as a dict of field -> text."""
    return vips_fields(path)


def webpinfo(path):
    """Canvas, frames, durations, loop and chunk flags from webpinfo."""
    out = subprocess.run(["webpinfo", path], capture_output=True,
                         text=True).stdout
    info = {"frames": len(re.findall(r"Chunk ANMF", out)),
            "durations": [int(x) for x in re.findall(r"Duration: +(\d+)", out)],
            "exif": "Chunk EXIF" in out, "icc": "Chunk ICCP" in out,
            "animation": bool(re.search(r"Animation: 1", out)),
            "alpha": bool(re.search(r"Alpha: 1", out))}
    m = re.search(r"Canvas size (\d+) x (\d+)", out)
    if not m:  # a simple-format file: the one bitstream's size
        m = re.search(r"Width: +(\d+)\n +Height: +(\d+)", out)
    if m:
        info["width"], info["height"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"Loop count +: (\d+)", out)
    info["loop"] = int(m.group(1)) if m else None
    return info


def top_boxes(path):
    """[(type, offset)] of the top-level ISO boxes, read in Python."""
    return [(t, off) for t, off, _ in mp4_boxes(path)]


# ---- crafted files ----

def png_chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(
        ">I", zlib.crc32(t + d) & 0xffffffff)


def write_png_header(path, w, h):
    """A valid PNG whose IHDR claims w x h (tiny IDAT)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    with open(path, "wb") as fp:
        fp.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
                 png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) +
                 png_chunk(b"IEND", b""))


def exif_app1(orientation=None, gps=None):
    """An APP1 EXIF segment (big-endian TIFF) with Orientation and a GPS
    IFD holding GPSLatitude/Longitude (degrees, minutes, seconds)."""
    ifd0 = []
    if orientation:
        ifd0.append((0x0112, 3, 1, struct.pack(">HH", orientation, 0)))
    gps_entries = []
    extra = b""
    base = 8  # TIFF header
    n0 = len(ifd0) + (1 if gps else 0)
    ifd0_len = 2 + 12 * n0 + 4
    gps_off = base + ifd0_len
    if gps:
        lat, lon = gps
        n_g = 4
        gps_len = 2 + 12 * n_g + 4
        data_off = gps_off + gps_len

        def rat3(v):
            d = int(v)
            m = int((v - d) * 60)
            s = round(((v - d) * 60 - m) * 60 * 100)
            return struct.pack(">IIIIII", d, 1, m, 1, s, 100)
        lat_b, lon_b = rat3(abs(lat)), rat3(abs(lon))
        gps_entries = [
            (1, 2, 2, (b"N" if lat >= 0 else b"S") + b"\0\0\0"),
            (2, 5, 3, struct.pack(">I", data_off)),
            (3, 2, 2, (b"E" if lon >= 0 else b"W") + b"\0\0\0"),
            (4, 5, 3, struct.pack(">I", data_off + 24)),
        ]
        extra = lat_b + lon_b
        ifd0.append((0x8825, 4, 1, struct.pack(">I", gps_off)))
    ifd0.sort()

    def ifd(entries):
        b = struct.pack(">H", len(entries))
        for tag, typ, cnt, val in entries:
            b += struct.pack(">HHI", tag, typ, cnt) + val
        return b + b"\0\0\0\0"
    tiff = b"MM\0*" + struct.pack(">I", 8) + ifd(ifd0)
    if gps:
        tiff += ifd(gps_entries) + extra
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_exif(src, dst, **kw):
    data = open(src, "rb").read()
    assert data[:2] == b"\xff\xd8"
    open(dst, "wb").write(data[:2] + exif_app1(**kw) + data[2:])


def cut(src, dst, nbytes):
    data = open(src, "rb").read()
    open(dst, "wb").write(data[:nbytes])


def made(name, writer):
    """A fixture written by a Python function writer(out_path)."""
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name)
    if not os.path.exists(path):
        tmp = os.path.join(FIXTURES, f".tmp-{os.getpid()}-{name}")
        writer(tmp)
        os.rename(tmp, path)
    return path


def needs(tool):
    if not have(tool):  # noqa: F405
        raise Skip(f"{tool} not installed")
