# SPDX-License-Identifier: LGPL-2.1-or-later
"""Video conversion through `wa-preflight convert`: remux, audio-only and
transcode plans, each output inspected with ffprobe and an MP4 box walk."""
import json
import os
import re

from wapftest import *  # noqa: F401,F403
from avinspect import (check_mp4, packet_hashes, packet_times, probe,
                       rotation, sha256, streams, top_boxes)

OUT = tmpdir()
FF = "ffmpeg -nostdin -v error -y"


def convert(src, name, *extra, rc=0):
    out = os.path.join(OUT, name)
    p, js = run_json("convert", "--json", "--force", "-o", out, *extra, src)
    assert p.returncode == rc, f"exit {p.returncode}: {p.stdout} {p.stderr}"
    return out, js["files"][0]


def framemd5(path):
    out = sh(f"ffmpeg -v error -i '{path}' -map 0:v:0 -f framemd5 -")
    return [ln.split(",")[-1].strip() for ln in out.splitlines()
            if ln and not ln.startswith("#")]


def untouched(src, digest):
    assert sha256(src) == digest, "the input was modified"


# ---- remux: stream copy, proven by identical packets ----

def h264_aac_mkv():
    return fixture("av_h264_aac_nob.mkv",
                   FF + " -f lavfi -i testsrc2=s=320x240:r=25 -f lavfi "
                   "-i sine=f=440:r=48000 -t 2 -c:v libx264 -pix_fmt yuv420p "
                   "-profile:v high -bf 0 -c:a aac -b:a 96k -f matroska {out}")


@case
def remux_mkv_is_stream_copy():
    src = h264_aac_mkv()
    digest = sha256(src)
    out, js = convert(src, "remux_mkv.mp4")
    assert js["action"] == "remux", js
    check_mp4(out, duration=2.0, copied=True)
    assert packet_hashes(src, "v:0") == packet_hashes(out, "v:0"), "video re-encoded"
    assert packet_hashes(src, "a:0") == packet_hashes(out, "a:0"), "audio re-encoded"
    untouched(src, digest)


@case
def remux_moov_at_end_main_no_bframes():
    src = fixture("av_main_moov_end.mp4",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=25 -f lavfi "
                  "-i sine=r=44100 -t 3 -c:v libx264 -profile:v main -bf 0 "
                  "-pix_fmt yuv420p -c:a aac {out}")
    assert top_boxes(src).index("moov") > top_boxes(src).index("mdat")
    out, js = convert(src, "remux_moov.mp4")
    assert js["action"] == "remux", js
    check_mp4(out, duration=3.0, copied=True)
    assert packet_hashes(src, "v:0") == packet_hashes(out, "v:0")


@case
def high_with_bframes_is_transcoded_not_copied():
    """The corpus's moov-at-end clip is High with B-frames: Android clients
    do not play it, so it is re-encoded (Main, no B-frames), never copied."""
    src = corpus("video/h264_aac_moov_at_end_320x240_10s.mp4")
    assert int(streams(probe(src), "video")[0]["has_b_frames"]) > 0
    out, js = convert(src, "bframes.mp4")
    assert js["action"] == "transcode", js
    check_mp4(out, duration=10.0)


@case
def remux_keeps_display_matrix():
    src = corpus("video/h264_pixel7_vfr_rot180_noaudio.mp4")
    out, js = convert(src, "remux_rot180.mp4")
    assert js["action"] == "remux", js
    _, v = check_mp4(out, audio=False, copied=True)
    assert abs(rotation(v) or 0) == 180, f"display matrix lost: {rotation(v)}"
    assert packet_hashes(src, "v:0") == packet_hashes(out, "v:0")
    # VFR timestamps are kept as they are
    a, b = packet_times(src, "v:0"), packet_times(out, "v:0")
    assert len(a) == len(b)
    assert max(abs((x - a[0]) - (y - b[0])) for x, y in zip(a, b)) < 0.002


@case
def remux_drops_100_subtitle_tracks():
    src = corpus("video/h264_100_subtitle_tracks.mp4")
    # Main with B-frames: transcoded (no longer a remux), the 100
    # subtitle tracks dropped all the same
    out, js = convert(src, "remux_subs.mp4")
    assert js["action"] == "transcode", js
    info, _ = check_mp4(out, audio=False, duration=10.1, tol=0.3)
    assert len(info["streams"]) == 1


