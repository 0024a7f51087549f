# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ctrl-C (SIGINT) and SIGTERM during a long conversion: the command stops
promptly and cleanly, no partial output and no temporary file remain, the
input is untouched, and the exit status says it was interrupted."""
import os
import signal
import subprocess
import time

from wapftest import *
from clihelp import listing, long_clip, sane, sha256

WAIT_FOR_TEMP = 60  # seconds to see the conversion start (not a timing check)


def interrupt(sig):
    src = long_clip()
    d = tmpdir()
    before = sha256(src)
    proc = subprocess.Popen([BIN, "convert", "-d", d, src],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # Wait until the conversion is writing its temporary file, then ~1 s more.
    deadline = time.monotonic() + WAIT_FOR_TEMP
    while not os.listdir(d):
        if proc.poll() is not None or time.monotonic() > deadline:
            out, err = proc.communicate()
            raise AssertionError(f"conversion never started: rc={proc.returncode} {err}")
        time.sleep(0.05)
    time.sleep(1.0)
    assert proc.poll() is None, "finished before the signal: clip too short"
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("did not stop within 60 s of the signal")
    p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    sane(p)
    assert p.returncode == 128 + sig, (p.returncode, err)
    assert listing(d) == [], f"left behind: {listing(d)}"
    assert sha256(src) == before
    rows = [l for l in err.splitlines() if l.strip()]
    assert len(rows) == 1 and "interrupted" in rows[0], err
    assert out == ""


@case
def sigint_mid_conversion_leaves_no_partial_file():
    interrupt(signal.SIGINT)


@case
def sigterm_mid_conversion_leaves_no_partial_file():
    interrupt(signal.SIGTERM)


@case
def sigint_stops_the_remaining_files_too():
    src = long_clip()
    d = tmpdir()
    proc = subprocess.Popen([BIN, "convert", "--json", "-d", d, src, src, src],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + WAIT_FOR_TEMP
    while not os.listdir(d) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    import json
    files = json.loads(out)["files"]
    assert len(files) == 1 and files[0]["error"]["code"] == "ECANCELLED", files
    assert listing(d) == [], listing(d)


finish()
