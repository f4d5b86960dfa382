// SPDX-License-Identifier: GPL-2.0
/*
 * Built against a newer jobd interface: it implements job_started, which
 * the running jobd lacks and the declaration lets the loader leave out.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(next_select, struct jobd_job *job, u32 nr_domains)
{
	return 0;
}

void JOBD_OP(next_started, struct jobd_job *job)
{
}

JOBD_OPS_DEFINE(next_optional,
	.select_domain = (void *)next_select,
	.job_started = (void *)next_started,
	.name = "next_optional");
