// SPDX-License-Identifier: GPL-2.0
/* Refused at attach: bpf_oom_ops without its required handle_out_of_memory. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpf_oom.bpf.h"

char _license[] SEC("license") = "GPL";

SEC(".struct_ops.link")
struct bpf_oom_ops bad_no_handler = {
	.name = "bad_no_handler",
};
