// SPDX-License-Identifier: GPL-2.0
/*
 * Built against a newer jobd interface: it sets max_moves, which the
 * running jobd lacks and the declaration says a program cannot do without.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(needy_select, struct jobd_job *job, u32 nr_domains)
{
	return 0;
}

JOBD_OPS_DEFINE(next_needed,
	.select_domain = (void *)needy_select,
	.max_moves = 8,
	.name = "next_needed");
