// SPDX-License-Identifier: GPL-2.0
/*
 * One sched_ext scheduler with no scheduling callbacks (the kernel's
 * defaults run): an object modless did not generate, for `modless load`.
 * Its exit op keeps sched_ext's exit info in a UEI-style `uei` global, the
 * record the loader reads after the detach.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "scx_uei.h"

char _license[] SEC("license") = "GPL";

MODLESS_UEI_EXIT(one_exit)

SEC(".struct_ops.link")
struct sched_ext_ops modless_load = {
	.exit = (void *)one_exit,
	.name = "modless_load",
};
