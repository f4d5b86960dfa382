// SPDX-License-Identifier: GPL-2.0
/*
 * The bench's BPF side (jobd-guest-tests bench): the cheapest select_domain
 * op and an empty fentry on the completion hook, so that P1 compares the
 * dispatch to the op with the trampoline fentry runs through, not two bodies.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(bench_select, struct jobd_job *job, u32 nr_domains)
{
	return 0;
}

JOBD_OPS_DEFINE(bench_ops,
	.select_domain = (void *)bench_select,
	.name = "bench");

JOBD_FENTRY(jobd_job_complete, bench_fentry, struct jobd_job *job, u64 runtime_ns)
{
	return 0;
}
