// SPDX-License-Identifier: GPL-2.0
/*
 * Globals of every kind `modless load --set` types from BTF, and a map
 * `--max-entries` sizes: set and read back without a kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

enum modless_mode { MODLESS_OFF, MODLESS_FAST = 5, MODLESS_NEG = -3 };

struct modless_pair {
	int a;
	int b;
};

const volatile u8 v_u8;
const volatile s8 v_s8 = -1;
const volatile u16 v_u16;
const volatile s32 v_s32;
const volatile u64 v_u64 = 1;
const volatile s64 v_s64;
const volatile bool v_bool;
const volatile enum modless_mode v_mode;
const volatile char v_name[8] = "none";
int v_data = 3;
u64 v_bss;
struct modless_pair v_pair = { 1, 2 };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} seen SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int use_them(void *ctx)
{
	u32 k = 0;
	u64 sum = v_u8 + v_s8 + v_u16 + v_s32 + v_u64 + v_s64 + v_bool + v_mode +
		  v_name[0] + v_data + v_bss + v_pair.a;

	bpf_map_update_elem(&seen, &k, &sum, BPF_ANY);
	return 0;
}
