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

# What a module was last built against: the tree and its vmlinux's build.
tree_id="$tree $(stat -c %Y "$tree/vmlinux" 2>/dev/null || echo none)"

# A module is up to date when it was built against this tree and no source
# beside it (its directory and its siblings, e.g. ../generated) is newer than
# its .ko: then even kbuild's no-op pass (a second or more) is skipped.
up_to_date() {
	local dir=$1 ko
	[ "$(cat "$dir/.modless-built" 2>/dev/null)" = "$tree_id" ] || return 1
	for ko in "$dir"/*.ko; do
		[ -f "$ko" ] || return 1
		[ -z "$(find "$(dirname "$dir")" -path '*/target' -prune -o -type f \
			! -name '*.o' ! -name '*.ko' ! -name '*.mod' ! -name '*.mod.c' ! -name '.*' \
			! -name modules.order ! -name Module.symvers -newer "$ko" -print -quit)" ] || return 1
	done
}

find "$repo" -path "$repo/target" -prune -o -path '*/module/Kbuild' -print | sort | while read -r kbuild; do
	dir=$(dirname "$kbuild")
	if up_to_date "$dir"; then
		echo "build-modules: $(cd "$dir" && ls ./*.ko | tr '\n' ' ')up to date" >&2
		continue
	fi
	rm -f "$dir/.modless-built"
	log=$(mktemp)
	if ! make -s -C "$tree" M="$dir" W=1 -j"$jobs" modules >"$log" 2>&1; then
		grep -iE 'error' "$log" | head -20 >&2 || true
		fail "$dir failed to build against $tree (full log: $log)"
		continue
	fi
	# Warnings fail the build too: generated glue must be W=1-clean.
	if grep -E 'warning:' "$log" >&2; then
		# Objects kept would make the next (no-op) build look clean.
		make -s -C "$tree" M="$dir" clean >/dev/null 2>&1 || true
		fail "$dir has W=1 warnings"
		continue
	fi
	rm -f "$log"
	echo "$tree_id" >"$dir/.modless-built"
	echo "build-modules: built $(cd "$dir" && ls ./*.ko | tr '\n' ' ')" >&2
done
