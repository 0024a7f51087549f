# SPDX-License-Identifier: LGPL-2.1-or-later
"""Independent inspection of the av module's outputs: ffprobe and a walk
of the MP4 boxes (never the project's own probe)."""
import hashlib
import json
import os

from wapftest import mp4_boxes, sh

LIMIT = 16_000_000


def probe(path):
    out = sh("ffprobe -v error -show_format -show_streams -of json "
             f"'{path}'")
    return json.loads(out)


def streams(info, kind):
    return [s for s in info["streams"] if s["codec_type"] == kind]


def top_boxes(path):
    """Top-level MP4 box types in file order."""
    return [t for t, _, _ in mp4_boxes(path, strict=True)]


def rotation(stream):
    for sd in stream.get("side_data_list", []):
        if "rotation" in sd:
            return int(sd["rotation"])
    return None


def packet_hashes(path, sel):
    """(size, md5 of data) of every packet of one stream (ffprobe -show_packets)."""
    out = sh(f"ffprobe -v error -select_streams {sel} -show_entries "
             f"packet=size,flags -show_data_hash md5 -show_packets -of json '{path}'")
    return [(p["size"], p.get("data_hash")) for p in json.loads(out)["packets"]]


def packet_times(path, sel):
    out = sh(f"ffprobe -v error -select_streams {sel} -show_entries "
             f"packet=pts_time -of json '{path}'")
    return sorted(float(p["pts_time"]) for p in json.loads(out)["packets"]
                  if p.get("pts_time") not in (None, "N/A"))


# H.264 Annex A table A-1: level_idc, MaxFS (macroblocks), MaxMBPS
LEVELS = [(10, 99, 1485), (11, 396, 3000), (12, 396, 6000), (13, 396, 11880),
          (20, 396, 11880), (21, 792, 19800), (22, 1620, 20250),
          (30, 1620, 40500), (31, 3600, 108000), (32, 5120, 216000),
          (40, 8192, 245760), (41, 8192, 245760), (42, 8704, 522240),
          (50, 22080, 589824), (51, 36864, 983040), (52, 36864, 2073600)]


