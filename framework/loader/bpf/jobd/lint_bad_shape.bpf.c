// SPDX-License-Identifier: GPL-2.0
/*
 * Lint must reject: a table built against a stale header (select_domain
 * returns u64, an op `frobnicate` jobd does not declare), a sleepable
 * select_domain, no required select_domain in the second map, fmod_ret on
 * the fentry-only hook and fentry on a jobd function that is no hook site.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

struct jobd_ops___stale {
	u64 (*select_domain)(struct jobd_job *job, u32 nr_domains);
	u32 (*balance)(u32 busiest, u32 nr_domains);
	void (*job_done)(struct jobd_job *job, u64 runtime_ns);
	void (*frobnicate)(u32 x);
	char name[16];
	u64 flags;
};

SEC("struct_ops.s/sleepy_select")
u64 BPF_PROG(sleepy_select, struct jobd_job *job, u32 nr_domains)
{
	return 0;
}

SEC("struct_ops/frob")
void BPF_PROG(frob, u32 x)
{
}

SEC("struct_ops/only_balance")
u32 BPF_PROG(only_balance, u32 busiest, u32 nr_domains)
{
	return 0;
}

SEC(".struct_ops.link")
struct jobd_ops___stale stale = {
	.select_domain = (void *)sleepy_select,
	.frobnicate = (void *)frob,
	.name = "stale",
};

JOBD_OPS_DEFINE(no_select, .balance = (void *)only_balance, .name = "no_select");

SEC("fmod_ret/jobd_job_complete")
int BPF_PROG(veto_complete, struct jobd_job *job, u64 runtime_ns)
{
	return 0;
}

SEC("fentry/jobd_submit_internal")
int BPF_PROG(not_a_hook)
{
	return 0;
}
