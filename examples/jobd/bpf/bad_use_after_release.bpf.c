// SPDX-License-Identifier: GPL-2.0
/* Rejected: a job reference is used after bpf_jobd_job_release(). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(select, struct jobd_job *job, u32 nr_domains)
{
	struct jobd_job *prev = bpf_jobd_job_acquire(job->id - 1);

	if (!prev)
		return 0;
	bpf_jobd_job_release(prev);
	return prev->domain;
}

JOBD_OPS_DEFINE(bad_release, .select_domain = (void *)select);
