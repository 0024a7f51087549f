# SPDX-License-Identifier: LGPL-2.1-or-later
"""A 54-megapixel camera-like JPEG (suite 'slow'): built at test time from
the corpus's real phone photo (upscaled to 9000x6000 with sensor-like
grain, quality 93, the phone's EXIF with its orientation set to 1, 3 or 6).
Each converts to a compliant JPEG of at most 5,000,000 bytes, upright
(compared with libvips' own upright thumbnail of the source), close to the
source; the peak memory above the tool's own baseline stays under a bound
relative to the decoded picture: under one picture when no rotation is
needed (the pixels are streamed, never all held), under 1.75 pictures when
one is (the picture is held once; no second buffer of its size). The
memory bounds are checked in the plain build only (AddressSanitizer's
shadow memory inflates the resident size)."""
import json
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wapftest import *  # noqa: E402
from imgcheck import *  # noqa: E402

PHOTO = "image/jpeg_xiaomi_4000x3000_orientation3.jpg"
W, H = 9000, 6000
PICTURE = (W // 2) * (H // 2) * 3  # bytes of the picture decoded at 1/2


def photo54():
    src = corpus(PHOTO)
    return fixture("photo54.jpg", (
        f"d=$(mktemp -d) && vips crop '{src}' $d/c.v 0 166 4000 2667 && "
        f"vips gaussnoise $d/n.v 4000 2667 --sigma 7 --mean 0 && "
        f"vips bandjoin \"$d/n.v $d/n.v $d/n.v\" $d/n3.v && "
        f"vips add $d/c.v $d/n3.v $d/s.v && vips cast $d/s.v $d/u.v uchar && "
        f"vips resize $d/u.v $d/up.v 2.25 && "
        f"vips crop $d/up.v '{{out}}[Q=93]' 0 0 {W} {H} && rm -rf $d"))


def with_orientation(src, value, dst):
    """Copy of a JPEG with every EXIF Orientation entry set to value."""
    d = bytearray(open(src, "rb").read())
    t = d.find(b"Exif\x00\x00") + 6
    assert t > 6, "no EXIF"
    e = "<" if d[t:t + 2] == b"II" else ">"
    ifd, seen = struct.unpack(e + "I", d[t + 4:t + 8])[0], 0
    for _ in range(2):  # IFD0 and the thumbnail's IFD1
        if not ifd:
            break
        n = struct.unpack(e + "H", d[t + ifd:t + ifd + 2])[0]
        for k in range(n):
            p = t + ifd + 2 + 12 * k
            if struct.unpack(e + "H", d[p:p + 2])[0] == 0x0112:
                d[p + 8:p + 10] = struct.pack(e + "H", value)
                seen += 1
        ifd = struct.unpack(e + "I", d[t + ifd + 2 + 12 * n:t + ifd + 6 + 12 * n])[0]
    assert seen, "no orientation entry"
    open(dst, "wb").write(d)
    assert vipsheader(dst, "orientation").strip() == str(value)
    return dst


def asan_build():
    out = subprocess.run(["ldd", BIN], capture_output=True, text=True).stdout
    return "libasan" in out


def peak_kb(*args):
    """Run the tool under GNU time; (process, max resident set in kB)."""
    p = subprocess.run(["/usr/bin/time", "-v", BIN, *args], capture_output=True,
                       text=True, timeout=900)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    assert m, p.stderr
    return p, int(m.group(1))


_baseline = []


def baseline_kb():
    """The tool's own peak on a small photo it re-encodes (libraries,
    probe): what any run costs before the picture's memory."""
    if not _baseline:
        d = tmpdir()
        p, kb = peak_kb("convert", "--as", "image", "-o", os.path.join(d, "b.jpg"),
                        corpus("image/jpeg_exif_orientation_6.jpg"))
        assert p.returncode == 0, p.stderr
        _baseline.append(kb)
    return _baseline[0]


def assert_upright_and_close(src, out, d):
    # libvips' thumbnail applies the source's EXIF orientation itself
    ref, got, flip = (os.path.join(d, n) for n in ("ref.v", "got.v", "flip.v"))
    sh(f"vips thumbnail '{src}' {ref} 600 --height 600 && "
       f"vips thumbnail '{out}' {got} 600 --height 600 && vips rot {ref} {flip} d180")
    assert vipsheader(ref, "width") == vipsheader(got, "width"), (src, out)
    assert vipsheader(ref, "height") == vipsheader(got, "height"), (src, out)
    right = mean_abs_diff(got, ref, d)
    wrong = mean_abs_diff(got, flip, d)
    print(f"  difference from the upright source {right:.2f}, from it turned {wrong:.2f}")
    assert right < 3.0 and wrong > 4 * right, (right, wrong)


def convert_54(orientation, memory_bound):
    if not have("vips"):
        raise Skip("vips (libvips-tools) not installed")
    d = tmpdir()
    src = with_orientation(photo54(), orientation, os.path.join(d, f"o{orientation}.jpg"))
    assert os.path.getsize(src) > 10_000_000, os.path.getsize(src)
    out = os.path.join(d, "out.jpg")
    measure = os.path.exists("/usr/bin/time") and not asan_build()
    cmd = ("convert", "--json", "--as", "image", "-o", out, src)
    if measure:
        p, kb = peak_kb(*cmd)
    else:
        p, kb = run(*cmd), 0
    assert p.returncode == 0, p.stderr
    # the working limit made it smaller, not the bytes: the note says so
    note = json.loads(p.stdout)["files"][0]["note"]
    assert "16-megapixel working limit" in note and "bytes" not in note, note
    w, h = (W // 2, H // 2) if orientation in (1, 3) else (H // 2, W // 2)
    assert_compliant_image(out, width=w, height=h)
    assert os.path.getsize(out) > 1_000_000, os.path.getsize(out)
    assert_upright_and_close(src, out, d)
    if measure:
        above = (kb - baseline_kb()) * 1024
        print(f"  peak {kb} kB, baseline {baseline_kb()} kB: "
              f"{above / PICTURE:.2f} pictures above it (bound {memory_bound})")
        assert above < memory_bound * PICTURE, (kb, baseline_kb(), above / PICTURE)
    else:
        print("  (memory not measured: AddressSanitizer build or no GNU time)")


@case
def photo_54mp_needing_no_rotation_is_streamed_under_one_picture_of_memory():
    convert_54(1, 1.0)


@case
def photo_54mp_turned_sideways_comes_out_upright_in_one_picture_of_memory():
    convert_54(6, 1.75)


@case
def photo_54mp_upside_down_comes_out_upright():
    convert_54(3, 1.75)


finish()
