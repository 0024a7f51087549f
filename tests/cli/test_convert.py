# SPDX-License-Identifier: LGPL-2.1-or-later
"""convert: output names (-o, -d with -2/-3 in argument order, default
<stem>.wa<ext>), --force, output == input refused, inputs never modified,
no temporary file left, the JSON schema, exit statuses; the outputs are
checked with ffprobe / vipsheader / an MP4 box walk, not with our probe."""
import os
import shutil

from wapftest import *
from clihelp import (listing, lines, long_clip, mp4_top_boxes, sha256,
                     text_file, tool, tool_json, vips_fields, write)

RESULT_KEYS = {"path", "output", "kind", "action", "bytes_in", "bytes_out",
               "seconds", "note", "video_decision", "error"}


def copy_in(d, rel, name=None):
    src = corpus(rel)
    dst = os.path.join(d, name or os.path.basename(rel))
    shutil.copyfile(src, dst)
    return dst


def no_temp_files(*dirs):
    for d in dirs:
        hidden = [n for n in os.listdir(d) if n.startswith(".")]
        assert not hidden, f"temporary files left in {d}: {hidden}"


def convert_json(*args):
    p, doc = tool_json("convert", "--json", *args)
    assert doc["version"] == 1, doc
    for e in doc["files"]:
        assert set(e) == RESULT_KEYS, set(e) ^ RESULT_KEYS
    return p, doc["files"]


@case
def compliant_file_is_copied_unchanged_with_its_extension():
    d = tmpdir()
    # a phone recording: High without B-frames, faststart, AAC
    src = copy_in(d, "video/h264_aac_xiaomi_phone_vfr_1080p_14mbps.mp4", "clip.mp4")
    before = sha256(src)
    p, files = convert_json(src)
    assert p.returncode == 0, p.stderr
    e = files[0]
    out = os.path.join(d, "clip.wa.mp4")
    assert e["output"] == out and e["action"] == "none" and e["kind"] == "video", e
    assert e["error"] is None and e["bytes_in"] == e["bytes_out"] == os.path.getsize(src)
    assert sha256(out) == before == sha256(src)
    assert listing(d) == ["clip.mp4", "clip.wa.mp4"]


@case
def document_keeps_its_extension_and_bytes():
    d = tmpdir()
    src = copy_in(d, "document/pdf_text_forensics.pdf", "report.pdf")
    out_dir = os.path.join(d, "out")
    p = tool("convert", "-d", out_dir, src)
    assert p.returncode == 0, p.stderr
    out = os.path.join(out_dir, "report.pdf")
    assert sha256(out) == sha256(src)
    assert lines(p.stdout) == [f"{src} -> {out} (already compliant, copied unchanged)"], p.stdout


@case
def o_writes_exactly_there():
    d = tmpdir()
    src = copy_in(d, "document/pdf_minimal_130B.pdf")
    out = os.path.join(d, "exact-name.bin")
    p = tool("convert", "-o", out, src)
    assert p.returncode == 0, p.stderr
    assert listing(d) == sorted(["pdf_minimal_130B.pdf", "exact-name.bin"])


@case
def d_collisions_get_numbers_in_argument_order_and_say_so():
    d = tmpdir()
    a = os.path.join(d, "a")
    b = os.path.join(d, "b")
    os.makedirs(a)
    os.makedirs(b)
    pdf = corpus("document/pdf_minimal_130B.pdf")
    pdf2 = corpus("document/pdf_text_forensics.pdf")
    x1 = shutil.copyfile(pdf, os.path.join(a, "doc.pdf"))
    x2 = shutil.copyfile(pdf2, os.path.join(b, "doc.pdf"))
    x3 = shutil.copyfile(pdf, os.path.join(d, "doc.pdf"))
    out = os.path.join(d, "out")
    p, files = convert_json("-d", out, x1, x2, x3)
    assert p.returncode == 0, p.stderr
    assert [f["output"] for f in files] == [os.path.join(out, n) for n in
                                            ("doc.pdf", "doc-2.pdf", "doc-3.pdf")], files
    assert "renamed" in files[1]["note"] and "renamed" in files[2]["note"], files
    assert "renamed" not in files[0]["note"]
    assert sha256(os.path.join(out, "doc-2.pdf")) == sha256(x2)
    assert sha256(os.path.join(out, "doc-3.pdf")) == sha256(x3)
    # The text output says so too.
    out2 = os.path.join(d, "out2")
    p = tool("convert", "-d", out2, x1, x2)
    rows = lines(p.stdout)
    assert rows[1].startswith(f"{x2} -> {os.path.join(out2, 'doc-2.pdf')}"), rows
    assert "renamed" in rows[1], rows


@case
def default_names_beside_the_input_also_avoid_collisions():
    d = tmpdir()
    x1 = shutil.copyfile(corpus("document/pdf_minimal_130B.pdf"),
                         os.path.join(d, "same.pdf"))
    p, files = convert_json(x1, os.path.join(d, ".", "same.pdf"))
    assert p.returncode == 0, p.stderr
    assert files[0]["output"] == os.path.join(d, "same.wa.pdf")
    assert files[1]["output"].endswith("same-2.wa.pdf"), files


