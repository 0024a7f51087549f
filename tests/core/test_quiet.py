# SPDX-License-Identifier: LGPL-2.1-or-later
"""The library prints nothing, and the command prints its own lines only.

Inputs: every file of the corpus's malformed/ folder, and damaged AVIF,
HEIC and WebP made here from corpus files (the HEIC from a small HEIC
encoded from a corpus picture) (cut at several points, bytes
flipped with a fixed seed, an AV1 item whose extents are emptied: the case
where dav1d inside libheif wrote "Input validation check ... failed" on
stderr), and the damaged AVIF of tests/fuzz/regress/probe/. Through the library (quiet_run: probe, check, convert with a
logger at debug level) stderr stays empty and every log line is one line;
the foreign messages arrive in the logger ("ffmpeg: ...", "libvips: ...").
Through the command, check and convert write at most one line on stderr,
and it is the tool's.
"""
import os
import random
import struct
import subprocess
import sys

from wapftest import *

QUIET_RUN = sys.argv[1]
OUT = tmpdir()

DAMAGE_SOURCES = [
    "sticker_sources/avif_alpha_64x64.avif",
    "image/avif_irot_90_427x640.avif",
    "sticker_sources/webp_lossy_alpha_192x192_round_icon.webp",
    "image/webp_lossy_exif_orientation6.webp",
    "sticker_sources/webp_animated_245x245_42frames.webp",
]


def empty_first_item(data):
    """The iloc's first item with its extent lengths set to 0 (iloc
    versions 0 and 1), or None when the file has no such iloc."""
    i = data.find(b"iloc")
    if i < 4:
        return None
    b = bytearray(data)
    ver = b[i + 4]
    if ver > 1:
        return None
    sizes = struct.unpack(">H", b[i + 8:i + 10])[0]
    off_sz, len_sz, base_sz = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    idx_sz = sizes & 15 if ver == 1 else 0
    p = i + 12  # past item_count: the first item
    p += 2 + (2 if ver == 1 else 0) + 2 + base_sz  # id, method, dref, base
    count = struct.unpack(">H", b[p:p + 2])[0]
    p += 2
    for _ in range(count):
        p += idx_sz + off_sz
        b[p:p + len_sz] = bytes(len_sz)
        p += len_sz
    return bytes(b)


def small_heic():
    """A small HEIC made from a corpus picture (the corpus HEICs are 12 MP
    and more: slow to decode once per variant)."""
    src = corpus("image/webp_lossy_exif_orientation6.webp")
    return fixture("quiet_small.heic",
                   f"vips thumbnail '{src}' '{{out}}[compression=hevc]' 96")


def damaged():
    d = os.path.join(OUT, "damaged")
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(13)
    made = []
    for src in [corpus(rel) for rel in DAMAGE_SOURCES] + [small_heic()]:
        data = open(src, "rb").read()
        stem, ext = os.path.splitext(os.path.basename(src))
        variants = {f"cut{p}": data[:len(data) * p // 100]
                    for p in (10, 40, 70, 95)}
        for k in range(3):
            b = bytearray(data)
            for _ in range(8):
                b[rnd.randrange(len(b))] ^= 0xFF
            variants[f"flip{k}"] = bytes(b)
        if ext in (".avif", ".heic"):
            e = empty_first_item(data)
            if e:
                variants["emptyitem"] = e
        for name, v in variants.items():
            p = os.path.join(d, f"{stem}.{name}{ext}")
            with open(p, "wb") as f:
                f.write(v)
            made.append(p)
    return made


def inputs():
    mal = os.path.join(CORPUS, "malformed")
    if not os.path.isdir(mal):
        raise Skip("corpus malformed/ folder not present")
    files = sorted(os.path.join(mal, n) for n in os.listdir(mal))
    # the fuzzers' damaged AVIF (iloc length_size 6: libheif read its
    # length as 0 and dav1d printed "Input validation check ... failed")
    regress = os.path.join(SOURCE, "tests", "fuzz", "regress", "probe")
    files += [os.path.join(regress, n) for n in sorted(os.listdir(regress))
              if n.endswith(".avif")]
    return files + damaged()


FILES = []


@case
def the_library_writes_nothing_and_logs_one_line_each():
    FILES.extend(inputs())
    outdir = os.path.join(OUT, "lib-out")
    os.mkdir(outdir)
    # One process for all (process start-up dominates on a loaded machine).
    p = subprocess.run([QUIET_RUN, outdir, *FILES], capture_output=True,
                       text=True, errors="replace", timeout=240)
    assert p.returncode == 0, (p.returncode, p.stderr)
    assert p.stderr == "", f"the library wrote on stderr:\n{p.stderr}"
    logs = p.stdout.splitlines()
    other = [l for l in logs if not l.startswith("log: ")]
    assert not other, f"the library wrote on stdout: {other}"
    assert not [l for l in logs if "[NEWLINE INSIDE]" in l]
    # Routed, not silenced: the media libraries' messages reach the logger.
    assert any(l.startswith("log: ffmpeg: ") for l in logs), logs[:20]
    assert any(l.startswith("log: libvips: ") for l in logs), logs[:20]


@case
def the_command_writes_only_its_own_line():
    if not FILES:
        raise Skip("no inputs (see the case above)")
    outdir = os.path.join(OUT, "cli-out")
    os.mkdir(outdir)
    for args in (["check", *FILES], ["convert", "-d", outdir, *FILES]):
        p = run(*args, timeout=240)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        # At most one line per file, each of them the tool's.
        assert len(lines) <= len(FILES), p.stderr
        bad = [l for l in lines if not l.startswith("wa-preflight: ")]
        assert not bad, f"{args[0]}: lines on stderr that are not ours:\n" + \
            "\n".join(bad)


finish()
