// SPDX-License-Identifier: GPL-2.0
/*
 * jobd's hook sites from tracing programs: fentry counts every completed job,
 * fmod_ret rejects jobs whose cost is the configured veto_cost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile u64 veto_cost = 13;

/* what `modless load --stats` shows beside the programs' runs */
u64 completions MODLESS_COUNTER;
u64 completed_ids;
u64 vetoed MODLESS_COUNTER;

JOBD_FENTRY(jobd_job_complete, count_completion, struct jobd_job *job, u64 runtime_ns)
{
	__sync_fetch_and_add(&completions, 1);
	__sync_fetch_and_add(&completed_ids, job->id);
	return 0;
}

JOBD_FMOD_RET(jobd_admit, veto, struct jobd_job *job, int ret)
{
	if (job->cost != veto_cost)
		return 0;
	__sync_fetch_and_add(&vetoed, 1);
	return -1;	/* -EPERM */
}
