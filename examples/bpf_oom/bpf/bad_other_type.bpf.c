// SPDX-License-Identifier: GPL-2.0
/*
 * Refused at load: a tcp_congestion_ops program calling
 * bpf_oom_kill_process(), which bpf_oom.toml allows only in
 * bpf_oom_ops.handle_out_of_memory.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_oom.bpf.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/bad_ssthresh")
__u32 BPF_PROG(bad_ssthresh, struct sock *sk)
{
	return bpf_oom_kill_process(NULL, NULL, "never") ? 2 : 10;
}

SEC("struct_ops/bad_undo_cwnd")
__u32 BPF_PROG(bad_undo_cwnd, struct sock *sk)
{
	return 10;
}

SEC("struct_ops/bad_cong_avoid")
void BPF_PROG(bad_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops bad_other_type = {
	.ssthresh = (void *)bad_ssthresh,
	.undo_cwnd = (void *)bad_undo_cwnd,
	.cong_avoid = (void *)bad_cong_avoid,
	.name = "bad_oom_cc",
};
