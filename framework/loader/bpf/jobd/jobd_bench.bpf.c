// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's BPF side: the cheapest select_domain op (so the figure is
 * the dispatch, not the policy) and an empty fentry on the completion hook.
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
