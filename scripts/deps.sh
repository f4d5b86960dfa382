#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what modless needs on a Debian 12 host: QEMU 10 from bookworm-backports,
# the 7.3 kernel source from trixie-backports, clang-19 for BPF, pahole for BTF,
# and the kernel build dependencies. As root it installs; otherwise it prints
# the command to run. Extra linux-source versions: MODLESS_KERNEL_VERSIONS="6.12".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# A build that runs out of disk fails as SIGBUS in the linker or a truncated
# kernel tree, neither of which names the cause: refuse first, with the numbers.
# A clean target/ takes ~8 GiB and each kernel tree the harness builds ~3.5 GiB
# (7.3, 6.12 and the OOM suite's patched 7.3 on a fresh machine); the floor is
# what one link and one kernel build cannot do without.
min_gib=${MODLESS_MIN_FREE_GIB:-6}
if ! [[ $min_gib =~ ^[0-9]+$ ]]; then
	echo "deps: MODLESS_MIN_FREE_GIB must be a whole number of GiB, not '$min_gib'" >&2
	exit 1
fi
cache=${MODLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modless}
mkdir -p "$cache"
for dir in "${CARGO_TARGET_DIR:-$here/..}" "$cache"; do
	free_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
	if [ "$free_kib" -lt $((min_gib * 1024 * 1024)) ]; then
		echo "deps: $(realpath "$dir") has $((free_kib / 1024 / 1024)) GiB free; modless needs $min_gib GiB" \
			"there (a fresh machine's build and kernels take ~20 GiB): free some space and run this again" >&2
		exit 1
	fi
done

packages=(
	bc bison flex cpio xz-utils make gcc libc6-dev libelf-dev libssl-dev zlib1g-dev
	pkg-config pahole clang-19 llvm-19 busybox-static kmod patch gdb
)
backports=(qemu-system-x86)
trixie=(linux-source-7.3)
for v in ${MODLESS_KERNEL_VERSIONS:-}; do
	[ "$v" = 7.3 ] || packages+=("linux-source-$v")
done

# One dpkg-query for every package: this runs before each run-qemu.sh.
installed=$(dpkg-query -W -f '${Package} ${Status}\n' 2>/dev/null | awk '$NF == "installed" { print $1 }')
missing() {
	local p
	for p in "$@"; do
		[[ $'\n'$installed$'\n' == *$'\n'$p$'\n'* ]] || echo "$p"
	done
}

need=$(missing "${packages[@]}")
need_bpo=$(missing "${backports[@]}")
need_trixie=$(missing "${trixie[@]}")
# bookworm's own QEMU (7.2) is too old for the guest: insist on the backport.
if [ -z "$need_bpo" ] && ! qemu-system-x86_64 --version 2>/dev/null | grep -qE 'version (9|[1-9][0-9])\.'; then
	need_bpo=qemu-system-x86
fi
[ -z "$need$need_bpo$need_trixie" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "modless needs packages that are not installed. As root, run:" >&2
	echo "  $here/deps.sh" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"$here/apt-backports.sh"
echo "deps: apt-get update" >&2
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package lists is intended
{
	[ -z "$need" ] || apt-get install -y -qq --no-install-recommends $need
	[ -z "$need_bpo" ] || apt-get install -y -qq --no-install-recommends -t bookworm-backports $need_bpo
	[ -z "$need_trixie" ] || apt-get install -y -qq --no-install-recommends -t trixie-backports $need_trixie
} >&2
