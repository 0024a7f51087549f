# SPDX-License-Identifier: LGPL-2.1-or-later
"""Two-pass video (lib/av/twopass.c), from outside: when the byte budget
binds, the output fills 95-100 % of 16,000,000 bytes on the first attempt
and is still Main, no B-frames, BT.709 (ffprobe); x264's statistics go to
a private folder under TMPDIR (mode 0700, never the working folder) that
is gone after the run, after a cancel in either pass, and a run killed
with SIGKILL leaves the next run working.

The clip is small (640x360 under --max-long-side 640) but long enough
that its budget binds (160 s: about 0.1 bit per pixel)."""
import json
import os
import re
import signal
import stat
import subprocess
import threading
import time

from wapftest import *  # noqa: F401,F403
from avinspect import LIMIT, check_mp4

FF = "ffmpeg -nostdin -v error -y"
EXE = os.path.abspath(BIN)


def source():
    """160 s of a moving pattern under temporal noise, High with
    B-frames (so it is re-encoded), stereo AAC. CRF 28 keeps the noise
    (the budget still binds) in 69 MB: the runs decode it several times,
    and at CRF 16 (601 MB) decoding took a third of the test's CPU."""
    return fixture("twopass_360p_160s.mp4",
                   FF + " -f lavfi -i testsrc2=s=640x360:r=30,noise=alls=14:allf=t "
                   "-f lavfi -i sine=f=440:r=48000 -t 160 -c:v libx264 "
                   "-preset ultrafast -profile:v high -bf 2 -crf 28 -pix_fmt yuv420p "
                   "-c:a aac -ac 2 {out}")


def still_then_noise():
    """160 s: 130 s of one still dark frame, then 30 s of the moving
    pattern under temporal noise. The budget binds (the duration), but the
    still stretch takes almost nothing at any quantiser and the VBV cap
    holds the noisy end near 1.5 times the average: the last pass lands
    far under 95 % of the limit."""
    return fixture("still_then_noise_160s.mp4",
                   FF + " -f lavfi -i sine=f=440:r=48000 -filter_complex "
                   "'color=c=0x202020:s=640x360:r=30:d=130[a];"
                   "testsrc2=s=640x360:r=30:d=30,noise=alls=14:allf=t[b];"
                   "[a][b]concat=n=2:v=1:a=0[v]' -map '[v]' -map 0:a -t 160 "
                   "-c:v libx264 -preset ultrafast -profile:v high -bf 2 "
                   "-crf 28 -pix_fmt yuv420p -c:a aac -ac 2 {out}")