@case
def existing_output_is_refused_without_force():
    d = tmpdir()
    src = copy_in(d, "document/pdf_minimal_130B.pdf", "doc.pdf")
    out = write(os.path.join(d, "doc.wa.pdf"), b"keep me")
    p = tool("convert", src)
    assert p.returncode == 1, p.returncode
    err = lines(p.stderr)
    assert len(err) == 1 and "already exists" in err[0] and "--force" in err[0], err
    assert open(out, "rb").read() == b"keep me"
    p = tool("convert", "--force", src)
    assert p.returncode == 0, p.stderr
    assert sha256(out) == sha256(src)
    no_temp_files(d)


@case
def output_equal_to_input_is_refused():
    d = tmpdir()
    src = copy_in(d, "document/pdf_minimal_130B.pdf", "doc.pdf")
    before = sha256(src)
    for args in (["-o", src], ["--force", "-o", src], ["--force", "-d", d],
                 ["-o", os.path.join(d, ".", "doc.pdf"), "--force"]):
        p = tool("convert", *args, src)
        assert p.returncode == 1, (args, p.returncode)
        assert len(lines(p.stderr)) == 1 and "input" in p.stderr, p.stderr
        assert sha256(src) == before
    assert listing(d) == ["doc.pdf"]


@case
def unfixable_file_is_one_line_with_the_reason():
    d = tmpdir()
    bad = text_file(os.path.join(d, "notes.mp4"))
    good = copy_in(d, "document/pdf_minimal_130B.pdf", "doc.pdf")
    p = tool("convert", bad, good)
    assert p.returncode == 1, p.returncode
    err = lines(p.stderr)
    assert len(err) == 1 and err[0].startswith(f"wa-preflight: {bad}: cannot be made compliant ("), err
    assert ".txt" in err[0], err
    assert os.path.exists(os.path.join(d, "doc.wa.pdf")), "the good file must still be done"
    p, files = convert_json("--force", bad, good)
    assert files[0]["error"]["code"] == "EUNFIXABLE" and files[0]["output"] is None
    assert files[0]["action"] == "unfixable", files[0]
    assert files[1]["error"] is None


@case
def moov_at_end_is_remuxed_to_faststart():
    d = tmpdir()
    # High without B-frames, moov at the end (a B-frame file is transcoded)
    src = copy_in(d, "video/h264_pixel7_vfr_rot180_noaudio.mp4", "clip.mp4")
    before = sha256(src)
    p, files = convert_json(src)
    assert p.returncode == 0, (p.stderr, files)
    e = files[0]
    assert e["action"] == "remux" and e["kind"] == "video", e
    out = e["output"]
    assert out == os.path.join(d, "clip.wa.mp4")
    boxes = [b[0] for b in mp4_top_boxes(out)]
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    ref = ffprobe(src)
    got = ffprobe(out)
    assert [s["codec_name"] for s in got["streams"]] == [s["codec_name"] for s in ref["streams"]]
    assert abs(float(got["format"]["duration"]) - float(ref["format"]["duration"])) < 0.2
    assert sha256(src) == before
    assert e["bytes_out"] == os.path.getsize(out)
    no_temp_files(d)


@case
def hevc_is_transcoded_to_h264():
    d = tmpdir()
    src = copy_in(d, "video/hevc_854x480_bframes_noaudio.mp4", "h.mp4")
    out_dir = os.path.join(d, "out")
    p, files = convert_json("-d", out_dir, src)
    assert p.returncode == 0, (p.stderr, files)
    out = files[0]["output"]
    assert out == os.path.join(out_dir, "h.mp4"), out
    v = [s for s in ffprobe(out)["streams"] if s["codec_type"] == "video"][0]
    assert v["codec_name"] == "h264" and v["pix_fmt"] in ("yuv420p", "yuvj420p"), v
    assert (v["width"], v["height"]) == (854, 480), v
    no_temp_files(d, out_dir)


@case
def transparent_png_becomes_an_opaque_jpeg():
    d = tmpdir()
    src = copy_in(d, "sticker_sources/png_rgba_304x84_wide.png", "logo.png")
    p = tool("convert", src)
    assert p.returncode == 0, p.stderr
    out = os.path.join(d, "logo.wa.jpg")
    v = vips_fields(out)
    assert v["vips-loader"] == "jpegload" and v["bands"] == "3", v
    assert (v["width"], v["height"]) == ("304", "84"), v
    p = tool("convert", "--png", "-o", os.path.join(d, "flat.png"), src)
    assert p.returncode == 0, p.stderr
    v = vips_fields(os.path.join(d, "flat.png"))
    assert v["vips-loader"] == "pngload" and v["bands"] in ("1", "3"), v


@case
def sticker_from_a_webp_icon_is_512_square():
    d = tmpdir()
    src = copy_in(d, "sticker_sources/webp_lossy_alpha_192x192_round_icon.webp", "icon.webp")
    p = tool("convert", "--as", "sticker", src)
    assert p.returncode == 0, p.stderr
    out = os.path.join(d, "icon.wa.webp")
    info = sh(f"webpinfo '{out}'")
    assert "Canvas size 512 x 512" in info or ("Width: 512" in info and "Height: 512" in info), info
    assert os.path.getsize(out) <= 100_000


