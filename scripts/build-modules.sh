#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build every out-of-tree module of the repository (each directory named
# module/ with a Kbuild file) against a built kernel tree, warning-free at W=1.
#   scripts/build-modules.sh KERNEL_TREE
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: build-modules.sh KERNEL_TREE}
jobs=$(($(nproc) + 1))

find "$repo" -path "$repo/target" -prune -o -path '*/module/Kbuild' -print | sort | while read -r kbuild; do
	dir=$(dirname "$kbuild")
	log=$(mktemp)
	if ! make -s -C "$tree" M="$dir" W=1 -j"$jobs" modules >"$log" 2>&1; then
		cat "$log" >&2
		echo "build-modules: $dir failed to build against $tree" >&2
		exit 1
	fi
	# Warnings fail the build too: generated glue must be W=1-clean.
	if grep -E 'warning:' "$log" >&2; then
		echo "build-modules: $dir has W=1 warnings" >&2
		exit 1
	fi
	rm -f "$log"
	echo "build-modules: built $(cd "$dir" && ls ./*.ko | tr '\n' ' ')" >&2
done