@case
def trim_of_a_remux_input_is_transcoded_exactly():
    src = fixture("av_h264_aac_gop25_nob.mkv",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=25 -f lavfi "
                  "-i sine=r=48000 -t 4 -c:v libx264 -bf 0 -g 25 -keyint_min 25 "
                  "-sc_threshold 0 -pix_fmt yuv420p -c:a aac -f matroska {out}")
    # without a trim the plan is a stream copy; a copy would start on the
    # keyframe at 1.0 s, so a trim is encoded to cut exactly at 1.2 s
    out, js = convert(src, "remux_trim.mp4", "--start", "1.2", "--duration", "1")
    assert js["action"] == "transcode", js
    info, _ = check_mp4(out)
    got = float(info["format"]["duration"])
    assert 0.9 <= got <= 1.1, got


# ---- audio-only: video copied, audio encoded ----

@case
def audio_only_ts_h264_mp2():
    src = fixture("av_h264_mp2.ts",
                  FF + " -f lavfi -i testsrc2=s=640x426:r=30 -f lavfi "
                  "-i sine=r=48000 -t 2 -c:v libx264 -bf 0 -pix_fmt yuv420p "
                  "-c:a mp2 -f mpegts {out}")
    out, js = convert(src, "ts.mp4")
    assert js["action"] == "audio-only", js
    check_mp4(out, copied=True)
    # Annex B start codes become MP4 length prefixes, so compare the
    # decoded frames: a copy decodes to the very same pictures.
    assert framemd5(src) == framemd5(out), "video re-encoded"
    assert len(packet_hashes(src, "v:0")) == len(packet_hashes(out, "v:0"))


@case
def audio_only_mp3_in_mp4_generated():
    src = fixture("av_h264_mp3_nob.mp4",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=30 -f lavfi "
                  "-i sine=f=300:r=44100 -t 2 -c:v libx264 -bf 0 -pix_fmt yuv420p "
                  "-c:a libmp3lame -movflags +faststart {out}")
    out, js = convert(src, "mp3in.mp4")
    assert js["action"] == "audio-only", js
    info, _ = check_mp4(out, duration=2.0, copied=True)
    assert packet_hashes(src, "v:0") == packet_hashes(out, "v:0")
    assert streams(info, "audio")[0]["sample_rate"] == "44100"


# ---- transcode ----

def audio_packets_from_zero(path):
    """(size, md5) of the first audio stream's packets at pts >= 0 (an AAC
    priming packet before 0 is not part of the copied span)."""
    out = sh(f"ffprobe -v error -select_streams a:0 -show_entries "
             f"packet=pts,size -show_data_hash md5 -show_packets -of json '{path}'")
    return [(p["size"], p.get("data_hash")) for p in json.loads(out)["packets"]
            if int(p.get("pts", 0)) >= 0]


@case
def every_speed_writes_the_same_compliant_stream():
    """--speed changes the encoder effort only: each output is Main without
    B-frames at the same size; a bad value is a usage error."""
    src = fixture("av_speed.mkv",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=25 -t 2 -c:v libx264 "
                  "-pix_fmt yuv444p {out}")
    sizes = set()
    for speed in ("fast", "balanced", "best"):
        out, js = convert(src, f"speed_{speed}.mp4", "--speed", speed)
        assert js["action"] == "transcode", js
        _, v = check_mp4(out, audio=False, duration=2.0, tol=0.1)
        sizes.add((v["width"], v["height"]))
    assert sizes == {(320, 240)}, sizes
    p = run("convert", "--speed", "fastest", "-o", os.path.join(OUT, "x.mp4"), src)
    assert p.returncode == 2 and "--speed" in p.stderr, (p.returncode, p.stderr)


