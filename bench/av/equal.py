# SPDX-License-Identifier: LGPL-2.1-or-later
"""Equal-bytes benchmark (issue 18): wa-preflight against ffmpeg recipes
given no more bytes than wa-preflight's own output, on 2-minute 1080p
clips built from real material (bench/av/sources.py).

    bench/av/run.sh --equal [BUILD_DIR]      (or python3 bench/av/equal.py)
    SOURCES=pans,screen  only these sources
    PHASE=default|best   only one of the two comparisons (default: both)

Per source, in one run:
  default  wa-preflight convert (--speed balanced); then ffmpeg's veryfast
           family at the same video bitrate budget: one-pass VBV and
           two-pass, at 1920x1080 and at 1280x720. A recipe whose file comes
           out larger than ours is run again at a lower bitrate until it
           fits, so every ffmpeg file has at most our bytes. The best of the
           four counts.
  best     wa-preflight --speed best against ffmpeg medium two-pass at
           1080p and 720p, the same way.
Every output is checked with ffprobe (Main, no B-frames, BT.709). SSIM:
ffmpeg's ssim filter ("All"), every second frame, output and source scaled
to 1920x1080 (the sources' size); a source coded in another matrix than
BT.709 (an untagged HD one counts as BT.709, as players read it) is
compared after vf_colorspace has brought it to BT.709, the matrix every
output is tagged with, and the ffmpeg recipes convert it the same way. The
ffmpeg recipes leave x264 its own thread count, as a plain command line
does (FF_THREADS=N sets one). Wall and CPU (user+sys) of each process;
two-pass is the sum of both. The machine's load is printed beside each
source (`uptime`). Prints Markdown on stdout."""
import json
import os
import re
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sources  # noqa: E402

BIN = os.environ.get("WAPF_BIN", "build/tools/wa-preflight")
FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
WORK = os.environ.get("WAPF_BENCH_DIR") or "/tmp/wapf-equal"
THREADS = os.environ.get("FF_THREADS")
W, H = 1920, 1080
# vf_colorspace's names of a source's matrix (fast=1: the matrix only)
IALL = {"bt470bg": "bt601-6-625", "smpte170m": "bt601-6-525",
        "smpte240m": "smpte240m", "fcc": "bt470m", "bt2020nc": "bt2020"}


def to_709(src):
    """The filter that brings src's frames to the BT.709 matrix, or ''."""
    v = [s for s in probe(src)["streams"] if s["codec_type"] == "video"][0]
    iall = IALL.get(v.get("color_space", ""))
    return f",colorspace=all=bt709:iall={iall}:fast=1" if iall else ""


