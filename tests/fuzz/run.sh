#!/bin/bash
# Run one libFuzzer target for a bounded time (meson's fuzz-run suite):
#   run.sh EXE NAME BUILDDIR SEEDDIR...
# WAPF_FUZZ_SECONDS (default 20) is the run's length. New inputs go to
# BUILDDIR/work/NAME (the seed folders are only read); a crash, leak or
# timeout is saved as BUILDDIR/artifacts/NAME-* and fails the run. The last
# line says how many executions ran.
set -euo pipefail
exe=$1 name=$2 build=$3
shift 3
secs=${WAPF_FUZZ_SECONDS:-20}
work=$build/work/$name art=$build/artifacts
mkdir -p "$work" "$art"
log=$build/work/$name.log
export TMPDIR=${TMPDIR:-/tmp}
rc=0
"$exe" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$art/$name-" \
  "$work" "$@" >"$log" 2>&1 || rc=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
if [ "$rc" -ne 0 ]; then
  tail -n 60 "$log"
  echo "$name: libFuzzer exit $rc; input saved under $art (see $log)"
  exit 1
fi
echo "$name: ${runs% *} executions in ${runs#* } s, $cov, work corpus $(ls "$work" | wc -l) inputs"
