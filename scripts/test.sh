#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything modless tests, in the order a failure is cheapest to read:
# the host tier (unit and property tests: no kernel needed), the guest suites
# (which also build or reuse the kernel), Debian's prebuilt image, bookworm's
# 6.12 (a kernel matrix: every suite but dombal, whose sched_ext kfuncs are
# 6.13+), the BPF OOM suite on 7.3 with examples/bpf_oom/patches, the
# warm-build check, then the host tests that need a built kernel
# (`#[ignore = "needs a built kernel ..."]`, run here with --ignored).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/deps.sh
cargo test --workspace

scripts/run-qemu.sh
# Debian's prebuilt 7.3 image too (its 9p, veth and netem modules go in through
# an initramfs); tcp_brutal there is the same brutal.bpf.o on a stock kernel.
scripts/run-qemu.sh --kernel "$(scripts/debian-kernel.sh)" --suite qemu/suites/smoke.toml \
	--suite qemu/suites/tcp_brutal.toml
scripts/run-qemu.sh --kernel-version 6.12 --suite qemu/suites/smoke.toml \
	--suite qemu/suites/topology.toml --suite qemu/suites/jobd.toml --suite qemu/suites/loader.toml \
	--suite qemu/suites/tcp_brutal.toml
# The BPF OOM example on its own kernel: Debian's 7.3 + examples/bpf_oom/patches
# (one more kernel build, cached by the patches' contents).
scripts/run-qemu.sh --suite examples/bpf_oom/suite.toml
# Tests that build BPF or modules do so for the kernel the suites ran on
# (and use its modules: build them for it again after the 6.12 run).
MODLESS_KERNEL_TREE=$(target/debug/modless-qemu --print-kernel-tree)
export MODLESS_KERNEL_TREE
scripts/build-modules.sh "$MODLESS_KERNEL_TREE"
scripts/check-warm-build.sh
cargo test --workspace -- --ignored
