# SPDX-License-Identifier: LGPL-2.1-or-later
"""The installed library, as a user gets it: `meson install --destdir`,
examples/preflight.c compiled with `pkg-config --cflags --libs wapf` against
that copy (never the build tree), run on samples, outputs checked with
ffprobe and an MP4 box walk of our own."""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys

from wapftest import *

sys.path.insert(0, os.path.join(SOURCE, "tests", "cli"))
from clihelp import mp4_top_boxes, sha256  # noqa: E402

SANITIZE = sys.argv[1] if len(sys.argv) > 1 else "none"
DEST = tmpdir()
EXAMPLE = os.path.join(DEST, "preflight")
state = {}


def build_option(name):
    out = sh(f"meson introspect '{BUILD}' --buildoptions")
    for o in json.loads(out):
        if o["name"] == name:
            return o["value"]
    raise AssertionError(f"no build option {name}")


def installed_root():
    prefix = build_option("prefix")
    return DEST + prefix, build_option("libdir")


def run_example(*args):
    root, libdir = state["root"], state["libdir"]
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(root, libdir))
    return subprocess.run([EXAMPLE, *args], env=env, capture_output=True,
                          text=True, timeout=120)


@case
def meson_install_into_destdir():
    if not have("meson"):
        raise Skip("meson is not on PATH")
    sh(f"meson install -C '{BUILD}' --no-rebuild --quiet --destdir '{DEST}'",
       timeout=240)
    root, libdir = installed_root()
    state["root"], state["libdir"] = root, libdir
    assert os.path.isfile(os.path.join(root, "include", "wapf.h"))
    assert glob.glob(os.path.join(root, libdir, "libwapf.so.*"))
    assert os.path.isfile(os.path.join(root, libdir, "pkgconfig", "wapf.pc"))
    assert os.access(os.path.join(root, "bin", "wa-preflight"), os.X_OK)


@case
def example_builds_with_pkg_config_against_the_installed_copy():
    if "root" not in state:
        raise Skip("not installed")
    root, libdir = state["root"], state["libdir"]
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(root, libdir, "pkgconfig"))
    flags = subprocess.run(
        ["pkg-config", f"--define-variable=prefix={root}", "--cflags", "--libs",
         "wapf"], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert f"-I{root}/include" in flags, flags
    assert f"-L{root}/{libdir}" in flags, flags
    extra = []
    if SANITIZE not in ("", "none"):
        # The library is instrumented: the program must carry the runtime.
        extra = [f"-fsanitize={SANITIZE}"]
    src = os.path.join(SOURCE, "examples", "preflight.c")
    p = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", *extra,
                        src, *flags, "-o", EXAMPLE],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0 and extra:
        raise Skip(f"cannot link the example under -fsanitize={SANITIZE}: "
                   f"{p.stderr.strip()[:200]}")
    assert p.returncode == 0, p.stderr
    # It must resolve libwapf from the installed copy, not the build tree.
    ldd = sh(f"LD_LIBRARY_PATH='{root}/{libdir}' ldd '{EXAMPLE}'")
    line = next(l for l in ldd.splitlines() if "libwapf.so" in l)
    assert root in line, line
    state["built"] = True


# Phone-like H.264 without B-frames (the compliant kind since Meta's
# Android rule), faststart or with the moov at the end. The samples'
# clips carry B-frames, so they are transcodes now.
def phone_clip(name, movflags):
    return fixture(name, "ffmpeg -v error -f lavfi -i testsrc2=s=320x240:r=25 "
                   "-f lavfi -i sine=f=440:sample_rate=44100 -t 1 "
                   "-c:v libx264 -profile:v high -bf 0 -pix_fmt yuv420p "
                   f"-c:a aac -ac 1 {movflags} -y {{out}}")


@case
def example_passes_a_compliant_mp4_through():
    if "built" not in state:
        raise Skip("example not built")
    src = phone_clip("install-phone-faststart.mp4", "-movflags +faststart")
    streams = ffprobe(src)["streams"]
    assert sorted(s["codec_name"] for s in streams) == ["aac", "h264"]
    out = os.path.join(DEST, "never.mp4")
    p = run_example(src, out)
    assert p.returncode == 0, p.stderr
    assert f"{src}: compliant as video, plan none" in p.stdout, p.stdout
    assert f"upload {src} as video/mp4" in p.stdout, p.stdout
    assert not os.path.exists(out), "a compliant file needs no output"


@case
def example_remuxes_a_moov_at_end_mp4():
    if "built" not in state:
        raise Skip("example not built")
    src = phone_clip("install-phone-moov-at-end.mp4", "")
    boxes = [b[0] for b in mp4_top_boxes(src)]
    assert boxes.index("moov") > boxes.index("mdat"), boxes
    before = sha256(src)
    out = os.path.join(DEST, "clip.wa.mp4")
    p = run_example(src, out)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "not compliant as video, plan remux" in p.stdout, p.stdout
    assert f"upload {out} as video/mp4" in p.stdout, p.stdout
    assert sha256(src) == before, "the input was modified"
    boxes = [b[0] for b in mp4_top_boxes(out)]
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    codecs = sorted(s["codec_name"] for s in ffprobe(out)["streams"])
    assert codecs == ["aac", "h264"], codecs
    leftovers = [n for n in os.listdir(DEST) if n.startswith(".")]
    assert not leftovers, leftovers


@case
def example_reports_an_error_in_one_line():
    if "built" not in state:
        raise Skip("example not built")
    p = run_example(os.path.join(DEST, "missing.mp4"), os.path.join(DEST, "x.mp4"))
    assert p.returncode == 1, p
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "no such file" in lines[0], p.stderr


shutil.rmtree(DEST, ignore_errors=True) if os.environ.get("WAPF_KEEP") is None else None
finish()
