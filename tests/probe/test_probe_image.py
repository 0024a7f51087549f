# SPDX-License-Identifier: LGPL-2.1-or-later
"""wapf_probe on pictures: generated fixtures and the corpus, compared with
vipsheader (libvips' own command) and webpinfo (libwebp's)."""
from probetest import *  # noqa: F401,F403

BITS = {"uchar": 8, "char": 8, "ushort": 16, "short": 16, "uint": 32,
        "int": 32, "float": 32, "double": 64}


def compare_vips(path, f):
    """Every picture fact that vipsheader also shows must agree."""
    v = vh(path)
    im = f["image"]
    name = os.path.basename(path)
    eq(name + " media", f["media"], "image")
    eq(name + " width", im["width"], int(v["width"]))
    eq(name + " height", im["height"], int(v["height"]))
    eq(name + " bands", im["bands"], int(v["bands"]))
    eq(name + " bit depth", im["bit_depth"], BITS[v["format"]])
    eq(name + " interpretation", im["interpretation"], v["interpretation"])
    eq(name + " loader", im["loader"], v["vips-loader"])
    eq(name + " icc", im["has_icc"], int("icc-profile-data" in v))
    eq(name + " exif", im["has_exif"], int("exif-data" in v))
    # libvips drops "orientation" for HEIF: libheif has applied irot/imir
    # already, the EXIF tag there is not to be applied again.
    eq(name + " orientation", im["orientation"], int(v.get("orientation", 0)))
    eq(name + " palette", im["palette"], int("palette-bit-depth" in v or
                                              "gif-palette" in v))
    if "exif-ifd3-GPSLatitude" in v:
        eq(name + " gps", im["has_gps"], 1)
    if "delay" in v:
        delays = [int(x) for x in v["delay"].split()]
        eq(name + " frames", im["frames"], int(v.get("n-pages", 1)))
        eq(name + " delays", im["delays_ms"], delays)
        near(name + " duration", im["duration"], sum(delays) / 1000, 1e-6)
        eq(name + " loop", im["loop"], int(v.get("loop", 0)))
    else:
        eq(name + " frames", im["frames"], 1)
    eq(name + " animated", im["animated"], int(im["frames"] > 1))
    return im


def image_facts(path):
    f = facts(path)
    compare_vips(path, f)
    if file_mime(path) is not None:
        eq("mime", f["mime"], file_mime(path))
    return f


@case
def transparent_png():
    path = ffgen("i_alpha.png", "-f lavfi -i color=c=red@0.5:s=64x48,"
                 "format=rgba -frames:v 1")
    f = image_facts(path)
    eq("format", f["format"], "png")
    eq("alpha", f["image"]["has_alpha"], 1)
    eq("damaged", f["damaged"], 0)


@case
def png_16bit():
    path = ffgen("i_16.png", "-f lavfi -i testsrc2=s=64x48,format=rgb48be "
                 "-frames:v 1")
    f = image_facts(path)
    eq("depth", f["image"]["bit_depth"], 16)
    eq("alpha", f["image"]["has_alpha"], 0)


@case
def png_corpus():
    for rel in ("image/png_palette_with_trns.png",
                "image/png_16bit_rgb_linear_rec2020_icc.png",
                "image/png_gray_alpha_128x128.png",
                "image/png_display_p3_icc_1000x800.png"):
        image_facts(corpus(rel))
    f = facts(corpus("image/png_palette_with_trns.png"))
    eq("palette", f["image"]["palette"], 1)


@case
def icc_profile_srgb_or_not():
    """An sRGB profile is told from Display P3 / Rec.2020 (the profile's
    own description); libvips attaches its built-in profiles by name."""
    srgb = gen("i_icc_srgb.jpg", "vips black {out}.v 16 16 --bands 3 && "
               "vips icc_transform {out}.v {out} srgb --input-profile srgb && rm {out}.v")
    p3 = gen("i_icc_p3.jpg", "vips black {out}.v 16 16 --bands 3 && "
             "vips icc_transform {out}.v {out} p3 --input-profile srgb && rm {out}.v")
    for path, want in ((srgb, 1), (p3, 0),
                       (corpus("image/png_display_p3_icc_1000x800.png"), 0),
                       (corpus("image/png_16bit_rgb_linear_rec2020_icc.png"), 0)):
        im = facts(path)["image"]
        eq(path + " has icc", im["has_icc"], 1)
        eq(path + " icc srgb", im["icc_srgb"], want)


@case
def cmyk_jpeg():
    f = image_facts(corpus("image/jpeg_cmyk_adobe_ycck.jpg"))
    eq("interpretation", f["image"]["interpretation"], "cmyk")
    eq("alpha", f["image"]["has_alpha"], 0)


def plain_jpeg():
    return ffgen("i_plain.jpg", "-f lavfi -i testsrc2=s=96x64 -frames:v 1")


@case
def exif_rotated_jpeg():
    path = made("i_orient6.jpg", lambda out: jpeg_with_exif(
        plain_jpeg(), out, orientation=6))
    f = image_facts(path)
    eq("orientation", f["image"]["orientation"], 6)
    eq("gps", f["image"]["has_gps"], 0)
    for n in range(1, 9):
        p = corpus(f"image/jpeg_exif_orientation_{n}.jpg")
        image_facts(p)


