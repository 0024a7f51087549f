# SPDX-License-Identifier: LGPL-2.1-or-later
"""Outputs respect their owner and survive a power failure.

- convert outputs and the batch report are created 0666 & ~umask (tried
  with umask 077 and 022): a private photo stays private under umask 077;
- after each rename into a folder, that folder is fsync'ed (seen with
  strace: the rename, then an fsync of a descriptor of the folder);
- a temporary output left by a kill -9 is removed by the next convert into
  that folder; temporaries of a live process, and files of the same
  naming that the tool did not write, stay.
"""
import os
import re
import signal
import stat
import subprocess
import time

from wapftest import *

OUT = tmpdir()


def png():
    return fixture("files_small.png",
                   "vips black {out} 64 48 --bands 3")


def text():
    p = os.path.join(OUT, "notes.txt")
    with open(p, "w") as f:
        f.write("hello\n")
    return p


def run_umask(mask, *args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True,
                       timeout=120, preexec_fn=lambda: os.umask(mask))
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@case
def convert_outputs_follow_the_umask():
    for mask in (0o077, 0o022):
        d = os.path.join(OUT, f"conv{mask:o}")
        os.mkdir(d)
        # an encoded picture, and a copied document: both outputs
        jpg = os.path.join(d, "small.jpg")
        run_umask(mask, "convert", png(), "-o", jpg)
        doc = os.path.join(d, "notes.txt")
        run_umask(mask, "convert", text(), "-o", doc)
        for out in (jpg, doc):
            assert mode(out) == 0o666 & ~mask, (out, oct(mode(out)), oct(mask))
        assert [n for n in os.listdir(d) if n.startswith(".")] == []


@case
def batch_report_and_outputs_follow_the_umask():
    indir = os.path.join(OUT, "in")
    os.makedirs(indir, exist_ok=True)
    subprocess.run(["cp", png(), os.path.join(indir, "a.png")], check=True)
    for mask in (0o077, 0o022):
        outdir = os.path.join(OUT, f"batch{mask:o}")
        rep = os.path.join(OUT, f"report{mask:o}.json")
        run_umask(mask, "batch", indir, outdir, "--report", rep)
        assert mode(rep) == 0o666 & ~mask, (oct(mode(rep)), oct(mask))
        outs = [os.path.join(r, n) for r, _, ns in os.walk(outdir)
                for n in ns if ".wa-preflight" not in r]
        assert outs, os.listdir(outdir)
        for o in outs:
            assert mode(o) == 0o666 & ~mask, (o, oct(mode(o)), oct(mask))


def strace(*args):
    if not have("strace"):
        raise Skip("strace not installed: cannot see the fsync calls")
    log = os.path.join(OUT, "strace.log")
    p = subprocess.run(["strace", "-f", "-y", "-o", log, "-e",
                        "trace=rename,renameat,renameat2,fsync,fdatasync",
                        BIN, *args], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0 and "ptrace" in p.stderr:
        raise Skip(f"strace cannot trace here: {p.stderr.strip()}")
    assert p.returncode == 0, p.stderr
    return open(log).read()


def dir_synced_after_rename(log, final):
    folder = os.path.dirname(os.path.realpath(final))
    lines = log.splitlines()
    renamed = [i for i, l in enumerate(lines)
               if "rename" in l and os.path.basename(final) + '"' in l
               and "= 0" in l]
    assert renamed, f"no rename onto {final}:\n{log}"
    after = lines[renamed[-1] + 1:]
    pat = re.compile(r"fsync\(\d+<" + re.escape(folder) + r">\) = 0")
    assert any(pat.search(l) for l in after), \
        f"no fsync of {folder} after the rename:\n{log}"


@case
def convert_syncs_the_folder_after_the_rename():
    d = os.path.join(OUT, "sync")
    os.mkdir(d)
    out = os.path.join(d, "small.jpg")
    dir_synced_after_rename(strace("convert", png(), "-o", out), out)


@case
def batch_report_is_synced_after_its_rename():
    indir = os.path.join(OUT, "in")
    rep = os.path.join(OUT, "sync-report.json")
    log = strace("batch", indir, os.path.join(OUT, "sync-out"), "--report", rep)
    dir_synced_after_rename(log, rep)


OWNER = "user.wapf-owner"


def temp_named(folder):
    return sorted(n for n in os.listdir(folder)
                  if re.fullmatch(r"\..+\.[A-Za-z0-9]{6}(\.[^.]*)?", n))


def start_time(pid):
    stat_line = open(f"/proc/{pid}/stat").read()
    return stat_line[stat_line.rindex(")") + 2:].split()[19]


@case
def kill_9_mid_convert_then_rerun_removes_the_stale_temporary():
    if not have("ffmpeg"):
        raise Skip("the ffmpeg command (package ffmpeg) is not installed")
    src = fixture("files_long.avi",
                  "ffmpeg -v error -f lavfi -i testsrc2=s=1280x720:d=60:r=30 "
                  "-c:v mpeg4 -q:v 4 -y {out}")
    d = tmpdir()
    try:  # the owner is an extended attribute of the temporary file
        probe = os.path.join(d, "probe")
        open(probe, "w").close()
        os.setxattr(probe, OWNER, b"1 1")
        os.unlink(probe)
    except OSError as e:
        raise Skip(f"no user extended attributes in {d}: {e}")
    # files of the same naming that the tool must leave alone: one without
    # an owner (not ours), one whose owner (this test) is alive
    mine = os.path.join(d, ".other.mp4.AAAAAA.mp4")
    foreign = os.path.join(d, ".user.mp4.BBBBBB.mp4")
    for p in (mine, foreign):
        with open(p, "w") as f:
            f.write("x")
    os.setxattr(mine, OWNER,
                f"{os.getpid()} {start_time(os.getpid())}".encode())
    proc = subprocess.Popen([BIN, "convert", "-o", os.path.join(d, "a.mp4"),
                             src], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    left = []
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        left = [n for n in temp_named(d) if n.startswith(".a.mp4.")]
        if left and os.path.getsize(os.path.join(d, left[0])) > 0:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        raise AssertionError("the conversion ended before it could be killed")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert left and os.path.exists(os.path.join(d, left[0])), temp_named(d)
    assert not os.path.exists(os.path.join(d, "a.mp4"))
    # the rerun (another output, same folder) removes the killed run's file
    p = run("convert", "-o", os.path.join(d, "b.txt"), text())
    assert p.returncode == 0, p.stderr
    assert temp_named(d) == sorted([".other.mp4.AAAAAA.mp4",
                                    ".user.mp4.BBBBBB.mp4"]), temp_named(d)
    assert os.path.exists(os.path.join(d, "b.txt"))
    assert p.stderr == "", p.stderr


finish()
