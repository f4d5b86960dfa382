// SPDX-License-Identifier: GPL-2.0
/*
 * TCP Brutal (github.com/apernet/tcp-brutal) as one BPF object instead of
 * an out-of-tree module: a tcp_congestion_ops named "brutal" that sends at
 * a fixed rate whatever the loss, plus a cgroup setsockopt program that
 * answers the module's option (IPPROTO_TCP, 23301) for unmodified
 * applications. The per-socket rate and the loss-accounting slots live in
 * socket-local storage, which both programs reach.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

/* uapi and kernel macros: BTF carries types, not #defines */
#define SOL_TCP 6
#define TCP_CONGESTION 13
#define AF_INET 2
#define AF_INET6 10
#define EINVAL 22
#define ENOMEM 12
#define TCP_CONG_NON_RESTRICTED 0x1
#define TCP_INFINITE_SSTHRESH 0x7fffffff
#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000
#define MSEC_PER_SEC 1000

/* The module's option and limits, same numbers */
#define TCP_BRUTAL_PARAMS 23301
#define MIN_PACING_RATE 62500 /* 500 Kbit/s, bytes per second */
#define MIN_CWND_GAIN 5
#define MAX_CWND_GAIN 80
#define MIN_CWND 4
#define MIN_PKT_INFO_SAMPLES 50
#define MIN_ACK_RATE_PERCENT 80
/* The module fits as many slots as icsk_ca_priv holds, clamped to 3..5;
 * socket storage has room for the most it ever uses.
 */
#define PKT_INFO_SLOTS 5

/* What the module hard-codes, settable at load: modless load --set NAME=VALUE */
const volatile u64 init_pacing_rate = 125000; /* 1 Mbit/s */
const volatile u32 init_cwnd_gain = 20;       /* tenths: 2.0 */

/* setsockopt(fd, IPPROTO_TCP, TCP_BRUTAL_PARAMS, &params, sizeof(params)) */
struct brutal_params {
	u64 rate;      /* bytes per second */
	u32 cwnd_gain; /* tenths (10 = 1.0) */
} __attribute__((packed));

struct brutal_pkt_info {
	u64 sec;
	u32 acked;
	u32 losses;
};

struct brutal {
	u64 rate;
	u32 cwnd_gain;
	struct brutal_pkt_info slots[PKT_INFO_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct brutal);
} brutal_sk SEC(".maps");

static __always_inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

static __always_inline u64 tcp_sock_get_sec(const struct tcp_sock *tp)
{
	return tp->tcp_mstamp / USEC_PER_SEC;
}

SEC("struct_ops/brutal_init")
void BPF_PROG(brutal_init, struct sock *sk)
{
	struct brutal *b;

	tcp_sk(sk)->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	/* Pacing is what makes the rate a rate. The module uses cmpxchg so it
	 * never overrides sch_fq's SK_PACING_FQ; BPF may not cmpxchg a kernel
	 * object, so only NONE becomes NEEDED (init runs with the socket locked).
	 */
	if (sk->sk_pacing_status == SK_PACING_NONE)
		sk->sk_pacing_status = SK_PACING_NEEDED;

	b = bpf_sk_storage_get(&brutal_sk, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!b)
		return; /* no memory: brutal_main runs at the initial rate */
	/* Parameters set before connect() (the module refuses those) are kept. */
	if (!b->rate) {
		b->rate = init_pacing_rate;
		b->cwnd_gain = init_cwnd_gain;
	}
	__builtin_memset(b->slots, 0, sizeof(b->slots));
}

/* Percent of the recent packets that were acked rather than lost, 80..100. */
static __always_inline u32 ack_rate(const struct brutal *b, u64 sec)
{
	u64 min_sec = sec - PKT_INFO_SLOTS;
	u32 acked = 0, losses = 0;
	u32 rate;

	for (int i = 0; i < PKT_INFO_SLOTS; i++) {
		if (b->slots[i].sec >= min_sec) {
			acked += b->slots[i].acked;
			losses += b->slots[i].losses;
		}
	}
	if (acked + losses < MIN_PKT_INFO_SAMPLES)
		return 100;
	rate = (u64)acked * 100 / (acked + losses);
	return rate < MIN_ACK_RATE_PERCENT ? MIN_ACK_RATE_PERCENT : rate;
}

/* Sends at rate / ack rate, with a cwnd of gain x that rate's BDP. */
static __always_inline void brutal_update_rate(struct sock *sk, u64 rate, u32 gain, u32 ack_pct)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 rtt_ms = (tp->srtt_us >> 3) / USEC_PER_MSEC;
	u32 mss = tp->mss_cache;
	u64 max_rate;
	u32 cwnd;

	if (!rtt_ms)
		rtt_ms = 1;
	rate = rate * 100 / ack_pct;

	/* the module's order of operations, chosen against overflow */
	cwnd = rate / MSEC_PER_SEC;
	cwnd *= rtt_ms;
	cwnd /= mss;
	cwnd *= gain;
	cwnd /= 10;
	if (cwnd < MIN_CWND)
		cwnd = MIN_CWND;
	tp->snd_cwnd = cwnd < tp->snd_cwnd_clamp ? cwnd : tp->snd_cwnd_clamp;

	max_rate = sk->sk_max_pacing_rate;
	sk->sk_pacing_rate = rate < max_rate ? rate : max_rate;
}

