# SPDX-License-Identifier: LGPL-2.1-or-later
"""The size limits on media long enough to press them (suite 'slow'):
a 60-second 1080p high-motion clip, a 45-minute MP3, a 3-minute voice
note, and a 2-hour clip that is refused by the budget before encoding."""
import os

from wapftest import *  # noqa: F401,F403
from avinspect import (LIMIT, check_m4a_aac, check_mp4, check_ogg_opus_mono,
                       probe)

OUT = tmpdir()
FF = "ffmpeg -nostdin -v error -y"


def convert(src, name, *extra):
    out = os.path.join(OUT, name)
    p, js = run_json("convert", "--json", "--force", "-o", out, *extra, src,
                     timeout=1500)
    return p, js["files"][0], out


@case
def video_60s_1080p_high_motion_squeezed():
    # noise on a moving pattern: x264 cannot make this small on its own
    src = fixture("slow_1080p60s.mp4",
                  FF + " -f lavfi -i testsrc2=s=1920x1080:r=30,noise=alls=25:allf=t "
                  "-f lavfi -i anoisesrc=r=48000:a=0.2 -t 60 -c:v libx264 "
                  "-preset ultrafast -b:v 5M -pix_fmt yuv420p -c:a aac -ac 2 {out}")
    assert os.path.getsize(src) > LIMIT, "the source must be over the limit"
    p, js, out = convert(src, "squeezed.mp4")
    assert p.returncode == 0, p.stderr
    assert js["action"] == "transcode", js
    size = os.path.getsize(out)
    assert size <= LIMIT, size
    # two passes: the budget is used on the first attempt
    assert size >= 0.95 * LIMIT, f"only {size / LIMIT:.1%} of the budget used"
    check_mp4(out, duration=60.0, tol=0.2)


@case
def mp3_45min_squeezed_ogg_and_m4a():
    src = fixture("slow_45min.mp3",
                  FF + " -f lavfi -i anoisesrc=c=pink:r=44100:a=0.3 -f lavfi "
                  "-i sine=f=330:r=44100 -filter_complex amix=inputs=2,"
                  "aformat=channel_layouts=stereo -t 2700 -c:a libmp3lame -b:a 320k {out}")
    assert os.path.getsize(src) > 100_000_000
    p, js, out = convert(src, "long.ogg")
    assert p.returncode == 0, p.stderr
    assert js["action"] == "encode-audio", js
    check_ogg_opus_mono(out, duration=2700, tol=1.0)
    assert os.path.getsize(out) >= 0.85 * LIMIT, os.path.getsize(out)
    p, js, out = convert(src, "long.m4a", "--stereo")
    assert p.returncode == 0, p.stderr
    check_m4a_aac(out, channels=2, duration=2700, tol=1.0)
    assert os.path.getsize(out) >= 0.85 * LIMIT, os.path.getsize(out)


@case
def voice_3min_under_512k():
    # speech-like: band-limited noise bursts at a syllable rate, and tones
    src = fixture("slow_speech3min.wav",
                  FF + " -f lavfi -i anoisesrc=c=pink:r=16000:a=0.5 -f lavfi "
                  "-i sine=f=180:r=16000 -filter_complex \"[0]bandpass=f=1200:w=900,"
                  "volume='0.2+0.8*gt(sin(2*PI*4*t)\\,0.2)':eval=frame[n];"
                  "[n][1]amix=inputs=2\" -t 180 -ac 1 {out}")
    p, js, out = convert(src, "voice.ogg", "--as", "voice")
    assert p.returncode == 0, p.stderr
    assert js["kind"] == "voice", js
    check_ogg_opus_mono(out, duration=180, tol=0.2, limit=512_000)
    assert os.path.getsize(out) >= 0.6 * 512_000, os.path.getsize(out)


@case
def two_hours_refused_before_encoding():
    src = fixture("slow_2h_1080p.mkv",
                  FF + " -f lavfi -i color=c=gray:s=1920x1080:r=1 -f lavfi "
                  "-i anullsrc=r=48000 -t 7200 -c:v mpeg4 -g 600 -c:a flac {out}")
    assert abs(float(probe(src)["format"]["duration"]) - 7200) < 2
    out = os.path.join(OUT, "2h.mp4")
    p = run("convert", "-o", out, src, timeout=300)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "watchable" in p.stderr and "--start" in p.stderr, p.stderr
    assert not os.path.exists(out)


finish()
