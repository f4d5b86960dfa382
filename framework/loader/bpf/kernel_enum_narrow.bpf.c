// SPDX-License-Identifier: GPL-2.0
/*
 * A global too narrow for the kernel enumerator it asks for: opening must
 * fail with the reason, not truncate.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

const volatile u32 __MODLESS_K_BIG;

SEC("tp/syscalls/sys_enter_getpid")
int use_it(void *ctx)
{
	return __MODLESS_K_BIG & 1;
}
