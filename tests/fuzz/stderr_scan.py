#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Foreign text on stderr, measured on the fuzzers' own inputs (run by hand
after a fuzz run; not a test: the inputs are not committed).

    tests/fuzz/stderr_scan.py [WORKDIR] [MAX_PER_TARGET]
        WORKDIR  default build-fuzz/tests/fuzz/work
        WAPF_BIN default build/tools/wa-preflight

For every input of each probe-* work corpus (at most MAX_PER_TARGET, default
400, the newest first) it runs `wa-preflight check`, and for frames/ also
`convert --as sticker`, and counts the inputs whose stderr holds a line that
is not the tool's own (`wa-preflight: ...`). Prints, per target, inputs
read and inputs with foreign text, then the foreign lines by their first
words, most frequent first."""
import collections
import concurrent.futures
import os
import subprocess
import sys
import tempfile

WORK = sys.argv[1] if len(sys.argv) > 1 else "build-fuzz/tests/fuzz/work"
CAP = int(sys.argv[2]) if len(sys.argv) > 2 else 400
BIN = os.environ.get("WAPF_BIN", "build/tools/wa-preflight")
OUT = tempfile.mkdtemp(prefix="wapf-scan-")


def foreign(args):
    try:
        p = subprocess.run([BIN, *args], capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return ["(timed out after 60 s)"]
    lines = p.stderr.decode("utf-8", "replace").splitlines()
    return [ln for ln in lines if ln and not ln.startswith("wa-preflight:")]


def scan(path, sticker):
    bad = foreign(["check", "-q", path])
    if sticker:
        bad += foreign(["convert", "-q", "--force", "--as", "sticker", "-o",
                        os.path.join(OUT, os.path.basename(path) + ".webp"),
                        path])
    return bad


def main():
    targets = sorted(d for d in os.listdir(WORK)
                     if os.path.isdir(os.path.join(WORK, d)) and
                     (d.startswith("probe-") or d == "frames"))
    words = collections.Counter()
    print("| target | inputs read | with foreign text |")
    print("| --- | ---: | ---: |")
    total = [0, 0]
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for t in targets:
            d = os.path.join(WORK, t)
            files = sorted((os.path.join(d, f) for f in os.listdir(d)),
                           key=os.path.getmtime, reverse=True)[:CAP]
            results = list(pool.map(lambda f: scan(f, t == "frames"), files))
            hit = [r for r in results if r]
            for r in hit:
                for ln in set(r):
                    words[" ".join(ln.split()[:4])[:60]] += 1
            print(f"| {t} | {len(files)} | {len(hit)} |", flush=True)
            total[0] += len(files)
            total[1] += len(hit)
    print(f"| all | {total[0]} | {total[1]} |\n")
    print("foreign lines (inputs showing them, first words):")
    for w, n in words.most_common(25):
        print(f"  {n:5}  {w}")


if __name__ == "__main__":
    main()
