// SPDX-License-Identifier: GPL-2.0
/*
 * Refused at load: an OOM policy calling bpf_out_of_memory(), which would
 * wait for the oom_lock its caller holds; bpf_oom.toml denies it there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_oom.bpf.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/handle_out_of_memory")
int BPF_PROG(bad_reenter_handle, struct oom_control *oc)
{
	return bpf_out_of_memory(NULL, 0, 0) > 0 ? BPF_OOM_HANDLED : BPF_OOM_PASS;
}

SEC(".struct_ops.link")
struct bpf_oom_ops bad_reenter = {
	.handle_out_of_memory = (void *)bad_reenter_handle,
	.name = "bad_reenter",
};
