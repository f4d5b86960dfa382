// SPDX-License-Identifier: GPL-2.0
/* Rejected: select_domain runs under RCU, so it may not be sleepable. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/select")
u32 BPF_PROG(select, struct jobd_job *job, u32 nr_domains)
{
	return 0;
}

JOBD_OPS_DEFINE(bad_sleep, .select_domain = (void *)select);
