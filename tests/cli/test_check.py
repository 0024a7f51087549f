# SPDX-License-Identifier: LGPL-2.1-or-later
"""check: its verdict agrees with an independent inspection (ffprobe, our
own MP4 box walk, vipsheader, webpinfo) for representative files of every
kind; one line per file; the JSON schema; exit statuses."""
import os

from wapftest import *
from clihelp import (expect_audio, expect_image, expect_sticker, expect_video,
                     lines, sticker_512, text_file, tool, tool_json)

ENTRY_KEYS = {"path", "kind", "compliant", "findings", "plan", "plan_reason",
              "output", "error"}
# a real phone recording: High profile without B-frames, faststart, AAC
PHONE_OK = "video/h264_aac_xiaomi_phone_vfr_1080p_14mbps.mp4"
PLANS = {"none", "strip-metadata", "remux", "audio-only", "transcode",
         "encode-audio", "encode-image", "make-sticker", "unfixable"}


def check1(path, *opts):
    p, doc = tool_json("check", "--json", *opts, path)
    assert doc["version"] == 1 and len(doc["files"]) == 1, doc
    e = doc["files"][0]
    assert set(e) == ENTRY_KEYS, set(e) ^ ENTRY_KEYS
    assert e["path"] == path
    if e["error"] is None:
        assert e["plan"] in PLANS, e["plan"]
        assert set(e["output"]) == {"ext", "mime"}, e["output"]
        for f in e["findings"]:
            assert set(f) == {"id", "severity", "message"}, f
            assert f["severity"] in ("warning", "fail"), f
            assert f["id"].count(".") >= 1 and f["message"], f
        fails = [f for f in e["findings"] if f["severity"] == "fail"]
        assert e["compliant"] == (not fails), e
        assert p.returncode == (0 if e["compliant"] else 1), (p.returncode, e)
        assert (e["plan"] == "none") == e["compliant"], e
    return e


def agree(path, expect, kind, as_kind=None):
    """Compare the tool's verdict with the independent one."""
    want_ok, why = expect(path)
    e = check1(path, *(["--as", as_kind] if as_kind else []))
    assert e["error"] is None, e["error"]
    assert e["kind"] == kind, (path, e["kind"], kind)
    assert e["compliant"] == want_ok, (path, why, e["findings"])
    if not want_ok:
        ids = [f["id"] for f in e["findings"] if f["severity"] == "fail"]
        assert any(i.startswith(kind + ".") for i in ids), (path, ids)
    return e, why


@case
def video_verdicts_agree_with_ffprobe():
    files = ["h264_aac_faststart_compliant_1080x720.mp4",
             "h264_aac_xiaomi_phone_vfr_1080p_14mbps.mp4",
             "h264_pixel7_vfr_rot180_noaudio.mp4",
             "h264_rotate_and_reflect_matrix.mp4",
             "h264_aac_moov_at_end_320x240_10s.mp4",
             "hevc_854x480_bframes_noaudio.mp4",
             "vp9_odd_dimensions_161x121.webm",
             "vp9_profile2_10bit_426x240.webm",
             "mpeg4part2_sp_176x144_noaudio.mp4",
             "h264_100_subtitle_tracks.mp4",
             "h264_mp2_640x426.ts",
             "h263_qcif_15fps.3gp"]
    for name in files:
        e, why = agree(corpus("video/" + name), expect_video, "video")
        codec_level = {"codec", "pix_fmt", "odd", "long side", "profile",
                       "interlaced", "size", "bframes"}
        if codec_level & set(why):
            assert e["plan"] == "transcode", (name, why, e["plan"])
        elif why == ["moov"] or why == ["extra streams", "moov"]:
            assert e["plan"] == "remux", (name, why, e["plan"])
        if e["compliant"]:
            assert e["output"] == {"ext": ".mp4", "mime": "video/mp4"}, e


@case
def bframes_fail_an_otherwise_perfect_mp4():
    """High + B-frames, faststart, AAC, 1080x720: only video.bframes fails
    and the plan is a transcode; a phone's High without B-frames passes."""
    path = corpus("video/h264_aac_faststart_compliant_1080x720.mp4")
    e, why = agree(path, expect_video, "video")
    assert why == ["bframes"], why
    assert [f["id"] for f in e["findings"] if f["severity"] == "fail"] == ["video.bframes"], e
    assert "Android" in e["findings"][0]["message"], e["findings"]
    assert e["plan"] == "transcode", e
    ok = check1(corpus(PHONE_OK))
    assert ok["compliant"] and ok["plan"] == "none", ok


