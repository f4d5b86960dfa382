// SPDX-License-Identifier: GPL-2.0
/*
 * claim_only: a broken policy that says BPF_OOM_HANDLED and kills nothing.
 * The kernel does not believe it: its own OOM killer acts, so the OOMing
 * cgroup makes progress.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_oom.bpf.h"

char _license[] SEC("license") = "GPL";

u64 claims;

SEC("struct_ops/handle_out_of_memory")
int BPF_PROG(claim_only_handle, struct oom_control *oc)
{
	__sync_fetch_and_add(&claims, 1);
	return BPF_OOM_HANDLED;
}

/* no name: the declared default, "bpf_oom", is what the report shows */
SEC(".struct_ops.link")
struct bpf_oom_ops claim_only = {
	.handle_out_of_memory = (void *)claim_only_handle,
};
