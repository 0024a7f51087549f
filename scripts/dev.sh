#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The project's one entry point for set-up, the demo and the tests.
#   scripts/dev.sh demo   install what is missing, build, batch samples/ into out/
#   scripts/dev.sh test   install what is missing, build, run every test
#                         (plain build, AddressSanitizer+UBSan build, then
#                         every fuzz target replaying its kept inputs and
#                         making a fixed number of runs from a fixed seed)
#   scripts/dev.sh setup  install and build only
#   scripts/dev.sh fuzz [SECONDS]
#                         explore: every fuzz target for SECONDS (default 60)
#                         from a random seed on the clang libFuzzer+ASan+UBSan
#                         build (build-fuzz); what it finds is kept in
#                         tests/fuzz/regress/ once fixed (tests/fuzz/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }

install_missing() {
  local missing=() p
  for p in $(grep -v '^\s*#' scripts/deps.txt); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages (run as root to install): ${missing[*]}" >&2
    exit 2
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_dir() { # build_dir DIR [meson options...]
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    log "configuring $dir"
    meson setup "$dir" -Dwerror=true "$@" >/dev/null
  fi
  log "building $dir"
  ninja -C "$dir" >/dev/null
}

# The Node packages of the serve test (axios, form-data) from the committed
# package-lock.json, only when missing; without node the test skips.
node_packages() {
  local dir=tests/serve
  [ -d "$dir/node_modules/axios" ] && [ -d "$dir/node_modules/form-data" ] &&
    return 0
  if ! command -v npm >/dev/null; then
    if command -v node >/dev/null && [ "$(id -u)" = 0 ]; then
      log "installing npm"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null ||
        true
    fi
    command -v npm >/dev/null || {
      log "npm missing: the serve Node test will skip"
      return 0
    }
  fi
  log "npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
    log "npm ci failed: the serve Node test will skip"
}

setup() {
  install_missing
  node_packages
  build_dir build
}

demo() {
  setup
  log "wa-preflight batch samples out"
  build/tools/wa-preflight batch samples out || true
  log "wa-preflight check out/* (every output, independently of the batch)"
  find out -path out/.wa-preflight -prune -o -type f ! -name '*.md' -print0 |
    sort -z | xargs -0 build/tools/wa-preflight check || true
}

# meson test, then print the closing counts from its JSON log. Three at a
# time on two cores: many tests wait (on servers, leases, kills) and two
# left the cores a fifth idle.
run_suite() { # run_suite DIR [meson test options...]
  local dir=$1
  shift
  log "testing $dir"
  meson test -C "$dir" --print-errorlogs --num-processes 3 "$@" || true
}

count() { # count DIR... -> "passed failed skipped"
  python3 - "$@" <<'PY'
import json, sys
p = f = s = 0
for d in sys.argv[1:]:
    try:
        lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        f += 1
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r == "SKIP":
            s += 1
        else:
            f += 1
print(p, f, s)
PY
}

# The libFuzzer build: clang, ASan+UBSan, coverage for libFuzzer in every
# object; only the fuzz targets are built. Warnings are not errors here
# (the gcc builds hold -Werror; clang warns differently).
fuzz_build() {
  if [ ! -f build-fuzz/build.ninja ]; then
    log "configuring build-fuzz"
    CC=clang meson setup build-fuzz -Db_sanitize=address,undefined \
      -Db_lundef=false -Dbuildtype=debugoptimized \
      -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
  fi
  log "building build-fuzz (fuzz targets)"
  local t
  t=$(ninja -C build-fuzz -t targets all |
    sed -n 's/^\(tests\/fuzz\/fuzz_[a-z0-9_]*\): .*/\1/p' | sort -u)
  # shellcheck disable=SC2086
  ninja -C build-fuzz $t >/dev/null
}

# Each target (the probe once per family), two at a time: with SECONDS,
# exploration for that long; without, the reproducible run (kept inputs
# replayed, then a fixed seed and number of runs; tests/fuzz/meson.build).
fuzz_run() { # fuzz_run [SECONDS]
  if [ -n "${1:-}" ]; then
    log "fuzzing each target for $1 s (exploration)"
    export WAPF_FUZZ_SECONDS=$1
  else
    log "fuzzing each target: kept inputs, then a fixed seed and run count"
    unset WAPF_FUZZ_SECONDS
  fi
  meson test -C build-fuzz --no-rebuild \
    --suite fuzz-run --num-processes 2 --print-errorlogs || true
  python3 - build-fuzz <<'PY'
import json, sys
for line in open(f"{sys.argv[1]}/meson-logs/testlog.json"):
    r = json.loads(line)
    out = (r.get("stdout") or "").strip().splitlines()
    print(f"  {r['result']:5} {out[-1] if out else r['name']}")
PY
}

fuzz() {
  install_missing
  fuzz_build
  fuzz_run "${1:-60}"
  read -r passed failed skipped <<<"$(count build-fuzz)"
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
}

tests() {
  setup
  # the media the tests generate (ffmpeg recipes, keyed by their hash) are
  # made once for both builds
  export WAPF_FIXTURES=$PWD/build/fixtures
  run_suite build
  build_dir build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug
  run_suite build-asan --no-suite slow --timeout-multiplier 4
  fuzz_build
  fuzz_run
  read -r passed failed skipped <<<"$(count build build-asan build-fuzz)"
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
}

case "${1:-}" in
setup) setup ;;
demo) demo ;;
test) tests ;;
fuzz) fuzz "${2:-60}" ;;
*)
  echo "usage: scripts/dev.sh setup|demo|test|fuzz [SECONDS]" >&2
  exit 2
  ;;
esac
