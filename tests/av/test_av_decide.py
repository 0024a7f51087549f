# SPDX-License-Identifier: LGPL-2.1-or-later
"""The per-file video decision (lib/av/decide.c), from outside: when the
byte budget binds, `convert` trial-encodes segments at several sizes,
reports what it measured in --json ("video_decision") and -v, and encodes
at the size that measured best; a clip that fits at full size with margin
skips the trials. Every output is still the WhatsApp target (<= 16,000,000
bytes, Main, no B-frames, BT.709), read with ffprobe."""
import json
import os
import re
import subprocess

from wapftest import *  # noqa: F401,F403
from avinspect import LIMIT, check_mp4, probe, streams

OUT = tmpdir()
FF = "ffmpeg -nostdin -v error -y"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


def convert(src, name, *extra):
    out = os.path.join(OUT, name)
    p = run("convert", "-v", "--json", "--force", "-o", out, *extra, src,
            timeout=1500)
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr[-800:]}"
    js = json.loads(p.stdout)["files"][0]
    return out, js, p.stderr


def ssim_1080(out, src):
    """ffmpeg's SSIM "All" of out against src at 1920x1080 (independent of
    the library's own measure)."""
    p = subprocess.run(
        ["ffmpeg", "-nostdin", "-i", out, "-i", src, "-lavfi",
         "[0:v]scale=1920:1080:flags=bicubic[a];[1:v]format=yuv420p[b];[a][b]ssim",
         "-f", "null", "-"], capture_output=True, text=True, timeout=900)
    return float(re.search(r"All:([0-9.]+)", p.stderr).group(1))


def scrolling_text():
    """30 s of a document scrolling at 1080p (sharp text: the budget binds,
    and fewer pixels visibly lose it). CRF 18 keeps the text sharp in 52 MB
    (CRF 8 made 890 MB, decoded four times a run)."""
    if not os.path.exists(FONT):
        raise Skip(f"no font at {FONT} to draw the text with")
    text = os.path.join(SOURCE, "CONTRIBUTING.md")
    return fixture("decide_text_30s.mp4",
                   FF + " -f lavfi -i color=c=white:s=1920x1080:r=30 -f lavfi "
                   "-i sine=f=330:r=48000 -vf \"drawtext=fontfile=" + FONT +
                   ":textfile=" + text + ":expansion=none:fontsize=20:fontcolor=black"
                   ":x=30:y=40-t*60:line_spacing=4,noise=alls=3:allf=t\" -t 30 "
                   "-c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p "
                   "-c:a aac -ac 2 {out}")


@case
def trials_measure_and_pick_the_best_size():
    src = scrolling_text()
    assert os.path.getsize(src) > LIMIT, "the source must be over the limit"
    out, js, err = convert(src, "text.mp4")
    assert js["action"] == "transcode", js
    d = js.get("video_decision")
    assert d, f"no video_decision in {js}"
    assert d["trials"] is True and d["skipped"] is None, d
    assert d["kbps"] and d["kbps"] > 1000, d
    cands = d["candidates"]
    assert 2 <= len(cands) <= 4, cands
    heights = [c["height"] for c in cands]
    assert heights == sorted(heights, reverse=True) and heights[0] == 1080, heights
    assert all(0.3 < c["ssim"] <= 1.0 for c in cands), cands
    # sharp text: the smaller sizes fall more than 0.7 dB behind in the
    # first segment, so the trials stop there (one segment, >= 8 frames)
    assert d["frames"] >= 8, d
    assert d["trial_seconds"] > 0, d
    assert d["aq"] is None, d  # measured at --speed best only
    # the winner is the best of the sizes measured to the end
    assert all(isinstance(c["first_segment_only"], bool) for c in cands)
    best = max((c for c in cands if not c["first_segment_only"]),
               key=lambda c: c["ssim"])
    assert d["height"] == best["height"], d
    # the file is at the decided size, and its own SSIM against the source
    # is what the trials said (same content all through)
    info, v = check_mp4(out, duration=30.0, tol=0.2)
    assert v["height"] == d["height"], (v["height"], d)
    got = ssim_1080(out, src)
    assert abs(got - best["ssim"]) < 0.03, (got, best)
    # sharp text: the full size wins over the ladder's smaller guesses
    assert d["height"] == 1080, d
    # the budget is used on the first attempt, and never exceeded
    size = os.path.getsize(out)
    assert 0.95 * LIMIT <= size <= LIMIT, size
    assert len(re.findall(r"av job: video encode", err)) == 1, "a second attempt ran"
    # -v says the same
    line = [ln for ln in err.splitlines() if "video decision:" in ln]
    assert line and f"chose {v['width']}x{v['height']}" in line[0], err[-800:]
    for c in cands:
        assert f"SSIM {c['ssim']:.4f}" in line[0], (c, line[0])
    assert line[0].count("first segment only") == len(cands) - 1, line[0]
    assert [c["first_segment_only"] for c in cands] == \
        [c["height"] != 1080 for c in cands], cands


@case
def short_file_skips_the_trials():
    src = fixture("decide_short_4s.mp4",
                  FF + " -f lavfi -i testsrc2=s=1920x1080:r=30,noise=alls=10:allf=t "
                  "-f lavfi -i sine=r=48000 -t 4 -c:v libx264 -preset ultrafast "
                  "-profile:v high -bf 2 -pix_fmt yuv420p -c:a aac {out}")
    out, js, err = convert(src, "short.mp4")
    assert js["action"] == "transcode", js  # B-frames: re-encoded
    d = js.get("video_decision")
    assert d, f"no video_decision in {js}"
    assert d["trials"] is False and d["skipped"] == "fits", d
    assert d["candidates"] == [] and d["kbps"] is None, d
    info, v = check_mp4(out, duration=4.0, tol=0.2)
    assert v["height"] == d["height"] == 1080, (v["height"], d)
    assert "video decision: " not in err or "frames x" not in err, err[-600:]


@case
def remux_has_no_video_decision():
    src = fixture("decide_remux.mkv",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=25 -f lavfi -i sine=r=44100 "
                  "-t 2 -c:v libx264 -profile:v main -bf 0 -pix_fmt yuv420p "
                  "-c:a aac -f matroska {out}")
    out, js, err = convert(src, "remux.mp4")
    assert js["action"] == "remux", js
    assert js.get("video_decision") is None, js


finish()
