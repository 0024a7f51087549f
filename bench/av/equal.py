"""Equal-constraint, equal-size benchmark (issue 9): wa-preflight
--speed fast|balanced|best against ffmpeg's best command-line recipes,
every output H.264 Main without B-frames, AAC copied, at the byte size
wa-preflight's balanced output has.

    bench/av/run.sh --equal [BUILD_DIR]      (or python3 bench/av/equal.py)

Sources are generated here with ffmpeg lavfi (not timed). Each timed run is
a fresh process; CPU is user+sys of that process (the machine is shared,
so wall time moves with other work; CPU time much less). Every output is
checked with ffprobe: has_b_frames=0, no B in any frame's pict_type,
profile Main, colour primaries bt709. Prints Markdown on stdout."""
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("WAPF_BIN", "build/tools/wa-preflight")
FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
WORK = os.environ.get("WAPF_BENCH_DIR") or tempfile.mkdtemp(prefix="wapf-equal-")
os.makedirs(WORK, exist_ok=True)
THREADS = "2"

SOURCES = [
    ("60 s 1080p30, moving pattern + heavy noise", "s1.mp4",
     "-f lavfi -i testsrc2=s=1920x1080:r=30,noise=alls=25:allf=t -f lavfi "
     "-i anoisesrc=r=48000:a=0.2 -t 60 -c:v libx264 -preset ultrafast -b:v 12M "
     "-maxrate 14M -bufsize 24M -c:a aac -b:a 128k -ac 2"),
    ("2 min 720p30, moving pattern + light noise", "s2.mp4",
     "-f lavfi -i testsrc2=s=1280x720:r=30,noise=alls=8:allf=t -f lavfi "
     "-i sine=r=44100 -t 120 -c:v libx264 -preset ultrafast -b:v 8M -maxrate 10M "
     "-bufsize 16M -c:a aac -b:a 128k -ac 2"),
    ("6 s 4K30 HEVC Main 10 (phone-like), light noise", "s3.mp4",
     "-f lavfi -i testsrc2=s=3840x2160:r=30,noise=alls=10:allf=t,format=yuv420p10le "
     "-f lavfi -i sine=r=48000 -t 6 -c:v libx265 -preset ultrafast "
     "-x265-params log-level=error:bitrate=40000 -tag:v hvc1 -color_primaries bt709 "
     "-color_trc bt709 -colorspace bt709 -c:a aac -b:a 128k -ac 2"),
]


def gen(name, spec):
    out = os.path.join(WORK, name)
    if not os.path.exists(out):
        subprocess.run(FF + spec.split() + [out], check=True)
    return out


def run(args):
    """(wall s, cpu s, stderr) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {p.stderr[-600:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, p.stderr


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams",
                          "-of", "json", path], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def check_output(path):
    """The constraint, read with ffprobe (never the project's probe)."""
    info = probe(path)
    v = [s for s in info["streams"] if s["codec_type"] == "video"][0]
    types = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                            "-show_entries", "frame=pict_type", "-of", "csv=p=0", path],
                           capture_output=True, text=True, check=True).stdout.split()
    bad = []
    if int(v.get("has_b_frames", 0)) != 0:
        bad.append(f"has_b_frames={v['has_b_frames']}")
    if any(t.startswith("B") for t in types):
        bad.append("B frames")
    if v.get("profile") != "Main":
        bad.append(f"profile {v.get('profile')}")
    if v.get("color_primaries") != "bt709":
        bad.append(f"primaries {v.get('color_primaries')}")
    if bad:
        raise RuntimeError(f"{path}: {', '.join(bad)}")
    return info, v


def video_bits(info):
    """Bit/s of the video stream alone (file minus audio)."""
    dur = float(info["format"]["duration"])
    total = int(info["format"]["size"]) * 8
    audio = sum(int(s.get("bit_rate", 0)) for s in info["streams"]
                if s["codec_type"] == "audio") * dur
    return int((total - audio - 16384 * 8) / dur)


