#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything modless tests, in the order a failure is cheapest to read:
# the host tier (unit and property tests: no kernel needed), the guest matrix
# (qemu/matrix.toml: every kernel x suite cell it says runs, the others
# reported with its reason; it builds or reuses each kernel: 7.3, Debian's
# prebuilt 7.3 image, bookworm's 6.12, and 7.3 with examples/bpf_oom/patches
# for the OOM suite), the warm-build check, then the host tests that need a
# built kernel (`#[ignore = "needs a built kernel ..."]`, run here with --ignored).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/deps.sh
cargo test --workspace

scripts/run-qemu.sh --matrix qemu/matrix.toml
# Tests that build BPF or modules do so for the reference kernel (the matrix
# left the modules built for the last kernel it booted: build them again).
MODLESS_KERNEL_TREE=$(target/debug/modless-qemu --print-kernel-tree)
export MODLESS_KERNEL_TREE
scripts/build-modules.sh "$MODLESS_KERNEL_TREE"
scripts/check-warm-build.sh
cargo test --workspace -- --ignored
