# SPDX-License-Identifier: LGPL-2.1-or-later
"""A binding can trust the installed library: Python's ctypes (the standard
library's) loads libwapf.so.<major> from a `meson install --destdir` copy
(never the build tree) through the small binding tests/install/wapfbind.py,
whose hand-written structures must match the committed layout table; then
it probes, checks and converts a file, reads the result, gets a text with
wapf_config_get() and frees it with wapf_free(), receives log lines through
a C callback, and frees everything it was handed (pointers come back
NULL). An instrumented build (b_sanitize) runs the child with the
sanitizer runtimes preloaded, so the same calls are checked by ASan/UBSan.

Run by meson as `test_binding.py SANITIZE`; it re-runs itself as
`test_binding.py --child LIB WORKDIR` for the ctypes part."""
import ctypes as C
import json
import os
import re
import subprocess
import sys

from wapftest import *

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wapfbind as W  # noqa: E402

BASELINE = os.path.join(SOURCE, "tests", "install", "abi-layout.txt")
HEADER = os.path.join(SOURCE, "include", "wapf.h")


def header_version():
    text = open(HEADER).read()
    return [int(re.search(rf"#define WAPF_VERSION_{p} (\d+)", text).group(1))
            for p in ("MAJOR", "MINOR", "PATCH")]


def moov_at_end_clip():
    """Compliant codecs, moov after mdat: the plan is a remux."""
    return fixture("bind-moov-at-end.mp4",
                   "ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=320x240:r=25 "
                   "-f lavfi -i sine=f=440:sample_rate=44100 -t 1 "
                   "-c:v libx264 -profile:v high -bf 0 -pix_fmt yuv420p "
                   "-c:a aac -ac 1 -y {out}")


# ------------------------------------------------------------ the child
def child(libpath, work):
    lib = W.load(libpath)
    state = {}

    @case
    def loads_the_installed_copy_of_this_version():
        maps = open("/proc/self/maps").read()
        paths = {l.split()[-1] for l in maps.splitlines() if "libwapf.so" in l}
        assert paths == {os.path.realpath(libpath)}, paths
        major, minor, patch = header_version()
        assert lib.wapf_version() == f"{major}.{minor}.{patch}".encode()
        assert lib.wapf_version_number() == (major << 16) | (minor << 8) | patch
        assert lib.wapf_strerror(W.WAPF_ENOENT) == b"no such file"
        assert lib.wapf_err_name(W.WAPF_EINVAL) == b"EINVAL"

    @case
    def the_bindings_structures_match_the_layout_table():
        table = {}
        for line in open(BASELINE):
            w = line.split()
            if w and w[0] in ("struct", "member"):
                table[(w[0], w[1])] = (int(w[2]), int(w[3]))
        for cname, py in W.STRUCTS.items():
            assert table[("struct", cname)][0] == C.sizeof(py), \
                (cname, table[("struct", cname)], C.sizeof(py))
            for fname, _ in py._fields_:
                off, size = table[("member", f"{cname}.{fname}")]
                f = getattr(py, fname)
                assert (f.offset, f.size) == (off, size), \
                    (cname, fname, (f.offset, f.size), (off, size))

    lines = []

    @W.LOG_FN
    def on_log(cookie, level, msg):
        lines.append((level, msg.decode()))

    @case
    def opens_a_context_with_a_c_callback_logger():
        s = W.Settings()
        lib.wapf_default_settings(C.byref(s))
        assert s.max_long_side == 1920 and s.log_level == 1
        s.logger = on_log
        s.log_level = W.LOG_DEBUG
        ctx = W.P()
        assert lib.wapf_open(C.byref(ctx), C.byref(s)) == W.WAPF_OK
        assert ctx.value
        state["ctx"] = ctx
        bad = W.Settings()
        lib.wapf_default_settings(C.byref(bad))
        bad.reserved[5] = 1
        other = W.P()
        assert lib.wapf_open(C.byref(other), C.byref(bad)) == W.WAPF_EINVAL
        assert not other.value

    @case
    def an_error_is_a_code_and_one_line():
        ctx = state["ctx"]
        facts = C.POINTER(W.Facts)()
        rc = lib.wapf_probe(ctx, os.path.join(work, "missing.mp4").encode(),
                            C.byref(facts))
        assert rc == W.WAPF_ENOENT and not facts
        detail = lib.wapf_last_error(ctx).decode()
        assert detail and "\n" not in detail, detail

    @case
    def probes_checks_converts_and_reads_the_result():
        ctx = state["ctx"]
        src = moov_at_end_clip()
        facts = C.POINTER(W.Facts)()
        assert lib.wapf_probe(ctx, src.encode(), C.byref(facts)) == W.WAPF_OK
        f = facts.contents
        assert f.path == src.encode() and f.size == os.path.getsize(src)
        assert f.media == W.MEDIA_AV and f.moov_at_end == 1, f.moov_at_end
        assert f.mime == b"video/mp4", f.mime
        codecs = sorted(f.streams[i].codec for i in range(f.n_streams))
        assert codecs == [b"aac", b"h264"], codecs
        v = next(f.streams[i] for i in range(f.n_streams)
                 if f.streams[i].codec == b"h264")
        assert (v.width, v.height) == (320, 240)
        opt = W.Options()
        lib.wapf_default_options(C.byref(opt))
        assert opt.audio_track == -1 and opt.background == 0xFFFFFF
        rep = C.POINTER(W.Report)()
        assert lib.wapf_check(ctx, facts, C.byref(opt), C.byref(rep)) == W.WAPF_OK
        r = rep.contents
        assert r.compliant == 0 and r.plan == W.PLAN_REMUX
        assert lib.wapf_plan_name(r.plan) == b"remux"
        ids = [r.findings[i].id.decode() for i in range(r.n_findings)]
        assert r.n_findings >= 1 and all(r.findings[i].message
                                         for i in range(r.n_findings)), ids
        assert r.out_ext == b".mp4" and r.out_mime == b"video/mp4"
        out = os.path.join(work, "clip.wa.mp4")
        res = W.Result()
        rc = lib.wapf_convert(ctx, facts, rep, C.byref(opt), out.encode(),
                              C.byref(res))
        assert rc == W.WAPF_OK, lib.wapf_last_error(ctx)
        assert res.action == W.PLAN_REMUX and res.mime == b"video/mp4"
        assert res.bytes_in == os.path.getsize(src)
        assert res.bytes_out == os.path.getsize(out) > 0
        streams = ffprobe(out)["streams"]
        assert sorted(s["codec_name"] for s in streams) == ["aac", "h264"]
        # Converting again refuses to replace the output (WAPF_EEXIST).
        assert lib.wapf_convert(ctx, facts, rep, C.byref(opt), out.encode(),
                                None) == -11
        lib.wapf_report_free(C.byref(rep))
        lib.wapf_facts_free(C.byref(facts))
        assert not rep and not facts  # set to NULL by the library
        lib.wapf_report_free(C.byref(rep))  # NULL is accepted
        assert any("finding(s), plan remux" in m for _, m in lines), lines

    @case
    def a_string_handed_out_is_freed_with_wapf_free():
        cfg = os.path.join(work, "config")
        with open(os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                  "w") as fp:
            fp.write("BIND_TEST_KEY=" + "v" * 5000 + "\n")
        out = C.c_void_p()
        rc = lib.wapf_config_get(state["ctx"], cfg.encode(), b"BIND_TEST_KEY",
                                 C.byref(out))
        assert rc == W.WAPF_OK and out.value
        assert C.string_at(out.value) == b"v" * 5000  # whole, not cut
        lib.wapf_free(out)
        lib.wapf_free(None)
        none = C.c_void_p()
        assert lib.wapf_config_get(state["ctx"], cfg.encode(), b"ABSENT_KEY",
                                   C.byref(none)) == W.WAPF_OK
        assert not none.value

    @case
    def a_send_result_is_cleared():
        r = W.SendResult()
        lib.wapf_send_result_clear(C.byref(r))  # a zeroed one is accepted
        lib.wapf_send_result_clear(None)
        assert r.url is None

    @case
    def closing_sets_the_context_to_null():
        ctx = state["ctx"]
        lib.wapf_close(C.byref(ctx))
        assert not ctx.value
        lib.wapf_close(C.byref(ctx))

    finish()


