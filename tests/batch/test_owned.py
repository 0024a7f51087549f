# SPDX-License-Identifier: LGPL-2.1-or-later
"""Files a batch does not own (issue 13): the temp cleanup removes only the
temporary files of outputs its state recorded as being written, never a
user's dotfile of the same pattern; the JSON report keeps every entry when
names (and INDIR itself) are not UTF-8."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batchlib import media, put, require_tools, run_batch  # noqa: E402
from wapftest import BIN, Skip, case, finish, fixture, tmpdir  # noqa: E402


def slow_clip():
    return fixture(
        "batch-clip444.mp4",
        "ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=192x144:rate=15 "
        "-f lavfi -i sine=f=440:sample_rate=44100 -t 2 -c:v libx264 "
        "-pix_fmt yuv444p -c:a aac -ac 1 {out}")


USER_FILES = [".README.x1Y2z3", ".photo.jpg.a1B2c3.jpg", "sub/.notes.txt.Zz9Yy8.txt",
              "sub/.t0.mp4.QQ11ww.mp4"]


@case
def cleanup_keeps_a_users_files_of_the_temp_pattern():
    require_tools()
    base = tmpdir()
    d = os.path.join(base, "in")
    out = os.path.join(base, "out")
    put(d, "README", data=b"read me\n")
    put(d, "photo.jpg", media("photo.jpg"))
    put(d, "sub/notes.txt", data=b"notes\n")
    for rel in USER_FILES:  # the user's, made before any run
        put(out, rel, data=b"mine, not the tool's\n")
    p = run_batch(d, out)
    assert p.returncode == 0, p.stderr
    p = run_batch(d, out)  # and a second run (state present)
    assert p.returncode == 0, p.stderr
    for rel in USER_FILES:
        path = os.path.join(out, rel)
        assert os.path.exists(path), f"{rel} was deleted"
        assert open(path, "rb").read() == b"mine, not the tool's\n"


@case
def cleanup_still_removes_what_a_killed_run_left():
    require_tools()
    base = tmpdir()
    d = os.path.join(base, "in")
    out = os.path.join(base, "out")
    for i in range(3):
        put(d, f"sub/t{i}.mp4", slow_clip())
    user = put(out, "sub/.t0.mp4.QQ11ww.mp4", data=b"the user's\n")
    old = time.time() - 3600  # the user's file is older than any run
    os.utime(user, (old, old))
    for attempt in range(20):
        p = subprocess.Popen([BIN, "batch", "-j", "1", d, out],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # kill while a temporary output exists (the tool's own)
        deadline = time.monotonic() + 20
        mine = []
        while p.poll() is None and time.monotonic() < deadline and not mine:
            mine = [n for n in os.listdir(os.path.join(out, "sub"))
                    if n.startswith(".") and n != ".t0.mp4.QQ11ww.mp4"]
            time.sleep(0.002)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        p.wait()
        if mine and any(os.path.exists(os.path.join(out, "sub", n)) for n in mine):
            break
    else:
        raise Skip("never caught a temporary file in 20 runs")
    left = [n for n in mine if os.path.exists(os.path.join(out, "sub", n))]
    p = run_batch(d, out)
    assert p.returncode == 0, p.stderr
    names = sorted(os.listdir(os.path.join(out, "sub")))
    assert names == [".t0.mp4.QQ11ww.mp4", "t0.mp4", "t1.mp4", "t2.mp4"], \
        (names, left)
    assert open(user, "rb").read() == b"the user's\n"


@case
def report_keeps_names_that_are_not_utf8():
    require_tools()
    base = os.fsencode(tmpdir())
    d = os.path.join(base, b"in-\xff\xfe")  # INDIR itself is not UTF-8
    out = os.path.join(base, b"out")
    os.makedirs(os.path.join(d, b"caf\xe9"))
    with open(os.path.join(d, b"caf\xe9", b"menu\xa0.txt"), "wb") as f:
        f.write(b"menu\n")
    with open(os.path.join(d, b"ok.txt"), "wb") as f:
        f.write(b"ok\n")
    with open(os.path.join(d, b"bad\x80.png"), "wb") as f:
        f.write(b"")  # fails: empty, its error names the file
    rep = os.path.join(base, b"rep.json")
    p = subprocess.run([os.fsencode(BIN), b"batch", b"--report", rep, d, out],
                       capture_output=True, timeout=120)
    assert p.returncode == 1, p.stderr  # the empty file fails
    assert b"out of memory" not in p.stderr, p.stderr
    with open(rep, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))  # valid UTF-8 JSON
    paths = sorted(e["path"] for e in doc["files"])
    assert paths == ["bad\ufffd.png", "caf\ufffd/menu\ufffd.txt", "ok.txt"], paths
    assert doc["indir"].endswith("in-\ufffd\ufffd"), doc["indir"]
    assert doc["summary"]["files"] == 3
    bad = [e for e in doc["files"] if e["action"] == "failed"]
    assert len(bad) == 1 and bad[0]["error"]["code"] == "EEMPTY", bad
    # the report of the state reads the same names
    q = subprocess.run([os.fsencode(BIN), b"report", b"--json", out],
                       capture_output=True, timeout=60)
    assert q.returncode == 1, q.stderr
    st = json.loads(q.stdout.decode("utf-8"))
    assert sorted(e["path"] for e in st["files"]) == paths
    # a UTF-8 INDIR holding such names: no entry silently dropped
    d2 = os.path.join(base, b"in2")
    os.rename(d, d2)  # (the old code fails above, on INDIR)
    rep2 = os.path.join(base, b"rep2.json")
    p = subprocess.run([os.fsencode(BIN), b"batch", b"--dry-run", b"--report",
                        rep2, d2, os.path.join(base, b"out2")],
                       capture_output=True, timeout=120)
    with open(rep2, "rb") as f:
        doc2 = json.loads(f.read().decode("utf-8"))
    assert sorted(e["path"] for e in doc2["files"]) == paths, doc2["files"]


finish()
