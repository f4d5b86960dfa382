// SPDX-License-Identifier: GPL-2.0
/*
 * A policy that keeps choosing a domain that does not exist: jobd ejects it
 * (jobd_bpf_eject), its exit op records why, and the loader sees the kernel
 * detach its link and reads the record.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

MODLESS_EXIT_RECORD_DEFINE();

u32 JOBD_OP(bad_select, struct jobd_job *job, u32 nr_domains)
{
	return 1000;
}

void JOBD_OP(bad_exit, struct jobd_exit_info *info)
{
	MODLESS_EXIT_RECORD(info);
}

JOBD_OPS_DEFINE(bad_domains,
	.select_domain = (void *)bad_select,
	.exit = (void *)bad_exit,
	.name = "bad_domains");
