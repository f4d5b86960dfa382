// SPDX-License-Identifier: GPL-2.0
/* Calls a kfunc no kernel has (declared strong, so libbpf must resolve it). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

extern void bpf_modless_no_such_kfunc(void) __ksym;

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(calls_missing)
{
	bpf_modless_no_such_kfunc();
	return 0;
}
