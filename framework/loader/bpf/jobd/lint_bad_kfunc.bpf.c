// SPDX-License-Identifier: GPL-2.0
/*
 * Lint must reject: job_done reaches bpf_jobd_job_acquire (allowlisted for
 * select_domain and balance only) through a subprogram, and a syscall
 * program calls it though it is registered for struct_ops only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

static __noinline int peek(u64 id)
{
	struct jobd_job *j = bpf_jobd_job_acquire(id);

	if (!j)
		return 0;
	bpf_jobd_job_release(j);
	return 1;
}

u32 JOBD_OP(ok_select, struct jobd_job *job, u32 nr_domains)
{
	return bpf_jobd_domain_load(0) > 10;
}

void JOBD_OP(bad_done, struct jobd_job *job, u64 runtime_ns)
{
	peek(job->id);
}

SEC("syscall")
int bad_syscall(void *ctx)
{
	return peek(1);
}

JOBD_OPS_DEFINE(bad_kfunc_ops,
	.select_domain = (void *)ok_select,
	.job_done = (void *)bad_done,
	.name = "bad_kfunc");
