// SPDX-License-Identifier: GPL-2.0
/*
 * Lint must see through libbpf's flavours: `bpf_jobd_job_acquire___compat`
 * is the kernel's bpf_jobd_job_acquire, allowlisted for select_domain and
 * balance only and registered for struct_ops only, so calling it from
 * job_done and from a syscall program is wrong however it is spelled.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

extern struct jobd_job *bpf_jobd_job_acquire___compat(u64 id) __ksym __weak;
extern void bpf_jobd_job_release___v2(struct jobd_job *job) __ksym __weak;

static __noinline int peek(u64 id)
{
	struct jobd_job *j = bpf_jobd_job_acquire___compat(id);

	if (!j)
		return 0;
	bpf_jobd_job_release___v2(j);
	return 1;
}

u32 JOBD_OP(flavor_select, struct jobd_job *job, u32 nr_domains)
{
	return peek(job->id);
}

void JOBD_OP(flavor_done, struct jobd_job *job, u64 runtime_ns)
{
	peek(job->id);
}

SEC("syscall")
int flavor_syscall(void *ctx)
{
	return peek(1);
}

JOBD_OPS_DEFINE(flavor_ops,
	.select_domain = (void *)flavor_select,
	.job_done = (void *)flavor_done,
	.name = "flavor");