# ----------------------------------------------------------- the parent
def sanitizer_preload(sanitize):
    """LD_PRELOAD value carrying the sanitizer runtimes, or None."""
    libs = []
    for part, name in (("address", "libasan.so"), ("undefined", "libubsan.so")):
        if part in sanitize:
            p = subprocess.run(["cc", f"-print-file-name={name}"],
                               capture_output=True, text=True).stdout.strip()
            if not os.path.isabs(p):
                raise Skip(f"no {name} found by cc to preload into python")
            libs.append(p)
    return ":".join(libs) if libs else None


def parent(sanitize):
    dest = tmpdir()
    state = {}

    @case
    def meson_install_into_a_destdir():
        if not have("meson"):
            raise Skip("meson is not on PATH")
        sh(f"meson install -C '{BUILD}' --no-rebuild --quiet --destdir '{dest}'",
           timeout=240)
        opts = json.loads(sh(f"meson introspect '{BUILD}' --buildoptions"))
        o = {x["name"]: x["value"] for x in opts}
        libdir = os.path.join(dest + o["prefix"], o["libdir"])
        lib = os.path.join(libdir, f"libwapf.so.{header_version()[0]}")
        assert os.path.exists(lib), os.listdir(libdir)
        state["lib"] = lib

    @case
    def ctypes_uses_the_installed_library():
        if "lib" not in state:
            raise Skip("not installed")
        env = dict(os.environ)
        pre = sanitizer_preload(sanitize)
        if pre:
            env["LD_PRELOAD"] = pre
            # Python's own allocations are not ours to judge; the C tests
            # check the library's leaks.
            env["ASAN_OPTIONS"] = "detect_leaks=0"
            env["PYTHONMALLOC"] = "malloc"
        work = tmpdir()
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                            state["lib"], work], env=env, capture_output=True,
                           text=True, timeout=300)
        print(p.stdout, end="")
        assert p.returncode == 0, p.stderr[-4000:]
        assert "0 failed" in p.stdout and "FAIL" not in p.stdout

    finish()


if len(sys.argv) > 1 and sys.argv[1] == "--child":
    child(sys.argv[2], sys.argv[3])
else:
    parent(sys.argv[1] if len(sys.argv) > 1 else "none")
