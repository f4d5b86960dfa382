// SPDX-License-Identifier: GPL-2.0
/* Never terminates: the verifier must refuse it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(spins)
{
	volatile u32 x = 0;

	while (x == 0)
		;
	return 0;
}
