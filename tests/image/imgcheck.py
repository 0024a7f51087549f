# SPDX-License-Identifier: LGPL-2.1-or-later
"""Independent inspection of image and sticker outputs (vipsheader, vips,
webpinfo, a RIFF walk) and fixture generators for the image tests."""
import json
import os
import re
import struct
import zlib

from wapftest import sh, run

IMAGE_LIMIT = 5_000_000
STICKER_LIMIT = 100_000
ANIM_LIMIT = 500_000


def fields(path):
    """vipsheader -a as a dict (first value of each field)."""
    out = sh(f"vipsheader -a '{path}'")
    d = {}
    for line in out.splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            d.setdefault(k.strip(), v.strip())
    return d


def assert_compliant_image(path, fmt="jpeg", width=None, height=None):
    """8-bit sRGB, 3 bands (no alpha), upright (no orientation other than
    1), no GPS, within 5,000,000 bytes -- read by libvips' own tools."""
    f = fields(path)
    assert f["vips-loader"] == f"{fmt}load", f
    assert f["format"] == "uchar", f
    assert f["bands"] == "3", f
    assert f["interpretation"] == "srgb", f
    assert f.get("orientation", "1") == "1", f
    assert not [k for k in f if "GPS" in k], f
    assert os.path.getsize(path) <= IMAGE_LIMIT, os.path.getsize(path)
    if width is not None:
        assert (int(f["width"]), int(f["height"])) == (width, height), f
    return f


def mean_abs_diff(a, b, tmp):
    """Mean absolute difference of two pictures of equal size (vips)."""
    d1, d2 = os.path.join(tmp, "d1.v"), os.path.join(tmp, "d2.v")
    sh(f"vips subtract '{a}' '{b}' '{d1}' && vips abs '{d1}' '{d2}'")
    return float(sh(f"vips avg '{d2}'"))


def convert(*args, rc=0):
    p = run("convert", *args)
    assert p.returncode == rc, f"exit {p.returncode}: {p.stdout} {p.stderr}"
    return p


# ---- WebP ----

def webpinfo(path):
    out = sh(f"webpinfo '{path}'")
    assert "No error detected." in out, out
    assert "Errors detected" not in out, out
    return out


def riff_chunks(path):
    """Top-level RIFF chunks of a WebP file: [(fourcc, payload)]."""
    data = open(path, "rb").read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", data[:16]
    assert struct.unpack("<I", data[4:8])[0] + 8 == len(data), "RIFF size"
    i, out = 12, []
    while i + 8 <= len(data):
        cc, n = data[i:i + 4].decode("latin-1"), struct.unpack("<I", data[i + 4:i + 8])[0]
        out.append((cc, data[i + 8:i + 8 + n]))
        i += 8 + n + (n & 1)
    assert i == len(data), "trailing bytes"
    return out


def pack_json(path):
    """The sticker pack JSON from the EXIF chunk (TIFF tag 0x5741)."""
    exif = [p for cc, p in riff_chunks(path) if cc == "EXIF"]
    assert len(exif) == 1, "one EXIF chunk"
    t = exif[0]
    assert t[:4] == b"II*\x00", t[:8]
    ifd = struct.unpack("<I", t[4:8])[0]
    (n,) = struct.unpack("<H", t[ifd:ifd + 2])
    for k in range(n):
        e = t[ifd + 2 + 12 * k: ifd + 14 + 12 * k]
        tag, typ, cnt, off = struct.unpack("<HHII", e)
        if tag == 0x5741:
            assert typ == 7, typ
            return json.loads(t[off:off + cnt].decode("utf-8"))
    raise AssertionError("no tag 0x5741")


def assert_static_sticker(path):
    info = webpinfo(path)
    assert "Canvas size 512 x 512" in info or re.search(
        r"Width: 512\s+Height: 512", info), info
    assert "Animation: 1" not in info, info
    assert os.path.getsize(path) <= STICKER_LIMIT, os.path.getsize(path)
    f = fields(path)
    assert (f["width"], f["height"]) == ("512", "512"), f
    return info


