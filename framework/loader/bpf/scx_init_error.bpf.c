// SPDX-License-Identifier: GPL-2.0
/*
 * A sched_ext scheduler whose ops.init calls scx_bpf_error() and fails:
 * `modless load` must end at once, non-zero, with the message.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "scx_uei.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/refuse_init")
s32 BPF_PROG(refuse_init)
{
	static char fmt[] = "modless test: init refuses to start (%llu)";
	unsigned long long args[1] = { 7 };

	scx_bpf_error_bstr(fmt, args, sizeof(args));
	return -22;
}

MODLESS_UEI_EXIT(refuse_exit)

SEC(".struct_ops.link")
struct sched_ext_ops modless_refuse = {
	.init = (void *)refuse_init,
	.exit = (void *)refuse_exit,
	.name = "modless_refuse",
};