@case
def audio_becomes_mono_ogg_opus():
    d = tmpdir()
    src = copy_in(d, "audio/wav_pcm16_192khz_mono.wav", "t.wav")
    p = tool("convert", src)
    assert p.returncode == 0, p.stderr
    got = ffprobe(os.path.join(d, "t.wa.ogg"))
    a = got["streams"][0]
    assert got["format"]["format_name"] == "ogg" and a["codec_name"] == "opus", got
    assert a["channels"] == 1


@case
def start_and_duration_trim_a_transcode():
    d = tmpdir()
    src = long_clip()  # 25 s MPEG-4 Part 2: transcoded
    p, files = convert_json("--start", "00:02", "--duration", "3.5", "-d", d, src)
    assert p.returncode == 0, (p.stderr, files)
    assert files[0]["action"] == "transcode", files
    dur = float(ffprobe(files[0]["output"])["format"]["duration"])
    assert 3.0 <= dur <= 4.0, dur


@case
def trim_of_a_stream_copy_is_exact_or_says_where_it_cut():
    d = tmpdir()
    # Keyframes at 0 and 8.3 s only: a copy cannot start at 2 s.
    src = copy_in(d, "video/h264_aac_moov_at_end_320x240_10s.mp4", "ten.mp4")
    p, files = convert_json("--start", "00:02", "--duration", "3.5", src)
    assert p.returncode == 0, (p.stderr, files)
    dur = float(ffprobe(files[0]["output"])["format"]["duration"])
    assert 3.0 <= dur <= 4.0 or "keyframe" in files[0]["note"], (dur, files[0])


@case
def trim_of_a_compliant_file_is_cut_exactly():
    d = tmpdir()
    src = copy_in(d, "video/h264_aac_xiaomi_phone_vfr_1080p_14mbps.mp4", "ok.mp4")
    before = sha256(src)
    p, files = convert_json("--duration", "0.5", src)
    assert p.returncode == 0, p.stderr
    # the file is compliant, but only an encode cuts exactly
    assert files[0]["action"] == "transcode", files
    dur = float(ffprobe(files[0]["output"])["format"]["duration"])
    assert 0.4 <= dur <= 0.6, dur
    assert sha256(src) == before


@case
def audio_track_picks_the_stream_probe_lists():
    d = tmpdir()
    src = copy_in(d, "audio/mp4_two_audio_tracks_ac3_51_and_aac.mp4", "two.mp4")
    _, doc = tool_json("probe", "--json", src)
    audio = [s for s in doc[0]["streams"] if s["type"] == "audio"]
    assert [a["codec"] for a in audio] == ["ac3", "aac"], audio
    p, files = convert_json("--audio-track", "1", "--stereo", src)
    assert p.returncode == 0, (p.stderr, files)
    out = files[0]["output"]
    assert out.endswith("two.wa.m4a"), out
    a = ffprobe(out)["streams"]
    assert len(a) == 1 and a[0]["codec_name"] == "aac" and a[0]["channels"] == 2, a
    p, files = convert_json("--audio-track", "5", "-o", os.path.join(d, "x.ogg"), src)
    assert p.returncode == 1 and files[0]["error"] is not None, files
    assert not os.path.exists(os.path.join(d, "x.ogg"))
    no_temp_files(d)


@case
def failures_do_not_stop_the_others_and_exit_1():
    d = tmpdir()
    good = copy_in(d, "document/pdf_minimal_130B.pdf", "ok.pdf")
    empty = write(os.path.join(d, "empty.mp4"), b"")
    p, files = convert_json(empty, good)
    assert p.returncode == 1
    assert files[0]["error"]["code"] == "EEMPTY" and files[0]["output"] is None
    assert files[1]["error"] is None and os.path.exists(files[1]["output"])


@case
def quiet_prints_nothing_on_success():
    d = tmpdir()
    src = copy_in(d, "document/pdf_minimal_130B.pdf", "q.pdf")
    p = tool("convert", "-q", src)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", p


@case
def no_progress_bar_on_a_pipe_but_one_on_a_terminal():
    import pty
    import subprocess
    d = tmpdir()
    src = copy_in(d, "video/hevc_854x480_bframes_noaudio.mp4", "p.mp4")
    p = tool("convert", "-o", os.path.join(d, "pipe.mp4"), src)
    assert p.returncode == 0, p.stderr
    assert "%" not in p.stderr and "\r" not in p.stderr, repr(p.stderr)
    try:
        master, slave = pty.openpty()
    except OSError as e:  # a minimal container: no /dev/pts
        raise Skip(f"no pseudo-terminal to show a progress bar on ({e}); "
                   "the pipe half passed")
    proc = subprocess.Popen([BIN, "convert", "-o", os.path.join(d, "tty.mp4"), src],
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    rc = proc.wait(timeout=120)
    os.close(master)
    assert rc == 0, seen
    assert b"%" in seen and b"[" in seen and b"\r" in seen, seen


finish()
