# SPDX-License-Identifier: LGPL-2.1-or-later
"""Names with control bytes cannot split or colour a text line.

A newline in a file name used to split check's one-line verdict over two
lines; text output now writes control bytes as \\n, \\t, \\r or \\xHH
(JSON output escapes them its own way and is not changed).
"""
import json
import os
import shutil

from wapftest import *

OUT = tmpdir()
NAMES = ["two\nlines.txt", "tab\there.txt", "esc\x1b[31mred.txt", "del\x7f.txt"]


def escaped(name):
    out = ""
    for ch in name:
        if ch in "\n\t\r":
            out += "\\" + {"\n": "n", "\t": "t", "\r": "r"}[ch]
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out += f"\\x{ord(ch):02x}"
        else:
            out += ch
    return out


def make(folder):
    os.makedirs(folder, exist_ok=True)
    paths = []
    for n in NAMES:
        p = os.path.join(folder, n)
        with open(p, "w") as f:
            f.write("some text\n")
        paths.append(p)
    return paths


def no_raw_controls(text):
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or ord(c) == 0x7F]
    assert not bad, f"raw control bytes {bad!r} in {text!r}"


@case
def check_prints_one_line_per_file_with_escaped_names():
    paths = make(os.path.join(OUT, "check"))
    p = run("check", *paths)
    lines = p.stdout.splitlines()
    assert len(lines) == len(paths), p.stdout
    no_raw_controls(p.stdout)
    for line, path in zip(lines, paths):
        assert line.startswith(escaped(path) + ": "), (line, escaped(path))


@case
def json_keeps_the_real_names():
    paths = make(os.path.join(OUT, "json"))
    _, j = run_json("check", "--json", *paths)
    assert [e["path"] for e in j["files"]] == paths, j


@case
def probe_and_convert_lines_escape_names():
    paths = make(os.path.join(OUT, "conv"))
    p = run("probe", *paths)
    no_raw_controls(p.stdout)
    assert escaped(paths[0]) in p.stdout, p.stdout
    outdir = os.path.join(OUT, "conv-out")
    os.mkdir(outdir)
    p = run("convert", "-d", outdir, *paths)
    no_raw_controls(p.stdout + p.stderr)
    assert len(p.stdout.splitlines()) == len(paths), p.stdout
    assert sorted(os.listdir(outdir)) == sorted(NAMES)  # real names on disk


@case
def errors_name_the_file_on_one_line():
    missing = os.path.join(OUT, "no\nsuch\x1b.mp4")
    p = run("check", missing)
    assert p.returncode != 0
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "wa-preflight: " + escaped(missing) + ": "), p.stderr
    no_raw_controls(p.stderr)


@case
def batch_lines_escape_names():
    indir = os.path.join(OUT, "batch-in")
    make(indir)
    p = run("batch", "-v", indir, os.path.join(OUT, "batch-out"))
    no_raw_controls(p.stdout + p.stderr)
    assert escaped(NAMES[0]) in p.stdout, p.stdout


finish()