def assert_animated_sticker(path):
    """512x512 canvas, animated, loops forever, every frame >= 8 ms, total
    <= 10 s, within 500,000 bytes, first frame covering the canvas.
    Returns (durations, info)."""
    info = webpinfo(path)
    assert "Animation: 1" in info, info
    assert "Canvas size 512 x 512" in info, info
    assert re.search(r"Loop count\s*:\s*0", info), info
    durs = [int(x) for x in re.findall(r"Duration: (\d+)", info)]
    assert durs and min(durs) >= 8, durs
    assert sum(durs) <= 10_000, sum(durs)
    first = info[info.index("Chunk ANMF"):]
    assert re.search(r"Offset_X: 0\s+Offset_Y: 0\s+Width: 512\s+Height: 512", first), first[:300]
    assert os.path.getsize(path) <= ANIM_LIMIT, os.path.getsize(path)
    return durs, info


# ---- fixtures ----

def png_bytes(w, h, rows, colour_type):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def write_noise_png(path, w, h, channels, seed=1):
    import random
    rnd = random.Random(seed)
    rows = [rnd.randbytes(w * channels) for _ in range(h)]
    open(path, "wb").write(png_bytes(w, h, rows, {3: 2, 4: 6}[channels]))


def write_half_transparent_png(path, w=64, h=32):
    """Left half transparent (alpha 0, colour red), right half opaque blue."""
    row = (b"\xff\x00\x00\x00" * (w // 2)) + (b"\x00\x00\xff\xff" * (w - w // 2))
    open(path, "wb").write(png_bytes(w, h, [row] * h, 6))


def gps_exif(orientation=1):
    """A little-endian TIFF: IFD0 {Make, Orientation, GPS pointer}, a GPS
    IFD with a latitude and longitude."""
    def entry(tag, typ, count, val):
        return struct.pack("<HHI", tag, typ, count) + val
    make = b"TestCam\x00"
    ifd0_size = 2 + 3 * 12 + 4
    make_off = 8 + ifd0_size
    gps_off = make_off + len(make)
    gps_size = 2 + 4 * 12 + 4
    rat = gps_off + gps_size
    ifd0 = struct.pack("<H", 3)
    ifd0 += entry(0x010F, 2, len(make), struct.pack("<I", make_off))
    ifd0 += entry(0x0112, 3, 1, struct.pack("<HH", orientation, 0))
    ifd0 += entry(0x8825, 4, 1, struct.pack("<I", gps_off)) + struct.pack("<I", 0)
    gps = struct.pack("<H", 4)
    gps += entry(1, 2, 2, b"N\x00\x00\x00") + entry(2, 5, 3, struct.pack("<I", rat))
    gps += entry(3, 2, 2, b"E\x00\x00\x00") + entry(4, 5, 3, struct.pack("<I", rat + 24))
    gps += struct.pack("<I", 0)
    lat = struct.pack("<6I", 48, 1, 51, 1, 2400, 100)
    lon = struct.pack("<6I", 2, 1, 21, 1, 300, 100)
    return b"II*\x00" + struct.pack("<I", 8) + ifd0 + make + gps + lat + lon


def add_gps_to_jpeg(src, dst, orientation=1):
    """Insert an EXIF APP1 with GPS and a COM segment after SOI."""
    data = open(src, "rb").read()
    assert data[:2] == b"\xff\xd8"
    exif = b"Exif\x00\x00" + gps_exif(orientation)
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    com = b"\xff\xfe" + struct.pack(">H", 14) + b"secret notes"
    open(dst, "wb").write(data[:2] + app1 + com + data[2:])


def add_gps_to_png(src, dst):
    """Insert eXIf (with GPS) and tEXt chunks after IHDR."""
    data = open(src, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    ihdr_end = 8 + 12 + struct.unpack(">I", data[8:12])[0]

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    extra = chunk(b"eXIf", gps_exif(1)) + chunk(b"tEXt", b"Comment\x00home address")
    open(dst, "wb").write(data[:ihdr_end] + extra + data[ihdr_end:])


def jpeg_scan_data(path):
    """Bytes from the first SOS marker to EOI: the compressed pixels."""
    data = open(path, "rb").read()
    i = 2
    while i + 4 <= len(data):
        assert data[i] == 0xFF, i
        m = data[i + 1]
        n = struct.unpack(">H", data[i + 2:i + 4])[0]
        if m == 0xDA:
            end = data.rindex(b"\xff\xd9")
            return data[i:end + 2]
        i += 2 + n
    raise AssertionError("no SOS")


def png_chunk_types(path):
    data = open(path, "rb").read()
    i, out = 8, []
    while i + 8 <= len(data):
        n = struct.unpack(">I", data[i:i + 4])[0]
        out.append(data[i + 4:i + 8].decode("latin-1"))
        i += 12 + n
    return out
