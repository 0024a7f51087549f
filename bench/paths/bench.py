#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The cheap paths of issue 12, each measured side by side with its peer
in one run, alternating (tool, peer) R times; the median of wall time and
of CPU time (user+sys of the child, from wait4) is printed as a Markdown
table, with the machine and its load before and after.

    bench/paths/bench.py [WORKDIR]     (default: a new folder under /tmp)
    WAPF_BIN=build/tools/wa-preflight  R=5  R_MANY=1  N_SMALL=1000  N_PICS=200

Jobs:
  check-one    wa-preflight check of one small MP4 / ffprobe -show_format -show_streams
  remux        wa-preflight convert of a 60 s 720p H.264/AAC MKV (a remux) /
               ffmpeg -i IN -c copy -movflags +faststart OUT
  opus         wa-preflight convert of a 2 min FLAC to Ogg/Opus / the ffmpeg
               command line with the settings the library logged (-v)
  batch-j2     wa-preflight batch -j 2 / -j 1 on N_PICS small picture conversions
  ceiling      two batch -j 1 processes at once, each on half of them / -j 1
  check-many   wa-preflight check of N_SMALL small files (one process) /
               a shell loop of ffprobe over the same files
Timings only: the tests check correctness, not this script.
"""
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("WAPF_BIN", os.path.join(ROOT, "build/tools/wa-preflight")))
WORK = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="wapf-paths-")
R = int(os.environ.get("R", "5"))
R_MANY = int(os.environ.get("R_MANY", "1"))  # the ffprobe loop is long
N_SMALL = int(os.environ.get("N_SMALL", "1000"))
N_PICS = int(os.environ.get("N_PICS", "200"))
FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]


def sh(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, check=True, **kw)


def gen(name, spec):
    out = os.path.join(WORK, name)
    if not os.path.exists(out):
        sh(FF + spec.split() + [out])
    return out


def measure(args, shell=False, before=None):
    """(wall s, cpu s) of one run of args (its children included)."""
    if before:
        before()
    t0 = time.monotonic()
    p = subprocess.Popen(args, shell=shell, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, err = p.communicate()
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    measure.cpu, prev = ru.ru_utime + ru.ru_stime, measure.cpu
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{args}: {p.returncode} {err[-300:]}")
    return wall, measure.cpu - prev


measure.cpu = 0.0


def pair(name, tool, peer, tool_shell=False, peer_shell=False, before=None,
         repeat=None):
    tw, tc, pw, pc = [], [], [], []
    for _ in range(repeat or R):
        w, c = measure(tool, tool_shell, before)
        tw.append(w)
        tc.append(c)
        w, c = measure(peer, peer_shell, before)
        pw.append(w)
        pc.append(c)
    m = statistics.median
    row(name, f"{m(tw):.3f}", f"{m(tc):.3f}", f"{m(pw):.3f}", f"{m(pc):.3f}",
        f"{m(tw) / m(pw):.2f}", f"{m(tc) / m(pc):.2f}")


def row(*cells):
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def opus_settings(src):
    """The encoder settings the library used, from its -v log."""
    out = os.path.join(WORK, "probe.ogg")
    p = subprocess.run([BIN, "convert", "-v", "--force", "-o", out, src],
                       capture_output=True, text=True)
    m = re.search(r"audio (\w+) (\S+) (\d+) Hz (\d+) ch (\d+) bit/s", p.stderr)
    if not m:
        raise RuntimeError("no 'av job' line in: " + p.stderr[-300:])
    return int(m.group(3)), int(m.group(4)), int(m.group(5))


def pictures():
    seed = os.path.join(WORK, "seed")
    os.makedirs(seed, exist_ok=True)
    photo = gen("seed/photo.jpg", "-f lavfi -i testsrc2=size=1280x960 -frames:v 1 -q:v 3")
    alpha = gen("seed/alpha.png", "-f lavfi -i testsrc=size=800x600,format=rgba,"
                "colorchannelmixer=aa=0.6 -frames:v 1")
    webp = gen("seed/pic.webp", "-f lavfi -i testsrc=size=640x480 -frames:v 1 -c:v libwebp")
    d = os.path.join(WORK, "pics")
    if not os.path.isdir(d):
        os.makedirs(d)
        for i in range(N_PICS):
            src, ext = [(photo, "jpg"), (alpha, "png"), (alpha, "png"), (webp, "webp")][i % 4]
            shutil.copyfile(src, os.path.join(d, f"p{i:04d}.{ext}"))
    return d


def small_files(clip, tone, jpg):
    d = os.path.join(WORK, "small")
    if not os.path.isdir(d):
        os.makedirs(d)
        for i in range(N_SMALL):
            src, ext = [(clip, "mp4"), (tone, "wav"), (jpg, "jpg")][i % 3]
            shutil.copyfile(src, os.path.join(d, f"f{i:04d}.{ext}"))
    return d


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}"


def main():
    os.makedirs(WORK, exist_ok=True)
    clip = gen("clip.mp4", "-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=f=330 "
               "-t 2 -c:v libx264 -pix_fmt yuv420p -c:a aac -ac 1 -movflags +faststart")
    tone = gen("tone.wav", "-f lavfi -i sine=f=440:sample_rate=16000 -t 1")
    jpg = gen("small.jpg", "-f lavfi -i testsrc=size=320x240 -frames:v 1")
    mkv = gen("remux_60s_720p_nob.mkv", "-f lavfi -i testsrc2=s=1280x720:r=30 -f lavfi "
              "-i sine=r=48000 -t 60 -c:v libx264 -preset veryfast -bf 0 -b:v 1500k "
              "-pix_fmt yuv420p -c:a aac -b:a 128k")
    flac = gen("music_2min.flac", "-f lavfi -i anoisesrc=c=pink:r=44100:a=0.2 -t 120 -ac 2")
    pics = pictures()
    small = small_files(clip, tone, jpg)
    rate, ch, ab = opus_settings(flac)
    plan = subprocess.run([BIN, "check", mkv], capture_output=True, text=True).stdout
    if "plan: remux" not in plan:
        raise RuntimeError("the remux source is not a remux: " + plan)
    print(f"work folder: {WORK}")
    print(f"machine: {machine()}; {sh([BIN, '--version']).stdout.strip()}; "
          f"{sh(['ffmpeg', '-version']).stdout.splitlines()[0]}")
    print(f"load before: {open('/proc/loadavg').read().split()[:3]}; R = {R} "
          f"(check of many: {R_MANY})\n")
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    measure.cpu = ru.ru_utime + ru.ru_stime  # what the set-up used
    row("job", "wa-preflight wall s", "wa-preflight CPU s", "peer wall s",
        "peer CPU s", "ratio wall", "ratio CPU")
    row("---", "---:", "---:", "---:", "---:", "---:", "---:")
    pair("check one MP4 / ffprobe -show_format -show_streams",
         [BIN, "check", "-q", clip],
         ["ffprobe", "-v", "error", "-show_format", "-show_streams", clip])
    out = os.path.join(WORK, "o")
    pair("remux 60 s 720p MKV / ffmpeg -c copy -movflags +faststart",
         [BIN, "convert", "-q", "--force", "-o", out + "-r.mp4", mkv],
         FF + ["-i", mkv, "-c", "copy", "-movflags", "+faststart", out + "-f.mp4"])
    # wa-preflight fsyncs each output and its folder before it says done;
    # ffmpeg does neither: the same peer followed by `sync OUT DIR` (the
    # coreutils command fsyncs the files it is given) pays the same.
    remux_peer = FF + ["-i", mkv, "-c", "copy", "-movflags", "+faststart",
                       out + "-f.mp4"]
    pair("remux, the same / ffmpeg -c copy then fsync of the output and folder",
         [BIN, "convert", "-q", "--force", "-o", out + "-r.mp4", mkv],
         " ".join(remux_peer) + f" && sync {out}-f.mp4 {WORK}",
         peer_shell=True)
    opus_peer = FF + ["-i", flac, "-vn", "-map_metadata", "-1", "-c:a",
                      "libopus", "-b:a", str(ab), "-vbr", "constrained",
                      "-application", "audio", "-ar", str(rate), "-ac",
                      str(ch), out + "-f.ogg"]
    pair(f"2 min FLAC to Ogg/Opus {ab} bit/s {ch} ch / ffmpeg, same settings",
         [BIN, "convert", "-q", "--force", "-o", out + "-a.ogg", flac],
         opus_peer)
    pair("Opus, the same / ffmpeg then fsync of the output and folder",
         [BIN, "convert", "-q", "--force", "-o", out + "-a.ogg", flac],
         " ".join(opus_peer) + f" && sync {out}-f.ogg {WORK}", peer_shell=True)
    j1, j2 = os.path.join(WORK, "out-j1"), os.path.join(WORK, "out-j2")

    def clean():
        shutil.rmtree(j1, ignore_errors=True)
        for d in (j2, j2 + "-h0", j2 + "-h1"):
            shutil.rmtree(d, ignore_errors=True)

    pair(f"batch -j 2 / -j 1, {N_PICS} small pictures (ratio < 0.53 = 1.9x)",
         [BIN, "batch", "-q", "-j", "2", pics, j2],
         [BIN, "batch", "-q", "-j", "1", pics, j1], before=clean)
    # Two independent -j 1 processes at once, each on half of the same
    # pictures (every other file of each type: the types differ in cost),
    # against one -j 1: what two processes get where -j 2 has two threads.
    by_type = {}
    for n in sorted(os.listdir(pics)):
        by_type.setdefault(n.rsplit(".", 1)[-1], []).append(n)
    halves = []
    for k in range(2):
        lst = os.path.join(WORK, f"half{k}.txt")
        with open(lst, "w") as f:
            f.writelines(n + "\n" for t in sorted(by_type)
                         for n in by_type[t][k::2])
        halves.append(f"{BIN} batch -q -j 1 --files-from {lst} {pics} "
                      f"{j2}-h{k}")  # each its own OUTDIR, state and lock
    pair("two -j 1 processes at once, on halves / one -j 1",
         f"{halves[0]} & {halves[1]} & wait",
         [BIN, "batch", "-q", "-j", "1", pics, j1], tool_shell=True,
         before=clean)
    files = " ".join(sorted(os.path.join(small, n) for n in os.listdir(small)))
    pair(f"check {N_SMALL} small files / shell loop of ffprobe (ratio <= 0.2 = 5x)",
         f"{BIN} check -q {files}",
         f"for f in {files}; do ffprobe -v error -show_format -show_streams \"$f\"; done",
         tool_shell=True, peer_shell=True, repeat=R_MANY)
    print(f"\nload after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
