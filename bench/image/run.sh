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
  # 50 MP photo-like JPEG: a real photo upscaled, with grain, quality 92.
  vips resize "$c/image/jpeg_xiaomi_4000x3000_orientation3.jpg" "$W/up.v" 2.04
  vips gaussnoise "$W/n.v" 8160 6120 --sigma 8 --mean 0
  vips bandjoin "$W/n.v $W/n.v $W/n.v" "$W/n3.v"
  vips add "$W/up.v" "$W/n3.v" "$W/s.v"
  vips cast "$W/s.v" "$W/photo50.jpg[Q=92]" uchar
  rm -f "$W"/*.v
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

bench_photo() {
  echo "### 50-megapixel JPEG to a JPEG of at most 5,000,000 bytes"
  echo
  echo "Input: $(dims "$W/photo50.jpg"), $(size "$W/photo50.jpg") bytes."
  echo
  row tool "time (s)" "peak memory (MB)" output bytes "within the limits"
  row --- ---: ---: --- ---: ---
  local m out="$W/wapf.jpg"
  m=$(measure "$WAPF" convert -q --as image -o "$out" "$W/photo50.jpg")
  row "wa-preflight convert --as image" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" image)"
  local wd
  wd=$(vipsheader -f width "$out")
  out="$W/vips.jpg"
  m=$(measure vips thumbnail "$W/photo50.jpg" "$out[Q=85,strip]" "$wd")
  row "vips thumbnail (to the same width, Q 85)" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" image)"
  out="$W/vips-full.jpg"
  m=$(measure vips copy "$W/photo50.jpg" "$out[Q=85,strip]")
  row "vips copy (full size, Q 85)" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" image)"
  if [ -x /usr/bin/convert ]; then
    out="$W/magick.jpg"
    m=$(measure /usr/bin/convert "$W/photo50.jpg" -resize "${wd}x" -quality 85 -strip "$out")
    row "ImageMagick convert -resize (same width, Q 85)" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" image)"
    out="$W/magick-hint.jpg"
    m=$(measure /usr/bin/convert -define "jpeg:size=${wd}x${wd}" "$W/photo50.jpg" -resize "${wd}x" -quality 85 -strip "$out")
    row "ImageMagick with -define jpeg:size (shrink-on-load)" $m "$(dims "$out")" "$(size "$out")" "$(verdict "$out" image)"
  else
    row "ImageMagick convert" - - - - "not installed"
  fi
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
bench_photo
bench_stickers
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
