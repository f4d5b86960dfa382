#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks: the warm loop as a user feels it, then each
# qemu/benches/*.toml in its own guest, output printed. They report figures
# measured side by side in one run and assert nothing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

median() {
	printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"
}

# `scripts/run-qemu.sh -- true` with the kernel cached and nothing changed
# (the test kernel, as a developer runs it), next to the harness's own boot +
# run time from its summary line: the difference is the wrapper's overhead.
warm_loop() {
	local i start out walls=() harness=()
	"$repo/scripts/run-qemu.sh" -- true >/dev/null 2>&1
	for i in 1 2 3 4 5; do
		start=$(date +%s%N)
		out=$("$repo/scripts/run-qemu.sh" -- true 2>&1)
		walls+=("$((($(date +%s%N) - start) / 1000000))")
		harness+=("$(sed -n 's/.*, total \([0-9.]*\) s$/\1/p' <<<"$out" | tail -1)")
	done
	local wall_ms harness_ms
	wall_ms=$(median "${walls[@]}")
	harness_ms=$(median "${harness[@]}" | awk '{ printf "%d", $1 * 1000 }')
	printf 'warm loop: scripts/run-qemu.sh -- true %d ms, harness boot + run %d ms, wrapper %d ms (median of 5)\n' \
		"$wall_ms" "$harness_ms" "$((wall_ms - harness_ms))"
}
warm_loop

suites=()
for b in "$repo"/qemu/benches/*.toml; do
	suites+=(--suite "$b")
done
# The fast kernel profile: lockdep and UBSAN would dominate every figure.
exec "$repo/scripts/run-qemu.sh" --kernel-profile fast --verbose "${suites[@]}" "$@"