@case
def transcode_keeps_compliant_aac():
    """High + B-frames video with AAC-LC stereo 48 kHz: the video is
    re-encoded, the audio packets are copied as they are, and the file
    still fits."""
    src = fixture("av_bframes_aac.mp4",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=25 -f lavfi "
                  "-i sine=f=500:r=48000 -t 3 -c:v libx264 -profile:v high "
                  "-pix_fmt yuv420p -c:a aac -ac 2 -b:a 128k {out}")
    out, js = convert(src, "keep_aac.mp4")
    assert js["action"] == "transcode", js
    check_mp4(out, duration=3.0)
    a, b = audio_packets_from_zero(src), audio_packets_from_zero(out)
    assert a and a == b, f"audio re-encoded: {len(a)} packets in, {len(b)} out"


@case
def transcode_reencodes_noncompliant_aac():
    """AAC at 22.05 kHz is not kept: it is re-encoded to 44.1/48 kHz."""
    src = fixture("av_aac22k.mkv",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=25 -f lavfi "
                  "-i sine=r=22050 -t 2 -c:v libx264 -pix_fmt yuv444p "
                  "-c:a aac {out}")
    out, js = convert(src, "aac22k.mp4")
    assert js["action"] == "transcode", js
    info, _ = check_mp4(out, duration=2.0)
    assert streams(info, "audio")[0]["sample_rate"] in ("44100", "48000")


def raw_h264(name, extra):
    return fixture(name, FF + " -f lavfi -i testsrc2=s=320x240:r=30 -t 12 "
                   f"-c:v libx264 -pix_fmt yuv420p {extra} -f h264 {{out}}")


@case
def raw_h264_duration_is_measured():
    """A raw .h264 stream has no duration in any header: it is measured by
    reading the packets (12 s), never guessed (the budget of a 0.1 s guess
    would allow over 1,000 Mbit/s)."""
    src = raw_h264("av_raw_bframes.h264", "-profile:v high")
    assert probe(src)["format"].get("duration") in (None, "N/A")
    out = os.path.join(OUT, "raw_b.mp4")
    p, js = run_json("convert", "--json", "--force", "-v", "-o", out, src)
    assert p.returncode == 0, p.stderr
    assert js["files"][0]["action"] == "transcode", js
    assert "duration 12.000 s, measured by reading" in p.stderr, p.stderr
    span = float(re.search(r"span ([0-9.]+) s", p.stderr).group(1))
    assert abs(span - 12.0) < 0.05, span
    check_mp4(out, audio=False, duration=12.0, tol=0.1)


@case
def raw_h264_without_bframes_is_remuxed_with_timestamps():
    src = raw_h264("av_raw_nob.h264", "-bf 0")
    out, js = convert(src, "raw_nob.mp4")
    assert js["action"] == "remux", js
    _, v = check_mp4(out, audio=False, duration=12.0, tol=0.1, copied=True)
    assert int(v["nb_frames"]) == 360, v["nb_frames"]

@case
def transcode_hevc():
    src = corpus("video/hevc_854x480_bframes_noaudio.mp4")
    out, js = convert(src, "hevc.mp4")
    assert js["action"] == "transcode", js
    _, v = check_mp4(out, audio=False, duration=1.0, tol=0.1)
    assert (v["width"], v["height"]) == (854, 480)


@case
def transcode_vp9_10bit_and_odd_sizes():
    for name in ("vp9_profile2_10bit_426x240.webm", "vp9_odd_dimensions_161x121.webm"):
        src = corpus("video/" + name)
        out, js = convert(src, name + ".mp4")
        assert js["action"] == "transcode", js
        src_v = streams(probe(src), "video")[0]
        _, v = check_mp4(out, audio=bool(streams(probe(src), "audio")))
        assert abs(v["width"] - src_v["width"]) <= 1 and abs(v["height"] - src_v["height"]) <= 1


@case
def transcode_interlaced_mpeg2_with_ac3():
    src = corpus("video/mpeg2_interlaced_tff_480i_ac3.mkv")
    out, js = convert(src, "mpeg2.mp4")
    assert js["action"] == "transcode", js
    info, v = check_mp4(out, duration=10.0, tol=0.1)
    assert v["field_order"] == "progressive"
    # 720x480 at SAR 32:27 shows as 853x480: square pixels out
    assert (v["width"], v["height"]) == (854, 480), (v["width"], v["height"])
    a = streams(info, "audio")[0]
    assert a["channels"] == 2 and a["sample_rate"] == "48000"


