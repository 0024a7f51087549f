# SPDX-License-Identifier: LGPL-2.1-or-later
"""probe: human blocks and the --json schema for every kind of file, with
the values compared against ffprobe / vipsheader / webpinfo."""
import os

from wapftest import *
from clihelp import lines, sticker_512, tool, tool_json, vips_fields

FILE_KEYS = {"path", "size", "mime", "format", "media", "duration", "bit_rate",
             "moov_at_end", "fragmented", "streams", "image", "damaged",
             "damage", "error"}
STREAM_KEYS = {"index", "type", "codec", "profile", "level", "duration",
               "bit_rate", "default", "language", "decoder_available"}
VIDEO_KEYS = {"pix_fmt", "bit_depth", "chroma", "width", "height", "rotation",
              "interlaced", "fps", "frames", "attached_pic", "reorder_depth",
              "b_frames"}
AUDIO_KEYS = {"sample_rate", "channels"}
IMAGE_KEYS = {"width", "height", "bands", "bit_depth", "interpretation",
              "has_alpha", "alpha_used", "palette", "has_icc", "icc_srgb", "orientation",
              "has_exif", "has_gps", "frames", "animated", "loop", "delays_ms",
              "duration", "loader"}


def probe1(path):
    p, doc = tool_json("probe", "--json", path)
    assert p.returncode == 0, p.stderr
    assert isinstance(doc, list) and len(doc) == 1, doc
    f = doc[0]
    check_schema(f)
    assert f["path"] == path
    assert f["size"] == os.path.getsize(path)
    return f


def check_schema(f):
    assert set(f) == FILE_KEYS, set(f) ^ FILE_KEYS
    assert f["error"] is None
    assert f["media"] in ("av", "image", "other")
    assert isinstance(f["mime"], str) and "/" in f["mime"], f["mime"]
    assert isinstance(f["damaged"], bool) and isinstance(f["fragmented"], bool)
    assert f["moov_at_end"] in (None, True, False)
    for s in f["streams"]:
        want = set(STREAM_KEYS)
        if s["type"] == "video":
            want |= VIDEO_KEYS
        if s["type"] == "audio":
            want |= AUDIO_KEYS
        assert set(s) == want, (s["type"], set(s) ^ want)
        assert s["type"] in ("video", "audio", "subtitle", "data", "attachment")
    if f["media"] == "image":
        assert set(f["image"]) == IMAGE_KEYS, set(f["image"]) ^ IMAGE_KEYS
    else:
        assert f["image"] is None


def ffprobe_bframes(path, index):
    """B-frames as ffprobe sees them: a reorder depth, or a B among the
    first 64 frames' picture types."""
    r = [s for s in ffprobe(path)["streams"] if s["index"] == index][0]
    if int(r.get("has_b_frames", 0)) > 0:
        return True
    out = sh(f"ffprobe -v error -select_streams {index} -read_intervals %+#64 "
             f"-show_entries frame=pict_type -of csv=p=0 '{path}'")
    return "B" in out


def compare_streams(f, path):
    ref = ffprobe(path)["streams"]
    assert len(f["streams"]) == len(ref), (len(f["streams"]), len(ref))
    for s, r in zip(f["streams"], ref):
        assert s["index"] == r["index"]
        assert s["type"] == r["codec_type"], (s["type"], r["codec_type"])
        assert s["codec"] == r.get("codec_name", ""), (s["codec"], r.get("codec_name"))
        if s["type"] == "video":
            assert (s["width"], s["height"]) == (r["width"], r["height"])
            assert s["pix_fmt"] == r.get("pix_fmt", "")
            assert s["attached_pic"] == bool(r["disposition"]["attached_pic"])
            if s["codec"] == "h264":
                assert s["reorder_depth"] == int(r["has_b_frames"]), (s, r["has_b_frames"])
                assert s["b_frames"] == ffprobe_bframes(path, s["index"]), s
        if s["type"] == "audio":
            assert s["sample_rate"] == int(r["sample_rate"])
            assert s["channels"] == r["channels"]


