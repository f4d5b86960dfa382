#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything modless tests, in the order a failure is cheapest to read:
# the guest smoke/demo suite (which also builds or reuses the kernel), then the
# workspace's unit, property and in-guest harness tests.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/run-qemu.sh
cargo test --workspace
