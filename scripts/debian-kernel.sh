#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's prebuilt kernel image and modules (not installed: unpacked into
# the modless cache) and print the image's path, for
#   scripts/run-qemu.sh --kernel "$(scripts/debian-kernel.sh)"
# Usage: debian-kernel.sh [FLAVOUR-VERSION], default: the 7.3 amd64 image of trixie-backports.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${MODLESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modless}/debian-kernels

# The newest 7.3 amd64 image the configured suites offer, unless one is named.
want=${1:-}
if [ -z "$want" ]; then
	"$here/apt-backports.sh" >&2
	want=$(apt-cache search --names-only '^linux-binary-7\.3\.[0-9]+\+deb13-amd64$' |
		awk '{print $1}' | sed 's/^linux-binary-//' | sort -V | tail -1)
	if [ -z "$want" ]; then
		apt-get update -qq >&2
		want=$(apt-cache search --names-only '^linux-binary-7\.3\.[0-9]+\+deb13-amd64$' |
			awk '{print $1}' | sed 's/^linux-binary-//' | sort -V | tail -1)
	fi
	[ -n "$want" ] || { echo "debian-kernel: no linux-binary-7.3.*-amd64 package found" >&2; exit 1; }
fi

dir="$cache/$want"
image="$dir/usr/lib/modules/$want/vmlinuz"
if [ ! -f "$image" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	chmod 0777 "$tmp" # apt's download user writes there
	(cd "$tmp" && apt-get download -q "linux-binary-$want" "linux-modules-$want" >&2)
	mkdir -p "$dir"
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
fi
echo "$image"
