// SPDX-License-Identifier: GPL-2.0
/*
 * Two policies for the race test (jobd-guest-tests race): jobd's race
 * callers call select_domain on every CPU with a race job, and each answer
 * says who gave it: RACE_A, RACE_B or, with neither attached, the default.
 * Each policy counts the race calls it answered, and the exit op how
 * instances stopped. Real jobs get the default's placement.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

/* jobd_main.c's JOBD_RACE_JOB, JOBD_RACE_A and JOBD_RACE_B */
#define RACE_JOB	(1U << 31)
#define RACE_A		1000
#define RACE_B		2000

u64 a_calls;
u64 b_calls;
u64 swap_exits;
u64 unreg_exits;

static u32 answer(struct jobd_job *job, u32 nr_domains, u64 *calls, u32 mine)
{
	if (!(job->flags & RACE_JOB))
		return nr_domains ? job->id % nr_domains : 0;
	__sync_fetch_and_add(calls, 1);
	return mine;
}

u32 JOBD_OP(race_a_select, struct jobd_job *job, u32 nr_domains)
{
	return answer(job, nr_domains, &a_calls, RACE_A);
}

u32 JOBD_OP(race_b_select, struct jobd_job *job, u32 nr_domains)
{
	return answer(job, nr_domains, &b_calls, RACE_B);
}

void JOBD_OP(race_exit, struct jobd_exit_info *info)
{
	if (info->kind == JOBD_EXIT_SWAP)
		__sync_fetch_and_add(&swap_exits, 1);
	else if (info->kind == JOBD_EXIT_UNREG)
		__sync_fetch_and_add(&unreg_exits, 1);
}

JOBD_OPS_DEFINE(race_a,
	.select_domain = (void *)race_a_select,
	.exit = (void *)race_exit,
	.name = "race_a");

JOBD_OPS_DEFINE(race_b,
	.select_domain = (void *)race_b_select,
	.exit = (void *)race_exit,
	.name = "race_b");
