#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run one libFuzzer target (meson's fuzz-run suite):
#   run.sh EXE NAME BUILDDIR RUNS SEEDDIR...
# Two modes:
# - reproducible (the default; `scripts/dev.sh test`, CI): first every file
#   of the seed folders (the seeds and every kept regression input) is
#   replayed once, then RUNS executions (WAPF_FUZZ_RUNS overrides it) from
#   the fixed seed WAPF_FUZZ_SEED (default 1), mutating from the seed
#   folders only (a fresh work folder each time), without comparison-guided
#   mutations: the same tree always gets the same inputs, whatever the
#   machine's load;
# - exploration (WAPF_FUZZ_SECONDS set; `scripts/dev.sh fuzz SECONDS`):
#   SECONDS of fuzzing from a random seed, keeping what it finds in
#   BUILDDIR/work/NAME between runs.
# A crash, leak or timeout is saved as BUILDDIR/artifacts/NAME-* and fails
# the run. The last line says how many executions ran.
set -euo pipefail
exe=$1 name=$2 build=$3 runs=${WAPF_FUZZ_RUNS:-$4}
shift 4
art=$build/artifacts
log=$build/work/$name.log
mkdir -p "$build/work" "$art"
export TMPDIR=${TMPDIR:-/tmp}
# One input may take 20 s, or for frames 120 s: it decodes up to its pixel
# budget (1,000 million pixels of GIF pages) before it can refuse, and a
# damaged 1 MB GIF of 39 pages of 480x33247 (622 million) takes 16 s of CPU
# in a plain build, 31 s under ASan: slow within its bound, not a hang.
unit_timeout=20
[ "$name" = frames ] && unit_timeout=120
limits=(-timeout="$unit_timeout" -rss_limit_mb=2048 -artifact_prefix="$art/$name-")

fail() { # fail STATUS WHAT
  tail -n 60 "$log"
  echo "$name: $2: libFuzzer exit $1; input saved under $art (see $log)"
  exit 1
}

if [ -n "${WAPF_FUZZ_SECONDS:-}" ]; then
  work=$build/work/$name
  mkdir -p "$work"
  rc=0
  "$exe" -max_total_time="$WAPF_FUZZ_SECONDS" -print_final_stats=1 \
    "${limits[@]}" "$work" "$@" >"$log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || fail "$rc" "exploration"
  done=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
  echo "$name: ${done% *} executions in ${done#* } s, $cov," \
    "work corpus $(find "$work" -type f | wc -l) inputs"
  exit 0
fi

# Replay: every kept input once, in name order.
mapfile -d '' kept < <(find "$@" -type f ! -name '*.md' -print0 | sort -z)
rc=0
"$exe" "${limits[@]}" "${kept[@]}" >"$log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "$rc" "replay of the kept inputs"
replayed=$(grep -c '^Executed ' "$log" || true)
[ "$replayed" -eq "${#kept[@]}" ] || fail 0 "replayed $replayed of ${#kept[@]}"

# Fixed seed, fixed number of runs, from the seed folders alone.
seed=${WAPF_FUZZ_SEED:-1}
work=$build/work/$name.fixed
rm -rf "$work"
mkdir -p "$work"
# -use_cmp=0: the operands libFuzzer records from comparisons include
# addresses, which differ from one process to the next; -reload=0: no
# rereading of the work folder on a timer. With both, the same seed makes
# the same inputs (for the targets whose code takes no path by time).
"$exe" -seed="$seed" -runs="$runs" -use_cmp=0 -reload=0 -print_final_stats=1 \
  "${limits[@]}" "$work" "$@" >"$log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "$rc" "seed $seed, $runs runs"
done=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
echo "$name: ${#kept[@]} kept inputs replayed; seed $seed:" \
  "${done% *} executions in ${done#* } s, $cov," \
  "$(find "$work" -type f | wc -l) new inputs"
