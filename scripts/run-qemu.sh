#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The front door to the modless QEMU harness.
#
#   scripts/run-qemu.sh [options]                 build what is needed, run the smoke/demo suite
#   scripts/run-qemu.sh [options] -- CMD ARGS...  run CMD in the guest (cwd as here), exit with its status
#   scripts/run-qemu.sh [options] --shell         an interactive shell in the guest (cwd as here)
#   scripts/run-qemu.sh --help                    every option (--timeout, --json, --cpus, --mem,
#                                                 --numa, --kernel, --kernel-tree, --kernel-version ...)
#   scripts/run-qemu.sh --kernel-patch DIR|FILE [--kernel-config CONFIG_X=y] -- CMD
#                                                 Debian's source + modless's config + the patches
#                                                 (a DIR: its *.patch in name order), cached by all three
#   scripts/run-qemu.sh --matrix qemu/matrix.toml [--kernels A,B] [--suites X,Y] [--topologies 1,2x2]
#                                                 every kernel x suite cell the file says runs, and
#                                                 why each other cell does not; a table at the end
#
# As root it installs missing packages (see scripts/deps.sh); otherwise it
# prints the command to run. Exit status 124: timeout; 125: the guest failed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

# Modules and binaries for the kernel that boots (TREE; "-" for an image,
# which has no tree: its modules come from its distribution).
prepare_kernel() {
	local tree=$1 bpf_tree=$MODLESS_KERNEL_TREE
	if [ "$tree" = "$MODLESS_KERNEL_TREE" ]; then
		"$repo/scripts/build-modules.sh" "$tree"
	elif [ "$tree" != - ]; then
		"$repo/scripts/build-modules.sh" --keep-going "$tree"
	fi
	# A patched kernel has types the reference lacks (a patch's struct_ops):
	# BPF programs of this run compile against it. Switching between plain
	# and patched runs rebuilds the BPF objects once each way.
	case "$tree" in
	*/kernels-custom/*) bpf_tree=$tree ;;
	esac
	# The guest runs the host's binaries from this tree: build them all first
	# (cargo's progress shows; with nothing changed it is one "Finished" line).
	echo "run-qemu: building the workspace's binaries (cargo build --workspace --bins)" >&2
	MODLESS_KERNEL_TREE=$bpf_tree cargo build --manifest-path "$repo/Cargo.toml" --workspace --bins
}

# The matrix runner calls back here before each kernel's first boot
# (MODLESS_QEMU_PREPARE, set below), with $MODLESS_KERNEL_TREE exported.
if [ "${1:-}" = --prepare-kernel ]; then
	prepare_kernel "${2:?usage: run-qemu.sh --prepare-kernel TREE|-}"
	exit
fi

help=0 shell=0 matrix=0 versions="" kernel_args=() suite_args=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case "${args[i]}" in
	--) break ;;
	-h | --help) help=1 ;;
	--shell) shell=1 ;;
	--matrix | --matrix=*) matrix=1 ;;
	# Patches are read from the repository root when no command is given:
	# hand them over as absolute paths.
	--kernel-patch)
		args[i + 1]=$(realpath -m -- "${args[i + 1]:-}")
		kernel_args+=("${args[i]}" "${args[i + 1]}")
		;;
	--kernel-patch=*)
		args[i]="--kernel-patch=$(realpath -m -- "${args[i]#*=}")"
		kernel_args+=("${args[i]}")
		;;
	--suite) suite_args+=("${args[i]}" "${args[i + 1]:-}") ;;
	--suite=*) suite_args+=("${args[i]}") ;;
	--kernel | --kernel-tree | --kernel-profile | --kernel-config) kernel_args+=("${args[i]}" "${args[i + 1]:-}") ;;
	--kernel-version)
		versions="${args[i + 1]:-}"
		kernel_args+=("${args[i]}" "$versions")
		;;
	--kernel=* | --kernel-tree=* | --kernel-profile=* | --kernel-config=*) kernel_args+=("${args[i]}") ;;
	--kernel-version=*)
		versions="${args[i]#*=}"
		kernel_args+=("${args[i]}")
		;;
	esac
done

bin="$repo/target/debug/modless-qemu"
cargo build -q --manifest-path "$repo/Cargo.toml" -p modless-qemu
if [ "$help" = 1 ]; then
	exec "$bin" --help
fi
# A matrix file and its suites are named relative to the repository root.
if [ "$matrix" = 1 ]; then
	cd "$repo"
	versions=$("$bin" "${args[@]}" --print-kernel-versions | tr '\n' ' ')
fi

MODLESS_KERNEL_VERSIONS="$versions" "$repo/scripts/deps.sh"

# Build (or reuse) the reference kernel first: BPF programs are compiled
# against its BTF (CO-RE carries them to other kernels).
MODLESS_KERNEL_TREE=$("$bin" --print-kernel-tree)
export MODLESS_KERNEL_TREE
if [ "$matrix" = 1 ]; then
	# Each kernel of the matrix is prepared by the runner, through this script.
	MODLESS_QEMU_PREPARE="$repo/scripts/run-qemu.sh" exec "$bin" "${args[@]}"
fi
# Modules must match the kernel that boots: build them against its tree
# (a patched kernel, its own or a suite's [kernel] table, is built here).
# A bare image (--kernel) has none; its modules come from its distribution.
case " ${kernel_args[*]:-} " in
*" --kernel "* | *" --kernel="*) boot_tree=- ;;
*)
	boot_tree=$MODLESS_KERNEL_TREE
	if [ ${#kernel_args[@]} -gt 0 ] || [ ${#suite_args[@]} -gt 0 ]; then
		boot_tree=$("$bin" --print-kernel-tree ${kernel_args[@]+"${kernel_args[@]}"} ${suite_args[@]+"${suite_args[@]}"})
	fi
	;;
esac
prepare_kernel "$boot_tree"

# A command or the shell runs in the caller's directory.
[ "$shell" = 1 ] && exec "$bin" "${args[@]}"
for a in "${args[@]}"; do
	[ "$a" = -- ] && exec "$bin" "${args[@]}"
done
# No command: the suite runs from the repository root.
cd "$repo"
exec "$bin" ${args[@]+"${args[@]}"}