@case
def transcode_4k60_portrait_rot90():
    src = corpus("video/h264_aac_4k60_portrait_rot90_moov_at_end.mp4")
    out, js = convert(src, "4k.mp4")
    assert js["action"] == "transcode", js
    _, v = check_mp4(out, duration=0.31, tol=0.1)
    assert v["width"] < v["height"], "not upright"
    assert v["height"] == 1920 and v["width"] == 1080, (v["width"], v["height"])
    assert int(v["nb_frames"]) == 18, v["nb_frames"]  # no frame added
    assert int(v["level"]) in (40, 41, 42), v["level"]


@case
def transcode_rotation_pixels_match_ffmpeg():
    """Rotation is applied to the pixels the way ffmpeg's autorotate shows
    the source: compare the first frame's colours at two points."""
    flat = fixture("av_band.mp4",
                   FF + " -f lavfi -i color=red:s=320x120:r=10,pad=320:240:0:0:blue "
                   "-t 1 -c:v libx264 -pix_fmt yuv444p {out}")
    src = fixture("av_band_rot.mp4",
                  f"{FF} -i {flat} -c copy -metadata:s:v:0 rotate=90 {{out}}")
    out, js = convert(src, "band.mp4")
    assert js["action"] == "transcode", js
    _, v = check_mp4(out, audio=False)
    assert (v["width"], v["height"]) == (240, 320)

    def pixels(path):
        raw = sh(f"ffmpeg -v error -i {path} -frames:v 1 -s 24x32 -f rawvideo "
                 "-pix_fmt rgb24 - | od -An -v -tu1")
        vals = list(map(int, raw.split()))
        return [vals[(16 * 24 + x) * 3:(16 * 24 + x) * 3 + 3] for x in (4, 20)]
    want, got = pixels(src), pixels(out)
    for w, g in zip(want, got):
        assert max(abs(a - b) for a, b in zip(w, g)) < 40, (want, got)


