# SPDX-License-Identifier: LGPL-2.1-or-later
"""wapf_probe on bad inputs: empty, random, mislabelled, missing, damaged,
hostile. Each gives a status code or damaged=1, never a crash or a hang."""
import random

from probetest import *  # noqa: F401,F403

BUDGET_S = 20  # a probe of a small hostile file must end well inside this


@case
def empty_file():
    path = made("b_empty.mp4", lambda out: open(out, "wb").close())
    status, _, err, _ = probe(path)
    eq("status", status, "EEMPTY")
    assert "empty" in err, err


@case
def random_bytes():
    def write(out):
        rnd = random.Random(1234)
        open(out, "wb").write(bytes(rnd.getrandbits(8) for _ in range(4096)))
    path = made("b_random.jpg", write)
    f = facts(path)
    eq("media", f["media"], "other")
    if file_mime(path) is not None:
        eq("mime", f["mime"], file_mime(path))
    eq("damaged", f["damaged"], 0)


@case
def text_named_mp4():
    path = made("b_text.mp4", lambda out: open(out, "w").write(
        "Meeting notes\n1. buy milk\n2. send the video\n" * 20))
    f = facts(path)
    eq("media", f["media"], "other")
    eq("mime", f["mime"], "text/plain")
    eq("format", f["format"], "txt")
    eq("moov_at_end", f["moov_at_end"], -1)
    eq("streams", f["n_streams"], 0)


@case
def directory_and_missing():
    d = tmpdir()  # noqa: F405
    status, _, err, _ = probe(d)
    eq("directory", status, "EISDIR")
    status, _, err, _ = probe(os.path.join(d, "nothing-here.mp4"))
    eq("missing", status, "ENOENT")
    assert "nothing-here.mp4" in err, err
    os.rmdir(d)


@case
def documents_are_other():
    for rel, fmt in (("document/pdf_text_forensics.pdf", "pdf"),
                     ("document/docx_text_forensics.docx", "docx"),
                     ("document/xlsx_openxlsx_color_tabs.xlsx", "xlsx")):
        path = corpus(rel)
        f = facts(path)
        eq(rel + " media", f["media"], "other")
        eq(rel + " format", f["format"], fmt)
        if file_mime(path) is not None:
            eq(rel + " mime", f["mime"], file_mime(path))


def jpeg_src():
    return ffgen("b_src.jpg", "-f lavfi -i testsrc2=s=320x240 -frames:v 1 "
                 "-q:v 3")


