// SPDX-License-Identifier: GPL-2.0
/* Rejected: jobd_job.cost is not in jobd.toml's write allowlist (only prio is). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(select, struct jobd_job *job, u32 nr_domains)
{
	job->cost = 0;
	return 0;
}

JOBD_OPS_DEFINE(bad_write, .select_domain = (void *)select);
