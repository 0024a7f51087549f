# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers for the Python tests (CLI tests, fake servers, fixtures).

Each test script is one meson test: it calls case() for named checks and
finish() at the end, which exits 0 (all passed), 1 (a failure) or 77 (all
skipped; meson counts that as skipped).
"""
import atexit
import fcntl
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback

BIN = os.environ.get("WAPF_BIN", "build/tools/wa-preflight")
BUILD = os.environ.get("WAPF_BUILD_DIR", "build")
SOURCE = os.environ.get("WAPF_SOURCE_DIR", ".")
CORPUS = os.environ.get("WAPF_CORPUS", os.path.join(SOURCE, "..", "shared", "corpus"))
# generated media, keyed by recipe: WAPF_FIXTURES lets builds share them
# (scripts/dev.sh points the sanitizer build at the plain build's)
FIXTURES = os.environ.get("WAPF_FIXTURES") or os.path.join(BUILD, "fixtures")

_results = {"passed": 0, "failed": 0, "skipped": 0}


class Skip(Exception):
    """Raise inside a case to skip it (with the reason)."""


def case(fn):
    """Decorator: run fn now as a named case and record the outcome."""
    name = fn.__name__
    try:
        fn()
        _results["passed"] += 1
        print(f"ok   {name}", flush=True)
    except Skip as e:
        _results["skipped"] += 1
        print(f"SKIP {name}: {e}", flush=True)
    except Exception:  # noqa: BLE001 - a test harness reports everything
        _results["failed"] += 1
        print(f"FAIL {name}", flush=True)
        traceback.print_exc()
    return fn


def finish():
    r = _results
    print(f"{r['passed']} cases passed, {r['failed']} failed, {r['skipped']} skipped")
    if r["failed"]:
        sys.exit(1)
    if r["passed"] == 0 and r["skipped"] > 0:
        sys.exit(77)
    sys.exit(0)


def run(*args, input=None, env=None, timeout=600, check_rc=None):
    """Run wa-preflight with args; returns CompletedProcess (text)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([BIN, *map(str, args)], input=input, env=e,
                       capture_output=True, text=True, timeout=timeout)
    if check_rc is not None and p.returncode != check_rc:
        raise AssertionError(
            f"{args}: exit {p.returncode}, expected {check_rc}\n"
            f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def run_json(*args, **kw):
    p = run(*args, **kw)
    try:
        return p, json.loads(p.stdout)
    except json.JSONDecodeError as err:
        raise AssertionError(f"not JSON ({err}): {p.stdout!r} {p.stderr!r}")


def sh(cmd, timeout=600):
    """Run a shell command (fixture generation, independent inspection)."""
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"command failed ({p.returncode}): {cmd}\n{p.stderr}")
    return p.stdout


def sh_bytes(cmd, timeout=600):
    """sh() for a command whose output is binary (raw frames)."""
    p = subprocess.run(cmd, shell=True, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"command failed ({p.returncode}): {cmd}\n"
                             f"{p.stderr.decode(errors='replace')}")
    return p.stdout


def ffprobe(path):
    """Independent inspection: ffprobe's JSON of streams and format."""
    out = sh(f"ffprobe -v error -show_format -show_streams -of json '{path}'")
    return json.loads(out)


def mp4_boxes(path, strict=False):
    """Independent MP4 reading: [(type, offset, size)] of the top-level
    ISO-BMFF boxes, in file order. A box size under 8 ends the walk, or
    raises AssertionError when strict."""
    boxes = []
    total = os.path.getsize(path)
    with open(path, "rb") as f:
        off = 0
        while off + 8 <= total and len(boxes) < 10000:
            f.seek(off)
            size, typ = struct.unpack(">I4s", f.read(8))
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
            elif size == 0:
                size = total - off
            if size < 8:
                if strict:
                    raise AssertionError(f"bad box size {size} at {off}")
                break
            boxes.append((typ.decode("latin-1"), off, size))
            off += size
    return boxes


def vips_fields(path):
    """Independent picture reading: `vipsheader -a` as {field: text}."""
    fields = {}
    for line in sh(f"vipsheader -a '{path}'").splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip()] = v.strip()
    return fields


def vipsheader(path, field=None):
    f = f"-f {field} " if field else "-a "
    return sh(f"vipsheader {f}'{path}'").strip()


def corpus(rel):
    """Path of a corpus file, or Skip when the corpus is absent."""
    p = os.path.join(CORPUS, rel)
    if not os.path.exists(p):
        raise Skip(f"corpus file {rel} not present")
    return p


_tmpdirs = []


def _remove_tmpdirs():
    if os.environ.get("WAPF_KEEP_TMP"):
        return
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_remove_tmpdirs)


def tmpdir():
    """A fresh temporary folder, removed when the test script exits
    (kept when WAPF_KEEP_TMP is set, to look at what a test made)."""
    d = tempfile.mkdtemp(prefix="wapf-test-")
    _tmpdirs.append(d)
    return d


def fixture(name, cmd):
    """A generated fixture, made once per build dir and shared by tests.

    cmd is a shell command with {out} for the output path; it writes to a
    temp name and renames, under a lock, so parallel tests are safe."""
    # The recipe's hash names the folder: a changed recipe never reuses a
    # fixture an older one left in the build dir, and the file keeps its
    # name (some tests send it under that name).
    stem, ext = os.path.splitext(name)
    tag = hashlib.sha256(cmd.encode()).hexdigest()[:10]
    folder = os.path.join(FIXTURES, tag)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    if os.path.exists(path):
        return path
    with open(os.path.join(FIXTURES, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(path):
            tmp = os.path.join(folder, f".tmp-{os.getpid()}-{stem}{ext}")
            sh(cmd.format(out=tmp))
            os.rename(tmp, path)
    return path


def have(tool):
    return shutil.which(tool) is not None


_noted = set()


def file_mime(path):
    """`file -b --mime-type` of path (an independent MIME reading), or None
    when the `file` command is not installed: the caller then skips that
    comparison, and the test says so once on its output."""
    if not have("file"):
        if "file" not in _noted:
            _noted.add("file")
            print("SKIP (part): the `file` command is not installed: MIME "
                  "types are not compared with it", flush=True)
        return None
    return sh(f"file -b --mime-type '{path}'").strip()
