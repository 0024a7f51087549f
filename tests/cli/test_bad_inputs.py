# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile, broken and odd inputs: each gives ONE clear line, the right
exit status, never a crash (no signal, no sanitizer report) and never a
hang (every run has a timeout)."""
import os

from wapftest import *
from clihelp import (lines, png_claiming, random_bytes, sane, text_file, tool,
                     tool_json, truncated_copy, write)

D = tmpdir()


def one_line(*args):
    """Run check (text): exactly one line in total for one file."""
    p = tool(*args)
    out = lines(p.stdout) + lines(p.stderr)
    assert len(out) == 1, out
    return p, out[0]


def error_line(path, code_text, *, cmd="check"):
    p, line = one_line(cmd, path)
    assert p.returncode == 1, (path, p.returncode)
    assert line.startswith(f"wa-preflight: {path}: "), line
    assert code_text in line, (code_text, line)
    return line


@case
def empty_file():
    path = write(os.path.join(D, "empty.mp4"), b"")
    for cmd in ("probe", "check", "convert"):
        error_line(path, "file is empty", cmd=cmd)
    _, doc = tool_json("check", "--json", path)
    assert doc["files"][0]["error"]["code"] == "EEMPTY", doc


@case
def missing_path():
    path = os.path.join(D, "no-such-file.jpg")
    for cmd in ("probe", "check", "convert"):
        error_line(path, "no such file", cmd=cmd)


@case
def a_directory():
    sub = os.path.join(D, "folder.mp4")
    os.makedirs(sub, exist_ok=True)
    for cmd in ("probe", "check", "convert"):
        error_line(sub, "directory", cmd=cmd)


@case
def a_fifo_or_device_never_hangs():
    fifo = os.path.join(D, "pipe.mp4")
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        for cmd in ("probe", "check", "convert"):
            p, line = one_line(cmd, path)
            assert p.returncode == 1, (cmd, path, p.returncode)
            assert line.startswith(f"wa-preflight: {path}: "), line


@case
def png_header_claiming_100000x100000_hits_the_limit():
    path = png_claiming(os.path.join(D, "bomb.png"), 100000, 100000)
    line = error_line(path, "limit")
    assert "over a safety limit" in line, line
    _, doc = tool_json("check", "--json", path)
    assert doc["files"][0]["error"]["code"] == "ELIMIT", doc
    error_line(path, "limit", cmd="convert")
    assert not [n for n in os.listdir(D) if n.startswith("bomb") and n != "bomb.png"]


@case
def max_pixels_option_lowers_the_limit():
    path = corpus("image/jpeg_exif_orientation_1.jpg")  # 308x410
    p = tool("check", "--max-pixels", "1000", path)
    assert p.returncode == 1 and "limit" in p.stderr, p.stderr


@case
def truncated_jpeg_is_damaged_and_unfixable():
    path = corpus("malformed/jpeg_truncated_10000B.jpg")
    _, doc = tool_json("probe", "--json", path)
    assert doc[0]["damaged"] is True and doc[0]["damage"], doc[0]
    p, line = one_line("check", path)
    assert p.returncode == 1 and "NOT COMPLIANT (image)" in line, line
    assert "cannot be fixed" in line, line


@case
def truncated_png_is_damaged_and_unfixable():
    path = corpus("malformed/png_truncated_image_640x480.png")
    _, doc = tool_json("probe", "--json", path)
    assert doc[0]["damaged"] is True, doc[0]
    p, line = one_line("check", path)
    assert p.returncode == 1 and "NOT COMPLIANT" in line and "cannot be fixed" in line, line
    p = tool("convert", "-d", D, path)
    assert p.returncode == 1 and len(lines(p.stderr)) == 1, p.stderr
    assert "cannot be made compliant" in p.stderr, p.stderr


@case
def random_bytes_named_jpg_is_a_misnamed_document():
    path = random_bytes(os.path.join(D, "photo.jpg"))
    _, doc = tool_json("probe", "--json", path)
    assert doc[0]["media"] == "other", doc[0]
    p, line = one_line("check", path)
    assert p.returncode == 1 and "NOT COMPLIANT (document)" in line, line


@case
def random_bytes_without_extension_never_crash():
    path = random_bytes(os.path.join(D, "blob"), n=100000, seed=3)
    for cmd in ("probe", "check"):
        p = tool(cmd, path)
        assert p.returncode in (0, 1), p.returncode
    p, line = one_line("check", path)
    assert "(document)" in line, line


@case
def text_renamed_mp4():
    path = text_file(os.path.join(D, "clip.mp4"))
    p, line = one_line("check", path)
    assert p.returncode == 1 and "NOT COMPLIANT (document)" in line, line
    assert ".txt" in line, line
    p = tool("convert", "-d", D, path)
    assert p.returncode == 1 and len(lines(p.stderr)) == 1, p.stderr
    assert not os.path.exists(os.path.join(D, "clip.txt"))


@case
def vvc_is_unsupported():
    path = corpus("video/vvc_h266_320x180.mp4")
    p, line = one_line("check", path)
    assert p.returncode == 1, p.returncode
    assert "unsupported" in line, line
    p = tool("convert", "-d", D, path)
    assert p.returncode == 1 and "unsupported" in p.stderr, p.stderr
    assert len(lines(p.stderr)) == 1, p.stderr


@case
def mp4_whose_samples_point_past_the_end():
    src = corpus("video/h264_aac_faststart_compliant_1080x720.mp4")
    path = truncated_copy(src, os.path.join(D, "cut.mp4"), 0.5)
    _, doc = tool_json("probe", "--json", path)
    assert doc[0]["damaged"] is True, doc[0]
    p, line = one_line("check", path)
    assert p.returncode == 1 and "NOT COMPLIANT (video)" in line, line
    m4b = corpus("malformed/m4b_truncated_after_moov.m4b")
    _, doc = tool_json("probe", "--json", m4b)
    assert doc[0]["damaged"] is True, doc[0]
    p, line = one_line("check", m4b)
    assert p.returncode == 1, line


@case
def every_malformed_corpus_file_is_handled():
    d = os.path.join(CORPUS, "malformed")
    if not os.path.isdir(d):
        raise Skip("no corpus")
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        for cmd in ("probe", "check"):
            p = tool(cmd, path)
            assert p.returncode in (0, 1), (name, cmd, p.returncode, p.stderr)
        p, line = one_line("check", path)
        p, doc = tool_json("check", "--json", path)
        assert len(doc["files"]) == 1, name


@case
def one_bad_file_does_not_stop_the_others():
    good = corpus("video/h264_aac_xiaomi_phone_vfr_1080p_14mbps.mp4")  # High, no B
    empty = write(os.path.join(D, "empty2.mp4"), b"")
    p = tool("check", empty, good)
    assert p.returncode == 1
    assert lines(p.stdout) == [f"{good}: ok (video)"], p.stdout
    assert len(lines(p.stderr)) == 1 and empty in p.stderr, p.stderr
    p, doc = tool_json("check", "--json", empty, good)
    assert [f["error"] is None for f in doc["files"]] == [False, True], doc


finish()
