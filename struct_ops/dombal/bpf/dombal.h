/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by dombal.bpf.c and its Rust loader (which sees them through
 * the skeleton generated from the object's BTF).
 */
#ifndef __DOMBAL_H
#define __DOMBAL_H

#define DOMBAL_MAX_DOMS		8
#define DOMBAL_MAX_CPUS		64
#define DOMBAL_LOAD_SHIFT	10	/* load = weight << 10 for an always-runnable task */
#define DOMBAL_REASON_LEN	128
#define DOMBAL_MSG_LEN		1024
#define DOMBAL_DUMP_LEN		8192

/* Per domain, published by BPF; userspace only reads it. */
struct dombal_dom_stats {
	__u64 load;			/* decayed weighted runnable load, << DOMBAL_LOAD_SHIFT */
	__u64 runnable_weight;		/* sum of weights of runnable member tasks */
	__u64 nr_tasks;
	__u64 enqueued;			/* tasks queued on this domain's DSQ */
	__u64 dispatched_local;		/* moved to a CPU of this domain */
	__u64 stolen;			/* moved from another domain's DSQ by this domain's CPUs */
	__u64 direct;			/* dispatched straight to an idle CPU from select_cpu */
	__u64 migrated_in;		/* tasks the balancer moved here */
	__u64 migrated_out;
	__u64 rehomed;			/* tasks whose affinity forced a domain change */
	__u64 balance_rounds;		/* balancer rounds that found this domain the busiest */
};

/* What ops.exit() saw; kind != 0 once the scheduler has exited. */
struct dombal_exit_info {
	__s32 kind;			/* enum scx_exit_kind */
	__u32 pad;
	__s64 exit_code;
	char reason[DOMBAL_REASON_LEN];
	char msg[DOMBAL_MSG_LEN];
	char dump[DOMBAL_DUMP_LEN];
};

#endif /* __DOMBAL_H */
