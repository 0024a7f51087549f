# SPDX-License-Identifier: LGPL-2.1-or-later
"""Images through `wa-preflight convert`: every kind of input becomes an
8-bit sRGB JPEG (or PNG) without alpha, upright, without GPS, within
5,000,000 bytes; GPS alone is removed without touching the compressed
pixels. Outputs are inspected with vipsheader / vips, never our probe."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wapftest import *  # noqa: E402
from imgcheck import *  # noqa: E402

CORPUS_IMAGES = [
    "image/jpeg_cmyk_adobe_ycck.jpg",
    "image/jpeg_whatsapp_received_progressive_1024x768.jpg",
    "image/jpeg_xiaomi_4000x3000_orientation3.jpg",
    "image/jpeg_pixel8_ultrahdr_gainmap_3072x4080.jpg",
    "image/png_16bit_rgb_linear_rec2020_icc.png",
    "image/png_display_p3_icc_1000x800.png",
    "image/png_gray_alpha_128x128.png",
    "image/png_palette_with_trns.png",
    "image/heic_iphone7plus_grid_exif_orient6.heic",
    "image/avif_irot_90_427x640.avif",
    "image/tiff_16bit_rgba_lzw.tiff",
    "image/bmp_v5_32bit_alpha_bitfields.bmp",
    "image/svg_libvips_logo.svg",
    "image/webp_lossless_1000x307.webp",
    "image/webp_lossy_exif_orientation6.webp",
    "sticker_sources/avif_alpha_64x64.avif",
]


def convert_one(src, d, *opts):
    d = os.path.join(d, "out")
    p = run("convert", "--json", "--as", "image", "--force", "-d", d, *opts, src)
    assert p.returncode == 0, f"{src}: exit {p.returncode}: {p.stdout} {p.stderr}"
    e = json.loads(p.stdout)["files"][0]
    assert e["error"] is None, e
    return e


@case
def every_corpus_image_becomes_a_compliant_jpeg():
    d = tmpdir()
    done = 0
    for rel in CORPUS_IMAGES:
        try:
            src = corpus(rel)
        except Skip:
            continue
        e = convert_one(src, d)
        # a compliant JPEG is copied as it is; anything else re-encoded
        assert e["action"] in ("encode-image", "strip-metadata", "none"), e
        fmt = "jpeg"
        if e["action"] == "none" or e["action"] == "strip-metadata":
            fmt = "png" if src.endswith(".png") else "jpeg"
        assert e["output"].endswith(".png" if fmt == "png" else ".jpg"), e
        src_f = fields(src)
        f = assert_compliant_image(e["output"], fmt=fmt)
        # No picture is shrunk when it fits: same pixel count as the input.
        assert int(f["width"]) * int(f["height"]) == \
            int(src_f["width"]) * int(src_f["height"]), (rel, f, src_f)
        done += 1
    if not done:
        raise Skip("corpus absent")


@case
def orientations_1_to_8_are_applied_to_the_pixels():
    d = tmpdir()
    for o in range(1, 9):
        src = corpus(f"image/jpeg_exif_orientation_{o}.jpg")
        out = os.path.join(d, f"o{o}.jpg")
        convert("--as", "image", "--force", "-o", out, src)
        ref = os.path.join(d, f"ref{o}.v")
        sh(f"vips autorot '{src}' '{ref}'")
        r = fields(ref)
        assert_compliant_image(out, width=int(r["width"]), height=int(r["height"]))
        good = mean_abs_diff(out, ref, d)
        assert good < 8.0, (o, good)
        if o in (2, 3, 4):
            # the test can fail: the unrotated original is far from it
            assert mean_abs_diff(src, ref, d) > 4 * good, o


@case
def icc_profiles_are_converted_not_dropped():
    d = tmpdir()
    # (a P3 PNG alone is compliant -- a warning -- and copied; this one is
    # 16-bit, so it is re-encoded and its linear Rec.2020 profile matters)
    src = corpus("image/png_16bit_rgb_linear_rec2020_icc.png")
    e = convert_one(src, d)
    assert e["action"] == "encode-image", e
    ref = os.path.join(d, "ref.v")
    naive = os.path.join(d, "naive.v")
    sh(f"vips icc_transform '{src}' '{ref}' srgb --embedded")
    sh(f"vips colourspace '{src}' '{naive}' srgb")  # profile ignored
    good = mean_abs_diff(e["output"], ref, d)
    bad = mean_abs_diff(naive, ref, d)
    assert good < 2.0 and bad > 3 * good, (good, bad)


@case
def cmyk_jpeg_colours_match_libvips_own_conversion():
    d = tmpdir()
    src = corpus("image/jpeg_cmyk_adobe_ycck.jpg")
    e = convert_one(src, d)
    ref = os.path.join(d, "ref.v")
    naive = os.path.join(d, "naive.v")
    sh(f"vips colourspace '{src}' '{ref}' srgb")
    # read as if the first three channels were RGB: far off
    sh(f"vips extract_band '{src}' '{d}/n3.v' 0 --n 3 && "
       f"vips copy '{d}/n3.v' '{naive}' --interpretation srgb")
    good = mean_abs_diff(e["output"], ref, d)
    assert good < 10.0 and mean_abs_diff(naive, ref, d) > 5 * good, good


@case
def transparency_is_flattened_onto_the_background():
    d = tmpdir()
    src = os.path.join(d, "half.png")
    write_half_transparent_png(src)
    for opt, rgb in ((), (255, 255, 255)), (("--background", "black"), (0, 0, 0)), \
            (("--background", "#00ff00"), (0, 255, 0)):
        out = os.path.join(d, "flat.jpg")
        convert("--as", "image", "--force", "-o", out, *opt, src)
        assert_compliant_image(out, width=64, height=32)
        px = [float(x) for x in sh(f"vips getpoint '{out}' 8 16").split()]
        assert all(abs(a - b) <= 6 for a, b in zip(px, rgb)), (opt, px)
        blue = [float(x) for x in sh(f"vips getpoint '{out}' 56 16").split()]
        assert blue[2] > 200 and blue[0] < 40, blue


@case
def png_output_when_asked():
    d = tmpdir()
    src = corpus("image/png_16bit_rgb_linear_rec2020_icc.png")
    e = convert_one(src, d, "--png")
    assert e["output"].endswith(".png"), e
    assert_compliant_image(e["output"], fmt="png", width=64, height=64)


def gps_jpeg(d, orientation=1):
    plain = os.path.join(d, "plain.jpg")
    sh(f"vips gaussnoise '{d}/n.v' 320 240 --mean 128 --sigma 40 && "
       f"vips colourspace '{d}/n.v' '{d}/c.v' srgb && "
       f"vips bandjoin '{d}/c.v {d}/c.v {d}/c.v' '{d}/rgb.v' && "
       f"vips cast '{d}/rgb.v' '{d}/u.v' uchar && "
       f"vips jpegsave '{d}/u.v' '{plain}' --Q 85 --strip")
    src = os.path.join(d, f"gps{orientation}.jpg")
    add_gps_to_jpeg(plain, src, orientation)
    return src


@case
def gps_is_removed_from_a_jpeg_without_reencoding():
    d = tmpdir()
    src = gps_jpeg(d)
    f = fields(src)
    assert [k for k in f if "GPS" in k], "fixture has GPS"
    e = convert_one(src, d)
    assert e["action"] == "strip-metadata", e
    out = e["output"]
    assert out.endswith(".jpg"), out
    g = assert_compliant_image(out, width=320, height=240)
    assert "exif-ifd0-Make" not in g, g
    assert g.get("orientation") == "1", g  # orientation 1 is kept
    assert b"secret notes" not in open(out, "rb").read()
    assert jpeg_scan_data(out) == jpeg_scan_data(src)
    # and the decoded pixels are bit-identical
    diff = os.path.join(d, "diff.v")
    sh(f"vips subtract '{src}' '{out}' '{diff}'")
    assert float(sh(f"vips max '{diff}'")) == 0.0
    assert float(sh(f"vips min '{diff}'")) == 0.0


@case
def gps_is_removed_from_a_png_without_reencoding():
    d = tmpdir()
    plain = os.path.join(d, "plain.png")
    write_noise_png(plain, 64, 48, 3)
    src = os.path.join(d, "gps.png")
    add_gps_to_png(plain, src)
    assert [k for k in fields(src) if "GPS" in k], "fixture has GPS"
    e = convert_one(src, d)
    assert e["action"] == "strip-metadata" and e["output"].endswith(".png"), e
    out = e["output"]
    assert_compliant_image(out, fmt="png", width=64, height=48)
    types = png_chunk_types(out)
    assert "tEXt" not in types, types
    assert types == ["IHDR", "eXIf", "IDAT", "IEND"], types
    assert open(plain, "rb").read()[33:] .split(b"IDAT")[1] == \
        open(out, "rb").read().split(b"IDAT")[1]


@case
def rotated_gps_jpeg_is_reencoded_upright_without_gps():
    d = tmpdir()
    src = gps_jpeg(d, orientation=6)
    e = convert_one(src, d)
    assert e["action"] == "encode-image", e
    assert_compliant_image(e["output"], width=240, height=320)


@case
def keep_metadata_keeps_gps_but_still_turns_the_pixels():
    d = tmpdir()
    src = gps_jpeg(d, orientation=6)
    e = convert_one(src, d, "--keep-metadata")
    f = fields(e["output"])
    assert [k for k in f if "GPS" in k], f
    assert f.get("orientation", "1") == "1", f
    assert (f["width"], f["height"]) == ("240", "320"), f


@case
def undecodable_heic_gets_one_clear_line():
    src = corpus("image/heic_iphone16_gainmap_irot_5712x4284.heic")
    d = tmpdir()
    p = run("convert", "--as", "image", "-d", d, src)
    if p.returncode == 0:
        # a libheif that reads it: then the output must be compliant
        out = [os.path.join(d, n) for n in os.listdir(d)][0]
        assert_compliant_image(out)
        return
    assert p.returncode == 1, p
    err = p.stderr.strip().splitlines()
    assert len(err) == 1 and src in err[0], p.stderr
    assert os.listdir(d) == [], os.listdir(d)


finish()
