# SPDX-License-Identifier: LGPL-2.1-or-later
"""Large photos (suite 'slow'): a noisy 27-megapixel JPEG must come out
under 5,000,000 bytes with its dimensions reduced only as much as needed;
a 50-megapixel JPEG converts with a bounded peak memory (shrink-on-load,
no full-resolution buffer)."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wapftest import *  # noqa: E402
from imgcheck import *  # noqa: E402


def noisy_jpeg(name, w, h, sigma):
    # a smooth gradient under grain: photo-like, hard to compress
    return fixture(name, (
        f"d=$(mktemp -d) && vips xyz $d/xy.v {w} {h} && "
        f"vips extract_band $d/xy.v $d/x.v 0 && vips linear $d/x.v $d/g.v {255.0 / w} 0 && "
        f"vips gaussnoise $d/n.v {w} {h} --sigma {sigma} --mean 0 && "
        f"vips add $d/g.v $d/n.v $d/s.v && "
        f"vips bandjoin \"$d/s.v $d/g.v $d/s.v\" $d/rgb.v && "
        f"vips cast $d/rgb.v $d/u.v uchar && "
        f"vips copy $d/u.v $d/c.v --interpretation srgb && "
        f"vips jpegsave $d/c.v '{{out}}' --Q 95 && rm -rf $d"))


@case
def noisy_27_megapixel_jpeg_is_reduced_under_5_mb():
    src = noisy_jpeg("noisy_27mp.jpg", 6000, 4500, 24)
    assert os.path.getsize(src) > 5_000_000, os.path.getsize(src)
    d = tmpdir()
    p = run("convert", "--json", "--as", "image", "-d", d, src)
    assert p.returncode == 0, p.stderr
    e = json.loads(p.stdout)["files"][0]
    f = assert_compliant_image(e["output"])
    w, h = int(f["width"]), int(f["height"])
    assert w < 6000 and abs(w / h - 6000 / 4500) < 0.01, f
    # 27 MP is over the 16-MP working limit, and 16 MP of it fit the bytes:
    # the note names the limit, not the bytes
    assert "16-megapixel working limit" in e["note"], e
    assert w * h > 15_900_000, f
    # the budget is used, not crushed: more than half of it
    assert os.path.getsize(e["output"]) > 2_500_000, os.path.getsize(e["output"])


@case
def jpeg_too_noisy_for_quality_75_leaves_the_stream_and_is_reduced():
    # 16 MP of strong grain: even quality 75 is over 5 MB, so the streamed
    # route gives up after its first pass and the in-memory route shrinks
    src = noisy_jpeg("noisy_16mp.jpg", 4000, 4000, 60)
    d = tmpdir()
    out = os.path.join(d, "o.jpg")
    p = run("convert", "-vv", "--json", "--as", "image", "-o", out, src)
    assert p.returncode == 0, p.stderr
    assert "not streamed: decoding into memory" in p.stderr, p.stderr
    note = json.loads(p.stdout)["files"][0]["note"]
    assert note.startswith("reduced from 4000x4000 to ") and \
        note.endswith("to fit 5,000,000 bytes"), note
    f = assert_compliant_image(out)
    assert int(f["width"]) < 4000 and f["width"] == f["height"], f
    assert os.path.getsize(out) > 4_000_000, os.path.getsize(out)


@case
def fifty_megapixel_jpeg_stays_under_200_mb_of_memory():
    if not os.path.exists("/usr/bin/time"):
        raise Skip("GNU time not installed")
    # noisy enough that its first decode (shrunk by 2) must shrink again
    src = noisy_jpeg("noisy_50mp.jpg", 8660, 5774, 20)
    d = tmpdir()
    out = os.path.join(d, "o.jpg")
    p = subprocess.run(["/usr/bin/time", "-v", BIN, "convert", "--as", "image",
                        "-o", out, src], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    assert rss_kb < 200 * 1024, rss_kb
    assert_compliant_image(out)


finish()