@case
def jpeg_with_gps():
    path = made("i_gps.jpg", lambda out: jpeg_with_exif(
        plain_jpeg(), out, orientation=1, gps=(48.8584, 2.2945)))
    v = vh(path)
    assert "exif-ifd3-GPSLatitude" in v, "libvips does not see the GPS block"
    f = image_facts(path)
    eq("gps", f["image"]["has_gps"], 1)
    eq("exif", f["image"]["has_exif"], 1)
    f = facts(plain_jpeg())
    eq("no exif", (f["image"]["has_exif"], f["image"]["has_gps"]), (0, 0))


@case
def heic_and_avif():
    for rel in ("image/heic_iphone7plus_grid_exif_orient6.heic",
                "image/avif_irot_90_427x640.avif",
                "sticker_sources/avif_alpha_64x64.avif"):
        f = image_facts(corpus(rel))
        assert f["format"] in ("heif", "avif"), f["format"]


@case
def heic_generated():
    src = ffgen("i_src.png", "-f lavfi -i testsrc2=s=64x48 -frames:v 1")
    try:
        path = gen("i_gen.avif", f"vips copy {src} {{out}}")
    except AssertionError as err:
        raise Skip(f"libvips cannot write AVIF here: {err}")
    f = image_facts(path)
    eq("format", f["format"], "avif")


@case
def animated_gif():
    path = ffgen("i_anim.gif", "-f lavfi -i testsrc2=s=64x48:r=10:d=0.5")
    f = image_facts(path)
    eq("frames", f["image"]["frames"], 5)
    eq("animated", f["image"]["animated"], 1)
    image_facts(corpus("video/animated_gif_cogs_5frames.gif"))
    image_facts(corpus("sticker_sources/gif_animated_transparency_2frames.gif"))


@case
def tiff_bmp_svg():
    for rel, fmt in (("image/tiff_16bit_rgba_lzw.tiff", "tiff"),
                     ("image/bmp_v5_32bit_alpha_bitfields.bmp", "bmp"),
                     ("image/svg_libvips_logo.svg", "svg")):
        f = image_facts(corpus(rel))
        eq(rel + " format", f["format"], fmt)


def compare_webp(path, f):
    w = webpinfo(path)
    im = f["image"]
    eq("media", f["media"], "image")
    eq("format", f["format"], "webp")
    eq("loader", im["loader"], "webpdemux")
    eq("size", (im["width"], im["height"]), (w["width"], w["height"]))
    eq("exif", im["has_exif"], int(w["exif"]))
    eq("icc", im["has_icc"], int(w["icc"]))
    eq("alpha", im["has_alpha"], int(w["alpha"]))
    if w["frames"]:
        eq("frames", im["frames"], w["frames"])
        eq("delays", im["delays_ms"], w["durations"])
        eq("loop", im["loop"], w["loop"])
        eq("animated", im["animated"], int(w["frames"] > 1))
    else:
        eq("frames", im["frames"], 1)
        eq("animated", im["animated"], 0)
    eq("damaged", f["damaged"], 0)


@case
def animated_webp():
    gif = ffgen("i_anim.gif", "-f lavfi -i testsrc2=s=64x48:r=10:d=0.5")
    needs("gif2webp")
    path = gen("i_anim.webp", f"gif2webp -quiet {gif} -o {{out}}")
    compare_webp(path, facts(path))
    p = corpus("sticker_sources/webp_animated_245x245_42frames.webp")
    f = facts(p)
    compare_webp(p, f)
    eq("frames", f["image"]["frames"], 42)


@case
def static_webp():
    src = ffgen("i_src.png", "-f lavfi -i testsrc2=s=64x48 -frames:v 1")
    path = gen("i_static.webp", f"vips copy {src} {{out}}")
    compare_webp(path, facts(path))
    for rel in ("image/webp_lossless_1000x307.webp",
                "image/webp_lossy_exif_orientation6.webp",
                "image/webp_huge_16000x9000.webp",
                "sticker_sources/webp_lossy_alpha_192x192_round_icon.webp"):
        p = corpus(rel)
        compare_webp(p, facts(p))
    f = facts(corpus("image/webp_lossy_exif_orientation6.webp"))
    # libvips reads the same EXIF chunk: its orientation must match ours.
    eq("orientation", f["image"]["orientation"],
       int(vh(corpus("image/webp_lossy_exif_orientation6.webp"))
           .get("orientation", 0)))


@case
def image_pixel_limit():
    path = ffgen("i_src.png", "-f lavfi -i testsrc2=s=64x48 -frames:v 1")
    status, _, err, _ = probe(path, "--max-pixels", str(64 * 48 - 1))
    eq("status", status, "ELIMIT")
    assert "64x48" in err, err
    eq("at the limit", probe(path, "--max-pixels", str(64 * 48))[0], "OK")
    webp = gen("i_static.webp", f"vips copy {path} {{out}}")
    eq("webp", probe(webp, "--max-pixels", "100")[0], "ELIMIT")


@case
def png_bomb_header():
    path = made("i_bomb.png", lambda out: write_png_header(out, 100000,
                                                          100000))
    eq("vipsheader width", int(vh(path)["width"]), 100000)
    status, _, err, dt = probe(path)
    eq("status", status, "ELIMIT")
    assert "100000x100000" in err, err


@case
def avif_bomb_header():
    status, _, err, _ = probe(corpus(
        "malformed/avif_17000x17000_dimension_bomb.avif"))
    eq("status", status, "ELIMIT")
    assert "17000x17000" in err, err


finish()  # noqa: F405
