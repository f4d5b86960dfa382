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
# The host's 1-minute load average: every figure here moves with it.
load1() { cut -d' ' -f1 /proc/loadavg; }

# `scripts/run-qemu.sh -- true` with the kernel cached and nothing changed
# (the test kernel, as a developer runs it), next to the harness's own boot +
# run time from its summary line: the difference is the wrapper's overhead.
# Then where the harness's time goes, from the milestones of its --json
# report (host seconds since QEMU started; see qemu/README.md). Once as runs
# go by default (the kernel's saved boot restored), once with --cold-boot.
phase() { # KEY FILE: the value of "KEY": in the pretty-printed report
	sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$2" | head -1
}
warm_loop() { # LABEL [run-qemu.sh options]
	local label=$1 i start out walls=() harness=() json
	local first=() user=() tst=() end=() fin=() load_start
	shift
	json=$(mktemp)
	"$repo/scripts/run-qemu.sh" "$@" -- true >/dev/null 2>&1 # saves the boot if it is not
	load_start=$(load1)
	for i in 1 2 3 4 5; do
		start=$(date +%s%N)
		out=$("$repo/scripts/run-qemu.sh" "$@" --json "$json" -- true 2>&1)
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
	printf 'warm loop, %s: scripts/run-qemu.sh -- true %d ms, harness boot + run %d ms, wrapper %d ms (median of 5, load average %s -> %s)\n' \
		"$label" "$wall_ms" "$harness_ms" "$((wall_ms - harness_ms))" "$load_start" "$(load1)"
	awk -v f="$(median "${first[@]}")" -v u="$(median "${user[@]}")" -v t="$(median "${tst[@]}")" \
		-v e="$(median "${end[@]}")" -v d="$(median "${fin[@]}")" 'BEGIN {
		printf "  where it goes (s, medians): to the first console line %.2f, to init %.2f, ", f, u - f
		printf "init mounts %.2f, the test %.2f, log + reboot %.2f\n", t - u, e - t, d - e
	}'
}
warm_loop "saved boot restored"
warm_loop "cold boot" --cold-boot

# ---- virtme-ng side by side (--with-vng) --------------------------------
# Both tools boot the same bzImage: modless's config plus what vng's guest
# uses on this path (`vng --kconfig` adds far more, for devices neither run
# attaches): overlayfs for its writable overlays, virtio-console for its
# script I/O ports, and for the udevd that names those ports inotify and
# flock (tinyconfig drops FILE_LOCKING: udevd then cannot create
# /dev/virtio-ports/*). Built once through the harness, cached by content
# under kernels-custom/ like any --kernel-config kernel.
vng_kconfig=(--kernel-config CONFIG_OVERLAY_FS=y --kernel-config CONFIG_VIRTIO_CONSOLE=y
	--kernel-config CONFIG_INOTIFY_USER=y --kernel-config CONFIG_FILE_LOCKING=y)

# Runs "$@" with stdout and stderr dropped; prints "WALL_MS CPU_MS STATUS"
# (CPU: user + sys of it and its children, QEMU included).
timed() {
	local t rc=0
	t=$(mktemp)
	/usr/bin/time -o "$t" -f '%e %U %S' "$@" >/dev/null 2>&1 || rc=$?
	# The last line: GNU time puts "Command exited with non-zero status" first.
	awk -v rc="$rc" 'END { printf "%d %d %d\n", $1 * 1000, ($2 + $3) * 1000, rc }' "$t"
	rm -f "$t"
}

