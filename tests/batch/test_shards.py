# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shards, lists and the report (issue 12): three shards at once on one
OUTDIR, one killed with kill -9 and started again, give the same outputs
(each inspected independently) as one unsharded batch of the same folder;
`report` shows the same totals and which shard had not finished; a second
run of every shard does no work. --files-from takes a list (and refuses
what escapes INDIR); GNU parallel runs the recipe of docs/scale.md."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batchlib import (entries, inspect, make_tree, media, outputs, put,  # noqa: E402
                      report, require_tools, run_batch, same_bytes)
from wapftest import BIN, Skip, case, finish, fixture, tmpdir  # noqa: E402


def yuv444():
    return fixture(
        "batch-clip444.mp4",
        "ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=640x360:rate=25 "
        "-f lavfi -i sine=f=440:sample_rate=44100 -t 4 -c:v libx264 "
        "-pix_fmt yuv444p -c:a aac -ac 1 {out}")


def make_folder(root):
    """make_tree()'s mixed folder (collisions a.mkv/a.mov, failures, links)
    plus enough transcodes that a kill lands while a shard works."""
    d, _ = make_tree(root)
    for i in range(4):
        put(d, f"work/t{i}.mp4", yuv444())
        put(d, f"work/p{i}.png", media("alpha.png"))
    put(d, "clips/a-2.mov", media("clip.mov"))  # competes with a.mov's a-2
    return d


def run_report(out, *args):
    p = subprocess.run([BIN, "report", *args, out], capture_output=True,
                       text=True, timeout=120)
    return p


def report_json(out):
    p = run_report(out, "--json")
    assert p.stderr == "", p.stderr
    return json.loads(p.stdout), p.returncode


def check_same_outputs(indir, out, ref_rep):
    made = {e["output"]: e for e in report(ref_rep)["files"] if e["output"]}
    assert outputs(out) == sorted(made), (outputs(out), sorted(made))
    for rel in outputs(out):
        e = made[rel]
        path = os.path.join(out, rel)
        if e["action"] == "copied":
            assert same_bytes(os.path.join(indir, e["path"]), path), rel
        else:
            inspect(path)


def totals(rep):
    s = rep["summary"]
    kinds = {k: (v["converted"], v["copied"], v["failed"])
             for k, v in s["kinds"].items()}
    return (s["files"], s["converted"], s["copied"], s["failed"],
            s["pending"], kinds)


def shard_of(rel, n=3):
    """The documented hash (include/wapf.h), computed independently: FNV-1a
    64 of the collision group (no extension, no trailing "-<digits>")."""
    r = rel.encode()
    b = r.rfind(b"/") + 1
    dot = r[b:].rfind(b".")
    end = b + dot if dot > 0 else len(r)
    while True:
        i = end
        while i > b and r[i - 1:i].isdigit():
            i -= 1
        if i == end or i <= b + 1 or r[i - 1:i] != b"-":
            break
        end = i - 1
    h = 14695981039346656037
    for byte in r[:end]:
        h = ((h ^ byte) * 1099511628211) % (1 << 64)
    return h % n


try:
    require_tools()
    BASE = tmpdir()
    IN = make_folder(BASE)
    REF = os.path.join(BASE, "ref")
    REF_REP = os.path.join(BASE, "ref.json")
    t0 = time.monotonic()
    REF_RUN = run_batch("-j", 1, "--report", REF_REP, IN, REF)
    REF_SECONDS = time.monotonic() - t0
    SKIP = None
except Skip as e:
    SKIP = str(e)


def shard_cmd(k, out, *extra):
    return [BIN, "batch", "-q", "-j", "1", "--shard", f"{k}/3", *extra, IN,
            out]


