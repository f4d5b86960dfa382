/* SPDX-License-Identifier: GPL-2.0 */
/* STAND-IN: modless gen output plus the verdict enum, until oom-gen lands it */
/*
 * For BPF programs extending bpf_oom. Include after vmlinux.h,
 * <bpf/bpf_helpers.h> and <bpf/bpf_tracing.h>; programs must be GPL.
 * Define BPF_OOM_TYPES_IN_VMLINUX when bpf_oom is built in, so vmlinux.h
 * already has its types.
 */
#ifndef __BPF_OOM_BPF_PROG_H
#define __BPF_OOM_BPF_PROG_H

#ifndef BPF_OOM_TYPES_IN_VMLINUX
/* CO-RE: field offsets are relocated against the kernel's BTF. */
#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

/*
 * An out-of-memory policy: picks and kills victims before the kernel's OOM
 * killer.
 */
enum bpf_oom_verdict {
	BPF_OOM_PASS = 0,
	BPF_OOM_HANDLED = 1,
};

struct bpf_oom_ops {
	/*
	 * Called by out_of_memory() before the kernel picks a victim; kill with
	 * bpf_oom_kill_process().
	 */
	int (*handle_out_of_memory)(struct oom_control *oc);
	void (*handle_cgroup_offline)(u64 cgroup_id);
	/* Policy name, shown in the OOM report. */
	char name[64];
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif
#endif /* BPF_OOM_TYPES_IN_VMLINUX */

/* Define the program implementing op @name. */
#define BPF_OOM_OP(name, args...)	\
	SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define BPF_OOM_OP_SLEEPABLE(name, args...)	\
	SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/*
 * Define the ops map, attached as a link:
 * BPF_OOM_OPS_DEFINE(my_ops,
 *	.handle_out_of_memory = (void *)my_handle_out_of_memory,
 *	.name = "my_ops");
 */
#define BPF_OOM_OPS_DEFINE(__name, ...)			\
	SEC(".struct_ops.link")			\
	struct bpf_oom_ops __name = { __VA_ARGS__ }

/* __weak: probe with bpf_ksym_exists() where a kfunc is optional */
extern int bpf_oom_kill_process(struct oom_control *oc,
				struct task_struct *task,
				const char *message__str) __ksym __weak;
extern int bpf_out_of_memory(struct mem_cgroup *memcg__nullable, int order,
			     u64 flags) __ksym __weak;

#endif /* __BPF_OOM_BPF_PROG_H */
