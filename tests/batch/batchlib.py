# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers of the batch tests: a nested folder of mixed media generated at
test time, and independent inspection of every output (ffprobe, ffmpeg,
vipsheader; never the project's own probe)."""
import json
import os
import random
import shutil

from wapftest import (BIN, CORPUS, Skip, ffprobe, fixture, sh, tmpdir,
                      vipsheader)

# Media made once per build dir (small and quick), then copied into fresh
# trees. name -> shell command writing {out}.
LAVFI = "ffmpeg -nostdin -v error -y"
MEDIA = {
    "photo.jpg": f"{LAVFI} -f lavfi -i testsrc=size=320x240 -frames:v 1 {{out}}",
    "big.jpg": f"{LAVFI} -f lavfi -i testsrc=size=640x480 -frames:v 1 -q:v 2 {{out}}",
    "alpha.png": f"{LAVFI} -f lavfi -i color=c=red@0.5:s=64x48,format=rgba "
                 f"-frames:v 1 {{out}}",
    "still.webp": f"{LAVFI} -f lavfi -i testsrc=size=200x100 -frames:v 1 "
                  f"-c:v libwebp {{out}}",
    "clip.mp4": f"{LAVFI} -f lavfi -i testsrc=size=160x120:rate=10 -f lavfi "
                f"-i sine=f=440:sample_rate=44100 -t 1 -c:v libx264 -bf 0 -pix_fmt "
                f"yuv420p -profile:v high -c:a aac -ac 1 -movflags +faststart "
                f"{{out}}",
    "clip.mov": f"{LAVFI} -f lavfi -i testsrc=size=160x120:rate=10 -f lavfi "
                f"-i sine=f=330:sample_rate=44100 -t 1 -c:v libx264 -bf 0 -pix_fmt "
                f"yuv420p -c:a aac -ac 1 -f mov {{out}}",
    "clip.mkv": f"{LAVFI} -f lavfi -i testsrc2=size=160x120:rate=10 -f lavfi "
                f"-i sine=f=550:sample_rate=44100 -t 1 -c:v libx264 -bf 0 -pix_fmt "
                f"yuv420p -c:a aac -ac 1 -f matroska {{out}}",
    "tone.wav": f"{LAVFI} -f lavfi -i sine=f=440:sample_rate=16000 -t 1 {{out}}",
    "song.mp3": f"{LAVFI} -f lavfi -i sine=f=660:sample_rate=44100 -t 1 "
                f"-c:a libmp3lame -b:a 64k {{out}}",
}


def media(name):
    # v2: H.264 without B-frames (a compliant clip stays a copy, a MOV a
    # remux, since the rules refuse B-frames)
    return fixture("batch-v2-" + name, MEDIA[name])


def put(root, rel, src=None, data=None):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if src:
        shutil.copyfile(src, p)
    else:
        with open(p, "wb") as f:
            f.write(data)
    return p


def minimal_pdf():
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" \
           b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return body


# What every input of make_tree() becomes: rel -> (output rel, action).
# None as output: the file fails (with a reason).
EXPECT = {
    "photos/photo.jpg": ("photos/photo.jpg", "copied"),
    "photos/alpha.png": ("photos/alpha.jpg", "converted"),
    "photos/deep/er/still.webp": ("photos/deep/er/still.jpg", "converted"),
    "photos/link_in.jpg": ("photos/link_in.jpg", "copied"),
    "clips/clip.mp4": ("clips/clip.mp4", "copied"),
    "clips/a.mkv": ("clips/a.mp4", "converted"),
    "clips/a.mov": ("clips/a-2.mp4", "converted"),
    "audio/tone.wav": ("audio/tone.ogg", "converted"),
    "audio/song.mp3": ("audio/song.mp3", "copied"),
    "docs/doc.pdf": ("docs/doc.pdf", "copied"),
    "docs/notes.txt": ("docs/notes.txt", "copied"),
    "bad/truncated.jpg": (None, "failed"),
    "bad/random.jpg": (None, "failed"),
    "bad/empty.png": (None, "failed"),
}
COPIES = [k for k, v in EXPECT.items() if v[1] == "copied"]
CONVERTS = [k for k, v in EXPECT.items() if v[1] == "converted"]
FAILS = [k for k, v in EXPECT.items() if v[1] == "failed"]


# Damaged real-world files (tests/../shared/corpus/malformed) -> input name.
CORPUS_BAD = {
    "malformed/png_truncated_image_640x480.png": "bad/corpus/truncated.png",
    "malformed/webp_26B_vp8l_bitstream_error.webp": "bad/corpus/broken.webp",
}


def make_tree(root=None):
    """The nested test folder; returns (indir, outside_dir)."""
    base = root or tmpdir()
    d = os.path.join(base, "in")
    outside = os.path.join(base, "outside")
    os.makedirs(outside, exist_ok=True)
    put(d, "photos/photo.jpg", media("photo.jpg"))
    put(d, "photos/alpha.png", media("alpha.png"))
    put(d, "photos/deep/er/still.webp", media("still.webp"))
    put(d, "clips/clip.mp4", media("clip.mp4"))
    put(d, "clips/a.mov", media("clip.mov"))
    put(d, "clips/a.mkv", media("clip.mkv"))
    put(d, "audio/tone.wav", media("tone.wav"))
    put(d, "audio/song.mp3", media("song.mp3"))
    put(d, "docs/doc.pdf", data=minimal_pdf())
    put(d, "docs/notes.txt", data=b"plain notes for the batch test\n" * 20)
    big = open(media("big.jpg"), "rb").read()
    put(d, "bad/truncated.jpg", data=big[: len(big) // 3])
    rnd = random.Random(6)
    put(d, "bad/random.jpg", data=bytes(rnd.getrandbits(8) for _ in range(3000)))
    put(d, "bad/empty.png", data=b"")
    # real damaged files from the corpus, when it is there
    for rel, name in CORPUS_BAD.items():
        src = os.path.join(CORPUS, rel)
        if os.path.exists(src):
            put(d, name, src)
            EXPECT[name] = (None, "failed")
            FAILS.append(name)
    # skipped: hidden files and folders, links out of the folder
    put(d, ".hidden.jpg", media("photo.jpg"))
    put(d, "photos/.cache/x.jpg", media("photo.jpg"))
    put(outside, "secret.jpg", media("photo.jpg"))
    os.symlink(os.path.join(outside, "secret.jpg"), os.path.join(d, "docs/link_out.jpg"))
    os.symlink(outside, os.path.join(d, "outside_dir"))
    # followed: a link inside; not looped: a link back to the root
    os.symlink("photo.jpg", os.path.join(d, "photos/link_in.jpg"))
    os.symlink("..", os.path.join(d, "photos/loop"))
    return d, outside


def outputs(out):
    """Relative paths of every file under out (the state folder aside)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(out):
        rel = os.path.relpath(dirpath, out)
        if rel == ".":
            dirnames[:] = [x for x in dirnames if x != ".wa-preflight"]
        for f in filenames:
            found.append(os.path.normpath(os.path.join(rel, f)))
    return sorted(found)


def run_batch(*args, timeout=300):
    import subprocess
    return subprocess.run([BIN, "batch", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def report(path):
    with open(path) as f:
        return json.load(f)


def entries(rep):
    return {e["path"]: e for e in rep["files"]}


def decodes_cleanly(path):
    """A full decode by ffmpeg with errors fatal: complete, not truncated."""
    sh(f"ffmpeg -nostdin -v error -xerror -i '{path}' -f null - 2>&1")
    return True


def inspect(path):
    """Independent verdict on one output: raises when it is not a valid,
    complete, WhatsApp-compliant file of its type."""
    ext = os.path.splitext(path)[1].lower()
    size = os.path.getsize(path)
    assert size > 0, f"{path}: empty output"
    if ext in (".jpg", ".jpeg", ".png"):
        assert int(vipsheader(path, "bands")) in (1, 3), f"{path}: has alpha"
        assert "UCHAR" in vipsheader(path, "format").upper(), f"{path}: not 8-bit"
        # a full decode with libvips failing on any error
        sh(f"vips avg '{path}[fail]'")
        assert size <= 5_000_000
    elif ext == ".mp4":
        info = ffprobe(path)
        v = [s for s in info["streams"] if s["codec_type"] == "video"]
        a = [s for s in info["streams"] if s["codec_type"] == "audio"]
        assert v and v[0]["codec_name"] == "h264", f"{path}: {v}"
        assert v[0]["pix_fmt"] in ("yuv420p", "yuvj420p"), v[0]["pix_fmt"]
        assert all(s["codec_name"] == "aac" for s in a), f"{path}: {a}"
        assert "mp4" in info["format"]["format_name"]
        decodes_cleanly(path)
        assert size <= 16_000_000
    elif ext == ".ogg":
        info = ffprobe(path)
        a = [s for s in info["streams"] if s["codec_type"] == "audio"]
        assert len(a) == 1 and a[0]["codec_name"] == "opus", f"{path}: {a}"
        assert a[0]["channels"] == 1
        decodes_cleanly(path)
    elif ext == ".mp3":
        info = ffprobe(path)
        assert info["streams"][0]["codec_name"] == "mp3"
        decodes_cleanly(path)
    return True


def same_bytes(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def backend_missing(ent):
    """Skip reason when a conversion failed only because its back end has
    not landed yet (the scaffold's message), else None."""
    err = (ent.get("error") or {}).get("message", "")
    if "not built" in err:
        return f"{ent['path']}: {err}"
    return None


def require_tools():
    for t in ("ffmpeg", "ffprobe", "vips", "vipsheader"):
        if not shutil.which(t):
            raise Skip(f"{t} not installed")
