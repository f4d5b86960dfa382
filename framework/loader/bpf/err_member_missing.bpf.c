// SPDX-License-Identifier: GPL-2.0
/* A tcp_congestion_ops from a "newer kernel": it sets a member 7.3 lacks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

struct tcp_congestion_ops___future {
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked);
	u32 (*undo_cwnd)(struct sock *sk);
	u32 (*futuristic)(struct sock *sk);
	char name[16];
};

SEC("struct_ops/f_ssthresh")
u32 BPF_PROG(f_ssthresh, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/f_undo_cwnd")
u32 BPF_PROG(f_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/f_futuristic")
u32 BPF_PROG(f_futuristic, struct sock *sk)
{
	return 1;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops___future modless_future = {
	.ssthresh = (void *)f_ssthresh,
	.undo_cwnd = (void *)f_undo_cwnd,
	.futuristic = (void *)f_futuristic,
	.name = "modless_future",
};
