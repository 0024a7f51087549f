#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Print the version from include/wapf.h (the single source of truth).
cd "$(dirname "$0")/.." || exit 1
h=include/wapf.h
v() { sed -n "s/^#define WAPF_VERSION_$1 \([0-9]*\).*/\1/p" "$h"; }
printf '%s.%s.%s\n' "$(v MAJOR)" "$(v MINOR)" "$(v PATCH)"
