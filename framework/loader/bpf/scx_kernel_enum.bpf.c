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

/* A declared counter: `modless load --stats` prints it. */
u64 enqueued __attribute__((btf_decl_tag("modless:counter")));

/* 6.13 renamed scx_bpf_dispatch to scx_bpf_dsq_insert: one object, both. */
void scx_bpf_dsq_insert___new(struct task_struct *p, u64 dsq_id, u64 slice,
			      u64 enq_flags) __ksym __weak;
void scx_bpf_dispatch___old(struct task_struct *p, u64 dsq_id, u64 slice,
			    u64 enq_flags) __ksym __weak;

SEC("struct_ops/enum_enqueue")
void BPF_PROG(enum_enqueue, struct task_struct *p, u64 enq_flags)
{
	__sync_fetch_and_add(&enqueued, 1);
	if (bpf_ksym_exists(scx_bpf_dsq_insert___new))
		scx_bpf_dsq_insert___new(p, __SCX_DSQ_GLOBAL, __SCX_SLICE_DFL, enq_flags);
	else
		scx_bpf_dispatch___old(p, __SCX_DSQ_GLOBAL, __SCX_SLICE_DFL, enq_flags);
}

MODLESS_UEI_EXIT(enum_exit)

SEC(".struct_ops.link")
struct sched_ext_ops modless_enum = {
	.enqueue = (void *)enum_enqueue,
	.exit = (void *)enum_exit,
	.name = "modless_enum",
};
