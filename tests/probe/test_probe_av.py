# SPDX-License-Identifier: LGPL-2.1-or-later
"""wapf_probe on audio/video: generated fixtures and the corpus, each fact
compared with ffprobe's reading (or the box layout read here)."""
from probetest import *  # noqa: F401,F403

SRC_V = "-f lavfi -i testsrc2=s=320x240:r=25:d=1"
SRC_A = "-f lavfi -i sine=f=440:d=1:r=48000"


def compare_streams(path, f):
    """Every stream fact that ffprobe also reports must agree."""
    ff = ffstreams(path)
    eq("stream count", f["n_streams"], len(ff))
    for s, st in zip(f["streams"], ff):
        what = f"{os.path.basename(path)} #{st['index']}"
        eq(what + " index", s["index"], st["index"])
        eq(what + " type", s["type"], st.get("codec_type", "data")
           if st.get("codec_type") in ("video", "audio", "subtitle",
                                       "attachment") else "data")
        if st.get("codec_name"):
            eq(what + " codec", s["codec"], st["codec_name"])
        eq(what + " profile", s["profile"],
           st.get("profile", "") if st.get("profile") != "unknown" else "")
        disp = st.get("disposition", {})
        eq(what + " default", s["is_default"], disp.get("default", 0))
        tags = {k.lower(): v for k, v in st.get("tags", {}).items()}
        eq(what + " language", s["language"], tags.get("language", ""))
        if st.get("codec_type") == "video":
            compare_video(what, s, st)
        if st.get("codec_type") == "audio":
            eq(what + " sample rate", s["sample_rate"], int(st["sample_rate"]))
            eq(what + " channels", s["channels"], st["channels"])


def compare_video(what, s, st):
    eq(what + " width", s["width"], st["width"])
    eq(what + " height", s["height"], st["height"])
    eq(what + " attached_pic", s["attached_pic"],
       st.get("disposition", {}).get("attached_pic", 0))
    if st.get("pix_fmt"):
        eq(what + " pix_fmt", s["pix_fmt"], st["pix_fmt"])
        depth, chroma = pixfmt_depth_chroma(st["pix_fmt"])
        eq(what + " bit depth", s["bit_depth"], depth)
        eq(what + " chroma", s["chroma"], chroma)
    if "level" in st and st["level"] >= 0:
        eq(what + " level", s["level"], st["level"])
    eq(what + " rotation", s["rotation"], ff_rotation(st))
    fo = st.get("field_order", "progressive")
    eq(what + " interlaced", s["interlaced"], int(fo in ("tt", "bb", "tb", "bt")))
    if ff_rate(st["avg_frame_rate"]) > 0:
        near(what + " fps", s["fps"], ff_rate(st["avg_frame_rate"]), 0.01)
    if int(st.get("nb_frames", 0) or 0) > 0:
        eq(what + " frames", s["frames"], int(st["nb_frames"]))


def av_facts(path):
    f = facts(path)
    eq(path + " media", f["media"], "av")
    compare_streams(path, f)
    fmt = ffprobe(path)["format"]
    if "duration" in fmt:
        near("duration", f["duration"], float(fmt["duration"]), 0.05)
    return f


def layout(path):
    """(moov_at_end, fragmented) from our own walk of the top-level boxes."""
    boxes = top_boxes(path)
    pos = {}
    for t, off in boxes:
        pos.setdefault(t, off)
    frag = "moof" in pos
    if "moov" in pos:
        with open(path, "rb") as fp:
            fp.seek(pos["moov"])
            frag = frag or b"mvex" in fp.read(1 << 20)
    return int("mdat" in pos and pos["moov"] > pos["mdat"]), int(frag)


def h264(name, extra):
    return ffgen(name, f"{SRC_V} {SRC_A} -c:v libx264 -preset ultrafast "
                       f"-pix_fmt yuv420p -c:a aac -shortest {extra}")


@case
def h264_aac_faststart_vs_moov_at_end():
    fast = h264("p_fast.mp4", "-movflags +faststart")
    late = h264("p_late.mp4", "")
    for path, want in ((fast, 0), (late, 1)):
        f = av_facts(path)
        eq("format", f["format"], "mp4")
        eq("mime", f["mime"], "video/mp4")
        eq("layout", (f["moov_at_end"], f["fragmented"]), layout(path))
        eq("moov_at_end", f["moov_at_end"], want)
        eq("damaged", f["damaged"], 0)
        v = f["streams"][0]
        eq("decoder", v["decoder_available"], 1)


