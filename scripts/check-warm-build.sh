#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The warm loop stays warm: after one build of the workspace's binaries, a
# second build with nothing changed must run no build script and compile
# nothing, also when the first build had to write its generated headers.
# Fails naming every unit cargo did not consider fresh.
#   scripts/check-warm-build.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

build() {
	cargo build -q --workspace --bins --message-format=json
}

# The headers a BPF build script generates (vmlinux.h, libbpf's) are removed
# first: a script that watches one runs again and writes it, as after a clone,
# and the build after that must be fresh too. Scripts that watch only their
# inputs are not disturbed (the headers come back when they next run).
find "${CARGO_TARGET_DIR:-target}"/debug/build/*/out \( -name vmlinux.h -o -path '*/libbpf-headers/*/bpf/*' \) \
	-type f -delete 2>/dev/null || true
build >/dev/null
stale=$(build | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and not m["fresh"]:
        print("compiled again:", m["target"]["name"], "(" + m["package_id"] + ")")
    elif m.get("reason") == "build-script-executed" and not m.get("fresh", True):
        print("build script ran again:", m["package_id"])
')
if [ -n "$stale" ]; then
	echo "check-warm-build: a second build with nothing changed was not fresh:" >&2
	echo "$stale" >&2
	echo "check-warm-build: a build script tracks a file it writes (rerun-if-changed on an output: watch its inputs instead), or rewrites an unchanged input" >&2
	exit 1
fi
echo "check-warm-build: second build fresh" >&2
