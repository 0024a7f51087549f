# SPDX-License-Identifier: LGPL-2.1-or-later
"""Wall time in alternating pairs (issue 18): wa-preflight's default against
ffmpeg's two-pass veryfast at 1080p, the time the done-when compares with.

    WAPF_BENCH_DIR=... SOURCES=pans,screen PAIRS=3 python3 bench/av/pairs.py

On a shared virtual machine the speed of the same job drifts by 10-30 %
within minutes, so two runs minutes apart do not compare. Here the two
commands alternate, ours first: ours, ffmpeg, ours, ffmpeg, ... PAIRS times
per source, and each pair's ratio (ours / ffmpeg) is printed with the
median. ffmpeg runs at the video bitrate that makes our output's bytes (as
equal.py's recipes start), one try: the time of a two-pass encode hardly
depends on a percent of bitrate. Sizes and SSIM are equal.py's business;
here only wall and CPU (user+sys) seconds. Prints Markdown on stdout."""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import equal  # noqa: E402
import sources  # noqa: E402


def pair_rows(desc, src, n):
    ratios, cpus = [], []
    for i in range(n):
        out, wall, cpu, _, size, _ = equal.ours(src, "balanced")
        vb = equal.video_bitrate(out, equal.probe(out))
        ff_out = os.path.join(equal.WORK, f"pair_{os.path.basename(src)}")
        log = os.path.join(equal.WORK, "x264_pair")
        fwall, fcpu = equal.two_pass(src, ff_out, "veryfast", vb, 1920, 1080, log)
        ratios.append(wall / fwall)
        cpus.append(cpu / fcpu)
        print(f"| {desc} | {i + 1} | {size} | {wall:.1f} / {cpu:.1f} | "
              f"{fwall:.1f} / {fcpu:.1f} | {ratios[-1]:.3f} | {cpus[-1]:.3f} | "
              f"{equal.uptime()} |", flush=True)
    print(f"| {desc} | median | | | | **{statistics.median(ratios):.3f}** | "
          f"{statistics.median(cpus):.3f} | |", flush=True)


def main():
    os.makedirs(equal.WORK, exist_ok=True)
    only = os.environ.get("SOURCES")
    n = int(os.environ.get("PAIRS", "3"))
    srcs = sources.make_all(equal.WORK, only.split(",") if only else None)
    print("## Wall time in alternating pairs: default against ffmpeg two-pass veryfast 1080p\n")
    print(f"- `uptime` load at start: {equal.uptime()}\n")
    print("| source | pair | our size | ours wall / CPU s | ffmpeg wall / CPU s | "
          "wall ratio | CPU ratio | load after |")
    print("| --- | ---: | --- | --- | --- | ---: | ---: | --- |")
    for desc, src in srcs:
        pair_rows(desc, src, n)
    print(f"\n- `uptime` load at the end: {equal.uptime()}")


if __name__ == "__main__":
    main()
