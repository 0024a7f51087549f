# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Done-when test of `serve`: Evolution API's own client code (Node,
axios + form-data, tests/serve/evolution.js) against `wa-preflight serve`
started as the README says (key in WA_PREFLIGHT_API_KEY, --listen); the
answer's `audio` must be an Ogg/Opus mono file of the right duration
(ffprobe). Skips (77) when node or the npm packages are missing."""
import json
import os
import shutil
import subprocess
import sys

import wapftest as W
from wapftest import case
import servelib as S
from upstream import Upstream

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = shutil.which("node") or shutil.which("nodejs")
if not NODE:
    print("SKIP: node is not installed (scripts/deps.txt: nodejs)")
    sys.exit(77)
for pkg in ("axios", "form-data"):
    if not os.path.isdir(os.path.join(HERE, "node_modules", pkg)):
        print(f"SKIP: npm package {pkg} missing in tests/serve/node_modules "
              "(run: bash scripts/dev.sh setup)")
        sys.exit(77)

wav5 = S.voice_wav(5)
b64 = os.path.join(W.tmpdir(), "in.wav")
shutil.copy(wav5, b64)
up = Upstream({"/note.wav": open(wav5, "rb").read()})
srv = S.Server("--workers", "2", "--allow-private-urls")
URL = f"http://127.0.0.1:{srv.port}/process-audio"


def evolution(source, fmt, inp, key=S.KEY):
    out = os.path.join(W.tmpdir(), "audio.bin")
    p = subprocess.run([NODE, os.path.join(HERE, "evolution.js"), URL, key,
                        source, fmt, inp, out], capture_output=True,
                       text=True, timeout=120)
    try:
        ans = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(f"node: {p.returncode} {p.stdout!r} {p.stderr!r}")
    return p.returncode, ans, out


def voice_note(source, inp, fmt="ogg"):
    rc, ans, out = evolution(source, fmt, inp)
    assert rc == 0 and ans["status"] == 200, ans
    fmt_name, codec, ch, dur = S.audio_facts(out)
    assert (fmt_name, codec, ch) == ("ogg", "opus", 1), (fmt_name, codec, ch)
    assert abs(dur - 5.0) < 0.1, dur
    d = ans["data"]
    assert d["format"] == "ogg" and abs(d["duration"] - 5.0) < 0.1, d
    assert d["size"] == os.path.getsize(out), d
    W.run("check", "--as", "voice", out, check_rc=0)


@case
def file_field():
    voice_note("file", wav5)


@case
def base64_field():
    voice_note("base64", b64, fmt="opus")


@case
def url_field():
    voice_note("url", up.base + "/note.wav")


@case
def mp4_as_evolution_sends_it():
    rc, ans, out = evolution("file", "mp4", wav5)
    assert rc == 0 and ans["data"]["format"] == "mp4", ans
    f = W.ffprobe(out)
    assert f["streams"][0]["codec_name"] == "aac", f["streams"]
    assert abs(float(f["format"]["duration"]) - 5.0) < 0.1, f["format"]
    assert ans["data"]["size"] <= 16 * 1024 * 1024


@case
def mp3_as_evolution_asks_for_it():
    """Evolution's Cloud API channel asks format=mp3 and uploads the
    answer as audio/mpeg named .mp3: it must be MP3, within 16 MB."""
    for inp in (wav5, S.small_m4a()):
        rc, ans, out = evolution("file", "mp3", inp)
        assert rc == 0 and ans["data"]["format"] == "mp3", ans
        fmt_name, codec, ch, dur = S.audio_facts(out)
        assert (fmt_name, codec) == ("mp3", "mp3"), (fmt_name, codec)
        assert abs(dur - 5.0) < 0.15, dur
        assert ans["data"]["size"] == os.path.getsize(out)
        assert ans["data"]["size"] <= 16 * 1024 * 1024
        assert W.file_mime(out) == "audio/mpeg", W.file_mime(out)
        W.run("check", "--as", "audio", out, check_rc=0)


@case
def wrong_key_is_an_error_evolution_can_read():
    rc, ans, _ = evolution("file", "ogg", wav5, key="wrong")
    assert rc == 3 and ans["status"] == 401, ans
    assert ans["data"]["error"] == "unauthorized" and ans["data"]["message"]


srv.stop()
up.close()
W.finish()
