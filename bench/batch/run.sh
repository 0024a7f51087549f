#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark of `wa-preflight batch`: a generated folder of a few hundred
# small mixed files, converted with -j 1, with -j 2, and by a plain shell
# loop over the ffmpeg / vips command lines doing the same conversions.
#
#   bench/batch/run.sh [WORKDIR]       (default: a new folder under /tmp)
#   WAPF_BIN=path/to/wa-preflight      (default: build/tools/wa-preflight)
#   N_IMAGES=160 N_AUDIO=40 N_VIDEO=24 N_DOCS=60 to change the mix
#
# Prints one line per timing and the machine; results go in RESULTS.md by
# hand. Timings only: the tests check correctness, not this script.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${WAPF_BIN:-build/tools/wa-preflight}
WORK=${1:-$(mktemp -d /tmp/wapf-bench-XXXXXX)}
N_IMAGES=${N_IMAGES:-160}
N_AUDIO=${N_AUDIO:-40}
N_VIDEO=${N_VIDEO:-24}
N_DOCS=${N_DOCS:-60}
FF="ffmpeg -nostdin -v error -y"

[ -x "$BIN" ] || { echo "no $BIN (build first or set WAPF_BIN)" >&2; exit 2; }

seeds() { # the few distinct sources, made once
  local s=$WORK/seed
  mkdir -p "$s"
  $FF -f lavfi -i testsrc2=size=1280x960 -frames:v 1 -q:v 3 "$s/photo.jpg"
  $FF -f lavfi -i "testsrc=size=800x600,format=rgba,colorchannelmixer=aa=0.6" \
    -frames:v 1 "$s/alpha.png"
  $FF -f lavfi -i testsrc=size=640x480 -frames:v 1 -c:v libwebp "$s/pic.webp"
  $FF -f lavfi -i sine=f=440:sample_rate=44100 -t 5 "$s/tone.wav"
  $FF -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=f=330 -t 2 \
    -c:v libx264 -pix_fmt yuv420p -c:a aac -ac 1 -f mov "$s/clip.mov"
  $FF -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=f=550 -t 2 \
    -c:v libx264 -pix_fmt yuv444p -c:a aac -ac 1 "$s/clip444.mp4"
}

# The folder: copies of the seeds spread over sub-folders (the batch does
# not deduplicate, so each copy is converted on its own).
make_folder() {
  local d=$WORK/in i
  rm -rf "$d"
  for ((i = 0; i < N_IMAGES; i++)); do
    case $((i % 4)) in
    0) mkdir -p "$d/photos/$((i % 8))"; cp "$WORK/seed/photo.jpg" "$d/photos/$((i % 8))/p$i.jpg" ;;
    1 | 2) mkdir -p "$d/graphics/$((i % 5))"; cp "$WORK/seed/alpha.png" "$d/graphics/$((i % 5))/g$i.png" ;;
    3) mkdir -p "$d/web"; cp "$WORK/seed/pic.webp" "$d/web/w$i.webp" ;;
    esac
  done
  mkdir -p "$d/audio" "$d/video" "$d/docs"
  for ((i = 0; i < N_AUDIO; i++)); do cp "$WORK/seed/tone.wav" "$d/audio/t$i.wav"; done
  for ((i = 0; i < N_VIDEO; i++)); do
    if ((i % 2)); then cp "$WORK/seed/clip.mov" "$d/video/v$i.mov"
    else cp "$WORK/seed/clip444.mp4" "$d/video/v$i.mp4"; fi
  done
  for ((i = 0; i < N_DOCS; i++)); do
    head -c $((2000 + 37 * i)) /dev/urandom | base64 >"$d/docs/n$i.txt"
  done
}

# The same conversions as plain command lines, one file after another.
shell_loop() {
  local in=$WORK/in out=$WORK/out-shell f rel dst
  rm -rf "$out"
  (cd "$in" && find . -type f | sort) | while read -r rel; do
    f=$in/${rel#./}
    dst=$out/${rel#./}
    mkdir -p "$(dirname "$dst")"
    case $f in
    *.jpg | *.txt) cp "$f" "$dst" ;;
    *.png) vips flatten "$f" "${dst%.*}.jpg[Q=85,strip]" --background 255 ;;
    *.webp) vips copy "$f" "${dst%.*}.jpg[Q=85,strip]" ;;
    *.wav) $FF -i "$f" -c:a libopus -b:a 32k -ac 1 "${dst%.*}.ogg" ;;
    *.mov) $FF -i "$f" -c copy -movflags +faststart "${dst%.*}.mp4" ;;
    *.mp4) $FF -i "$f" -c:v libx264 -pix_fmt yuv420p -c:a aac -ac 1 \
      -movflags +faststart "$dst.tmp.mp4" && mv "$dst.tmp.mp4" "$dst" ;;
    esac
  done
}

timeit() { # timeit LABEL CMD... -> "LABEL: N.NN s"
  local label=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  printf '%-28s %6.2f s\n' "$label:" "$(echo "$t1 - $t0" | bc)"
}

mkdir -p "$WORK"
echo "work folder: $WORK"
seeds
make_folder
n=$(find "$WORK/in" -type f | wc -l)
bytes=$(du -sb "$WORK/in" | cut -f1)
echo "files: $n ($bytes bytes): $N_IMAGES images, $N_AUDIO audio, $N_VIDEO video, $N_DOCS documents"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GB", $2/1e6}' /proc/meminfo)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
drop_out() { rm -rf "$WORK/out-j$1"; }
drop_out 1
drop_out 2
timeit "batch -j 1" "$BIN" batch -q -j 1 "$WORK/in" "$WORK/out-j1"
timeit "batch -j 2" "$BIN" batch -q -j 2 "$WORK/in" "$WORK/out-j2"
timeit "batch -j 2 again (no work)" "$BIN" batch -q -j 2 "$WORK/in" "$WORK/out-j2"
timeit "shell loop (ffmpeg/vips)" shell_loop
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for o in out-j1 out-j2 out-shell; do
  printf '%-10s %5d files, %10d bytes\n' "$o" \
    "$(find "$WORK/$o" -type f -not -path '*/.wa-preflight/*' | wc -l)" \
    "$(find "$WORK/$o" -type f -not -path '*/.wa-preflight/*' -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
done
