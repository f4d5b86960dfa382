#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything modless tests, in the order a failure is cheapest to read:
# the guest smoke/demo suite (which also builds or reuses the kernel), then the
# workspace's unit, property and in-guest harness tests.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/run-qemu.sh
# Debian's prebuilt 7.3 image too (its 9p modules go in through an initramfs).
scripts/run-qemu.sh --kernel "$(scripts/debian-kernel.sh)" --suite qemu/suites/smoke.toml
# Tests that build BPF or modules do so for the kernel the suites ran on.
MODLESS_KERNEL_TREE=$(target/debug/modless-qemu --print-kernel-tree)
export MODLESS_KERNEL_TREE
cargo test --workspace
