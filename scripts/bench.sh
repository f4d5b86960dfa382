#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks: the warm loop as a user feels it, then each
# qemu/benches/*.toml in its own guest, output printed. They report figures
# measured side by side in one run and assert nothing.
#   scripts/bench.sh [--with-vng] [--loop-only] [run-qemu.sh options for the bench suites]
# --with-vng: also virtme-ng (installed from PyPI into a venv in the cache)
# against modless on the same kernel, TCG, 4 CPUs, 1 GiB, median of 5.
# --loop-only: the warm loop (and vng) only, not the suites (which boot the
# fast kernel profile, built once: 10-30 minutes).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
with_vng=0 loop_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--with-vng) with_vng=1 ;;
	--loop-only) loop_only=1 ;;
	*) break ;;
	esac
	shift
done

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

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# virtme-ng and modless side by side, interleaved, on the kernel the tests
# use (a vng kernel of its own needs `vng --kconfig` and a build): vng boots it
# with its 9p root (no virtiofsd here; no microvm, which needs virtio-mmio)
# named on the command line, which vng leaves to the kernel's default. Then
# what each says when the command fails or the kernel warns.
vng_side_by_side() {
	local venv=${MODLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modless}/vng-venv
	if [ ! -x "$venv/bin/vng" ]; then
		echo "bench: installing virtme-ng from PyPI into $venv" >&2
		python3 -m venv "$venv"
		"$venv/bin/pip" install -q virtme-ng
	fi
	local tree i start rc vng_ms=() ml_ms=() vng_rc=()
	tree=$("$repo/target/debug/modless-qemu" --print-kernel-tree)
	# vng runs its helpers (virtme-run) from PATH.
	local vng=(env "PATH=$venv/bin:$PATH" vng --run "$tree/arch/x86/boot/bzImage" --disable-kvm
		--disable-microvm --force-9p --cpus 4 --memory 1G --append root=/dev/root)
	for i in 1 2 3 4 5; do
		start=$(date +%s%N)
		rc=0
		"${vng[@]}" --exec true >/dev/null 2>&1 || rc=$?
		vng_ms+=("$(ms_since "$start")")
		vng_rc+=("$rc")
		start=$(date +%s%N)
		"$repo/scripts/run-qemu.sh" --cpus 4 --mem 1G -- true >/dev/null 2>&1
		ml_ms+=("$(ms_since "$start")")
	done
	local v m
	v=$(median "${vng_ms[@]}")
	m=$(median "${ml_ms[@]}")
	printf '%s --exec true %d ms (exit statuses %s), scripts/run-qemu.sh -- true %d ms; median of 5, interleaved, kernel %s, TCG, 4 CPUs, 1 GiB: vng/modless %s\n' \
		"$("$venv/bin/vng" --version)" "$v" "${vng_rc[*]}" "$m" "$(basename "$(dirname "$tree")")" \
		"$(awk -v v="$v" -v m="$m" 'BEGIN { printf "%.2f", v / m }')"
	local warn='echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT'
	local vs=0 ms=0 vw=0 mw=0
	"${vng[@]}" --exec 'exit 3' >/dev/null 2>&1 || vs=$?
	"$repo/scripts/run-qemu.sh" -- sh -c 'exit 3' >/dev/null 2>&1 || ms=$?
	"${vng[@]}" --exec "mount -t debugfs d /sys/kernel/debug 2>/dev/null; $warn" >/dev/null 2>&1 || vw=$?
	"$repo/scripts/run-qemu.sh" -- sh -c "$warn" >/dev/null 2>&1 || mw=$?
	echo "  exit status of 'exit 3': vng $vs, modless $ms; of a command during which the kernel WARNs (LKDTM): vng $vw, modless $mw"
}
[ "$with_vng" = 0 ] || vng_side_by_side
[ "$loop_only" = 0 ] || exit 0

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
