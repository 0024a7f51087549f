# SPDX-License-Identifier: LGPL-2.1-or-later
"""The equal-bytes benchmark's sources: 2-minute 1080p30 clips of different
classes, made with ffmpeg from the real material in the shared corpus
(photos, phone recordings, a text file). Not timed; made once into WORK.

    python3 bench/av/sources.py [WORK]     (equal.py calls make_all())

Each clip is H.264 at a high bitrate (ultrafast, CRF 16, capped at 40 Mbit/s) with a
stereo AAC track, so that every tool starts from the same decoded frames."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.environ.get("WAPF_CORPUS") or os.path.join(
    os.path.dirname(ROOT), "shared", "corpus")
IMG = os.path.join(CORPUS, "image")
VID = os.path.join(CORPUS, "video")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FF = ["nice", "-n", "10", "ffmpeg", "-nostdin", "-v", "error", "-y"]
SECS = int(os.environ.get("WAPF_BENCH_SECS", "120"))
PHOTOS = ["jpeg_xiaomi_4000x3000_orientation3.jpg",
          "jpeg_pixel8_ultrahdr_gainmap_3072x4080.jpg",
          "png_display_p3_icc_1000x800.png",
          "jpeg_whatsapp_received_progressive_1024x768.jpg"]
PHONE = ["h264_aac_xiaomi_phone_vfr_1080p_14mbps.mp4",
         "h264_pixel7_vfr_rot180_noaudio.mp4",
         "vp8_vorbis51_1080p60.webm"]
ENC = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-maxrate", "40M",
       "-bufsize", "80M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
       "-ac", "2", "-t", str(SECS)]
AUDIO = ["-f", "lavfi", "-i", f"anoisesrc=r=48000:a=0.05:c=pink,lowpass=3000"]


def photo_inputs(names):
    """Each photo read once (the loop filter repeats it in memory)."""
    args = []
    for n in names:
        args += ["-i", os.path.join(IMG, n)]
    return args


def held(seconds):
    """Filter that repeats a single picture for `seconds` at 30 fps."""
    return f"loop=loop={30 * seconds - 1}:size=1:start=0,setpts=N/30/TB,"


def pans(extra):
    """Slow camera pans and zooms over the corpus's photos, 30 s each."""
    parts = []
    for i in range(len(PHOTOS)):
        zoom = "1+0.0006*on" if i % 2 == 0 else "1.55-0.0006*on"
        parts.append(
            f"[{i}:v]scale=2880:1620:force_original_aspect_ratio=increase,"
            f"crop=2880:1620,setsar=1,{held(30)}zoompan=z='{zoom}':d=1:fps=30:s=1920x1080:"
            f"x='(iw-iw/zoom)*(0.5+0.4*sin(on/300))':y='(ih-ih/zoom)/2',"
            f"format=yuv420p[p{i}]")
    chain = ";".join(parts) + ";" + "".join(f"[p{i}]" for i in range(len(PHOTOS)))
    chain += f"concat=n={len(PHOTOS)}:v=1:a=0{extra}[v]"
    return photo_inputs(PHOTOS) + AUDIO + [
        "-filter_complex", chain, "-map", "[v]", "-map", f"{len(PHOTOS)}:a"]


def phone():
    """The corpus's phone recordings, each looped for 40 s, one after the
    other (their own audio where they have it is replaced by one track)."""
    args, parts = [], []
    for i, n in enumerate(PHONE):
        args += ["-stream_loop", "-1", "-t", "40", "-i", os.path.join(VID, n)]
        parts.append(f"[{i}:v]scale=1920:1080:force_original_aspect_ratio=decrease,"
                     f"pad=1920:1080:-1:-1,setsar=1,fps=30,format=yuv420p,"
                     f"trim=0:40,setpts=PTS-STARTPTS[p{i}]")
    chain = ";".join(parts) + ";[p0][p1][p2]concat=n=3:v=1:a=0[v]"
    return args + AUDIO + ["-filter_complex", chain, "-map", "[v]", "-map", "3:a"]


def screen():
    """A screen recording: a document (the project's docs, as text) scrolling
    under a fixed title bar, white background."""
    text = os.path.join(os.environ.get("WORK", "/tmp"), "screen.txt")
    with open(text, "w") as out:
        for name in ("architecture.md", "cli.md", "whatsapp-media.md"):
            with open(os.path.join(os.path.dirname(CORPUS), "docs", name)) as f:
                out.write(f.read().replace("%", "%%").replace("\\", "/"))
    vf = (f"drawtext=fontfile={FONT}:textfile={text}:fontsize=22:fontcolor=0x202020:"
          f"x=40:y=110-mod(t*45\\,6000):line_spacing=6,"
          f"drawbox=x=0:y=0:w=iw:h=80:color=0x2b5797:t=fill,"
          f"drawtext=fontfile={FONT}:text='wa-preflight docs - Viewer':fontsize=30:"
          f"fontcolor=white:x=30:y=24,format=yuv420p")
    return ["-f", "lavfi", "-i", "color=c=white:s=1920x1080:r=30"] + AUDIO + [
        "-vf", vf, "-map", "0:v", "-map", "1:a"]


def fast():
    """Fast motion: quick pans across the photos (60 px a frame) with a
    swaying vertical move, cut every 10 s."""
    parts = []
    for i in range(len(PHOTOS)):
        parts.append(
            f"[{i}:v]scale=5760:3240:force_original_aspect_ratio=increase,"
            f"crop=5760:3240,setsar=1,{held(30)}"
            f"crop=1920:1080:x='(iw-1920)*abs(mod(t*1.0\\,2)-1)':"
            f"y='(ih-1080)*(0.5+0.45*sin(t*2.1))',format=yuv420p[p{i}]")
    chain = ";".join(parts) + ";" + "".join(f"[p{i}]" for i in range(len(PHOTOS)))
    chain += f"concat=n={len(PHOTOS)}:v=1:a=0[v]"
    return photo_inputs(PHOTOS) + AUDIO + [
        "-filter_complex", chain, "-map", "[v]", "-map", f"{len(PHOTOS)}:a"]


SOURCES = [
    ("pans", "camera pans and zooms over real photos, light sensor grain",
     lambda: pans(",noise=alls=5:allf=t")),
    ("phone", "phone recordings looped and concatenated", phone),
    ("screen", "screen recording: a document scrolling under a title bar", screen),
    ("dark", "low-light scene: dark pans with sensor noise",
     lambda: pans(",eq=brightness=-0.28:gamma=0.6:contrast=0.8,noise=alls=9:allf=t")),
    ("fast", "fast motion: quick pans across photos", fast),
    ("grain", "pans over photos under heavy synthetic film grain",
     lambda: pans(",noise=alls=22:allf=t+u")),
]


def make(work, name, build):
    out = os.path.join(work, f"{name}.mp4")
    if not os.path.exists(out):
        tmp = out + ".part.mp4"
        subprocess.run(FF + build() + ENC + [tmp], check=True)
        os.rename(tmp, out)
    return out


def make_all(work, only=None):
    os.environ["WORK"] = work
    return [(desc, make(work, name, build)) for name, desc, build in SOURCES
            if not only or name in only]


if __name__ == "__main__":
    work = sys.argv[1] if len(sys.argv) > 1 else "/tmp/wapf-equal"
    os.makedirs(work, exist_ok=True)
    for desc, path in make_all(work, sys.argv[2:]):
        print(path, desc)