def run(args):
    """(wall s, cpu s, stdout, stderr) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {p.stderr[-600:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, p.stdout, p.stderr


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams",
                          "-of", "json", path], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def check_output(path):
    """The constraint, read with ffprobe (never the project's probe)."""
    info = probe(path)
    v = [s for s in info["streams"] if s["codec_type"] == "video"][0]
    bad = []
    if int(v.get("has_b_frames", 0)) != 0:
        bad.append(f"has_b_frames={v['has_b_frames']}")
    if v.get("profile") != "Main":
        bad.append(f"profile {v.get('profile')}")
    if v.get("color_primaries") != "bt709":
        bad.append(f"primaries {v.get('color_primaries')}")
    if bad:
        raise RuntimeError(f"{path}: {', '.join(bad)}")
    return info


def audio_bytes(info):
    dur = float(info["format"]["duration"])
    return sum(int(s.get("bit_rate", 0)) for s in info["streams"]
               if s["codec_type"] == "audio") * dur / 8


def ssim(out, src):
    """ffmpeg's SSIM (All) at 1920x1080 on every second frame."""
    chain = (f"[0:v]scale={W}:{H}:flags=bicubic,framestep=2[a];"
             f"[1:v]scale={W}:{H}:flags=bicubic,format=yuv420p{to_709(src)},"
             "framestep=2[b];[a][b]ssim")
    p = subprocess.run(["nice", "-n", "10", "ffmpeg", "-nostdin", "-threads", "2",
                        "-i", out, "-i", src, "-lavfi", chain, "-f", "null", "-"],
                       capture_output=True, text=True)
    return float(re.search(r"All:([0-9.]+)", p.stderr).group(1))


def ffmpeg_cmd(src, out, preset, vb, w, h, npass=0, log=None):
    a = FF + ["-i", src, "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1",
              "-vf", f"scale={w}:{h}:flags=bicubic,format=yuv420p{to_709(src)}",
              "-c:v", "libx264", "-preset", preset, "-profile:v", "main", "-bf", "0"]
    if THREADS:
        a += ["-threads", THREADS]
    a += ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
          "-b:v", str(vb), "-maxrate", str(vb * 3 // 2), "-bufsize", str(vb * 3)]
    if npass:
        a += ["-pass", str(npass), "-passlogfile", log]
    if npass == 1:
        return a + ["-an", "-f", "null", "/dev/null"]
    return a + ["-c:a", "copy", "-movflags", "+faststart", out]


def two_pass(src, out, preset, vb, w, h, log):
    """ffmpeg's two passes: (wall s, cpu s) of both together."""
    w1, c1, _, _ = run(ffmpeg_cmd(src, out, preset, vb, w, h, 1, log))
    w2, c2, _, _ = run(ffmpeg_cmd(src, out, preset, vb, w, h, 2, log))
    return w1 + w2, c1 + c2


def video_bitrate(out, info):
    """The video bitrate that makes out's bytes, after its audio and the boxes."""
    dur = float(info["format"]["duration"])
    return int((os.path.getsize(out) - audio_bytes(info) - 40000) * 8 / dur)


def ffmpeg_fit(src, tag, preset, npass, w, h, limit, vb):
    """One ffmpeg recipe at no more than `limit` bytes: (out, wall, cpu, tries)."""
    out = os.path.join(WORK, f"ff_{tag}_{os.path.basename(src)}")
    log = os.path.join(WORK, f"x264_{tag}")
    wall = cpu = 0.0
    for tries in range(1, 5):
        if npass:
            wall, cpu = two_pass(src, out, preset, vb, w, h, log)
        else:
            wall, cpu, _, _ = run(ffmpeg_cmd(src, out, preset, vb, w, h))
        size = os.path.getsize(out)
        if size <= limit:
            return out, wall, cpu, tries
        vb = int(vb * limit / size * 0.995)
    raise RuntimeError(f"{tag}: still over {limit} bytes")


def ours(src, speed):
    out = os.path.join(WORK, f"wa_{speed}_{os.path.basename(src)}")
    wall, cpu, so, err = run([BIN, "convert", "-v", "--json", "--force",
                              "--speed", speed, "-o", out, src])
    res = json.loads(so)["files"][0]
    job = re.findall(r"av job: video encode (\d+)x(\d+)", err)
    retries = len(job) - 1
    return out, wall, cpu, res.get("video_decision"), f"{job[-1][0]}x{job[-1][1]}", retries


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.split(
        "load average:")[-1].strip()


def row(desc, name, size, out, src, wall, cpu, extra=""):
    s = ssim(out, src)
    print(f"| {desc} | {name} | {size} | {os.path.getsize(out):,} | {s:.4f} | "
          f"{wall:.1f} | {cpu:.1f} | {extra} |", flush=True)
    return s


def compare(desc, src, speed, recipes):
    out, wall, cpu, dec, size, retries = ours(src, speed)
    info = check_output(out)
    limit = os.path.getsize(out)
    trial = dec.get("trial_seconds", 0) if dec else 0
    cands = ", ".join(f"{c['height']}p {c['ssim']:.4f}"
                      f"{' (1st segment)' if c.get('first_segment_only') else ''}"
                      for c in (dec or {}).get("candidates", []))
    aq = (dec or {}).get("aq")
    aq = (f"; AQ {aq['chosen']} (variance {aq['ssim_variance']:.4f}, auto-variance "
          f"{aq['ssim_auto_variance']:.4f})" if aq else "")
    note = (f"{100 * limit / 16e6:.1f} % of 16 MB, {'retry' if retries else 'first attempt'}; "
            f"trials {trial:.1f} s: {cands or (dec or {}).get('skipped')}{aq}; load {uptime()}")
    mine = row(desc, f"**wa-preflight --speed {speed}**", size, out, src, wall, cpu, note)
    vb = video_bitrate(out, info)
    best = (0, "")
    for tag, preset, npass, w, h in recipes:
        fout, fwall, fcpu, tries = ffmpeg_fit(src, tag, preset, npass, w, h, limit, vb)
        check_output(fout)
        name = f"ffmpeg {preset} {'2-pass' if npass else '1-pass VBV'} {h}p"
        s = row(desc, name, f"{w}x{h}", fout, src, fwall, fcpu,
                f"{tries} run(s) to fit; load {uptime()}")
        best = max(best, (s, name))
    verdict = "**ours ahead**" if mine >= best[0] else "behind"
    print(f"| {desc} | best ffmpeg: {best[1]} | | | {best[0]:.4f} | | | "
          f"{verdict} by {mine - best[0]:+.4f} |", flush=True)


DEFAULT = [("vf1_1080", "veryfast", 0, 1920, 1080), ("vf2_1080", "veryfast", 2, 1920, 1080),
           ("vf1_720", "veryfast", 0, 1280, 720), ("vf2_720", "veryfast", 2, 1280, 720)]
BEST = [("md2_1080", "medium", 2, 1920, 1080), ("md2_720", "medium", 2, 1280, 720)]


def main():
    os.makedirs(WORK, exist_ok=True)
    only = os.environ.get("SOURCES")
    phase = os.environ.get("PHASE", "")
    srcs = sources.make_all(WORK, only.split(",") if only else None)
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True,
                         text=True).stdout.split(":", 1)[-1].strip()
    ff = subprocess.run(["ffmpeg", "-version"], capture_output=True,
                        text=True).stdout.splitlines()[0]
    print("## Equal bytes: wa-preflight against ffmpeg given no more bytes\n")
    print(f"- machine: {os.cpu_count()} CPUs (`nproc`), {cpu}; {ff}")
    print(f"- `uptime` load at start: {uptime()}\n")
    print("| source | recipe | encoded size | bytes | SSIM | wall s | CPU s | notes |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | --- |")
    for desc, src in srcs:
        if phase in ("", "default"):
            compare(desc, src, "balanced", DEFAULT)
    for desc, src in srcs:
        if phase in ("", "best"):
            compare(desc, src, "best", BEST)
    print(f"\n- `uptime` load at the end: {uptime()}")


if __name__ == "__main__":
    main()
