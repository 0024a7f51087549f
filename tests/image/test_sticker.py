# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stickers through `wa-preflight convert --as sticker`: static ones are
512x512 WebP within 100,000 bytes for every input (incompressible noise
too), animated ones 512x512 within 500,000 bytes and 10 s with every frame
>= 8 ms; pack metadata is the EXIF chunk WhatsApp reads. Outputs are
inspected with webpinfo, vipsheader and a RIFF walk of our own."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wapftest import *  # noqa: E402
from imgcheck import *  # noqa: E402

STATIC_SOURCES = [
    "sticker_sources/png_rgba_200x150_nonsquare.png",
    "sticker_sources/png_rgba_304x84_wide.png",
    "sticker_sources/png_rgba_photo_500x500.png",
    "sticker_sources/avif_alpha_64x64.avif",
    "sticker_sources/webp_lossy_alpha_192x192_round_icon.webp",
    "image/svg_libvips_logo.svg",
    "image/jpeg_cmyk_adobe_ycck.jpg",
    "image/jpeg_exif_orientation_6.jpg",
]


def sticker(src, d, *opts):
    out = os.path.join(d, "out")
    p = run("convert", "--json", "--as", "sticker", "--force", "-d", out, *opts, src)
    assert p.returncode == 0, f"{src}: exit {p.returncode}: {p.stdout} {p.stderr}"
    e = json.loads(p.stdout)["files"][0]
    assert e["error"] is None and e["output"].endswith(".webp"), e
    return e


def alpha_at(path, x, y):
    v = [float(a) for a in sh(f"vips getpoint '{path}' {x} {y}").split()]
    assert len(v) in (3, 4), v
    return v[3] if len(v) == 4 else 255.0  # libwebp drops an opaque alpha


@case
def static_stickers_from_every_kind_of_picture():
    d = tmpdir()
    done = 0
    for rel in STATIC_SOURCES:
        try:
            src = corpus(rel)
        except Skip:
            continue
        e = sticker(src, d)
        assert e["action"] == "make-sticker", e
        assert_static_sticker(e["output"])
        f = fields(src)
        alpha = f["bands"] == "2" or (f["bands"] == "4" and f["interpretation"] != "cmyk")
        if alpha or f["width"] != f["height"]:
            # alpha kept (the source's, or the transparent padding)
            assert fields(e["output"])["bands"] == "4", rel
        done += 1
    if not done:
        raise Skip("corpus absent")


@case
def contain_pads_with_transparency_and_cover_fills():
    d = tmpdir()
    src = os.path.join(d, "wide.jpg")
    sh(f"vips black '{d}/b.v' 640 320 --bands 3 && vips linear '{d}/b.v' '{d}/g.v' 1 90 && "
       f"vips cast '{d}/g.v' '{src}' uchar")
    e = sticker(src, d)
    assert_static_sticker(e["output"])
    assert alpha_at(e["output"], 256, 5) == 0, "top padding is transparent"
    assert alpha_at(e["output"], 256, 256) == 255, "the picture is opaque"
    e = sticker(src, d, "--fit", "cover")
    assert_static_sticker(e["output"])
    assert alpha_at(e["output"], 256, 5) == 255, "cover fills the canvas"
    assert alpha_at(e["output"], 2, 2) == 255


@case
def incompressible_noise_fits_100000_bytes():
    d = tmpdir()
    for w, h, ch in ((512, 512, 4), (2000, 2000, 3)):
        src = fixture(f"noise_{w}x{h}x{ch}.png",
                      f"python3 -c \"import sys; sys.path.insert(0, '{os.path.dirname(os.path.abspath(__file__))}'); "
                      f"import imgcheck; imgcheck.write_noise_png('{{out}}', {w}, {h}, {ch})\"")
        assert os.path.getsize(src) > 500_000, "the fixture is incompressible"
        e = sticker(src, d)
        assert_static_sticker(e["output"])


@case
def pack_metadata_is_the_exif_whatsapp_reads():
    d = tmpdir()
    src = corpus("sticker_sources/png_rgba_200x150_nonsquare.png")
    e = sticker(src, d, "--pack-id", "com.example.pack1", "--pack-name", "Café pack",
                "--publisher", "Example Ltd", "--emoji", "😀, 🎉 ,❤️")
    assert_static_sticker(e["output"])
    assert "EXIF: 1" in webpinfo(e["output"])
    j = pack_json(e["output"])
    assert j == {"sticker-pack-id": "com.example.pack1", "sticker-pack-name": "Café pack",
                 "sticker-pack-publisher": "Example Ltd",
                 "emojis": ["😀", "🎉", "❤️"]}, j
    e = sticker(src, d)
    assert "EXIF" not in [c for c, _ in riff_chunks(e["output"])]


@case
def animated_stickers_from_gif_webp_and_video():
    d = tmpdir()
    done = 0
    for rel, frames_at_least in (("sticker_sources/gif_animated_transparency_2frames.gif", 2),
                                 ("sticker_sources/webp_animated_245x245_42frames.webp", 20),
                                 ("video/animated_gif_cogs_5frames.gif", 2),
                                 ("video/h264_aac_faststart_compliant_1080x720.mp4", 5)):
        try:
            src = corpus(rel)
        except Skip:
            continue
        e = sticker(src, d, "--pack-name", "moving")
        durs, _ = assert_animated_sticker(e["output"])
        assert len(durs) >= frames_at_least, (rel, durs)
        assert pack_json(e["output"])["sticker-pack-name"] == "moving"
        done += 1
    if not done:
        raise Skip("corpus absent")


@case
def long_busy_gif_is_trimmed_to_10_s_and_fits():
    src = fixture("busy_12s.gif",
                  "ffmpeg -v error -f lavfi -i 'testsrc2=s=320x240:r=12,"
                  "noise=alls=30:allf=t' -t 12.5 -y '{out}'")
    d = tmpdir()
    e = sticker(src, d)
    durs, _ = assert_animated_sticker(e["output"])
    assert "trimmed" in e["note"], e
    assert len(durs) >= 10, durs


@case
def short_mp4_clip_becomes_an_animated_sticker():
    src = fixture("clip_3s.mp4",
                  "ffmpeg -v error -f lavfi -i 'testsrc2=s=480x270:r=25' -t 3 "
                  "-c:v libx264 -pix_fmt yuv420p -y '{out}'")
    d = tmpdir()
    e = sticker(src, d)
    durs, _ = assert_animated_sticker(e["output"])
    assert 2_500 <= sum(durs) <= 3_100, sum(durs)
    assert len(durs) >= 20, durs  # the frame rate was kept (<= 15 fps)


finish()