def mean_yuv(path, w, h):
    """Mean Y, U, V of the first frame's centre (a flat picture)."""
    raw = sh_bytes(f"ffmpeg -v error -i {path} -frames:v 1 -f rawvideo "
                   "-pix_fmt yuv420p -")
    y = raw[:w * h]
    u = raw[w * h:w * h * 5 // 4]
    v = raw[w * h * 5 // 4:w * h * 3 // 2]
    mid = lambda p, pw: p[len(p) // 2 + pw // 2]  # noqa: E731
    return mid(y, w), mid(u, w // 2), mid(v, w // 2)


# Pure red: BT.601 codes it (81, 90, 240), BT.709 (63, 102, 240).
RED_601, RED_709 = (81, 90, 240), (63, 102, 240)


@case
def colour_matrix_is_read_as_players_read_it():
    """Untagged HD is BT.709 (kept as coded); untagged SD and BT.601-tagged
    video are converted to BT.709. ffmpeg's own default would read the
    untagged HD frames as BT.601 and shift their colours."""
    tags = "-colorspace bt470bg -color_primaries bt470bg -color_trc gamma28"
    cases = [("untagged_hd", 1280, 720, "", RED_601),
             ("untagged_sd", 640, 480, "", RED_709),
             ("tagged_601_hd", 1280, 720, tags, RED_709)]
    for name, w, h, tag, want in cases:
        src = fixture(f"av_red_{name}.mp4",
                      FF + f" -f lavfi -i color=red:s={w}x{h}:r=25 -t 1 "
                      "-vf format=yuv420p -c:v libx264 -profile:v high -bf 2 "
                      f"{tag} {{out}}")
        assert mean_yuv(src, w, h) == RED_601 or name != "untagged_hd", \
            mean_yuv(src, w, h)
        out, js = convert(src, f"red_{name}.mp4")
        assert js["action"] == "transcode", js
        _, v = check_mp4(out, audio=False)
        assert v.get("color_space") == "bt709", (name, v)
        got = mean_yuv(out, v["width"], v["height"])
        assert all(abs(a - b) <= 3 for a, b in zip(got, want)), (name, got, want)


@case
def transcode_vfr_keeps_sync():
    """A VFR source (irregular frame times) keeps its timestamps and its
    audio stays as long as its video."""
    src = fixture("av_vfr.mkv",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=30 -f lavfi -i sine=r=48000 "
                  "-t 3 -vf \"select='lt(mod(n\\,10)\\,4)+eq(mod(n\\,7)\\,0)'\" "
                  "-fps_mode vfr -c:v libx264 -pix_fmt yuv444p -c:a libvorbis {out}")
    out, js = convert(src, "vfr.mp4")
    assert js["action"] == "transcode", js
    info, _ = check_mp4(out, duration=3.0, tol=0.15)
    a, b = packet_times(src, "v:0"), packet_times(out, "v:0")
    assert len(a) == len(b), f"{len(a)} frames in, {len(b)} out"
    # every frame keeps its time (no CFR resampling), audio starts at 0
    assert max(abs(x - y) for x, y in zip(a, b)) < 0.01
    aud = packet_times(out, "a:0")
    assert aud[0] < 0.03, aud[0]
    ad = float(streams(info, "audio")[0]["duration"])
    assert abs(ad - 3.0) < 0.1, ad


@case
def transparent_gif_is_flattened_onto_the_background():
    """Transparent pixels must not show whatever colour they hold: they
    become --background (white by default), like a flattened image."""
    src = corpus("sticker_sources/gif_animated_transparency_2frames.gif")
    # independently: the pixel at (80, 80) is transparent in the GIF
    rgba = sh(f"ffmpeg -v error -i '{src}' -frames:v 1 -vf "
              f"crop=1:1:80:80,format=rgba -f rawvideo - | od -An -tu1").split()
    assert len(rgba) == 4 and int(rgba[3]) == 0, rgba
    for bg, want in (("#00ff00", (0, 255, 0)), ("black", (0, 0, 0)),
                     (None, (255, 255, 255))):
        extra = ("--background", bg) if bg else ()
        out, js = convert(src, "transparent.mp4", *extra)
        assert js["action"] == "transcode", js
        check_mp4(out, audio=False)
        px = sh(f"ffmpeg -v error -i '{out}' -frames:v 1 -vf "
                f"crop=1:1:80:80,format=rgb24 -f rawvideo - | od -An -tu1")
        got = [int(v) for v in px.split()]
        assert all(abs(g - w) <= 24 for g, w in zip(got, want)), (bg, got)


def psnr(a, b):
    out = sh(f"ffmpeg -nostdin -i '{a}' -i '{b}' -lavfi '[0:v]format=rgb24[x];"
             f"[1:v]format=rgb24[y];[x][y]psnr' -f null - 2>&1")
    return float(out.split("average:")[1].split()[0])


@case
def hdr_hlg_is_tone_mapped_to_sdr():
    """An HLG (iPhone) clip: the 8-bit output must look like ffmpeg's own
    zscale+tonemap rendering, not like the HLG signal read as SDR."""
    src = corpus("video/hevc_main10_dolbyvision_iphone_rot90.mov")
    out, js = convert(src, "hdr.mp4")
    assert js["action"] == "transcode", js
    check_mp4(out)
    d = os.path.dirname(out)
    sh(f"ffmpeg -nostdin -v error -y -i '{out}' -frames:v 1 '{d}/hdr_ours.png'")
    tm = ("zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
          "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,")
    for name, chain in (("tm", tm), ("naive", "")):
        sh(f"ffmpeg -nostdin -v error -y -i '{src}' -frames:v 1 "
           f"-vf '{chain}format=yuv420p' '{d}/hdr_{name}.png'")
    mapped = psnr(f"{d}/hdr_ours.png", f"{d}/hdr_tm.png")
    naive = psnr(f"{d}/hdr_ours.png", f"{d}/hdr_naive.png")
    assert mapped > naive + 3, (mapped, naive)


@case
def animated_avif_as_image_is_its_first_frame():
    """An image sequence (animated AVIF) sent --as image becomes its first
    frame as a JPEG, as an animated GIF does; compared with ffmpeg's own
    decode of that frame."""
    src = corpus("image/avif_animated_sequence.avifs")
    out = os.path.join(OUT, "avifs.jpg")
    p, js = run_json("convert", "--json", "--force", "--as", "image", "-o", out, src)
    assert p.returncode == 0, p.stderr
    assert js["files"][0]["action"] == "encode-image", js
    with open(out, "rb") as f:
        assert f.read(3) == b"\xff\xd8\xff", "not a JPEG"
    v = streams(probe(out), "video")[0]
    s = streams(probe(src), "video")[0]
    assert (v["width"], v["height"]) == (s["width"], s["height"]), (v, s)
    ref = os.path.join(OUT, "avifs_ref.png")
    sh(f"ffmpeg -nostdin -v error -y -i '{src}' -frames:v 1 '{ref}'")
    assert psnr(out, ref) > 30, psnr(out, ref)


@case
def transcode_gif():
    src = corpus("video/animated_gif_cogs_5frames.gif")
    out, js = convert(src, "gif.mp4")
    assert js["action"] == "transcode", js
    _, v = check_mp4(out, audio=False, duration=0.35, tol=0.1)
    assert int(v["nb_frames"]) == 5


@case
def transcode_trim_start_duration():
    src = fixture("av_t6.mkv",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=30 -f lavfi -i sine=r=44100 "
                  "-t 6 -c:v libx264 -pix_fmt yuv444p -c:a flac {out}")
    out, js = convert(src, "trim.mp4", "--start", "2", "--duration", "1.5")
    assert js["action"] == "transcode", js
    info, v = check_mp4(out, duration=1.5, tol=0.1)
    assert float(v.get("start_time", 0)) < 0.05
    assert abs(int(v["nb_frames"]) - 45) <= 1, v["nb_frames"]


@case
def default_audio_track_and_audio_track_option():
    src = fixture("av_two_audio_nob.mp4",
                  FF + " -f lavfi -i testsrc2=s=320x240:r=25 -f lavfi -i sine=r=44100 "
                  "-f lavfi -i sine=f=880:r=48000 -t 2 -map 0 -map 1 -map 2 "
                  "-c:v libx264 -bf 0 -pix_fmt yuv420p -c:a aac -ac:a:0 1 -ac:a:1 2 "
                  "-disposition:a:0 0 -disposition:a:1 default {out}")
    out, js = convert(src, "twoaud.mp4")
    assert js["action"] == "remux", js
    info, _ = check_mp4(out, copied=True)
    a = streams(info, "audio")[0]
    assert (a["channels"], a["sample_rate"]) == (2, "48000"), "not the default track"
    out, js = convert(src, "twoaud0.mp4", "--audio-track", "0")
    info, _ = check_mp4(out, copied=True)
    a = streams(info, "audio")[0]
    assert (a["channels"], a["sample_rate"]) == (1, "44100"), "not track 0"
    p = run("convert", "--force", "-o", os.path.join(OUT, "x.mp4"),
            "--audio-track", "5", src)
    assert p.returncode == 1 and "audio track 5" in p.stderr, p.stderr


@case
def unsupported_vvc():
    src = corpus("video/vvc_h266_320x180.mp4")
    out = os.path.join(OUT, "vvc.mp4")
    p = run("convert", "-o", out, src)
    assert p.returncode == 1, p.returncode
    assert "unsupported" in p.stderr and "vvc" in p.stderr.lower(), p.stderr
    assert not os.path.exists(out)


@case
def damaged_inputs_fail_cleanly():
    for rel in ("malformed/mkv_truncated_header_only.mkv",
                "malformed/webm_vp9_invalid_bitstream.webm",
                "malformed/mp4_no_moov_malformed_free_box.mp4"):
        src = corpus(rel)
        out = os.path.join(OUT, "bad.mp4")
        p = run("convert", "--force", "-o", out, src, timeout=60)
        assert p.returncode in (0, 1), (rel, p.returncode, p.stderr)
        assert "Sanitizer" not in p.stderr and "core dumped" not in p.stderr
        if p.returncode == 0:
            check_mp4(out, audio=bool(streams(probe(out), "audio")), copied=True)
        else:
            assert not os.path.exists(out), rel
            assert p.stderr.strip(), rel


finish()
