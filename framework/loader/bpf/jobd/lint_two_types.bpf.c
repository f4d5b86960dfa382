// SPDX-License-Identifier: GPL-2.0
/*
 * One object, two ops types (as a sched_ext scheduler may carry both
 * sched_ext_ops and sched_ext_ops_cid tables): a jobd policy and a TCP
 * congestion control. Against jobd's declaration alone the tcp table is the
 * one problem; against both declarations there is none.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u32 JOBD_OP(two_select, struct jobd_job *job, u32 nr_domains)
{
	return 0;
}

SEC("struct_ops/two_ssthresh")
u32 BPF_PROG(two_ssthresh, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/two_undo_cwnd")
u32 BPF_PROG(two_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/two_cong_avoid")
void BPF_PROG(two_cong_avoid, struct sock *sk, u32 ack, u32 acked)
{
}

JOBD_OPS_DEFINE(two_jobd,
	.select_domain = (void *)two_select,
	.name = "two_jobd");

SEC(".struct_ops.link")
struct tcp_congestion_ops two_tcp = {
	.ssthresh = (void *)two_ssthresh,
	.undo_cwnd = (void *)two_undo_cwnd,
	.cong_avoid = (void *)two_cong_avoid,
	.name = "modless_two",
};
