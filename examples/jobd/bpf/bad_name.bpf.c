// SPDX-License-Identifier: GPL-2.0
/* Rejected: a policy name may hold only [A-Za-z0-9_.] (jobd_ops.name). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(named_select, struct jobd_job *job, u32 nr_domains)
{
	return 0;
}

JOBD_OPS_DEFINE(bad_name, .select_domain = (void *)named_select, .name = "no spaces!");
