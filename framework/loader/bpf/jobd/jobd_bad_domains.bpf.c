// SPDX-License-Identifier: GPL-2.0
/*
 * A policy that keeps choosing a domain that does not exist: jobd ejects it
 * (jobd_bpf_eject) and the loader sees the kernel detach its link.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(bad_select, struct jobd_job *job, u32 nr_domains)
{
	return 1000;
}

JOBD_OPS_DEFINE(bad_domains,
	.select_domain = (void *)bad_select,
	.name = "bad_domains");