def start(src, out, tmp, cwd, *extra):
    env = dict(os.environ, TMPDIR=tmp)
    return subprocess.Popen([EXE, "convert", "-v", "--json", "--force",
                             "--max-long-side", "640", *extra, "-o", out, src],
                            env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def launch(*extra, src=None):
    """source() (or src) converted into a fresh folder with its own TMPDIR:
    (process, source, output path, TMPDIR, output folder)."""
    src = src or source()
    work, tmp = tmpdir(), tmpdir()
    out = os.path.join(work, "out.mp4")
    return start(src, out, tmp, work, *extra), src, out, tmp, work


def stats_dirs(tmp):
    return [n for n in os.listdir(tmp) if n.startswith("wapf-x264-")]


def wait_for(p, tmp, want, limit=900):
    """Poll TMPDIR until want(names of the stats folder's files) holds for
    the stats folder; returns its path. Fails if the run ends first."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        for d in stats_dirs(tmp):
            path = os.path.join(tmp, d)
            try:
                if want(os.listdir(path)):
                    return path
            except FileNotFoundError:
                pass
        assert p.poll() is None, "the run ended before the state was seen"
        time.sleep(0.05)
    raise AssertionError("state not reached")


def only_own_lines(err):
    for line in err.splitlines():
        assert line.startswith("wa-preflight:"), f"foreign stderr line: {line!r}"


@case
def killed_run_then_rerun_fills_the_budget_on_first_attempt():
    """kill -9 in pass 1 leaves no output; the same command again fills
    95-100 % on its first attempt, keeps its statistics in a 0700 folder,
    removes it, and sweeps the killed run's one (its process is gone)."""
    p, src, out, tmp, work = launch()
    wait_for(p, tmp, lambda n: any(x.endswith(".temp") for x in n))
    p.kill()
    p.communicate(timeout=60)
    assert not os.path.exists(out), "a killed run left the output"
    assert len(stats_dirs(tmp)) == 1, os.listdir(tmp)
    p = start(src, out, tmp, work)
    d = wait_for(p, tmp, lambda names: True)
    mode = stat.S_IMODE(os.stat(d).st_mode)
    assert mode == 0o700, oct(mode)
    so, err = p.communicate(timeout=1500)
    assert p.returncode == 0, f"exit {p.returncode}: {err[-800:]}"
    only_own_lines(err)
    js = json.loads(so)["files"][0]
    assert js["action"] == "transcode", js
    size = os.path.getsize(out)
    assert 0.95 * LIMIT <= size <= LIMIT, f"{size} bytes: {size / LIMIT:.1%} of the limit"
    assert err.count("av job: video encode") == 1, "a second attempt ran"
    assert " abr " in err, err[-600:]
    check_mp4(out, duration=160.0, tol=0.3, max_long=640)
    dec = js["video_decision"]
    assert dec and dec["kbps"] and 300 < dec["kbps"] < 1000, dec
    assert dec["height"] in [c["height"] for c in dec["candidates"]] or not dec["trials"], dec
    for c in dec["candidates"]:
        assert 0.3 < c["ssim"] <= 1.0 and len(repr(c["ssim"])) <= 8, c
    # filled the first time: the last pass did not run again
    assert dec["refills"] == 0 and dec["first_fill_percent"] is None, dec
    assert "once more" not in err, err[-600:]
    # the adaptive quantisation trial is --speed best's only
    assert dec["aq"] is None and "adaptive quantisation" not in err, dec
    assert stats_dirs(tmp) == [], os.listdir(tmp)
    assert os.listdir(work) == ["out.mp4"], os.listdir(work)


def cancelled_in(want, what, *extra):
    p, src, out, tmp, work = launch(*extra)
    wait_for(p, tmp, want)
    p.send_signal(signal.SIGINT)
    so, err = p.communicate(timeout=600)
    assert p.returncode != 0, f"a cancel in {what} ended with exit 0"
    only_own_lines(err)
    assert stats_dirs(tmp) == [], f"after a cancel in {what}: {os.listdir(tmp)}"
    assert os.listdir(work) == [], f"after a cancel in {what}: {os.listdir(work)}"
    return err


@case
def cancel_in_the_first_pass_leaves_nothing():
    """At --speed best: the trials measured the sizes, then variance AQ
    against auto-variance at the chosen size, before pass 1 began."""
    # x264 writes x264.stats.temp while pass 1 runs
    err = cancelled_in(lambda n: any(x.endswith(".temp") for x in n), "pass 1",
                       "--speed", "best")
    size = re.search(r"video decision: .* chose (\d+x\d+)", err)
    assert size, err[-800:]
    aq = re.search(r"video decision: adaptive quantisation at (\d+x\d+) in "
                   r"[0-9.]+ s: variance SSIM (0\.\d{4}), auto-variance "
                   r"(0\.\d{4}); chose (variance|auto-variance)\n", err)
    assert aq, err[-800:]
    assert aq.group(1) == size.group(1), (aq.group(0), size.group(0))
    var, auto = float(aq.group(2)), float(aq.group(3))
    assert 0.3 < var <= 1 and 0.3 < auto <= 1, aq.group(0)
    if var != auto:  # equal to four places: either
        assert aq.group(4) == ("variance" if var > auto else "auto-variance"), aq.group(0)
    # the encode that follows uses it
    assert re.search(rf"av job: video encode {size.group(1)} .* preset \w+ "
                     rf"aq {aq.group(4)};", err), err[-800:]
    assert f"auto-variance {auto:.4f}" in err and f"{size.group(1)} SSIM {auto:.4f}" in err, \
        "the auto-variance SSIM is the chosen size's from the size trials"


@case
def cancel_in_the_second_pass_leaves_nothing():
    # pass 1 done: its statistics renamed to x264.stats, pass 2 reads them
    cancelled_in(lambda n: "x264.stats" in n, "pass 2")


REFILL = re.compile(r"the last pass filled ([0-9.]+) % of 16000000 bytes: "
                    r"once more at (\d+) kbit/s")


class Lines:
    """stderr of a running process, read line by line in a thread."""

    def __init__(self, p):
        self.p, self.lines = p, []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stderr:
            self.lines.append(line)

    def wait(self, pattern, count=1, limit=900):
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            if sum(1 for x in list(self.lines) if re.search(pattern, x)) >= count:
                return
            assert self.p.poll() is None or self.t.is_alive(), \
                f"the run ended before {pattern!r}: {''.join(self.lines)[-800:]}"
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not seen")

    def text(self):
        self.t.join(timeout=60)
        return "".join(self.lines)


def temps(work):
    return [n for n in os.listdir(work) if n != "out.mp4"]


def refilling(p, work, count):
    """Wait until the count-th run again of the last pass writes its file
    beside the output's (two temporary files in the folder)."""
    lines = Lines(p)
    lines.wait(REFILL.pattern, count)
    t0 = time.monotonic()
    while len(temps(work)) < 2 and time.monotonic() - t0 < 600:
        assert p.poll() is None, "the run ended during the wait"
        time.sleep(0.02)
    assert len(temps(work)) == 2, os.listdir(work)
    return lines


@case
def an_unspent_budget_runs_the_last_pass_again_killed_then_rerun():
    """SIGKILL during the second run again of the last pass leaves two
    temporary files of a gone process and no output; the same command
    again removes them, runs the last pass again (twice at most), and
    keeps each larger result within the limit: the JSON and the note say
    how often and what the first run filled."""
    src = still_then_noise()
    p, src, out, tmp, work = launch("--speed", "fast", src=src)
    refilling(p, work, 2)
    p.kill()
    p.wait(timeout=60)
    assert not os.path.exists(out) and len(temps(work)) == 2, os.listdir(work)
    p = start(src, out, tmp, work, "--speed", "fast")
    so, err = p.communicate(timeout=1500)
    assert p.returncode == 0, f"exit {p.returncode}: {err[-800:]}"
    only_own_lines(err)
    assert err.count("left by a killed run") == 2, err[-1200:]
    assert os.listdir(work) == ["out.mp4"] and stats_dirs(tmp) == [], \
        (os.listdir(work), os.listdir(tmp))
    runs = REFILL.findall(err)
    assert 1 <= len(runs) <= 2, err[-1200:]
    fills = [float(f) for f, _ in runs]
    size = os.path.getsize(out)
    assert fills[0] < 95 and fills == sorted(fills), fills
    assert size <= LIMIT, size
    assert err.count("av job: video encode") == 1, "a second attempt ran"
    js = json.loads(so)["files"][0]
    dec = js["video_decision"]
    # a run that was not kept (over the limit, or no larger) says so
    assert dec["refills"] == len(runs) - err.count("are kept"), (dec, err[-1200:])
    assert dec["refills"] >= 1, err[-1200:]
    assert 100 * size / LIMIT > fills[0] + 1, (size, fills)
    assert int(fills[0]) - 1 <= dec["first_fill_percent"] <= int(fills[0]), (dec, fills)
    assert dec["kbps"] in [int(k) for _, k in runs], (dec, runs)
    assert f"{dec['kbps']} kbit/s" in js["note"] and "last pass run again" in js["note"], js["note"]
    check_mp4(out, duration=160.0, tol=0.3, max_long=640)


@case
def a_cancel_while_the_last_pass_runs_again_leaves_nothing():
    p, src, out, tmp, work = launch("--speed", "fast", src=still_then_noise())
    lines = refilling(p, work, 1)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=600)
    err = lines.text()
    assert p.returncode != 0, "a cancel ended with exit 0"
    only_own_lines(err)
    assert os.listdir(work) == [] and stats_dirs(tmp) == [], \
        (os.listdir(work), os.listdir(tmp))


finish()
