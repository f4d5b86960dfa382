// SPDX-License-Identifier: GPL-2.0
/* Dereferences a number as a pointer: the verifier must refuse it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(faults)
{
	u64 *p = (u64 *)(unsigned long)bpf_get_prandom_u32();

	return *p;
}
