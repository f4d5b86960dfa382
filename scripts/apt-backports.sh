#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Add the backports suites modless needs (bookworm-backports for QEMU 10,
# trixie-backports for linux-source-7.3), using the mirror the host already
# uses for Debian itself. Idempotent; needs root.
set -euo pipefail

list=/etc/apt/sources.list.d/modless-backports.sources
[ -f "$list" ] && exit 0

mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	# The first deb822 stanza whose Suites name plain "bookworm" carries the main mirror.
	mirror=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |\n|$)/ && !/security/ {
		if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit } }' "$f")
	[ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
	mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
	echo "apt-backports: no bookworm mirror found in /etc/apt/sources.list{,.d}" >&2
	exit 1
fi

cat >"$list" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
echo "apt-backports: added bookworm-backports and trixie-backports from $mirror"
