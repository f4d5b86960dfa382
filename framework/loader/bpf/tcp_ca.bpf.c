// SPDX-License-Identifier: GPL-2.0
/*
 * A mainline struct_ops modless did not generate: two tiny Reno-like TCP
 * congestion controls of one name (for attach and hot-swap), plus an fentry program on
 * getpgid() that counts calls from one pid (set in .rodata) and sends each
 * call's pid through a ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

const volatile u32 target_tgid;
u64 getpgid_calls;
u64 ssthresh_calls;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("struct_ops/modless_ssthresh")
u32 BPF_PROG(modless_ssthresh, struct sock *sk)
{
	__sync_fetch_and_add(&ssthresh_calls, 1);
	return 2;
}

SEC("struct_ops/modless_undo_cwnd")
u32 BPF_PROG(modless_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/modless_cong_avoid")
void BPF_PROG(modless_cong_avoid, struct sock *sk, u32 ack, u32 acked)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops modless_ca_a = {
	.ssthresh = (void *)modless_ssthresh,
	.undo_cwnd = (void *)modless_undo_cwnd,
	.cong_avoid = (void *)modless_cong_avoid,
	.name = "modless_ca",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops modless_ca_b = {
	.ssthresh = (void *)modless_ssthresh,
	.undo_cwnd = (void *)modless_undo_cwnd,
	.cong_avoid = (void *)modless_cong_avoid,
	.name = "modless_ca",
};

/* tcp refuses to swap a table for one of another name */
SEC(".struct_ops.link")
struct tcp_congestion_ops modless_ca_other = {
	.ssthresh = (void *)modless_ssthresh,
	.undo_cwnd = (void *)modless_undo_cwnd,
	.cong_avoid = (void *)modless_cong_avoid,
	.name = "modless_other",
};

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(count_getpgid)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	u32 *ev;

	if (tgid != target_tgid)
		return 0;
	__sync_fetch_and_add(&getpgid_calls, 1);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (ev) {
		*ev = tgid;
		bpf_ringbuf_submit(ev, 0);
	}
	return 0;
}
