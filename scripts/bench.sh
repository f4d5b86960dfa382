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
# Then where the harness's time goes, from the milestones of its --json
# report (host seconds since QEMU started; see qemu/README.md).
phase() { # KEY FILE: the value of "KEY": in the pretty-printed report
	sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$2" | head -1
}
warm_loop() {
	local i start out walls=() harness=() json
	local first=() user=() tst=() end=() fin=()
	json=$(mktemp)
	"$repo/scripts/run-qemu.sh" -- true >/dev/null 2>&1
	for i in 1 2 3 4 5; do
		start=$(date +%s%N)
		out=$("$repo/scripts/run-qemu.sh" --json "$json" -- true 2>&1)
		walls+=("$((($(date +%s%N) - start) / 1000000))")
		harness+=("$(sed -n 's/.*, total \([0-9.]*\) s$/\1/p' <<<"$out" | tail -1)")
		first+=("$(phase first_console_s "$json")")
		user+=("$(phase userspace_s "$json")")
		tst+=("$(phase first_test_s "$json")")
		end+=("$(phase last_test_end_s "$json")")
		fin+=("$(phase done_s "$json")")
	done
	rm -f "$json"
	local wall_ms harness_ms
	wall_ms=$(median "${walls[@]}")
	harness_ms=$(median "${harness[@]}" | awk '{ printf "%d", $1 * 1000 }')
	printf 'warm loop: scripts/run-qemu.sh -- true %d ms, harness boot + run %d ms, wrapper %d ms (median of 5)\n' \
		"$wall_ms" "$harness_ms" "$((wall_ms - harness_ms))"
	awk -v f="$(median "${first[@]}")" -v u="$(median "${user[@]}")" -v t="$(median "${tst[@]}")" \
		-v e="$(median "${end[@]}")" -v d="$(median "${fin[@]}")" 'BEGIN {
		printf "  where it goes (s, medians): QEMU + firmware + decompression %.2f, kernel to init %.2f, ", f, u - f
		printf "init mounts %.2f, the test %.2f, log + reboot %.2f\n", t - u, e - t, d - e
	}'
}
warm_loop

suites=()
for b in "$repo"/qemu/benches/*.toml; do
	suites+=(--suite "$b")
done
# The fast kernel profile: lockdep and UBSAN would dominate every figure
# (unless the caller names a profile, e.g. --kernel-profile debug to measure
# on the test kernel without building the fast one).
profile=(--kernel-profile fast)
for a in "$@"; do
	case $a in
	--kernel-profile | --kernel-profile=*) profile=() ;;
	esac
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
"$repo/scripts/run-qemu.sh" ${profile[@]+"${profile[@]}"} --verbose "${suites[@]}" "$@" 2>&1 | tee "$out" ||
	status=$?

# Last, the dispatch bench's three ratios (qemu/benches/dispatch.toml), as
# it printed them, for scripts to read: attached op vs fentry, idle call vs
# the default called directly, job path with idle hook sites vs none.
summary=()
for key in "P1 attached ratio" "P1 idle ratio" "P2 real-path ratio"; do
	line=$(grep -o "$key [0-9.]*" "$out" | tail -1 || true)
	if [ -z "$line" ]; then
		echo "bench: the dispatch bench printed no \"$key\" line" >&2
		exit 1
	fi
	summary+=("$line")
done
printf '%s\n' "${summary[@]}"
exit "$status"
