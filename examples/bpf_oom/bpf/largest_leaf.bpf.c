// SPDX-License-Identifier: GPL-2.0
/*
 * largest_leaf: on a memory cgroup OOM, kill a process of the leaf memory
 * cgroup (one without child cgroups) that uses the most memory below the
 * OOMing one. The kernel's heuristic looks at processes and oom_score_adj;
 * this rule looks at cgroups and ignores oom_score_adj except -1000, which
 * bpf_oom_kill_process() refuses like the kernel does. A system-wide OOM is
 * left to the kernel's killer. It also counts the memory cgroups that go
 * offline (handle_cgroup_offline, a sleepable op).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_oom.bpf.h"

char _license[] SEC("license") = "GPL";

/* What the guest tests read back: OOMs seen, victims chosen, the last
 * victim's cgroup, memory cgroups gone offline and the last one's id.
 */
u64 ooms;
u64 kills;
u64 victim_cgroup;
u64 offlined;
u64 offlined_id;

/* The id of the leaf cgroup below @root using the most memory, 0 if none. */
static u64 find_largest_leaf(struct cgroup *root)
{
	struct cgroup_subsys_state *pos;
	unsigned long best = 0;
	u64 best_id = 0;

	bpf_for_each(css, pos, &root->self, BPF_CGROUP_ITER_DESCENDANTS_PRE) {
		struct mem_cgroup *memcg;
		unsigned long usage;

		if (pos->cgroup->nr_descendants)
			continue;
		memcg = bpf_get_mem_cgroup(pos);
		if (!memcg)
			continue;
		usage = bpf_mem_cgroup_usage(memcg);
		bpf_put_mem_cgroup(memcg);
		if (usage > best) {
			best = usage;
			best_id = pos->cgroup->kn->id;
		}
	}
	return best_id;
}

/* Choose the first killable process of cgroup @id; true if one was chosen. */
static bool choose_in(struct oom_control *oc, u64 id)
{
	struct task_struct *task;

	bpf_for_each(task, task, NULL, BPF_TASK_ITER_ALL_PROCS) {
		if (task->cgroups->dfl_cgrp->kn->id != id)
			continue;
		if (!bpf_oom_kill_process(oc, task, "largest_leaf: the largest leaf memory cgroup"))
			return true;
	}
	return false;
}

/* Runs under RCU (the OOM op may not sleep), which the iterators need. */
SEC("struct_ops/handle_out_of_memory")
int BPF_PROG(largest_leaf_handle, struct oom_control *oc)
{
	struct cgroup *root;
	u64 id;

	__sync_fetch_and_add(&ooms, 1);
	if (!oc->memcg)
		return BPF_OOM_PASS;
	/* oc->memcg is not a trusted pointer; its cgroup id gets one */
	root = bpf_cgroup_from_id(oc->memcg->css.cgroup->kn->id);
	if (!root)
		return BPF_OOM_PASS;
	id = find_largest_leaf(root);
	bpf_cgroup_release(root);
	if (!id || !choose_in(oc, id))
		return BPF_OOM_PASS;
	__sync_fetch_and_add(&kills, 1);
	victim_cgroup = id;
	return BPF_OOM_HANDLED;
}

SEC("struct_ops.s/handle_cgroup_offline")
void BPF_PROG(largest_leaf_offline, u64 cgroup_id)
{
	__sync_fetch_and_add(&offlined, 1);
	offlined_id = cgroup_id;
}

SEC(".struct_ops.link")
struct bpf_oom_ops largest_leaf = {
	.handle_out_of_memory = (void *)largest_leaf_handle,
	.handle_cgroup_offline = (void *)largest_leaf_offline,
	.name = "largest_leaf",
};
