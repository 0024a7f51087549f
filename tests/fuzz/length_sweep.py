# SPDX-License-Identifier: LGPL-2.1-or-later
"""Length-field sweep, run by hand (not a meson test): each declared
length or size of a few corpus pictures (PNG chunk lengths, GIF screen
and frame sizes, WebP RIFF/chunk sizes and canvas, JPEG segment lengths
and frame size, TIFF entry counts) set to a huge value, then
`wa-preflight check` (or `convert` with --convert) on each mutant under
GNU time; one line per mutant: exit status, seconds, peak RSS.

    python3 tests/fuzz/length_sweep.py BIN CORPUS_DIR [--convert] [--only S]
"""
import os
import resource
import struct
import subprocess
import sys
import tempfile

HUGE32 = (0x7FFFFFFF, 0xFFFFFFF0)
PER_FILE = 16  # fields mutated per file, in file order


def png_fields(b):
    pos = 8
    while pos + 8 <= len(b):
        n, t = struct.unpack(">I4s", b[pos:pos + 8])
        for v in HUGE32:
            yield f"chunk {t.decode('latin-1')}@{pos}={v:#x}", pos, ">I", v
        if t == b"IEND":
            break
        pos += 12 + n


def gif_fields(b):
    yield "screen w", 6, "<H", 0xFFFF
    yield "screen h", 8, "<H", 0xFFFF
    pos = b.find(b"\x2c", 13)
    k = 0
    while 0 <= pos < len(b) - 10 and k < 3:
        yield f"frame@{pos} w", pos + 5, "<H", 0xFFFF
        yield f"frame@{pos} h", pos + 7, "<H", 0xFFFF
        pos = b.find(b"\x2c", pos + 10)
        k += 1


def webp_fields(b):
    yield "RIFF size", 4, "<I", 0xFFFFFFF0
    pos = 12
    while pos + 8 <= len(b):
        t, n = struct.unpack("<4sI", b[pos:pos + 8])
        for v in (0x7FFFFFF0, 0xFFFFFFF0):
            yield f"chunk {t.decode('latin-1')}@{pos}={v:#x}", pos + 4, "<I", v
        if t == b"VP8X":
            yield "canvas w", pos + 12, "<I", 0x00FFFFFF | (b[pos + 15] << 24)
        if t in (b"ANIM", b"VP8X"):
            pos += 8 + n + (n & 1)
        elif t == b"ANMF":
            pos += 8 + 16  # into the frame's own chunks
        else:
            pos += 8 + n + (n & 1)


def jpeg_fields(b):
    pos = 2
    while pos + 4 <= len(b) and b[pos] == 0xFF:
        m = b[pos + 1]
        n = struct.unpack(">H", b[pos + 2:pos + 4])[0]
        yield f"marker {m:02X}@{pos}", pos + 2, ">H", 0xFFFF
        if 0xC0 <= m <= 0xC2:
            yield "frame h", pos + 5, ">H", 0xFFFF
            yield "frame w", pos + 7, ">H", 0xFFFF
        if m == 0xDA:
            break
        pos += 2 + n


def tiff_fields(b):
    le = b[:2] == b"II"
    e = "<" if le else ">"
    ifd = struct.unpack(e + "I", b[4:8])[0]
    n = struct.unpack(e + "H", b[ifd:ifd + 2])[0]
    yield "entries", ifd, e + "H", 0xFFFF
    for i in range(min(n, 40)):
        at = ifd + 2 + 12 * i
        tag = struct.unpack(e + "H", b[at:at + 2])[0]
        yield f"tag {tag} count", at + 4, e + "I", 0x3FFFFFFF


FAMILIES = {b"\x89PNG": png_fields, b"GIF8": gif_fields, b"RIFF": webp_fields,
            b"\xff\xd8\xff": jpeg_fields, b"II*\0": tiff_fields,
            b"MM\0*": tiff_fields}


def fields_of(b):
    for magic, fn in FAMILIES.items():
        if b.startswith(magic):
            return list(fn(b))
    return []


def run(binary, path, convert, out):
    def limit():
        resource.setrlimit(resource.RLIMIT_CPU, (120, 120))
    args = ["convert", "-o", out, path] if convert else ["check", path]
    try:
        p = subprocess.run(["/usr/bin/time", "-q", "-f", "@%e %M", binary,
                            *args], capture_output=True, text=True,
                           timeout=180, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return "timeout", 180.0, -1
    tail = p.stderr.rsplit("@", 1)[-1].split()
    if os.path.exists(out):
        os.unlink(out)
    return p.returncode, float(tail[0]), int(tail[1]) // 1024


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    convert = "--convert" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv \
        else ""
    d = tempfile.mkdtemp(prefix="wapf-sweep-")
    for name in sorted(os.listdir(corpus)):
        if only not in name:
            continue
        src = os.path.join(corpus, name)
        data = open(src, "rb").read()
        for what, off, fmt, value in fields_of(data)[:PER_FILE]:
            b = bytearray(data)
            struct.pack_into(fmt, b, off, value)
            ext = os.path.splitext(name)[1]
            mut = os.path.join(d, "m" + ext)
            open(mut, "wb").write(bytes(b))
            rc, secs, mb = run(binary, mut, convert,
                               os.path.join(d, "out" + ext))
            print(f"{name}\t{what}\trc={rc}\t{secs:.1f}s\t{mb}MB",
                  flush=True)
            os.unlink(mut)
    os.rmdir(d)


if __name__ == "__main__":
    main()
