// SPDX-License-Identifier: GPL-2.0
/* Needs CO-RE against the kernel's BTF (task_struct.pid): fails without it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(reads_task)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return t->pid;
}
