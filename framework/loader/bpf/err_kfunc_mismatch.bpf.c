// SPDX-License-Identifier: GPL-2.0
/* modless-build: no-vmlinux (vmlinux.h declares the kfunc correctly) */
/* Declares a real kfunc with the wrong prototype (7.3: struct task_struct *). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

extern long bpf_task_acquire(int pid, int flags) __ksym;

SEC("fentry/__x64_sys_getpgid")
int calls_mismatched(void *ctx)
{
	return bpf_task_acquire(1, 0) != 0;
}
