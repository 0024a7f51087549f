#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Image and sticker benchmark: wa-preflight side by side with the usual
# tools, in one run, on inputs generated here.
#
#   bench/image/run.sh [BUILD_DIR]      (default: build)
#
# Needs: vips (libvips-tools), webp (cwebp, gif2webp, webpinfo), ffmpeg,
# GNU time (/usr/bin/time, package "time"). Optional: ImageMagick's
# /usr/bin/convert (package imagemagick), and wa-sticker-formatter from npm
# installed in $WSF_DIR (default /tmp/wsf: `npm install wa-sticker-formatter`
# there); each missing tool's rows say "not installed".
# Prints a Markdown report on stdout (bench/image/RESULTS.md is one).
# RUNS=N (default 5) repeats each photo row; PHOTO_ONLY=1 skips the stickers.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
WAPF="$PWD/$BUILD/tools/wa-preflight"
WSF_DIR=${WSF_DIR:-/tmp/wsf}
W=$(mktemp -d /tmp/wapf-bench-image.XXXXXX)
trap 'rm -rf "$W"' EXIT
[ -x "$WAPF" ] || { echo "build first: $WAPF" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "install GNU time (package time)" >&2; exit 2; }

# ---- inputs ----
gen_inputs() {
  local c=${WAPF_CORPUS:-../shared/corpus}
  # 54 MP camera-like JPEG: a real phone photo (4000x3000) cropped to 3:2,
  # sensor-like grain, upscaled to 9000x6000, quality 93, the phone's EXIF
  # kept with its orientation set to 6 (a portrait shot) and to 1.
  vips crop "$c/image/jpeg_xiaomi_4000x3000_orientation3.jpg" "$W/c.v" 0 166 4000 2667
  vips gaussnoise "$W/n.v" 4000 2667 --sigma 7 --mean 0
  vips bandjoin "$W/n.v $W/n.v $W/n.v" "$W/n3.v"
  vips add "$W/c.v" "$W/n3.v" "$W/s.v"
  vips cast "$W/s.v" "$W/u.v" uchar
  vips resize "$W/u.v" "$W/up.v" 2.25
  vips crop "$W/up.v" "$W/photo54.jpg[Q=93]" 0 0 9000 6000
  rm -f "$W"/*.v
  cp "$W/photo54.jpg" "$W/photo54-o6.jpg"
  set_orientation "$W/photo54-o6.jpg" 6
  mv "$W/photo54.jpg" "$W/photo54-o1.jpg"
  set_orientation "$W/photo54-o1.jpg" 1
  cp "$c/sticker_sources/png_rgba_photo_500x500.png" "$W/photo500.png"
  python3 - "$W/noise512.png" <<'PY'
import os, struct, sys, zlib
w = h = 512
raw = b"".join(b"\0" + os.urandom(w * 4) for _ in range(h))
def ch(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + ch(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                              + ch(b"IDAT", zlib.compress(raw, 1)) + ch(b"IEND", b""))
PY
  ffmpeg -v error -f lavfi -i 'testsrc2=s=320x240:r=12,noise=alls=30:allf=t' \
    -t 12.5 -y "$W/busy12s.gif"
  cp "$c/sticker_sources/gif_animated_transparency_2frames.gif" "$W/small.gif"
}

# set_orientation FILE N: rewrite the EXIF Orientation entries in place.
set_orientation() {
  python3 - "$1" "$2" <<'PY'
import struct, sys
path, value = sys.argv[1], int(sys.argv[2])
d = bytearray(open(path, "rb").read())
t = d.find(b"Exif\x00\x00") + 6
e = "<" if d[t:t + 2] == b"II" else ">"
ifd = struct.unpack(e + "I", d[t + 4:t + 8])[0]
for _ in range(2):
    if not ifd:
        break
    n = struct.unpack(e + "H", d[t + ifd:t + ifd + 2])[0]
    for k in range(n):
        p = t + ifd + 2 + 12 * k
        if struct.unpack(e + "H", d[p:p + 2])[0] == 0x0112:
            d[p + 8:p + 10] = struct.pack(e + "H", value)
    ifd = struct.unpack(e + "I", d[t + ifd + 2 + 12 * n:t + ifd + 6 + 12 * n])[0]
open(path, "wb").write(d)
PY
}

# measure NAME CMD... -> "seconds peak_MB" (and exit status in $?)
measure() {
  local rc secs kb
  /usr/bin/time -f "%e %M" -o "$W/time.txt" "$@" >"$W/out.log" 2>&1
  rc=$?
  read -r secs kb < <(tail -1 "$W/time.txt") || true
  [[ ${kb:-} =~ ^[0-9]+$ ]] || { secs=-; kb=0; }
  echo "$secs $((kb / 1024))"
  return $rc
}

# measure_n OUT CMD...: RUNS runs (OUT removed before each); prints the
# medians and spreads "s s_lo s_hi cpu cpu_lo cpu_hi mb mb_lo mb_hi"
# (wall seconds, CPU seconds user+sys, peak resident MB).
RUNS=${RUNS:-5}
measure_n() {
  local out=$1 i
  shift
  : >"$W/runs.txt"
  for ((i = 0; i < RUNS; i++)); do
    rm -f "$out"
    /usr/bin/time -f "%e %U %S %M" -o "$W/time.txt" "$@" >"$W/out.log" 2>&1
    tail -1 "$W/time.txt" >>"$W/runs.txt"
  done
  python3 - "$W/runs.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 4]
cols = ([float(r[0]) for r in rows], [float(r[1]) + float(r[2]) for r in rows],
        [int(r[3]) / 1024 for r in rows])
print(" ".join(f"{statistics.median(c):.2f} {min(c):.2f} {max(c):.2f}" if i < 2 else
               f"{statistics.median(c):.0f} {min(c):.0f} {max(c):.0f}"
               for i, c in enumerate(cols)) if rows else "- - - - - - - - -")
PY
}

# ssim OUT REF: ffmpeg's SSIM (All) of OUT against REF (same size), or "-".
ssim() {
  [ -s "$1" ] || { echo -; return; }
  [ "$(dims "$1")" = "$(dims "$2")" ] || { echo "- (size differs)"; return; }
  ffmpeg -v info -nostats -i "$1" -i "$2" -lavfi ssim -f null - 2>&1 |
    grep -o 'All:[0-9.]*' | tail -1 | cut -d: -f2
}

# upright_ref SRC W H OUT: the source decoded in full, turned upright and
# resized to WxH with libvips' lanczos3 (the reference for SSIM).
upright_ref() {
  vips autorot "$1" "$W/rot.v"
  local sw
  sw=$(vipsheader -f width "$W/rot.v")
  vips resize "$W/rot.v" "$W/ref.v" "$(python3 -c "print($2 / $sw)")" --kernel lanczos3
  vips crop "$W/ref.v" "$4" 0 0 "$2" "$3"
  rm -f "$W/rot.v" "$W/ref.v"
}

dims() { vipsheader -f width "$1" 2>/dev/null | tr -d '\n'; printf x; vipsheader -f height "$1" 2>/dev/null; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }

# verdict FILE KIND -> "yes" or the reason it is outside the limits
verdict() {
  local f=$1 kind=$2 n
  [ -s "$f" ] || { echo "no output"; return; }
  n=$(size "$f")
  case $kind in
  image)
    local h
    h=$(vipsheader "$f")
    [[ $h == *"uchar, 3 bands, srgb, jpegload"* ]] || { echo "no: $h"; return; }
    [ "$n" -le 5000000 ] && echo yes || echo "no: $n bytes"
    ;;
  sticker | anim)
    local info limit=100000
    [ "$kind" = anim ] && limit=500000
    info=$(webpinfo "$f" 2>&1)
    grep -q "No error detected" <<<"$info" || { echo "no: webpinfo errors"; return; }
    grep -q "Canvas size 512 x 512" <<<"$info" ||
      [ "$(dims "$f")" = 512x512 ] || { echo "no: $(dims "$f"), not 512x512"; return; }
    [ "$n" -le $limit ] || { echo "no: $n bytes"; return; }
    if [ "$kind" = anim ]; then
      local total
      total=$(grep -o 'Duration: [0-9]*' <<<"$info" | awk '{s+=$2} END {print s+0}')
      [ "$total" -le 10000 ] || { echo "no: lasts $total ms"; return; }
      grep -q "Animation: 1" <<<"$info" || { echo "no: not animated"; return; }
    fi
    echo yes
    ;;
  esac
}

row8() { printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$@"; }

# photo_row LABEL OUT REF CMD...: medians of RUNS runs, output, SSIM, verdict.
photo_row() {
  local label=$1 out=$2 ref=$3 m
  shift 3
  m=($(measure_n "$out" "$@"))
  row8 "$label" "${m[0]} (${m[1]}–${m[2]})" "${m[3]} (${m[4]}–${m[5]})" \
    "${m[6]} (${m[7]}–${m[8]})" "$(dims "$out")" "$(size "$out")" \
    "$(ssim "$out" "$ref")" "$(verdict "$out" image)"
}

bench_photo() { # bench_photo FILE TITLE
  local in=$1
  echo "### $2"
  echo
  echo "Input: $(dims "$in"), $(size "$in") bytes, EXIF orientation $(vipsheader -f orientation "$in")."
  echo "Wall time, CPU time (user+sys) and peak resident memory (GNU time): median of $RUNS runs"
  echo "(lowest–highest). SSIM: ffmpeg's, against the source decoded in full, turned upright and"
  echo "resized to the output's size (libvips lanczos3)."
  echo
  row8 tool "wall (s)" "CPU (s)" "peak memory (MB)" output bytes SSIM "within the limits"
  row8 --- ---: ---: ---: --- ---: ---: ---
  local out="$W/wapf.jpg" ref="$W/ref.tif"
  rm -f "$out"
  "$WAPF" convert -q --as image -o "$out" "$in" || true
  local wd ht
  wd=$(vipsheader -f width "$out")
  ht=$(vipsheader -f height "$out")
  upright_ref "$in" "$wd" "$ht" "$ref"
  photo_row "wa-preflight convert --as image" "$out" "$ref" "$WAPF" convert -q --as image -o "$out" "$in"
  # wa-preflight writes 4:2:0 at every quality; libvips' default keeps
  # 4:4:4 from Q 90 up, so the peers run both ways.
  out="$W/vips.jpg"
  photo_row "vips thumbnail (same size, Q 90, 4:2:0)" "$out" "$ref" vips thumbnail "$in" "$out[Q=90,strip,subsample-mode=on]" "$wd" --height "$ht"
  out="$W/vips-444.jpg"
  photo_row "vips thumbnail (same size, Q 90, libvips default 4:4:4)" "$out" "$ref" vips thumbnail "$in" "$out[Q=90,strip]" "$wd" --height "$ht"
  out="$W/vips-opt.jpg"
  photo_row "vips thumbnail (same size, Q 90, 4:2:0, optimize_coding)" "$out" "$ref" vips thumbnail "$in" "$out[Q=90,strip,subsample-mode=on,optimize-coding]" "$wd" --height "$ht"
  out="$W/vips-shrink.jpg"
  photo_row "vips copy [shrink=2] (Q 90, 4:2:0; not turned upright)" "$out" "$ref" vips copy "$in[shrink=2]" "$out[Q=90,strip,subsample-mode=on]"
  out="$W/vips-full.jpg"
  photo_row "vips copy (full size, Q 85)" "$out" "$ref" vips copy "$in" "$out[Q=85,strip]"
  if [ -x /usr/bin/convert ]; then
    local save=$RUNS
    RUNS=1
    out="$W/magick-hint.jpg"
    photo_row "ImageMagick -define jpeg:size -auto-orient -resize (Q 90; 1 run)" "$out" "$ref" /usr/bin/convert -define "jpeg:size=${wd}x${wd}" "$in" -auto-orient -resize "${wd}x${ht}" -quality 90 -strip "$out"
    RUNS=$save
  else
    row8 "ImageMagick convert" - - - - - - "not installed"
  fi
  rm -f "$ref"
  echo
}

# wa-sticker-formatter through a small script run from its install folder.
cat >"$W/wsf.js" <<'JS'
const {Sticker} = require('wa-sticker-formatter');
const [inp, out, type, quality] = process.argv.slice(2);
new Sticker(inp, {pack: 'bench', author: 'bench', type, quality: +quality})
  .toFile(out).then(() => process.exit(0))
  .catch(e => { console.error(e.message); process.exit(1); });
JS

sticker_rows() { # sticker_rows INPUT KIND(sticker|anim)
  local in=$1 kind=$2 m out
  out="$W/wapf-$kind.webp"
  m=$(measure "$WAPF" convert -q --as sticker --force -o "$out" "$in")
  row "wa-preflight convert --as sticker" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" "$kind")"
  if [ "$kind" = sticker ]; then
    out="$W/cwebp.webp"
    m=$(measure cwebp -quiet -size 100000 -pass 10 -resize 512 512 -alpha_q 100 "$in" -o "$out")
    row "cwebp -size 100000 -resize 512 512" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" sticker)"
  elif [[ $in == *.gif ]]; then
    out="$W/gif2webp.webp"
    m=$(measure gif2webp -quiet -lossy -q 50 -mt "$in" -o "$out")
    row "gif2webp -lossy -q 50 (cannot resize)" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" anim)"
  fi
  if [ -d "$WSF_DIR/node_modules/wa-sticker-formatter" ]; then
    out="$W/wsf-$kind.webp"
    m=$(measure env NODE_PATH="$WSF_DIR/node_modules" node "$W/wsf.js" "$in" "$out" full 50)
    row "wa-sticker-formatter (type full, quality 50)" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" "$kind")"
  else
    row "wa-sticker-formatter" - - - - "not installed"
  fi
}

bench_stickers() {
  local t
  for t in "photo500.png:sticker:static sticker from a 500x500 RGBA photo" \
    "noise512.png:sticker:static sticker from 512x512 RGBA noise (incompressible)" \
    "small.gif:anim:animated sticker from a 2-frame transparent GIF" \
    "busy12s.gif:anim:animated sticker from a busy 12.5 s GIF (320x240, 12 fps, grain)"; do
    IFS=: read -r f kind title <<<"$t"
    echo "### $title"
    echo
    row tool "time (s)" "peak memory (MB)" output bytes "within the limits"
    row --- ---: ---: --- ---: ---
    sticker_rows "$W/$f" "$kind"
    echo
  done
}

machine() {
  echo "## Machine"
  echo
  echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores available, $(free -m | awk '/Mem:/ {print $2}') MB RAM"
  echo "- $(uname -sr); libvips $(vips --version | cut -d- -f2), libwebp $(cwebp -version 2>&1 | head -1), $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
  echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other work may have run at the same time)"
  echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), wa-preflight $("$WAPF" --version 2>/dev/null | head -1)"
  echo
}

gen_inputs
echo "# Image and sticker benchmark"
echo
machine
echo "## Results"
echo
bench_photo "$W/photo54-o6.jpg" "54-megapixel camera JPEG, portrait (orientation 6), to a JPEG of at most 5,000,000 bytes"
bench_photo "$W/photo54-o1.jpg" "The same 54-megapixel JPEG with orientation 1 (no rotation needed)"
[ -n "${PHOTO_ONLY:-}" ] || bench_stickers
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
