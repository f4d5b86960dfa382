// SPDX-License-Identifier: GPL-2.0
/*
 * trigger: a syscall program that declares an OOM in a memory cgroup with
 * bpf_out_of_memory(), as a userspace OOM daemon would. The attached policy
 * runs first, then the kernel's killer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpf_oom.bpf.h"

char _license[] SEC("license") = "GPL";

/* Set by the test before each run. */
u64 cgroup_id;
/* Declare the OOM a second time right after the first, in the same run. */
bool again;
/* bpf_out_of_memory()'s returns, or -ENOENT (-2) if the cgroup is gone */
s64 result;
s64 result_again;

SEC("syscall")
int trigger_oom(void *ctx)
{
	struct mem_cgroup *memcg;
	struct cgroup *cgrp;

	result = -2;
	result_again = -2;
	cgrp = bpf_cgroup_from_id(cgroup_id);
	if (!cgrp)
		return 0;
	memcg = bpf_get_mem_cgroup(&cgrp->self);
	bpf_cgroup_release(cgrp);
	if (!memcg)
		return 0;
	result = bpf_out_of_memory(memcg, 0, 0);
	if (again)
		result_again = bpf_out_of_memory(memcg, 0, 0);
	bpf_put_mem_cgroup(memcg);
	return 0;
}
