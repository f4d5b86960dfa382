// SPDX-License-Identifier: GPL-2.0
/*
 * Two jobd placement policies in one object: "pack_first" puts every job in
 * domain 0, "pack_last" in the last domain. Neither lets jobd rebalance, so
 * where jobs ran shows which policy placed them. Both look at the previous
 * job through the acquire/release kfunc pair, and count how they stopped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

enum policy_stat {
	POLICY_SELECT,
	POLICY_ACQUIRED,
	POLICY_BALANCE,
	POLICY_DONE,
	/* POLICY_DONE + JOBD_EXIT_*: how instances stopped */
	POLICY_EXIT_UNREG,
	POLICY_EXIT_SWAP,
	POLICY_EXIT_EJECT,
	NR_POLICY_STATS,
};

/* read from Rust through the skeleton's typed .bss */
u64 stats[NR_POLICY_STATS];

static void count(u32 stat)
{
	if (stat < NR_POLICY_STATS)
		__sync_fetch_and_add(&stats[stat], 1);
}

/* Peek at the job submitted before @job, if it is still queued. */
static void look_at_previous(struct jobd_job *job)
{
	struct jobd_job *prev = bpf_jobd_job_acquire(job->id - 1);

	if (!prev)
		return;
	count(POLICY_ACQUIRED);
	bpf_jobd_job_release(prev);
}

u32 JOBD_OP(pack_first_select, struct jobd_job *job, u32 nr_domains)
{
	count(POLICY_SELECT);
	look_at_previous(job);
	job->prio = 1;
	return 0;
}

u32 JOBD_OP(pack_last_select, struct jobd_job *job, u32 nr_domains)
{
	count(POLICY_SELECT);
	look_at_previous(job);
	job->prio = 2;
	return bpf_jobd_nr_domains() - 1;
}

u32 JOBD_OP(never_balance, u32 busiest, u32 nr_domains)
{
	count(POLICY_BALANCE);
	return 0;
}

void JOBD_OP(note_done, struct jobd_job *job, u64 runtime_ns)
{
	count(POLICY_DONE);
}

MODLESS_EXIT_RECORD_DEFINE();		/* why it stopped, for the loader */

void JOBD_OP(count_exit, struct jobd_exit_info *info)
{
	if (info->kind >= JOBD_EXIT_UNREG && info->kind <= JOBD_EXIT_EJECT)
		count(POLICY_DONE + info->kind);
	MODLESS_EXIT_RECORD(info);
}

JOBD_OPS_DEFINE(pack_first,
	.select_domain = (void *)pack_first_select,
	.balance = (void *)never_balance,
	.job_done = (void *)note_done,
	.exit = (void *)count_exit,
	.name = "pack_first");

JOBD_OPS_DEFINE(pack_last,
	.select_domain = (void *)pack_last_select,
	.balance = (void *)never_balance,
	.job_done = (void *)note_done,
	.exit = (void *)count_exit,
	.name = "pack_last",
	.flags = JOBD_OPS_F_STRICT);
