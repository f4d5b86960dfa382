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

char _license[] SEC("license") = "GPL";

/* the layout scx's user_exit_info.h uses */
struct user_exit_info {
	int kind;
	s64 exit_code;
	char reason[128];
	char msg[1024];
};

struct user_exit_info uei SEC(".data");

SEC("struct_ops/one_exit")
void BPF_PROG(one_exit, struct scx_exit_info *ei)
{
	bpf_probe_read_kernel_str(uei.reason, sizeof(uei.reason), ei->reason);
	bpf_probe_read_kernel_str(uei.msg, sizeof(uei.msg), ei->msg);
	uei.exit_code = ei->exit_code;
	uei.kind = ei->kind;
}

SEC(".struct_ops.link")
struct sched_ext_ops modless_load = {
	.exit = (void *)one_exit,
	.name = "modless_load",
};