@case
def three_shards_one_killed_and_restarted_equal_one_batch():
    if SKIP:
        raise Skip(SKIP)
    out = os.path.join(BASE, "sharded")
    # the shard with the most transcodes is the one killed
    work = {k: 0 for k in range(3)}
    for e in report(REF_REP)["files"]:
        if e["path"].startswith("work/t"):
            work[shard_of(e["path"])] += 1
    victim = max(work, key=work.get)
    procs = {k: subprocess.Popen(shard_cmd(k, out), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
             for k in range(3)}
    db = os.path.join(out, ".wa-preflight", f"shard-{victim}-of-3.db")
    deadline = time.monotonic() + 60
    while not os.path.exists(db) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(max(0.3, REF_SECONDS / 8))  # into its work
    killed = procs[victim].poll() is None
    if killed:
        procs[victim].send_signal(signal.SIGKILL)
    failing = {shard_of(e["path"]) for e in report(REF_REP)["files"]
               if e["action"] == "failed"}
    for k, p in procs.items():
        _, err = p.communicate(timeout=300)
        if k != victim:
            assert p.returncode == (k in failing), (k, p.returncode, err)
            assert "error" not in err, err
    assert killed, "the shard finished before the kill: make the folder bigger"
    if killed:
        mid, rc = report_json(out)
        assert rc == 1
        assert mid["unfinished"] == [f"shard-{victim}-of-3.db"], mid["unfinished"]
        text = run_report(out).stdout
        assert "NOT FINISHED" in text and "have not finished" in text, text
    print(f"shard {victim} killed: {killed}", flush=True)
    again = subprocess.run(shard_cmd(victim, out), capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == (victim in failing), again.stderr
    assert not [p for p in outputs(out) if os.path.basename(p).startswith(".")]
    check_same_outputs(IN, out, REF_REP)
    # the report of the shards reads like the report of the one batch
    got, rc = report_json(out)
    ref, ref_rc = report_json(REF)
    assert totals(got) == totals(ref), (totals(got), totals(ref))
    assert got["unfinished"] == [] and rc == ref_rc
    assert [s["db"] for s in got["shards"]] == \
        [f"shard-{k}-of-3.db" for k in range(3)]
    a = {e["path"]: e for e in got["files"]}
    b = entries(report(REF_REP))
    assert sorted(a) == sorted(b)
    for rel in a:
        assert a[rel]["output"] == b[rel]["output"], (a[rel], b[rel])
        assert a[rel]["kind"] == b[rel]["kind"]
        assert a[rel]["findings"] == b[rel]["findings"], (a[rel], b[rel])
    # one shape of counts: report --json's are the batch report's keys
    ref_kinds = report(REF_REP)["summary"]["kinds"]
    for k, v in got["summary"]["kinds"].items():
        assert sorted(v) == sorted(ref_kinds[k]), (k, v, ref_kinds[k])
    assert set(ref_kinds["video"]) <= set(got["summary"]), got["summary"]
    # and of findings: check --json gives what the batch recorded
    rel = "work/t0.mp4"
    p = subprocess.run([BIN, "check", "--json", os.path.join(IN, rel)],
                       capture_output=True, text=True, timeout=120)
    checked = json.loads(p.stdout)["files"][0]["findings"]
    assert checked and checked == b[rel]["findings"], (checked, b[rel])
    # a second run of every shard does no work
    for k in range(3):
        rp = os.path.join(BASE, f"again{k}.json")
        subprocess.run(shard_cmd(k, out, "--report", rp), timeout=120,
                       capture_output=True)
        files = report(rp)["files"]
        assert files and all(e["from_state"] for e in files), k
        assert report(rp)["summary"]["converted"] == 0


@case
def shards_run_together_but_never_beside_an_unsharded_run():
    if SKIP:
        raise Skip(SKIP)
    out = os.path.join(BASE, "locks")
    held = subprocess.Popen(shard_cmd(0, out), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    db = os.path.join(out, ".wa-preflight", "shard-0-of-3.db")
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(db) and time.monotonic() < deadline:
            time.sleep(0.005)
        held.send_signal(signal.SIGSTOP)  # holds its locks, does nothing
        if held.poll() is not None:
            raise Skip("shard 0 finished before it could be stopped")
        same = subprocess.run(shard_cmd(0, out), capture_output=True,
                              text=True, timeout=60)
        whole = run_batch(IN, out)
        other = subprocess.run(shard_cmd(1, out, "--dry-run"),
                               capture_output=True, text=True, timeout=60)
    finally:
        held.kill()
        held.wait()
    assert same.returncode == 1 and "shard-0-of-3 is already running" in \
        same.stderr, same.stderr
    assert whole.returncode == 1 and "batch is running" in whole.stderr, \
        whole.stderr
    assert other.returncode in (0, 1), other.stderr


@case
def shard_option_is_validated():
    if SKIP:
        raise Skip(SKIP)
    for bad in ("3/3", "-1/3", "1/0", "x/2", "1", "1/2/3"):
        p = run_batch("--shard", bad, IN, os.path.join(BASE, "bad"))
        assert p.returncode == 2, (bad, p.returncode)
        assert "shard" in p.stderr and len(p.stderr.splitlines()) == 1, p.stderr


@case
def files_from_takes_the_list_with_its_collision_groups():
    if SKIP:
        raise Skip(SKIP)
    out = os.path.join(BASE, "listed")
    lst = os.path.join(BASE, "list.txt")
    with open(lst, "w") as f:
        f.write("clips/a.mov\r\n\n./docs//notes.txt\nmissing/gone.jpg\n")
    p = run_batch("--files-from", lst, "--report", lst + ".json", IN, out)
    assert p.returncode == 1, p.stderr  # the missing file fails
    got = entries(report(lst + ".json"))
    ref = entries(report(REF_REP))
    # a.mov brought its group (a.mkv, a-2.mov): the same names as a full run
    assert sorted(got) == ["clips/a-2.mov", "clips/a.mkv", "clips/a.mov",
                           "docs/notes.txt", "missing/gone.jpg"], sorted(got)
    for rel in ("clips/a-2.mov", "clips/a.mkv", "clips/a.mov", "docs/notes.txt"):
        assert got[rel]["output"] == ref[rel]["output"], (got[rel], ref[rel])
    assert got["missing/gone.jpg"]["action"] == "failed"
    # from stdin, the same list again does nothing new
    with open(lst, "rb") as f:
        q = subprocess.run([BIN, "batch", "--files-from", "-", "--report",
                            lst + ".2.json", IN, out], stdin=f,
                           capture_output=True, timeout=120)
    assert q.returncode == 1
    again = entries(report(lst + ".2.json"))
    assert all(e["from_state"] for r, e in again.items()
               if r != "missing/gone.jpg")
    # with --shard: only the listed inputs of that part
    lout = os.path.join(BASE, "listed-shards")
    want = ["clips/a-2.mov", "clips/a.mkv", "clips/a.mov", "docs/notes.txt"]
    for k in range(3):
        subprocess.run([BIN, "batch", "-q", "--shard", f"{k}/3", "--files-from",
                        lst, "--report", f"{lst}.s{k}.json", IN, lout],
                       capture_output=True, timeout=120)
        part = sorted(entries(report(f"{lst}.s{k}.json")))
        assert part == sorted(r for r in want + ["missing/gone.jpg"]
                              if shard_of(r) == k), (k, part)


@case
def files_from_refuses_paths_out_of_indir():
    if SKIP:
        raise Skip(SKIP)
    out = os.path.join(BASE, "refused")
    for bad in ("/etc/passwd", "../outside/secret.jpg", "docs/../../x.jpg"):
        p = subprocess.run([BIN, "batch", "--files-from", "-", IN, out],
                           input=f"docs/doc.pdf\n{bad}\n", text=True,
                           capture_output=True, timeout=60)
        assert p.returncode == 2, (bad, p.returncode, p.stderr)
        lines = p.stderr.splitlines()
        assert len(lines) == 1 and bad in lines[0], lines
        assert not os.path.exists(os.path.join(out, "docs"))


@case
def gnu_parallel_runs_three_shards():
    if SKIP:
        raise Skip(SKIP)
    if not shutil.which("parallel"):
        raise Skip("GNU parallel not installed (Debian package parallel)")
    out = os.path.join(BASE, "parallel")
    # the line of docs/scale.md
    p = subprocess.run(
        ["parallel", "--will-cite", "-j", "3", "--halt", "never", BIN,
         "batch", "-q", "-j", "1", "--shard", "{}/3", IN, out, ":::", "0", "1",
         "2"], capture_output=True, text=True, timeout=300)
    # parallel's status is the number of jobs that failed: the shards
    # holding a failing file exit 1
    failing = {shard_of(e["path"]) for e in report(REF_REP)["files"]
               if e["action"] == "failed"}
    assert p.returncode == len(failing), (p.returncode, p.stderr)
    check_same_outputs(IN, out, REF_REP)
    got, _ = report_json(out)
    ref, _ = report_json(REF)
    assert totals(got) == totals(ref)
    assert got["unfinished"] == []


@case
def an_unsharded_run_after_the_shards_takes_over_their_outputs():
    if SKIP:
        raise Skip(SKIP)
    out = os.path.join(BASE, "parallel")  # done by the three shards above
    if not os.path.isdir(out):
        raise Skip("the GNU parallel case did not run")
    p = run_batch("-j", 2, IN, out)
    assert p.returncode == REF_RUN.returncode, p.stderr
    assert "already exists" not in p.stderr, p.stderr
    check_same_outputs(IN, out, REF_REP)
    got, _ = report_json(out)
    ref, _ = report_json(REF)
    assert totals(got) == totals(ref), (totals(got), totals(ref))
    assert got["shards"][0]["db"] == "state.db"


@case
def report_of_a_folder_without_state_is_a_usage_error():
    if SKIP:
        raise Skip(SKIP)
    p = run_report(IN)
    assert p.returncode == 2 and "no batch state" in p.stderr, p.stderr
    assert len(p.stderr.splitlines()) == 1


finish()
