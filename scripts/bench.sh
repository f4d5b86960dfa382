#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks: each qemu/benches/*.toml in its own guest, output printed.
# They report ratios measured side by side in one run and assert nothing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
suites=()
for b in "$repo"/qemu/benches/*.toml; do
	suites+=(--suite "$b")
done
# The fast kernel profile: lockdep and UBSAN would dominate every figure.
exec "$repo/scripts/run-qemu.sh" --kernel-profile fast --verbose "${suites[@]}" "$@"