@case
def video_mp4_facts_match_ffprobe():
    path = corpus("video/h264_aac_faststart_compliant_1080x720.mp4")
    f = probe1(path)
    assert f["media"] == "av" and f["mime"] == "video/mp4", (f["media"], f["mime"])
    assert f["moov_at_end"] is False
    compare_streams(f, path)
    dur = float(ffprobe(path)["format"]["duration"])
    assert abs(f["duration"] - dur) < 0.1, (f["duration"], dur)


@case
def bframes_are_reported_like_ffprobe_sees_them():
    """High + B-frames, High without (phones), Main with B-frames."""
    paths = [corpus("video/h264_aac_faststart_compliant_1080x720.mp4"),
             corpus("video/h264_aac_xiaomi_phone_vfr_1080p_14mbps.mp4"),
             corpus("video/h264_100_subtitle_tracks.mp4")]
    want = [True, False, True]
    for path, b in zip(paths, want):
        f = probe1(path)
        compare_streams(f, path)
        assert f["streams"][0]["b_frames"] is b, (path, f["streams"][0])
    hevc = probe1(corpus("video/hevc_854x480_bframes_noaudio.mp4"))
    assert hevc["streams"][0]["b_frames"] is None  # judged as H.264 only


@case
def moov_at_end_is_reported():
    f = probe1(corpus("video/h264_aac_moov_at_end_320x240_10s.mp4"))
    assert f["moov_at_end"] is True


@case
def rotation_is_reported_for_a_rotated_phone_clip():
    path = corpus("video/h264_pixel7_vfr_rot180_noaudio.mp4")
    f = probe1(path)
    compare_streams(f, path)
    assert f["streams"][0]["rotation"] == 180, f["streams"][0]["rotation"]


@case
def audio_facts_match_ffprobe():
    for rel in ("audio/mp3_id3v23_with_1400px_cover_art.mp3",
                "audio/aac_adts_lc_44k_mono.aac",
                "audio/opus_mono_48k_voice_note_like.opus",
                "audio/wav_pcm16_192khz_mono.wav"):
        path = corpus(rel)
        f = probe1(path)
        assert f["media"] == "av", rel
        compare_streams(f, path)


@case
def image_facts_match_vipsheader():
    for rel in ("image/jpeg_exif_orientation_6.jpg",
                "sticker_sources/png_rgba_304x84_wide.png",
                "image/png_16bit_rgb_linear_rec2020_icc.png",
                "image/webp_lossless_1000x307.webp"):
        path = corpus(rel)
        f = probe1(path)
        v = vips_fields(path)
        im = f["image"]
        assert f["media"] == "image", rel
        assert (im["width"], im["height"]) == (int(v["width"]), int(v["height"])), rel
        assert im["bands"] == int(v["bands"]), rel
        assert im["has_alpha"] == (int(v["bands"]) in (2, 4)), rel
        want_orient = int(v.get("orientation", "0").split()[0] or 0)
        assert im["orientation"] == want_orient or (
            want_orient in (0, 1) and im["orientation"] in (0, 1)), (
            rel, im["orientation"], want_orient)
        assert im["frames"] == 1 and im["animated"] is False


@case
def other_picture_formats_match_vipsheader_quietly():
    for rel in ("image/tiff_16bit_rgba_lzw.tiff", "image/svg_libvips_logo.svg",
                "image/bmp_v5_32bit_alpha_bitfields.bmp",
                "image/avif_irot_90_427x640.avif",
                "image/heic_iphone7plus_grid_exif_orient6.heic"):
        path = corpus(rel)
        p, doc = tool_json("probe", "--json", path)
        assert p.returncode == 0, (rel, p.stderr)
        # Nothing but the JSON: the library never prints on its own.
        assert p.stderr == "", (rel, p.stderr)
        im = doc[0]["image"]
        v = vips_fields(path)
        assert doc[0]["media"] == "image", rel
        assert (im["width"], im["height"], im["bands"]) == (
            int(v["width"]), int(v["height"]), int(v["bands"])), (rel, im)


@case
def animated_gif_frames_match_vipsheader():
    path = corpus("video/animated_gif_cogs_5frames.gif")
    f = probe1(path)
    pages = int(vips_fields(path).get("n-pages", "1"))
    assert f["image"]["frames"] == pages == 5, (f["image"]["frames"], pages)
    assert f["image"]["animated"] is True


