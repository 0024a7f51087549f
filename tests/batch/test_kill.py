# SPDX-License-Identifier: LGPL-2.1-or-later
"""kill -9 at many moments: a batch killed again and again, then run to
the end, gives the same outputs as an uninterrupted run; after every kill
each output under its final name is complete and valid (independent
inspection), and the next run removes the temporary files left behind."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batchlib import (decodes_cleanly, entries, inspect, media, outputs,  # noqa: E402
                      put, report, require_tools, run_batch, same_bytes)
from wapftest import BIN, Skip, case, finish, fixture, tmpdir  # noqa: E402

DELAYS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0, 1.25, 1.5]


def yuv444():
    return fixture(
        "batch-clip444.mp4",
        "ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=640x360:rate=25 "
        "-f lavfi -i sine=f=440:sample_rate=44100 -t 4 -c:v libx264 "
        "-pix_fmt yuv444p -c:a aac -ac 1 {out}")


def make_folder(root):
    d = os.path.join(root, "in")
    for i in range(4):  # enough transcoding that kills land mid-work
        put(d, f"video/t{i}.mp4", yuv444())           # transcode
        put(d, f"video/r{i}.mov", media("clip.mov"))   # remux
    for i in range(4):
        put(d, f"audio/tone{i}.wav", media("tone.wav"))
        put(d, f"img/alpha{i}.png", media("alpha.png"))
        put(d, f"img/deep/still{i}.webp", media("still.webp"))
        put(d, f"img/photo{i}.jpg", media("photo.jpg"))
    for i in range(16):
        put(d, f"docs/n{i:02d}.txt", data=(f"note {i}\n" * (50 + i)).encode())
    put(d, "bad/empty.png", data=b"")
    return d


def temp_names(out):
    from batchlib import outputs as all_files
    return [p for p in all_files(out) if os.path.basename(p).startswith(".")]


def check_outputs(indir, out, where):
    """Every non-temporary file in out is complete and valid: a copy is
    byte-identical to its input, a conversion passes inspection."""
    made = {e["output"]: e for e in report(REF_REP)["files"] if e["output"]}
    for rel in outputs(out):
        if os.path.basename(rel).startswith("."):
            continue  # a temporary file of the killed run
        path = os.path.join(out, rel)
        e = made.get(rel)
        try:
            assert e, "not an output of the uninterrupted run"
            if e["action"] == "copied":
                assert same_bytes(os.path.join(indir, e["path"]), path), \
                    "copy differs"
            else:
                inspect(path)
        except AssertionError as err:
            raise AssertionError(f"after {where}: {rel}: {err}")


try:
    require_tools()
    BASE = tmpdir()
    IN = make_folder(BASE)
    REF = os.path.join(BASE, "ref")
    REF_REP = os.path.join(BASE, "ref.json")
    t0 = time.monotonic()
    REF_RUN = run_batch("-j", 2, "--report", REF_REP, IN, REF)
    REF_SECONDS = time.monotonic() - t0
    SKIP = None
except Skip as e:
    SKIP = str(e)


@case
def kill_9_at_many_moments_then_finish_gives_the_same_result():
    if SKIP:
        raise Skip(SKIP)
    out = os.path.join(BASE, "out")
    killed = 0
    deadline = time.monotonic() + 100
    scale = max(1.0, REF_SECONDS / 4)  # spread the kills over the work
    for i, d in enumerate(DELAYS):
        if time.monotonic() > deadline:
            break
        p = subprocess.Popen([BIN, "batch", "-j", "2", IN, out],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(d * scale)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed += 1
        p.wait()
        check_outputs(IN, out, f"kill {i} at {d * scale:.2f} s")
    print(f"{killed} of {i + 1} runs killed while working", flush=True)
    assert killed >= 4, f"only {killed} runs were still working when killed"
    rep_path = os.path.join(BASE, "final.json")
    final = run_batch("-j", 2, "--report", rep_path, IN, out)
    assert final.returncode == REF_RUN.returncode, (final.returncode, final.stderr)
    assert temp_names(out) == [], temp_names(out)
    assert outputs(out) == outputs(REF), (outputs(out), outputs(REF))
    check_outputs(IN, out, "the final run")
    a, b = entries(report(rep_path)), entries(report(REF_REP))
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel]["output"] == b[rel]["output"], (a[rel], b[rel])
        assert (a[rel]["action"] == "failed") == (b[rel]["action"] == "failed")
        assert a[rel]["kind"] == b[rel]["kind"]
    for rel in outputs(out):
        if rel.endswith((".mp4", ".ogg")):
            decodes_cleanly(os.path.join(out, rel))
    again = run_batch("-j", 2, "--report", rep_path, IN, out)
    assert all(e["from_state"] for e in report(rep_path)["files"])
    assert again.returncode == REF_RUN.returncode


@case
def interrupt_cancels_cleanly_and_the_next_run_completes():
    if SKIP:
        raise Skip(SKIP)
    out = os.path.join(BASE, "out-int")
    p = subprocess.Popen([BIN, "batch", "-j", "2", IN, out],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(max(0.3, REF_SECONDS / 3))
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode in (0, 1), (p.returncode, err)
    assert temp_names(out) == [], temp_names(out)  # cancel leaves no temp
    check_outputs(IN, out, "an interrupt")
    run_batch("-j", 2, IN, out)
    assert outputs(out) == outputs(REF)


finish()