# vng runs its 9p root (no virtiofsd here) on q35, not microvm: modless boots
# the same image (--kernel) on pc, so both sides have a PCI machine; the root
# is named on the command line, which vng leaves to the kernel's default.
# Interleaved, median of 5 each; then what each says when the command fails
# or the kernel warns.
vng_side_by_side() {
	local venv=${MODLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modless}/vng-venv
	if [ ! -x "$venv/bin/vng" ]; then
		echo "bench: installing virtme-ng from PyPI into $venv" >&2
		python3 -m venv "$venv"
		"$venv/bin/pip" install -q virtme-ng
	fi
	if [ ! -x /usr/bin/time ]; then
		echo "bench: --with-vng needs GNU time: apt-get install time" >&2
		return 1
	fi
	# vng's guest init finds its script I/O ports by the names udev gives them
	# (/dev/virtio-ports/*), with the host's udevd: without one, every command
	# "fails" with status 255.
	if [ ! -x /lib/systemd/systemd-udevd ] && ! command -v udevd >/dev/null; then
		if [ "$(id -u)" != 0 ]; then
			echo "bench: virtme-ng needs udev in the guest (the host's): apt-get install udev" >&2
			return 1
		fi
		echo "bench: installing udev for virtme-ng's guest" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends udev >&2
	fi
	local tree image
	tree=$("$repo/target/debug/modless-qemu" --print-kernel-tree "${vng_kconfig[@]}")
	image=$tree/arch/x86/boot/bzImage
	# vng runs its helpers (virtme-run) from PATH.
	# MODLESS_VNG_ARGS: more vng options (split into words), e.g. a --rodir.
	# shellcheck disable=SC2086
	local vng=(env "PATH=$venv/bin:$PATH" vng --run "$image" --disable-kvm --disable-microvm
		--force-9p --cpus 4 --memory 1G --append root=/dev/root ${MODLESS_VNG_ARGS:-})
	local ml=("$repo/scripts/run-qemu.sh" --kernel "$image" --cpus 4 --mem 1G --accel tcg)
	"${ml[@]}" -- true >/dev/null 2>&1 # warm: cargo, the image's release, its saved boot
	local i r vw=() vc=() vs=() mw=() mc=() ms=() cw=() cc=() cs=() load_start
	load_start=$(load1)
	for i in 1 2 3 4 5; do
		read -r -a r < <(timed "${vng[@]}" --exec true)
		vw+=("${r[0]}") vc+=("${r[1]}") vs+=("${r[2]}")
		read -r -a r < <(timed "${ml[@]}" -- true)
		mw+=("${r[0]}") mc+=("${r[1]}") ms+=("${r[2]}")
		read -r -a r < <(timed "${ml[@]}" --cold-boot -- true)
		cw+=("${r[0]}") cc+=("${r[1]}") cs+=("${r[2]}")
	done
	local v m c vcpu mcpu ccpu
	v=$(median "${vw[@]}") m=$(median "${mw[@]}") c=$(median "${cw[@]}")
	vcpu=$(median "${vc[@]}") mcpu=$(median "${mc[@]}") ccpu=$(median "${cc[@]}")
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
	printf '%s --exec true: wall %d ms, CPU %d ms (exit statuses %s)\n' \
		"$("$venv/bin/vng" --version)" "$v" "$vcpu" "${vs[*]}"
	printf 'scripts/run-qemu.sh -- true (saved boot restored): wall %d ms, CPU %d ms (exit statuses %s)\n' "$m" "$mcpu" "${ms[*]}"
	printf 'scripts/run-qemu.sh --cold-boot -- true: wall %d ms, CPU %d ms (exit statuses %s)\n' "$c" "$ccpu" "${cs[*]}"
	printf 'vng/modless: wall %s, CPU %s (cold boot: wall %s, CPU %s); median of 5, interleaved, TCG, 4 CPUs, 1 GiB, kernel %s, load average %s -> %s\n' \
		"$(ratio "$v" "$m")" "$(ratio "$vcpu" "$mcpu")" "$(ratio "$v" "$c")" "$(ratio "$vcpu" "$ccpu")" \
		"$image" "$load_start" "$(load1)"
	local warn='echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT'
	local vf vx vk mf mx mk
	vf=$(timed "${vng[@]}" --exec false | cut -d' ' -f3)
	mf=$(timed "${ml[@]}" -- false | cut -d' ' -f3)
	vx=$(timed "${vng[@]}" --exec 'exit 3' | cut -d' ' -f3)
	mx=$(timed "${ml[@]}" -- sh -c 'exit 3' | cut -d' ' -f3)
	vk=$(timed "${vng[@]}" --exec "mount -t debugfs d /sys/kernel/debug 2>/dev/null; $warn" | cut -d' ' -f3)
	mk=$(timed "${ml[@]}" -- sh -c "$warn" | cut -d' ' -f3)
	echo "  exit status of 'false': vng $vf, modless $mf; of 'exit 3': vng $vx, modless $mx;" \
		"of a command during which the kernel WARNs (LKDTM): vng $vk, modless $mk"
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
