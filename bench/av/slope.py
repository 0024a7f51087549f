# SPDX-License-Identifier: LGPL-2.1-or-later
"""How SSIM moves with bytes at one size: the slope lib/av/decide.c uses
to bring each trial's SSIM to the target bytes before the sizes are
compared (the trials' one-pass ABR misses its rate by a few percent, by
more at the larger sizes). For 8-second cuts of the equal-bytes sources,
at 1920x1080 and 1280x720, x264 veryfast tune ssim (Main, no B-frames)
at two bitrates; prints the slope of SSIM in dB (-10 log10(1 - SSIM))
per doubling of the bytes.

    python3 bench/av/slope.py SRC.mp4 [...]      (run by hand)"""
import math
import os
import re
import subprocess
import sys
import tempfile

FF = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-threads", "2"]


def encode(src, out, start, w, h, kbit):
    subprocess.run(FF + ["-ss", str(start), "-t", "8", "-i", src, "-an", "-vf",
                         f"scale={w}:{h}:flags=bicubic,format=yuv420p", "-c:v", "libx264",
                         "-preset", "veryfast", "-tune", "ssim", "-profile:v", "main",
                         "-bf", "0", "-b:v", f"{kbit}k", out], check=True)


def ssim(out, src, start):
    chain = ("[0:v]scale=1920:1080:flags=bicubic[a];"
             "[1:v]format=yuv420p[b];[a][b]ssim")
    p = subprocess.run(["ffmpeg", "-nostdin", "-threads", "2", "-i", out, "-ss", str(start),
                        "-t", "8", "-i", src, "-lavfi", chain, "-f", "null", "-"],
                       capture_output=True, text=True)
    return float(re.search(r"All:([0-9.]+)", p.stderr).group(1))


def db(s):
    return -10 * math.log10(max(1e-9, 1 - s))


def main():
    tmp = tempfile.mkdtemp(prefix="wapf-slope-")
    for src in sys.argv[1:]:
        for w, h in ((1920, 1080), (1280, 720)):
            pts = []
            for kbit in (2000, 3000):
                out = os.path.join(tmp, f"{w}_{kbit}.mp4")
                encode(src, out, 40, w, h, kbit)
                pts.append((os.path.getsize(out), ssim(out, src, 40)))
                os.unlink(out)
            (b1, s1), (b2, s2) = pts
            k = (db(s2) - db(s1)) / math.log2(b2 / b1)
            print(f"{os.path.basename(src)} {w}x{h}: {b1} B SSIM {s1:.4f}, "
                  f"{b2} B SSIM {s2:.4f}: {k:.2f} dB per doubling", flush=True)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
