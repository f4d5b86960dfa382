// SPDX-License-Identifier: GPL-2.0
/* An ops table of a type no kernel registers. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

struct modless_nonexistent_ops {
	int (*op)(int x);
};

SEC("struct_ops/nx_op")
int BPF_PROG(nx_op, int x)
{
	return x;
}

SEC(".struct_ops.link")
struct modless_nonexistent_ops nx = {
	.op = (void *)nx_op,
};