@case
def video_with_mp3_audio_needs_only_the_audio_encoded():
    path = fixture("cli_h264_mp3_nob.mp4",
                   "ffmpeg -v error -f lavfi -i testsrc2=size=320x240:rate=25 "
                   "-f lavfi -i sine -t 2 -c:v libx264 -bf 0 -pix_fmt yuv420p "
                   "-c:a libmp3lame -movflags +faststart -y {out} || "
                   "ffmpeg -v error -f lavfi -i testsrc2=size=320x240:rate=25 "
                   "-f lavfi -i sine -t 2 -c:v libx264 -bf 0 -pix_fmt yuv420p "
                   "-c:a mp2 -movflags +faststart -y {out}")
    e, why = agree(path, expect_video, "video")
    assert why == ["audio codec"], why
    assert e["plan"] == "audio-only", e["plan"]


@case
def audio_verdicts_agree_with_ffprobe():
    for rel in ("mp3_cbr128_44k_mono_id3v24.mp3", "aac_adts_lc_44k_mono.aac",
                "m4a_aac_lc_8khz_mono.m4a", "amr_wb_16k.amr",
                "opus_mono_48k_voice_note_like.opus",
                "m4a_alac_16bit_stereo.m4a", "oga_vorbis_96khz_stereo.oga",
                "wav_pcm16_192khz_mono.wav", "wma_v2_48k_stereo.wma"):
        e, why = agree(corpus("audio/" + rel), expect_audio, "audio")
        if not e["compliant"]:
            assert e["plan"] == "encode-audio", (rel, e["plan"])
            assert e["output"] == {"ext": ".ogg", "mime": "audio/ogg"}, e


@case
def mp3_cover_art_is_only_a_warning():
    path = corpus("audio/mp3_id3v23_with_1400px_cover_art.mp3")
    e, _ = agree(path, expect_audio, "audio")
    assert e["compliant"] and any(f["severity"] == "warning" for f in e["findings"]), e
    p = tool("check", path)
    assert p.stdout == f"{path}: ok with warnings (audio): " + p.stdout.split("(audio): ", 1)[1]
    assert len(lines(p.stdout)) == 1


@case
def voice_wants_mono_opus():
    opus = corpus("audio/opus_mono_48k_voice_note_like.opus")
    mp3 = corpus("audio/mp3_cbr128_44k_mono_id3v24.mp3")
    assert check1(opus, "--as", "voice")["compliant"] is True
    e = check1(mp3, "--as", "voice")
    assert e["kind"] == "voice" and e["compliant"] is False
    assert e["plan"] == "encode-audio" and e["output"]["ext"] == ".ogg", e


@case
def stereo_option_changes_the_planned_output():
    wav = corpus("audio/wav_pcm16_192khz_mono.wav")
    e = check1(wav, "--stereo")
    assert e["output"] == {"ext": ".m4a", "mime": "audio/mp4"}, e["output"]


@case
def image_verdicts_agree_with_vipsheader():
    for rel in ("image/jpeg_exif_orientation_1.jpg",
                "image/jpeg_whatsapp_received_progressive_1024x768.jpg",
                "image/jpeg_exif_orientation_6.jpg",
                "image/jpeg_cmyk_adobe_ycck.jpg",
                "image/png_16bit_rgb_linear_rec2020_icc.png",
                "image/png_palette_with_trns.png",
                "image/png_gray_alpha_128x128.png",
                "sticker_sources/png_rgba_304x84_wide.png",
                "image/webp_lossless_1000x307.webp",
                "image/bmp_v5_32bit_alpha_bitfields.bmp"):
        e, why = agree(corpus(rel), expect_image, "image")
        if "alpha" in why:
            ids = [f["id"] for f in e["findings"]]
            assert "image.alpha" in ids, (rel, ids)
        if not e["compliant"]:
            assert e["plan"] in ("encode-image", "strip-metadata"), (rel, e["plan"])


@case
def sticker_verdicts_agree_with_webpinfo():
    agree(sticker_512(), expect_sticker, "sticker")  # auto: 512x512 WebP
    for rel in ("sticker_sources/webp_lossy_alpha_192x192_round_icon.webp",
                "sticker_sources/webp_animated_245x245_42frames.webp"):
        e, why = agree(corpus(rel), expect_sticker, "sticker", "sticker")
        assert e["plan"] == "make-sticker", e["plan"]
        assert e["output"] == {"ext": ".webp", "mime": "image/webp"}, e


