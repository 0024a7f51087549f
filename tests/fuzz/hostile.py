# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile files made at test time (shared by test_hostile.py): animated
WebPs and GIFs assembled byte by byte, so that their declared sizes can be
anything. The frames inside are real (cwebp's output, GIF LZW)."""
import os
import struct
import subprocess


def _chunk(tag, data):
    return tag + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")


def _u24(v):
    return struct.pack("<I", v)[:3]


def webp_bitstream(d, w, h, rgb=(255, 0, 0)):
    """The VP8L chunk of a lossless w x h picture of one colour (cwebp)."""
    ppm = os.path.join(d, f"f{w}x{h}.ppm")
    with open(ppm, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h) + bytes(rgb) * (w * h))
    out = ppm[:-4] + ".webp"
    subprocess.run(["cwebp", "-quiet", "-lossless", ppm, "-o", out], check=True)
    data = open(out, "rb").read()
    assert data[12:16] == b"VP8L", data[12:16]
    return data[12:]


def animated_webp(path, canvas_w, canvas_h, frames, moving=True):
    """frames: list of (bitstream, w, h); each frame lasts 100 ms. With
    moving, frame i is placed at an offset that changes with i."""
    vp8x = bytes([0x02 | 0x10, 0, 0, 0]) + _u24(canvas_w - 1) + _u24(canvas_h - 1)
    body = _chunk(b"VP8X", vp8x) + _chunk(b"ANIM", struct.pack("<IH", 0, 0))
    for i, (bits, w, h) in enumerate(frames):
        x = (i * 122) % max(2, canvas_w - w) // 2 if moving else 0
        y = (i * 74) % max(2, canvas_h - h) // 2 if moving else 0
        hdr = _u24(x) + _u24(y) + _u24(w - 1) + _u24(h - 1) + _u24(100) + b"\x00"
        body += _chunk(b"ANMF", hdr + bits)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body)
    return path


def gif_many_frames(path, screen_w, screen_h, n):
    """A GIF89a with a screen_w x screen_h screen and n 1x1 frames of 50 ms."""
    out = bytearray(b"GIF89a" + struct.pack("<HH", screen_w, screen_h) +
                    b"\xf0\x00\x00" + b"\xff\x00\x00\x00\x00\xff")
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for i in range(n):
        out += b"\x21\xf9\x04\x00\x05\x00\x00\x00"
        out += b"\x2c" + struct.pack("<HHHH", i % 100, i % 100, 1, 1) + b"\x00"
        out += b"\x02\x02\x44\x01\x00"
    out += b"\x3b"
    with open(path, "wb") as f:
        f.write(bytes(out))
    return path