def needed_level(w, h, fps):
    """Smallest level whose frame size and macroblock rate hold w x h at fps."""
    fs = ((w + 15) // 16) * ((h + 15) // 16)
    for idc, max_fs, max_mbps in LEVELS:
        if fs <= max_fs and fs * fps <= max_mbps * 1.001:
            return idc
    return 52


def frame_rate(v):
    """The lower of ffprobe's two rates (a 4-frame clip's average is
    rough; a VFR clip's base rate is high)."""
    rates = []
    for key in ("avg_frame_rate", "r_frame_rate"):
        n, _, d = v.get(key, "0/0").partition("/")
        if d and float(d) > 0 and float(n) > 0:
            rates.append(float(n) / float(d))
    return min(rates) if rates else 30.0


def check_playable_h264(path, v, copied):
    """Meta's Android rule and the rest of the output contract, read with
    ffprobe: no B-frames (SPS reorder depth and every frame's type);
    an encode is Main, tagged BT.709, at a level that holds its size."""
    assert int(v.get("has_b_frames", 0)) == 0, f"has_b_frames={v.get('has_b_frames')}"
    types = sh(f"ffprobe -v error -select_streams v:0 -show_entries frame=pict_type "
               f"-of csv=p=0 '{path}'").split()
    assert types, "no frames decoded"
    assert not any(t.startswith("B") for t in types), "B-frames in the output"
    if copied:
        return
    assert v["profile"] == "Main", v["profile"]
    for key in ("color_primaries", "color_transfer", "color_space"):
        assert v.get(key) == "bt709", f"{key}={v.get(key)}"
    need = needed_level(v["width"], v["height"], frame_rate(v))
    assert need <= int(v["level"]) <= 52, f"level {v['level']}, size needs {need}"


def check_mp4(path, audio=True, duration=None, tol=0.25, max_long=1920,
              copied=False):
    """Assert the WhatsApp video target; returns (info, video stream)."""
    size = os.path.getsize(path)
    assert 0 < size <= LIMIT, f"size {size}"
    boxes = top_boxes(path)
    assert "moov" in boxes and "mdat" in boxes, boxes
    assert boxes.index("moov") < boxes.index("mdat"), f"not faststart: {boxes}"
    assert "moof" not in boxes, f"fragmented: {boxes}"
    info = probe(path)
    assert "mp4" in info["format"]["format_name"], info["format"]["format_name"]
    vs = streams(info, "video")
    assert len(vs) == 1, f"{len(vs)} video streams"
    v = vs[0]
    assert v["codec_name"] == "h264", v["codec_name"]
    fmts = ("yuv420p", "yuvj420p") if copied else ("yuv420p",)
    assert v["pix_fmt"] in fmts, v["pix_fmt"]
    assert v["profile"] in ("Baseline", "Constrained Baseline", "Main", "High"), v["profile"]
    w, h = v["width"], v["height"]
    assert w % 2 == 0 and h % 2 == 0, f"odd size {w}x{h}"
    assert max(w, h) <= max_long, f"{w}x{h}"
    assert v.get("field_order", "progressive") in ("progressive", "unknown"), v.get("field_order")
    check_playable_h264(path, v, copied)
    if not copied:
        assert v.get("sample_aspect_ratio", "1:1") in ("1:1", "0:1", "N/A"), v.get("sample_aspect_ratio")
        assert rotation(v) in (None, 0), f"rotation {rotation(v)} left after a transcode"
    aud = streams(info, "audio")
    assert len(aud) == (1 if audio else 0), f"{len(aud)} audio streams"
    for a in aud:
        assert a["codec_name"] == "aac", a["codec_name"]
        assert a.get("profile") == "LC", a.get("profile")
        assert int(a["sample_rate"]) in (44100, 48000), a["sample_rate"]
        assert a["channels"] in (1, 2), a["channels"]
    others = [s for s in info["streams"] if s["codec_type"] not in ("video", "audio")]
    assert not others, f"extra streams: {[s['codec_type'] for s in others]}"
    if duration is not None:
        got = float(info["format"]["duration"])
        assert abs(got - duration) <= tol, f"duration {got}, expected {duration}"
    return info, v


def check_ogg_opus_mono(path, duration=None, tol=0.25, limit=LIMIT):
    size = os.path.getsize(path)
    assert 0 < size <= limit, f"size {size}"
    with open(path, "rb") as f:
        assert f.read(4) == b"OggS", "not an Ogg file"
    info = probe(path)
    assert info["format"]["format_name"] == "ogg", info["format"]["format_name"]
    assert len(info["streams"]) == 1, info["streams"]
    a = info["streams"][0]
    assert a["codec_name"] == "opus" and a["channels"] == 1, (a["codec_name"], a["channels"])
    assert int(a["sample_rate"]) == 48000
    if duration is not None:
        got = float(info["format"]["duration"])
        assert abs(got - duration) <= tol, f"duration {got}, expected {duration}"
    return info


def check_m4a_aac(path, channels=2, duration=None, tol=0.25):
    size = os.path.getsize(path)
    assert 0 < size <= LIMIT, f"size {size}"
    boxes = top_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    with open(path, "rb") as f:
        head = f.read(12)
    assert head[4:8] == b"ftyp" and head[8:12] == b"M4A ", head
    info = probe(path)
    assert len(info["streams"]) == 1
    a = info["streams"][0]
    assert a["codec_name"] == "aac" and a.get("profile") == "LC", a
    assert a["channels"] == channels and int(a["sample_rate"]) in (44100, 48000), a
    if duration is not None:
        got = float(info["format"]["duration"])
        assert abs(got - duration) <= tol, f"duration {got}, expected {duration}"
    return info


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
