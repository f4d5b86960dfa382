// SPDX-License-Identifier: GPL-2.0
/*
 * A sched_ext scheduler that queues every task on the DSQ and with the
 * slice held in `const volatile` globals the loader fills from the kernel's
 * BTF (scx's `__SCX_*` convention). Left at 0 the DSQ id names no DSQ and
 * sched_ext ejects the scheduler ("non-existent DSQ").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "scx_uei.h"

char _license[] SEC("license") = "GPL";

const volatile u64 __SCX_DSQ_GLOBAL;
const volatile u64 __SCX_SLICE_DFL;

SEC("struct_ops/enum_enqueue")
void BPF_PROG(enum_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dsq_insert(p, __SCX_DSQ_GLOBAL, __SCX_SLICE_DFL, enq_flags);
}

MODLESS_UEI_EXIT(enum_exit)

SEC(".struct_ops.link")
struct sched_ext_ops modless_enum = {
	.enqueue = (void *)enum_enqueue,
	.exit = (void *)enum_exit,
	.name = "modless_enum",
};