def ssim(out, src, w, h):
    """ffmpeg's SSIM (All) at w x h on every second frame."""
    chain = (f"[0:v]scale={w}:{h}:flags=bicubic,framestep=2[a];"
             f"[1:v]scale={w}:{h}:flags=bicubic,format=yuv420p,framestep=2[b];[a][b]ssim")
    p = subprocess.run(["ffmpeg", "-nostdin", "-i", out, "-i", src, "-lavfi", chain,
                        "-f", "null", "-"], capture_output=True, text=True)
    return float(re.search(r"All:([0-9.]+)", p.stderr).group(1))


def ffmpeg_cmd(src, out, preset, vb, w, h, npass=0, log=None):
    a = FF + ["-i", src, "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1",
              "-vf", f"scale={w}:{h}:flags=bicubic:out_color_matrix=bt709:out_range=tv,"
              "format=yuv420p", "-c:v", "libx264", "-preset", preset,
              "-profile:v", "main", "-bf", "0", "-threads", THREADS,
              "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
              "-b:v", str(vb), "-maxrate", str(vb * 3 // 2), "-bufsize", str(vb * 3)]
    if npass:
        a += ["-pass", str(npass), "-passlogfile", log]
    if npass == 1:
        return a + ["-an", "-f", "null", "/dev/null"]
    return a + ["-c:a", "copy", "-movflags", "+faststart", out]


def fit_1920(w, h):
    k = min(1.0, 1920 / max(w, h))
    return 2 * round(w * k / 2), 2 * round(h * k / 2)


def bench_source(desc, src):
    info = probe(src)
    sv = [s for s in info["streams"] if s["codec_type"] == "video"][0]
    w, h = fit_1920(sv["width"], sv["height"])
    rows = []
    target = None
    for speed in ("balanced", "fast", "best"):
        out = os.path.join(WORK, f"wa_{speed}_{os.path.basename(src)}")
        wall, cpu, err = run([BIN, "convert", "-v", "--force", "--speed", speed,
                              "-o", out, src])
        job = re.findall(r"av job: video encode (\d+)x(\d+)", err)
        oi, _ = check_output(out)
        if speed == "balanced":
            target = video_bits(oi)
        rows.append((f"wa-preflight --speed {speed}", f"{job[-1][0]}x{job[-1][1]}",
                     out, wall, cpu))
    for name, preset, npass in (("ffmpeg veryfast 1-pass VBV", "veryfast", 0),
                                ("ffmpeg medium 1-pass VBV", "medium", 0),
                                ("ffmpeg medium 2-pass", "medium", 2)):
        out = os.path.join(WORK, f"ff_{preset}{npass}_{os.path.basename(src)}")
        if npass:
            log = os.path.join(WORK, "x264pass")
            w1, c1, _ = run(ffmpeg_cmd(src, out, preset, target, w, h, 1, log))
            w2, c2, _ = run(ffmpeg_cmd(src, out, preset, target, w, h, 2, log))
            wall, cpu = w1 + w2, c1 + c2
        else:
            wall, cpu, _ = run(ffmpeg_cmd(src, out, preset, target, w, h))
        check_output(out)
        rows.append((name, f"{w}x{h}", out, wall, cpu))
    for name, size, out, wall, cpu in rows:
        s = ssim(out, src, w, h)
        print(f"| {desc} | {name} | {size} | {os.path.getsize(out)} | {s:.4f} | "
              f"{wall:.1f} | {cpu:.1f} |", flush=True)


def main():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    ff = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.splitlines()[0]
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print("## Equal constraint (H.264 Main, no B-frames) and equal size\n")
    print(f"- machine: {os.cpu_count()} CPUs (`nproc`), {cpu}; {ff}")
    print(f"- `uptime` at start: {up}\n")
    print("| source | recipe | encoded size | bytes | SSIM | wall s | CPU s |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    only = os.environ.get("SOURCES")
    for desc, name, spec in SOURCES:
        if only and name not in only.split(","):
            continue
        bench_source(desc, gen(name, spec))
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\n- `uptime` at the end: {up}")


if __name__ == "__main__":
    main()
