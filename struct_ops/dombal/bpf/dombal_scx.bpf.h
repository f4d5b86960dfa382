/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-written sched_ext glue for dombal: the op/ops-map macros and the
 * printf-style wrappers over the scx_bpf_*_bstr kfuncs. The kfunc prototypes
 * and the sched_ext types and enums come from vmlinux.h.
 */
#ifndef __DOMBAL_SCX_BPF_H
#define __DOMBAL_SCX_BPF_H

/* Values BPF C cannot take from vmlinux.h (macros, not BTF). */
#define ENOENT			2
#define ENOMEM			12
#define CLOCK_MONOTONIC		1

#define DOMBAL_OP(name, args...)	\
	SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define DOMBAL_OP_SLEEPABLE(name, args...)	\
	SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)
#define DOMBAL_OPS_DEFINE(__name, ...)	\
	SEC(".struct_ops.link") struct sched_ext_ops __name = { __VA_ARGS__ }

#define __DOMBAL_STR(x)		#x
#define DOMBAL_STR(x)		__DOMBAL_STR(x)

/* Packs printf arguments the way the *_bstr kfuncs take them. */
#define __dombal_bstr(fmt, args...)						\
	static char ___fmt[] = fmt;						\
	unsigned long long ___param[___bpf_narg(args) ?: 1] = {};		\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")			\
	___bpf_fill(___param, args);						\
	_Pragma("GCC diagnostic pop")

/* Ejects the scheduler with "file:line: message" as the exit reason's detail. */
#define scx_bpf_error(fmt, args...)						\
	({									\
		__dombal_bstr(__FILE__ ":" DOMBAL_STR(__LINE__) ": " fmt, ##args) \
		scx_bpf_error_bstr(___fmt, ___param, sizeof(___param));		\
	})

#endif /* __DOMBAL_SCX_BPF_H */