@case
def animated_webp_frames_are_counted():
    path = corpus("sticker_sources/webp_animated_245x245_42frames.webp")
    f = probe1(path)
    im = f["image"]
    assert im["animated"] is True and im["frames"] == 42, im["frames"]
    assert len(im["delays_ms"]) == 42
    assert (im["width"], im["height"]) == (245, 245)


@case
def static_sticker_fixture_is_a_512_picture():
    f = probe1(sticker_512())
    assert f["mime"] == "image/webp", f["mime"]
    assert (f["image"]["width"], f["image"]["height"]) == (512, 512)


@case
def document_is_media_other_with_its_content_mime():
    f = probe1(corpus("document/pdf_text_forensics.pdf"))
    assert f["media"] == "other" and f["mime"] == "application/pdf", f
    assert f["streams"] == [] and f["image"] is None


@case
def human_output_is_one_block_per_file():
    mp4 = corpus("video/h264_aac_faststart_compliant_1080x720.mp4")
    png = corpus("sticker_sources/png_rgba_304x84_wide.png")
    pdf = corpus("document/pdf_minimal_130B.pdf")
    p = tool("probe", mp4, png, pdf)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    out = p.stdout.splitlines()
    heads = [i for i, l in enumerate(out) if not l.startswith(" ")]
    assert [out[i] for i in heads] == [mp4, png, pdf], out
    block = out[heads[0]:heads[1]]
    assert "101,674 bytes" in block[1] and "video/mp4" in block[1], block
    assert "moov first" in block[1], block
    assert any(l.strip().startswith("#0 video h264") and "1080x720" in l
               and "yuv420p" in l for l in block), block
    assert any(l.strip().startswith("#1 audio aac") and "44100 Hz" in l
               and "1 ch" in l for l in block), block
    pic = out[heads[1]:heads[2]]
    assert any("picture 304x84" in l and "4 bands" in l and "alpha" in l
               for l in pic), pic
    assert "application/pdf" in out[heads[2] + 1], out


@case
def unprobeable_file_is_one_stderr_line_and_others_still_print():
    d = tmpdir()
    missing = os.path.join(d, "missing.mp4")
    mp4 = corpus("video/h264_aac_faststart_compliant_1080x720.mp4")
    p = tool("probe", missing, mp4)
    assert p.returncode == 1, p.returncode
    err = lines(p.stderr)
    assert len(err) == 1, err
    assert err[0].startswith(f"wa-preflight: {missing}: no such file"), err
    assert p.stdout.startswith(mp4 + "\n"), p.stdout
    p, doc = tool_json("probe", "--json", missing, mp4)
    assert p.returncode == 1
    assert doc[0]["path"] == missing and doc[0]["error"]["code"] == "ENOENT", doc[0]
    assert doc[1]["error"] is None and doc[1]["path"] == mp4


@case
def non_utf8_file_name_still_gives_valid_json():
    d = tmpdir()
    src = corpus("document/pdf_minimal_130B.pdf")
    name = os.path.join(d.encode(), b"caf\xe9.pdf")
    with open(src, "rb") as i, open(name, "wb") as o:
        o.write(i.read())
    import subprocess, json
    p = subprocess.run([BIN.encode(), b"probe", b"--json", name],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc[0]["path"].endswith("caf\ufffd.pdf"), doc[0]["path"]
    # each byte that is not part of a valid sequence is one U+FFFD: a
    # surrogate (3 bytes), an overlong "/" (2), a cut sequence (2); valid
    # 2- and 4-byte characters are kept
    bad = b"s\xed\xa0\x80-\xc0\xaf-\xe2\x82x-\xc3\xa9\xf0\x9f\x98\x80.pdf"
    name = os.path.join(d.encode(), bad)
    with open(src, "rb") as i, open(name, "wb") as o:
        o.write(i.read())
    p = subprocess.run([BIN.encode(), b"probe", b"--json", name],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    path = json.loads(p.stdout)[0]["path"]
    want = "s" + "\ufffd" * 3 + "-" + "\ufffd" * 2 + "-" + "\ufffd" * 2 + \
        "x-\u00e9\U0001f600.pdf"
    assert path.endswith("/" + want), ascii(path)


finish()
