# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tuning runs for the x264 settings and the resolution ladder, on short
cuts (10 s) of the equal-constraint sources: H.264 Main, no B-frames,
one-pass VBV (maxrate 1.5x, bufsize 2x maxrate, as lib/av/budget.c), the
same average bitrate for every variant. Prints SSIM and CPU seconds.

    python3 bench/av/tune.py CUT.mp4 KBIT [WxH ...]

Run by hand; what it showed is recorded in bench/av/RESULTS.md."""
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
MAIN = ["-profile:v", "main", "-bf", "0", "-pix_fmt", "yuv420p"]
VARIANTS = {
    "veryfast (ffmpeg)": ["-preset", "veryfast"],
    "veryfast tune=ssim": ["-preset", "veryfast", "-tune", "ssim"],
    "veryfast aq2 psy0.6": ["-preset", "veryfast", "-x264-params", "aq-mode=2:psy-rd=0.6,0"],
    "superfast tune=ssim": ["-preset", "superfast", "-tune", "ssim"],
    "faster tune=ssim": ["-preset", "faster", "-tune", "ssim"],
    "medium (ffmpeg)": ["-preset", "medium"],
    "medium tune=ssim": ["-preset", "medium", "-tune", "ssim"],
    "slow tune=ssim": ["-preset", "slow", "-tune", "ssim"],
    "veryfast ssim no-mbtree": ["-preset", "veryfast", "-tune", "ssim", "-x264-params", "mbtree=0"],
    "faster ssim no-mbtree": ["-preset", "faster", "-tune", "ssim", "-x264-params", "mbtree=0"],
    "slow ssim no-mbtree": ["-preset", "slow", "-tune", "ssim", "-x264-params", "mbtree=0"],
}


def cpu_run(args):
    """Wall and CPU (user+sys of the child) seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(args, check=True, capture_output=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def ssim(out, src, w, h):
    p = subprocess.run(["ffmpeg", "-nostdin", "-i", out, "-i", src, "-lavfi",
                       f"[0:v]scale={w}:{h}:flags=bicubic[a];[1:v]scale={w}:{h}:flags=bicubic[b];"
                       "[a][b]ssim", "-f", "null", "-"], capture_output=True, text=True)
    return float(re.search(r"All:([0-9.]+)", p.stderr).group(1))


def main():
    src, kbit = sys.argv[1], int(sys.argv[2])
    sizes = sys.argv[3:] or ["1920x1080"]
    ref_w, ref_h = map(int, sizes[0].split("x"))
    work = tempfile.mkdtemp(prefix="wapf-tune-")
    only = os.environ.get("VARIANTS")
    for size in sizes:
        w, h = size.split("x")
        for name, args in VARIANTS.items():
            if only and name not in only.split(","):
                continue
            out = os.path.join(work, "o.mp4")
            vf = f"scale={w}:{h}:flags=bicubic,format=yuv420p"
            cmd = FF + ["-i", src, "-an", "-vf", vf, "-c:v", "libx264", *MAIN, *args,
                        "-b:v", f"{kbit}k", "-maxrate", f"{kbit * 3 // 2}k",
                        "-bufsize", f"{kbit * 3}k", "-threads", "2", out]
            wall, cpu = cpu_run(cmd)
            s = ssim(out, src, ref_w, ref_h)
            print(f"| {size} | {name} | {os.path.getsize(out)} | {s:.4f} | {cpu:.1f} | {wall:.1f} |",
                  flush=True)
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
