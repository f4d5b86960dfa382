/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit record of sched_ext test schedulers, in the layout scx's
 * user_exit_info.h uses (`uei` in .data), which modless-loader reads.
 */
#ifndef MODLESS_SCX_UEI_H
#define MODLESS_SCX_UEI_H

struct user_exit_info {
	int kind;
	s64 exit_code;
	char reason[128];
	char msg[1024];
};

struct user_exit_info uei SEC(".data");

/* Defines the exit op `name`, which copies sched_ext's exit info to `uei`. */
#define MODLESS_UEI_EXIT(name)						\
SEC("struct_ops/" #name)						\
void BPF_PROG(name, struct scx_exit_info *ei)				\
{									\
	bpf_probe_read_kernel_str(uei.reason, sizeof(uei.reason),	\
				  ei->reason);				\
	bpf_probe_read_kernel_str(uei.msg, sizeof(uei.msg), ei->msg);	\
	uei.exit_code = ei->exit_code;					\
	uei.kind = ei->kind;						\
}

#endif
