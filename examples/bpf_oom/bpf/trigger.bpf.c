// SPDX-License-Identifier: GPL-2.0
/*
 * trigger: a syscall program that declares an OOM in a memory cgroup with
 * bpf_out_of_memory(), as a userspace OOM daemon would. The attached policy
 * runs first, then the kernel's killer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bpf_oom.bpf.h"

/* include/linux/mm_types.h: a #define, so no BTF carries it */
#define MMF_OOM_SKIP 21

struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;

char _license[] SEC("license") = "GPL";

/* Set by the test before each run. */
u64 cgroup_id;
/* Declare the OOM a second time right after the first, in the same run. */
bool again;
/* With again: the OOM victim whose release the second OOM must wait for */
s32 victim_pid;
/* 1 if, after the second OOM, victim_pid was still an OOM victim holding its memory */
s64 victim_unreleased;
/* bpf_out_of_memory()'s returns, or -ENOENT (-2) if the cgroup is gone */
s64 result;
s64 result_again;

/*
 * Whether @pid is an OOM victim whose memory is not released yet: its
 * signal->oom_mm without MMF_OOM_SKIP. The flag is only ever set, so clear
 * after an OOM means clear all through it.
 */
static bool oom_victim_unreleased(s32 pid)
{
	struct task_struct *task = bpf_task_from_pid(pid);
	struct mm_struct *mm;
	unsigned long flags = 0;
	bool unreleased = false;

	if (!task)
		return false;
	mm = BPF_CORE_READ(task, signal, oom_mm);
	if (mm && !bpf_core_read(&flags, sizeof(flags), &mm->flags))
		unreleased = !(flags & (1UL << MMF_OOM_SKIP));
	bpf_task_release(task);
	return unreleased;
}

SEC("syscall")
int trigger_oom(void *ctx)
{
	struct mem_cgroup *memcg;
	struct cgroup *cgrp;

	result = -2;
	result_again = -2;
	victim_unreleased = 0;
	cgrp = bpf_cgroup_from_id(cgroup_id);
	if (!cgrp)
		return 0;
	memcg = bpf_get_mem_cgroup(&cgrp->self);
	bpf_cgroup_release(cgrp);
	if (!memcg)
		return 0;
	result = bpf_out_of_memory(memcg, 0, 0);
	if (again) {
		result_again = bpf_out_of_memory(memcg, 0, 0);
		victim_unreleased = oom_victim_unreleased(victim_pid);
	}
	bpf_put_mem_cgroup(memcg);
	return 0;
}