SEC("struct_ops/brutal_main")
void BPF_PROG(brutal_main, struct sock *sk, u32 ack, int flag, const struct rate_sample *rs)
{
	struct brutal *b;
	u64 sec;
	u32 slot;

	if (rs->delivered < 0 || rs->interval_us <= 0)
		return; /* invalid rate sample */

	b = bpf_sk_storage_get(&brutal_sk, sk, NULL, 0);
	if (!b) {
		brutal_update_rate(sk, init_pacing_rate, init_cwnd_gain, 100);
		return;
	}
	sec = tcp_sock_get_sec(tcp_sk(sk));
	slot = sec % PKT_INFO_SLOTS;
	/* Not every verifier bounds a modulo: hide it from clang, then check. */
	asm volatile("" : "+r"(slot));
	if (slot >= PKT_INFO_SLOTS)
		return;
	if (b->slots[slot].sec == sec) {
		b->slots[slot].acked += rs->acked_sacked;
		b->slots[slot].losses += rs->losses;
	} else {
		/* unused or expired slot */
		b->slots[slot].sec = sec;
		b->slots[slot].acked = rs->acked_sacked;
		b->slots[slot].losses = rs->losses;
	}
	brutal_update_rate(sk, b->rate, b->cwnd_gain, ack_rate(b, sec));
}

SEC("struct_ops/brutal_undo_cwnd")
u32 BPF_PROG(brutal_undo_cwnd, struct sock *sk)
{
	return tcp_sk(sk)->snd_cwnd;
}

SEC("struct_ops/brutal_ssthresh")
u32 BPF_PROG(brutal_ssthresh, struct sock *sk)
{
	return tcp_sk(sk)->snd_ssthresh;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops brutal = {
	.flags = TCP_CONG_NON_RESTRICTED,
	.init = (void *)brutal_init,
	.cong_control = (void *)brutal_main,
	.undo_cwnd = (void *)brutal_undo_cwnd,
	.ssthresh = (void *)brutal_ssthresh,
	.name = "brutal",
};

static __always_inline int refuse(struct bpf_sockopt *ctx, int err)
{
	bpf_set_retval(-err);
	return 0; /* the syscall fails with the errno set above */
}

static __always_inline bool uses_brutal(struct bpf_sock *sk)
{
	static const char name[] = "brutal";
	char cc[16] = {};

	if (bpf_getsockopt(sk, SOL_TCP, TCP_CONGESTION, cc, sizeof(cc)))
		return false;
	for (int i = 0; i < sizeof(name); i++)
		if (cc[i] != name[i])
			return false;
	return true;
}

/*
 * The module swaps in its own struct proto to catch this option; here the
 * cgroup hook sees every setsockopt() first. Anything else goes on to the
 * kernel untouched (return 1 with optlen unchanged).
 */
SEC("cgroup/setsockopt")
int brutal_setsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct brutal_params p;
	struct brutal *b;
	void *optval;

	if (ctx->level != SOL_TCP || ctx->optname != TCP_BRUTAL_PARAMS || !sk)
		return 1;
	/* The module BUG()s on a family other than these; the verifier makes
	 * every path here return, so an unknown family goes to the kernel.
	 */
	if (sk->family != AF_INET && sk->family != AF_INET6)
		return 1;
	/* Not a brutal socket: the kernel answers ENOPROTOOPT, as it does
	 * for a socket the module never took over.
	 */
	if (!uses_brutal(sk))
		return 1;
	if (ctx->optlen < (int)sizeof(p))
		return refuse(ctx, EINVAL);
	optval = ctx->optval;
	if (optval + sizeof(p) > ctx->optval_end)
		return refuse(ctx, EINVAL); /* unreachable once optlen >= sizeof(p) */
	__builtin_memcpy(&p, optval, sizeof(p));
	if (p.rate < MIN_PACING_RATE)
		return refuse(ctx, EINVAL);
	if (p.cwnd_gain < MIN_CWND_GAIN || p.cwnd_gain > MAX_CWND_GAIN)
		return refuse(ctx, EINVAL);

	b = bpf_sk_storage_get(&brutal_sk, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!b)
		return refuse(ctx, ENOMEM);
	b->rate = p.rate;
	b->cwnd_gain = p.cwnd_gain;
	ctx->optlen = -1; /* answered here: the kernel's setsockopt is skipped, 0 returned */
	return 1;
}
