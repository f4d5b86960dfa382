// SPDX-License-Identifier: GPL-2.0
/*
 * A sched_ext scheduler that calls scx_bpf_error() once it has run for two
 * seconds (checked whenever a task starts running, whatever the number of
 * CPUs): sched_ext disables it while its link
 * stays attached, and `modless load` must end at once, non-zero, with the
 * message.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "scx_uei.h"

char _license[] SEC("license") = "GPL";

u64 start_ns;

SEC("struct_ops.s/late_init")
s32 BPF_PROG(late_init)
{
	start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("struct_ops/late_running")
void BPF_PROG(late_running, struct task_struct *p)
{
	static char fmt[] = "modless test: failing on purpose after %llu ms";
	unsigned long long ms = (bpf_ktime_get_ns() - start_ns) / 1000000;
	unsigned long long args[1] = { ms };

	if (start_ns && ms > 2000)
		scx_bpf_error_bstr(fmt, args, sizeof(args));
}

MODLESS_UEI_EXIT(late_exit)

SEC(".struct_ops.link")
struct sched_ext_ops modless_late = {
	.init = (void *)late_init,
	.running = (void *)late_running,
	.exit = (void *)late_exit,
	.name = "modless_late",
};
