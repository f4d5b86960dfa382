#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build every out-of-tree module of the repository (each directory named
# module/ with a Kbuild file) against a built kernel tree, warning-free at W=1.
#   scripts/build-modules.sh [--keep-going] KERNEL_TREE
# --keep-going reports a module that does not build (e.g. against an older
# kernel than the glue targets) and goes on with the others.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep_going=0
if [ "${1:-}" = --keep-going ]; then
	keep_going=1
	shift
fi
tree=${1:?usage: build-modules.sh [--keep-going] KERNEL_TREE}
fail() {
	echo "build-modules: $*" >&2
	[ "$keep_going" = 1 ] || exit 1
}
jobs=$(($(nproc) + 1))

find "$repo" -path "$repo/target" -prune -o -path '*/module/Kbuild' -print | sort | while read -r kbuild; do
	dir=$(dirname "$kbuild")
	log=$(mktemp)
	if ! make -s -C "$tree" M="$dir" W=1 -j"$jobs" modules >"$log" 2>&1; then
		grep -E 'error' "$log" | head -20 >&2
		fail "$dir failed to build against $tree (full log: $log)"
		continue
	fi
	# Warnings fail the build too: generated glue must be W=1-clean.
	if grep -E 'warning:' "$log" >&2; then
		fail "$dir has W=1 warnings"
	fi
	rm -f "$log"
	echo "build-modules: built $(cd "$dir" && ls ./*.ko | tr '\n' ' ')" >&2
done
