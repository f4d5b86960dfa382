// SPDX-License-Identifier: GPL-2.0
/*
 * Two jobd policies for hot-swap tests: "first" places every job in domain
 * 0, "last" in the last domain; both count their calls and peek at the
 * previous job through the acquire/release pair (via a subprogram, so lint
 * has to follow calls); their exit op counts how instances stopped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u64 first_calls;
u64 last_calls;
u64 done_calls;
u64 swap_exits;
u64 unreg_exits;

static __noinline int peek_previous(u64 id)
{
	struct jobd_job *prev = bpf_jobd_job_acquire(id - 1);

	if (!prev)
		return 0;
	bpf_jobd_job_release(prev);
	return 1;
}

u32 JOBD_OP(first_select, struct jobd_job *job, u32 nr_domains)
{
	__sync_fetch_and_add(&first_calls, 1);
	peek_previous(job->id);
	return 0;
}

u32 JOBD_OP(last_select, struct jobd_job *job, u32 nr_domains)
{
	__sync_fetch_and_add(&last_calls, 1);
	return bpf_jobd_nr_domains() - 1;
}

void JOBD_OP(count_done, struct jobd_job *job, u64 runtime_ns)
{
	__sync_fetch_and_add(&done_calls, 1);
}

void JOBD_OP(count_exit, struct jobd_exit_info *info)
{
	if (info->kind == JOBD_EXIT_SWAP)
		__sync_fetch_and_add(&swap_exits, 1);
	else if (info->kind == JOBD_EXIT_UNREG)
		__sync_fetch_and_add(&unreg_exits, 1);
}

JOBD_OPS_DEFINE(swap_first,
	.select_domain = (void *)first_select,
	.job_done = (void *)count_done,
	.exit = (void *)count_exit,
	.name = "swap_first");

JOBD_OPS_DEFINE(swap_last,
	.select_domain = (void *)last_select,
	.job_done = (void *)count_done,
	.exit = (void *)count_exit,
	.name = "swap_last");
