#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The licence line of every source file:
#   scripts/spdx.sh [DIR]          add "SPDX-License-Identifier: ID" as the
#                                  first comment line of every source file
#                                  under DIR (default: the source tree) that
#                                  has none; a shebang stays first
#   scripts/spdx.sh --check [DIR]  list the source files without the line;
#                                  exit 1 when there is one
# Source files: *.c *.h *.py *.js *.sh and meson.build; build folders,
# node_modules, samples/ and the fuzz seeds and regression inputs are not
# source. Running it again changes nothing.
set -euo pipefail
ID=LGPL-2.1-or-later
TAG=SPDX-License-Identifier

check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}

sources() { # every source file under $root, NUL-separated
  find "$root" \( -name .git -o -name node_modules -o -name 'build' \
    -o -name 'build-*' -o -path '*/tests/fuzz/corpus' \
    -o -path '*/tests/fuzz/regress' -o -path "$root/samples" \
    -o -path "$root/out" \) -prune -o -type f \
    \( -name '*.[ch]' -o -name '*.py' -o -name '*.js' -o -name '*.sh' \
    -o -name meson.build \) -print0 | sort -z
}

# The line is within the first two lines (the second after a shebang).
has_line() { head -n 2 "$1" | grep -q "$TAG:"; }

comment() { # comment FILE -> the licence line in FILE's comment syntax
  case $1 in
  *.[ch]) echo "/* $TAG: $ID */" ;;
  *.js) echo "// $TAG: $ID" ;;
  *) echo "# $TAG: $ID" ;;
  esac
}

add_line() { # add_line FILE: the line first, or second after a shebang
  local f=$1 tmp line
  line=$(comment "$f")
  tmp=$(mktemp "$f.spdx.XXXXXX")
  if head -c 2 "$f" | grep -q '^#!'; then
    { head -n 1 "$f" && echo "$line" && tail -n +2 "$f"; } >"$tmp"
  else
    { echo "$line" && cat "$f"; } >"$tmp"
  fi
  chmod --reference="$f" "$tmp"
  mv "$tmp" "$f"
}

missing=0
while IFS= read -r -d '' f; do
  has_line "$f" && continue
  if [ "$check" -eq 1 ]; then
    echo "${f#"$root"/}: no $TAG line"
    missing=$((missing + 1))
  else
    add_line "$f"
  fi
done < <(sources)
[ "$missing" -eq 0 ]
