// SPDX-License-Identifier: GPL-2.0
/*
 * `const volatile` globals that ask for kernel enum values (scx's `__NAME`
 * convention and modless's decl tag); the tests use this object's own BTF
 * as the "kernel", whose enums are below.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

enum modless_k_consts {
	MODLESS_K_ANSWER = 42,
	MODLESS_K_BIG = 0x8000000000000001ULL,
};

enum modless_k_small { MODLESS_K_NEG = -7 };

const volatile enum modless_k_consts k_kind;
const volatile enum modless_k_small k_small;
const volatile u64 __MODLESS_K_BIG;
const volatile u32 __MODLESS_K_ANSWER;
const volatile s32 __MODLESS_K_NEG;
const volatile u64 __MODLESS_K_ABSENT = 3;
const volatile u64 answer_by_tag
	__attribute__((btf_decl_tag("modless:kernel_enum=MODLESS_K_ANSWER")));
const volatile u64 nr_plain = 5;

SEC("tp/syscalls/sys_enter_getpid")
int use_them(void *ctx)
{
	return (k_kind + k_small + __MODLESS_K_BIG + __MODLESS_K_ANSWER +
		__MODLESS_K_NEG + __MODLESS_K_ABSENT + answer_by_tag + nr_plain) & 1;
}