@case
def truncated_jpeg():
    src = jpeg_src()
    eq("whole jpeg", facts(src)["damaged"], 0)
    size = os.path.getsize(src)
    path = made("b_cut.jpg", lambda out: cut(src, out, size * 2 // 3))
    f = facts(path)
    eq("media", f["media"], "image")
    eq("damaged", f["damaged"], 1)
    assert "truncated" in f["damage"], f["damage"]
    # libvips agrees: a full decode that fails on truncation fails.
    p = subprocess.run(["vips", "copy", f"{path}[fail_on=truncated]",
                        os.path.join(FIXTURES, "b_cut_out.v")],
                       capture_output=True)
    assert p.returncode != 0, "vips decoded the cut JPEG without error"
    f = facts(corpus("malformed/jpeg_truncated_10000B.jpg"))
    eq("corpus damaged", f["damaged"], 1)


@case
def jpeg_with_trailer_is_fine():
    src = jpeg_src()
    path = made("b_trailer.jpg", lambda out: open(out, "wb").write(
        open(src, "rb").read() + b"SEFHtrailer-bytes" * 10))
    eq("damaged", facts(path)["damaged"], 0)


@case
def truncated_png():
    src = ffgen("b_src.png", "-f lavfi -i testsrc2=s=320x240 -frames:v 1")
    eq("whole png", facts(src)["damaged"], 0)
    path = made("b_cut.png", lambda out: cut(src, out,
                                             os.path.getsize(src) // 2))
    f = facts(path)
    eq("media", f["media"], "image")
    eq("damaged", f["damaged"], 1)
    p = subprocess.run(["vips", "copy", f"{path}[fail_on=truncated]",
                        os.path.join(FIXTURES, "b_cut_png.v")],
                       capture_output=True)
    assert p.returncode != 0, "vips decoded the cut PNG without error"
    f = facts(corpus("malformed/png_truncated_image_640x480.png"))
    eq("corpus damaged", f["damaged"], 1)


@case
def mp4_samples_past_the_end():
    src = ffgen("b_fast.mp4", "-f lavfi -i testsrc2=s=320x240:r=25:d=2 "
                "-c:v libx264 -preset ultrafast -movflags +faststart")
    boxes = dict(top_boxes(src))
    assert boxes["moov"] < boxes["mdat"], "fixture is not moov-first"
    eq("whole mp4", facts(src)["damaged"], 0)
    size = os.path.getsize(src)
    path = made("b_cut.mp4", lambda out: cut(src, out, size * 6 // 10))
    f = facts(path)
    eq("media", f["media"], "av")
    eq("damaged", f["damaged"], 1)
    assert "truncated" in f["damage"], f["damage"]
    f = facts(corpus("malformed/m4b_truncated_after_moov.m4b"))
    eq("corpus damaged", f["damaged"], 1)


@case
def png_claiming_100000_square():
    path = made("b_bomb.png", lambda out: write_png_header(out, 100000,
                                                          100000))
    status, _, err, dt = probe(path)
    eq("status", status, "ELIMIT")
    assert "100000x100000" in err, err


@case
def malformed_corpus():
    """Each malformed file: a status code or damaged=1, fast, no crash."""
    d = os.path.join(CORPUS, "malformed")  # noqa: F405
    if not os.path.isdir(d):
        raise Skip("corpus absent")
    for name in sorted(os.listdir(d)):
        status, f, err, dt = probe(os.path.join(d, name), timeout=BUDGET_S)
        assert status != "OK" or f["damaged"] == 1, \
            f"{name}: read as sound ({f['media']} {f['format']})"
        if status != "OK":
            assert err, f"{name}: {status} without a reason"
        else:
            assert f["damage"] and "\n" not in f["damage"], f["damage"]
        assert dt < BUDGET_S, f"{name}: {dt:.1f} s"


@case
def broken_webp():
    needs("webpinfo")
    path = corpus("malformed/webp_26B_vp8l_bitstream_error.webp")
    f = facts(path)
    eq("media", f["media"], "image")
    eq("damaged", f["damaged"], 1)
    eq("size", (f["image"]["width"], f["image"]["height"]),
       (webpinfo(path)["width"], webpinfo(path)["height"]))
    src = ffgen("b_src.png", "-f lavfi -i testsrc2=s=320x240 -frames:v 1")
    webp = gen("b_src.webp", f"vips copy {src} {{out}}")
    cutp = made("b_cut.webp", lambda out: cut(webp, out,
                                              os.path.getsize(webp) // 2))
    status, f, err, _ = probe(cutp)
    assert status != "OK" or f["damaged"] == 1, (status, f)


@case
def fuzzed_media_never_crash():
    """Byte flips in real files: the probe answers, within the budget."""
    srcs = [ffgen("b_fast.mp4", "-f lavfi -i testsrc2=s=320x240:r=25:d=2 "
                  "-c:v libx264 -preset ultrafast -movflags +faststart"),
            jpeg_src(),
            ffgen("b_src.png", "-f lavfi -i testsrc2=s=320x240 -frames:v 1")]
    rnd = random.Random(99)
    for i, src in enumerate(srcs):
        data = bytearray(open(src, "rb").read())
        for k in range(4):
            b = bytearray(data)
            for _ in range(20):
                b[rnd.randrange(min(len(b), 4096))] = rnd.getrandbits(8)
            path = os.path.join(FIXTURES, f"b_fuzz{i}_{k}"
                                f"{os.path.splitext(src)[1]}")
            open(path, "wb").write(bytes(b))
            status, f, err, dt = probe(path, timeout=BUDGET_S)
            assert status in ("OK", "ELIMIT"), (path, status, err)
            assert dt < BUDGET_S, (path, dt)


finish()  # noqa: F405
