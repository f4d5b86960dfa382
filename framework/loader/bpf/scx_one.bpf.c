// SPDX-License-Identifier: GPL-2.0
/*
 * One sched_ext scheduler with no callbacks (the kernel's defaults run): an
 * object modless did not generate, for `modless load`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

SEC(".struct_ops.link")
struct sched_ext_ops modless_load = {
	.name = "modless_load",
};
