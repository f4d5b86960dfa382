// SPDX-License-Identifier: GPL-2.0
/* Rejected: select_domain is required and this table leaves it out. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(balance, u32 busiest, u32 nr_domains)
{
	return 0;
}

JOBD_OPS_DEFINE(bad_missing, .balance = (void *)balance, .name = "bad_missing");
