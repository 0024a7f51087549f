# SPDX-License-Identifier: LGPL-2.1-or-later
"""wa-preflight batch -vv -j 4 over a folder of many small generated files:
four workers log at once (the library calls the command's logger from each
worker thread, FFmpeg's and libvips' debug lines included). The run ends
normally, every input has its output, and every stderr line is one whole
line of the tool (a sanitizer report or a torn line fails). Three runs,
each into a fresh OUTDIR, to give a race three chances to show."""
import math
import os
import re
import struct
import sys
import wave
import zlib

from wapftest import case, finish, run, tmpdir

FILES = 64
ROUNDS = 3
LINE = re.compile(r"^wa-preflight: (error|warning|info|debug): [\x20-\x7e]*$")


def write_wav(path, hz):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 8000)))
            for i in range(1600)))


def write_png(path, shade):
    """A 24x16 RGBA PNG with transparency (flattened to JPEG by the batch)."""
    rows = b"".join(b"\0" + bytes((shade, 255 - shade, i * 10, i * 15)) * 24
                    for i in range(16))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    head = struct.pack(">IIBBBBB", 24, 16, 8, 6, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) +
                chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


BASE = tmpdir()
IN = os.path.join(BASE, "in")
OUT = os.path.join(BASE, "out")
os.makedirs(IN)
for i in range(FILES // 2):
    write_wav(os.path.join(IN, f"tone\t{i:02d}.wav"), 200 + 20 * i)
    write_png(os.path.join(IN, f"pic {i:02d}.png"), 7 * i % 256)
RUNS = [run("batch", "-vv", "-j", 4, IN, f"{OUT}{r}", timeout=600)
        for r in range(ROUNDS)]
ERR = [line for p in RUNS for line in p.stderr.splitlines()]


@case
def four_workers_logging_at_once_end_normally():
    for p in RUNS:
        assert p.returncode == 0, (p.returncode, p.stderr[-4000:])


@case
def every_input_has_its_output():
    for r in range(ROUNDS):
        made = [n for n in os.listdir(f"{OUT}{r}") if not n.startswith(".")]
        assert len(made) == FILES, sorted(made)


@case
def the_workers_logged_debug_lines():
    debug = [line for line in ERR if line.startswith("wa-preflight: debug: ")]
    assert len(debug) >= ROUNDS * FILES, len(debug)


@case
def every_stderr_line_is_one_whole_line_of_the_tool():
    bad = [line for line in ERR if not LINE.match(line)]
    assert not bad, bad[:10]


@case
def both_kinds_were_logged_with_their_names_on_one_line():
    for ext in (".wav", ".png"):
        assert sum(ext in line for line in ERR) >= ROUNDS * FILES // 2, ext
    assert not any("\t" in line for line in ERR)


finish()
