// SPDX-License-Identifier: GPL-2.0
/* Rejected: job_done may not call bpf_jobd_job_acquire (jobd.toml's ops list). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(select, struct jobd_job *job, u32 nr_domains)
{
	return 0;
}

void JOBD_OP(done, struct jobd_job *job, u64 runtime_ns)
{
	struct jobd_job *j = bpf_jobd_job_acquire(job->id);

	if (j)
		bpf_jobd_job_release(j);
}

JOBD_OPS_DEFINE(bad_kfunc, .select_domain = (void *)select, .job_done = (void *)done);