@case
def fragmented_mp4():
    path = h264("p_frag.mp4", "-movflags frag_keyframe+empty_moov")
    f = av_facts(path)
    eq("layout", (f["moov_at_end"], f["fragmented"]), layout(path))
    eq("fragmented", f["fragmented"], 1)


@case
def hevc_mp4():
    path = ffgen("p_hevc.mp4", f"{SRC_V} -c:v libx265 -preset ultrafast "
                 "-x265-params log-level=none -tag:v hvc1 -pix_fmt yuv420p")
    f = av_facts(path)
    eq("codec", f["streams"][0]["codec"], "hevc")
    eq("mime", f["mime"], "video/mp4")


@case
def vp9_10bit_webm():
    path = ffgen("p_vp9_10.webm", "-f lavfi -i testsrc2=s=160x120:r=10:d=0.5 "
                 "-c:v libvpx-vp9 -pix_fmt yuv420p10le -profile:v 2 "
                 "-deadline realtime -cpu-used 8")
    f = av_facts(path)
    eq("format", f["format"], "webm")
    eq("bit depth", f["streams"][0]["bit_depth"], 10)
    eq("moov_at_end", f["moov_at_end"], -1)


@case
def h264_422():
    path = ffgen("p_422.mkv", f"{SRC_V} -c:v libx264 -preset ultrafast "
                 "-pix_fmt yuv422p")
    f = av_facts(path)
    eq("format", f["format"], "matroska")
    eq("chroma", f["streams"][0]["chroma"], 422)
    # Matroska stores no frame count: compare the estimate with a count.
    n = sh(f"ffprobe -v error -count_frames -select_streams v:0 -show_entries "
           f"stream=nb_read_frames -of csv=p=0 '{path}'").strip()
    near("frames", f["streams"][0]["frames"], int(n), 1)


@case
def interlaced_mpeg2_ts():
    path = ffgen("p_interlaced.ts", "-f lavfi -i testsrc2=s=352x288:r=25:d=1 "
                 "-c:v mpeg2video -flags +ildct+ilme -top 1 -b:v 2M "
                 "-f mpegts")
    f = av_facts(path)
    eq("format", f["format"], "mpegts")
    eq("interlaced", f["streams"][0]["interlaced"], 1)
    eq("codec", f["streams"][0]["codec"], "mpeg2video")


@case
def interlaced_mpeg2_corpus():
    f = av_facts(corpus("video/mpeg2_interlaced_tff_480i_ac3.mkv"))
    eq("interlaced", f["streams"][0]["interlaced"], 1)


@case
def rotated_phone_clips():
    for rel in ("video/h264_aac_4k60_portrait_rot90_moov_at_end.mp4",
                "video/h264_pixel7_vfr_rot180_noaudio.mp4"):
        path = corpus(rel)
        f = av_facts(path)
        eq("layout", (f["moov_at_end"], f["fragmented"]), layout(path))
        assert f["streams"][0]["rotation"] in (90, 180), f["streams"][0]


@case
def rotation_generated():
    src = h264("p_norot.mp4", "-movflags +faststart")
    path = gen("p_rot270.mp4", f"{FF} -i {src} -c copy "
               "-metadata:s:v:0 rotate=90 {out}")
    f = av_facts(path)
    # FFmpeg's +90 is counter-clockwise: the viewer sees it turned 270 cw.
    eq("rotation", f["streams"][0]["rotation"], 270)


@case
def several_audio_tracks_default_not_first():
    path = ffgen("p_dubs.mkv", f"{SRC_V} {SRC_A} -f lavfi -i "
                 "sine=f=660:d=1:r=44100 -map 0:v -map 1:a -map 2:a "
                 "-c:v libx264 -preset ultrafast -c:a aac "
                 "-metadata:s:a:0 language=eng -metadata:s:a:1 language=fra "
                 "-disposition:a:0 0 -disposition:a:1 default")
    f = av_facts(path)
    audio = [s for s in f["streams"] if s["type"] == "audio"]
    eq("audio streams", len(audio), 2)
    eq("defaults", [s["is_default"] for s in audio], [0, 1])
    eq("languages", [s["language"] for s in audio], ["eng", "fra"])


@case
def two_audio_tracks_corpus():
    f = av_facts(corpus("audio/mp4_two_audio_tracks_ac3_51_and_aac.mp4"))
    eq("mime", f["mime"], "audio/mp4")