@case
def documents_pass_and_odt_is_a_warning():
    pdf = corpus("document/pdf_text_forensics.pdf")
    e = check1(pdf)
    assert e["kind"] == "document" and e["compliant"], e
    assert e["output"] == {"ext": ".pdf", "mime": "application/pdf"}, e
    odt = check1(corpus("document/odt_text_forensics.odt"))
    assert odt["compliant"] and odt["findings"], odt
    assert all(f["severity"] == "warning" for f in odt["findings"]), odt


@case
def text_named_mp4_is_not_compliant_and_says_rename():
    d = tmpdir()
    path = text_file(os.path.join(d, "notes.mp4"))
    e = check1(path)
    assert e["kind"] == "document" and not e["compliant"], e
    assert any(f["id"] == "document.extension" for f in e["findings"]), e
    assert e["plan"] == "unfixable", e
    p = tool("check", path)
    assert p.returncode == 1
    out = lines(p.stdout)
    assert len(out) == 1 and out[0].startswith(f"{path}: NOT COMPLIANT (document): "), out
    assert ".txt" in out[0] and "cannot be fixed" in out[0], out


@case
def auto_kinds_follow_the_content():
    want = {corpus("video/animated_gif_cogs_5frames.gif"): "video",
            corpus("audio/amr_wb_16k.amr"): "audio",
            corpus("image/jpeg_exif_orientation_1.jpg"): "image",
            sticker_512(): "sticker",
            corpus("document/pdf_minimal_130B.pdf"): "document"}
    for path, kind in want.items():
        assert check1(path)["kind"] == kind, (path, kind)


@case
def human_output_is_one_line_per_file_with_verdict_and_plan():
    ok = corpus(PHONE_OK)
    hevc = corpus("video/hevc_854x480_bframes_noaudio.mp4")
    moov = corpus("video/h264_pixel7_vfr_rot180_noaudio.mp4")  # High, no B
    p = tool("check", ok, hevc, moov)
    assert p.returncode == 1 and p.stderr == "", p.stderr
    out = p.stdout.splitlines()
    assert len(out) == 3, out
    assert out[0] == f"{ok}: ok (video)", out[0]
    assert out[1].startswith(f"{hevc}: NOT COMPLIANT (video): "), out[1]
    assert "hevc" in out[1] and "-> plan: transcode" in out[1], out[1]
    assert "-> plan: remux" in out[2], out[2]


@case
def verbose_puts_each_finding_on_its_own_line_with_its_id():
    hevc = corpus("video/hevc_854x480_bframes_noaudio.mp4")
    e = check1(hevc)
    p = tool("check", "-v", hevc)
    out = [l for l in p.stdout.splitlines()]
    assert out[0].startswith(f"{hevc}: NOT COMPLIANT (video)"), out
    for f in e["findings"]:
        assert any(l.startswith("    ") and f["id"] + ": " + f["message"] in l
                   for l in out[1:]), (f, out)


@case
def quiet_hides_compliant_files_only():
    ok = corpus(PHONE_OK)
    hevc = corpus("video/hevc_854x480_bframes_noaudio.mp4")
    p = tool("check", "-q", ok, hevc)
    out = lines(p.stdout)
    assert len(out) == 1 and out[0].startswith(hevc + ": NOT COMPLIANT"), out
    p = tool("check", "-q", ok)
    assert p.returncode == 0 and p.stdout == "", p.stdout


@case
def all_compliant_exits_0():
    p = tool("check", corpus(PHONE_OK),
             corpus("document/pdf_minimal_130B.pdf"))
    assert p.returncode == 0, p.stdout + p.stderr


@case
def every_sample_gets_a_verdict():
    d = os.path.join(SOURCE, "samples")
    files = sorted(os.path.join(d, n) for n in os.listdir(d)
                   if not n.endswith(".md") and not n.startswith("."))
    p = tool("check", *files)
    out = lines(p.stdout)
    assert p.stderr == "", p.stderr
    assert [l.split(": ", 1)[0] for l in out] == files, out
    for l in out:
        assert ": ok (" in l or ": ok with warnings (" in l or ": NOT COMPLIANT (" in l, l


finish()
