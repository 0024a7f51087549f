# SPDX-License-Identifier: LGPL-2.1-or-later
"""What VBV cap x264's second-pass plan needs (issue 18, the fill question).

    python3 bench/av/x264plan.py STATS...   (x264 first-pass statistics files)

With mb-tree, x264 plans its second pass at one quantiser for every P frame
(I frames 1.4x finer) and predicts each frame's bits from the first pass:
texture bits scale with (q1/q)^1.1, motion bits with (q1/q)^0.5, the rest
stays. This rebuilds that plan at the file's own average bitrate, then
prints the smallest VBV cap (as a multiple of the average, buffer twice
the cap, as lib/av/budget.c sets it) under which the plan never empties the
buffer, and the spread of its 2-second windows (percentiles of their rate
over the average). A model of the plan, not of x264's encode.

    python3 bench/av/x264plan.py --against OUT.mp4 [--rate BIT/S] STATS

sets that model beside the second pass's real frames (OUT.mp4's video
packets, read with ffprobe), in 10-second windows, each as a multiple of the
average: the first pass's bits and mean QP, the plan without a cap, the
encode, and the encode over the plan. It shows where x264's encode left its
plan (a near-black stretch that takes fewer bits than its first pass
predicts, a capped stretch that cannot take more). --rate is the aim when
the first pass did not run at one (a CRF first pass)."""
import argparse
import math
import re
import subprocess
import sys


def load(path, rate=None):
    """(frames as (type, qp, tex, mv, misc), fps, bitrate) of a stats file;
    rate, when given, in place of the file's own bitrate."""
    rows = []
    with open(path) as f:
        opts = f.readline()
        for line in f:
            if line.startswith("in:"):
                d = dict(re.findall(r"(\w+):(\S+)", line))
                rows.append((d["type"], float(d["q"]), int(d["tex"]), int(d["mv"]),
                             int(d["misc"])))
    m = re.search(r"fps=(\d+)/(\d+)", opts)
    fps = int(m.group(1)) / int(m.group(2)) if m else 30.0
    if rate is None:
        m = re.search(r"bitrate=(\d+)", opts)
        if not m:
            sys.exit(f"{path}: no bitrate in its options; give --rate")
        rate = int(m.group(1)) * 1000
    return rows, fps, rate


def qscale(qp):
    return 0.85 * 2 ** ((qp - 12) / 6)


def bits(row, q):
    kind, qp, tex, mv, misc = row
    q1 = qscale(qp)
    if kind == "I":
        q /= 1.4
    return tex * (q1 / q) ** 1.1 + mv * (max(q1, 1) / max(q, 1)) ** 0.5 + misc


def plan(rows, fps, rate):
    """Bits per frame at the one quantiser that spends rate on average."""
    target = rate * len(rows) / fps
    lo, hi = 0.01, 1000.0
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        if sum(bits(r, mid) for r in rows) > target:
            lo = mid
        else:
            hi = mid
    return [bits(r, hi) for r in rows]


def fits(frames, fps, cap, size):
    fill = 0.9 * size
    for b in frames:
        fill = min(size, fill + cap / fps - b)
        if fill < 0:
            return False
    return True


def cap_needed(frames, fps, rate):
    lo, hi = 0.5, 20.0
    for _ in range(40):
        k = (lo + hi) / 2
        if fits(frames, fps, k * rate, 2 * k * rate):
            hi = k
        else:
            lo = k
    return hi


def window_spread(frames, fps, rate, seconds=2):
    n = int(fps * seconds)
    s = sum(frames[:n])
    sums = [s]
    for i in range(n, len(frames)):
        s += frames[i] - frames[i - n]
        sums.append(s)
    sums = sorted(x / (rate * seconds) for x in sums)
    return [sums[int(p * (len(sums) - 1))] for p in (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)]


def packet_bits(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                          "-show_entries", "packet=size", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True).stdout
    return [int(x) * 8 for x in out.split()]


def against(path, out, rate, seconds=10):
    rows, fps, rate = load(path, rate)
    frames = plan(rows, fps, rate)
    real = packet_bits(out)
    if len(real) != len(rows):
        sys.exit(f"{out}: {len(real)} frames, the statistics {len(rows)}")
    n = int(fps * seconds)
    print(f"{path} against {out}, {seconds} s windows, x the average {rate} bit/s")
    print("start  pass1  qp1   plan  encode  encode/plan")
    for i in range(0, len(rows), n):
        k = len(rows[i:i + n])
        per = fps / (rate * k)
        first = sum(r[2] + r[3] + r[4] for r in rows[i:i + n]) * per
        qp = sum(r[1] for r in rows[i:i + n]) / k
        want, got = sum(frames[i:i + n]) * per, sum(real[i:i + n]) * per
        print(f"{i / fps:4.0f}s  {first:5.2f}  {qp:4.1f}  {want:5.2f}  {got:6.2f}  {got / want:6.2f}")
    print(f"encode: {sum(real) / len(real) * fps / rate:.1%} of the average")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", metavar="OUT.mp4")
    ap.add_argument("--rate", type=int)
    ap.add_argument("stats", nargs="+")
    a = ap.parse_args()
    if a.against:
        for path in a.stats:
            against(path, a.against, a.rate)
        return
    for path in a.stats:
        rows, fps, rate = load(path, a.rate)
        frames = plan(rows, fps, rate)
        spread = " ".join(f"{x:.2f}" for x in window_spread(frames, fps, rate))
        print(f"{path}: {len(rows)} frames at {rate // 1000} kbit/s; cap needed "
              f"{cap_needed(frames, fps, rate):.2f}x; 2 s windows at the 10/25/50/75/90/99th "
              f"percentile: {spread}")


if __name__ == "__main__":
    main()
