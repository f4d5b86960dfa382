// SPDX-License-Identifier: GPL-2.0
/*
 * Two sched_ext schedulers with no callbacks (the kernel's defaults run):
 * sched_ext admits one at a time, so attaching the second while the first
 * runs must fail with "another instance attached".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

SEC(".struct_ops.link")
struct sched_ext_ops modless_scx_a = {
	.name = "modless_scx_a",
};

SEC(".struct_ops.link")
struct sched_ext_ops modless_scx_b = {
	.name = "modless_scx_b",
};
