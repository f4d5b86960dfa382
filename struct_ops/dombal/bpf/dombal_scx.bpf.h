/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of dombal's sched_ext glue the generator cannot express. The op
 * and ops-map macros and the kfunc externs come from the generated
 * generated/sched_ext.bpf.h (modless gen of sched_ext.toml, which
 * modless import took from the kernel's BTF); the sched_ext types and enums
 * from vmlinux.h. What is left here is not in BTF at all:
 */
#ifndef __DOMBAL_SCX_BPF_H
#define __DOMBAL_SCX_BPF_H

/*
 * Hand-written because they are C preprocessor macros in the kernel's uapi
 * headers, not types or enums, so neither BTF nor vmlinux.h nor a
 * declaration carries them.
 */
#define ENOENT			2
#define ENOMEM			12
#define CLOCK_MONOTONIC		1

#define __DOMBAL_STR(x)		#x
#define DOMBAL_STR(x)		__DOMBAL_STR(x)

/*
 * Hand-written because a declaration describes kfuncs one for one: it has no
 * way to say "a variadic printf-style wrapper that packs its arguments into
 * the u64 array scx_bpf_error_bstr() takes". This packs them.
 */
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
