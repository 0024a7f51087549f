#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmarks of video/audio conversion against the ffmpeg command line.
#   bench/av/run.sh [BUILD_DIR]      print the report
#   bench/av/run.sh -w [BUILD_DIR]   also write bench/av/RESULTS.md
#   bench/av/run.sh --equal [BUILD_DIR]  the equal-bytes table (issue 18):
#     six 2-minute 1080p sources (bench/av/sources.py), ours against ffmpeg
#     recipes given no more bytes; hours on 2 cores
# Needs a built tree (meson/ninja) and ffmpeg; takes 15-30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
write=0
if [ "${1:-}" = "--equal" ]; then
  shift
  export WAPF_BIN=${WAPF_BIN:-${1:-build}/tools/wa-preflight}
  exec python3 bench/av/equal.py
fi
if [ "${1:-}" = "-w" ]; then
  write=1
  shift
fi
build=${1:-build}
export WAPF_BIN=${WAPF_BIN:-$build/tools/wa-preflight}
[ -x "$WAPF_BIN" ] || { echo "no $WAPF_BIN: build first (ninja -C $build)" >&2; exit 2; }
if [ $write = 1 ]; then
  python3 bench/av/bench.py | tee bench/av/RESULTS.md.tmp
  mv bench/av/RESULTS.md.tmp bench/av/RESULTS.md
else
  python3 bench/av/bench.py
fi