@case
def mp3_with_cover_art():
    cover = ffgen("p_cover.jpg", "-f lavfi -i testsrc2=s=64x64 -frames:v 1")
    path = gen("p_cover.mp3", f"{FF} {SRC_A} -i {cover} -map 0 -map 1 "
               "-c:a libmp3lame -c:v copy -disposition:v attached_pic "
               "-id3v2_version 3 {out}")
    for p in (path, corpus("audio/mp3_id3v23_with_1400px_cover_art.mp3")):
        f = av_facts(p)
        eq("format", f["format"], "mp3")
        eq("mime", f["mime"], "audio/mpeg")
        pics = [s for s in f["streams"] if s["attached_pic"]]
        eq("cover streams", len(pics), 1)
        eq("cover frames", pics[0]["frames"], 1)


@case
def audio_formats():
    wav = ffgen("p_tone.wav", SRC_A)
    flac = ffgen("p_tone.flac", SRC_A)
    ogg = ffgen("p_tone.ogg", f"{SRC_A} -c:a libvorbis")
    wma = ffgen("p_tone.wma", f"{SRC_A} -c:a wmav2")
    for path, fmt, codec in ((wav, "wav", "pcm_s16le"), (flac, "flac", "flac"),
                             (ogg, "ogg", "vorbis"), (wma, "asf", "wmav2")):
        f = av_facts(path)
        eq(path + " format", f["format"], fmt)
        eq(path + " codec", f["streams"][0]["codec"], codec)
        eq(path + " mime", f["mime"][:6], "audio/")


@case
def audio_corpus():
    for rel, fmt in (("audio/aac_adts_lc_44k_mono.aac", "aac"),
                     ("audio/amr_wb_16k.amr", "amr"),
                     ("audio/amr_nb_voice_8k.3gp", "3gp"),
                     ("audio/m4a_aac_lc_8khz_mono.m4a", "mp4"),
                     ("audio/opus_mono_48k_voice_note_like.opus", "ogg"),
                     ("audio/oga_vorbis_96khz_stereo.oga", "ogg"),
                     ("audio/wma_v2_48k_stereo.wma", "asf"),
                     ("audio/wav_rf64_48k_stereo.wav", "wav"),
                     ("audio/flac_16bit_48k_embedded_picture.flac", "flac")):
        f = av_facts(corpus(rel))
        eq(rel + " format", f["format"], fmt)


@case
def vvc_has_no_decoder():
    path = corpus("video/vvc_h266_320x180.mp4")
    f = facts(path)
    eq("media", f["media"], "av")
    v = f["streams"][0]
    eq("type", v["type"], "video")
    eq("decoder", v["decoder_available"], 0)
    eq("size", (v["width"], v["height"]), (ffstreams(path)[0]["width"],
                                           ffstreams(path)[0]["height"]))


@case
def video_corpus():
    for rel in ("video/hevc_main10_dolbyvision_iphone_rot90.mov",
                "video/vp9_profile2_10bit_426x240.webm",
                "video/h264_100_subtitle_tracks.mp4",
                "video/h263_qcif_15fps.3gp",
                "video/h264_mp2_640x426.ts",
                "video/av1_aac_1080x720.mp4",
                "video/hevc_8k_7680x4320_moov_at_end.mp4"):
        path = corpus(rel)
        f = av_facts(path)
        if f["format"] in ("mp4", "mov", "3gp"):
            eq(rel + " layout", (f["moov_at_end"], f["fragmented"]),
               layout(path))


@case
def mov_is_mov():
    f = av_facts(corpus("video/hevc_main10_dolbyvision_iphone_rot90.mov"))
    eq("format", f["format"], "mov")
    eq("mime", f["mime"], "video/quicktime")
    eq("bit depth", f["streams"][0]["bit_depth"], 10)


@case
def animated_avif_is_video():
    path = corpus("image/avif_animated_sequence.avifs")
    f = av_facts(path)
    v = f["streams"][0]
    assert v["frames"] > 1 and not v["attached_pic"], v


@case
def duration_limit():
    path = h264("p_fast.mp4", "-movflags +faststart")
    status, _, err, _ = probe(path, "--max-duration", "0.5")
    eq("status", status, "ELIMIT")
    assert "duration" in err and "0.5" not in err or "limit" in err, err


@case
def video_pixel_limit():
    path = h264("p_fast.mp4", "-movflags +faststart")
    status, _, err, _ = probe(path, "--max-pixels", str(320 * 240 - 1))
    eq("status", status, "ELIMIT")
    assert "320x240" in err, err
    status, _, _, _ = probe(path, "--max-pixels", str(320 * 240))
    eq("status at the limit", status, "OK")


finish()  # noqa: F405
