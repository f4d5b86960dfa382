/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dombal: a domain load balancer for sched_ext.
 *
 * CPUs are grouped into domains (NUMA nodes or LLCs; userspace fills
 * cpu_dom[] from sysfs before load). Every domain has its own DSQ. A task belongs to one
 * domain and is queued there; a CPU pulls from its own domain's DSQ first and
 * steals from the others only when that is empty, so no CPU idles while work
 * is queued anywhere it may run.
 *
 * Load: each task and each domain keep a decaying average (half-life
 * DOMBAL_HALF_LIFE_NS) of their weighted runnable time. A domain's average
 * follows the sum of the weights of its runnable tasks, so it equals the sum
 * of its tasks' averages; a migration moves the task's share at once.
 *
 * Balancing: a BPF timer runs every balance_interval_ns. When the busiest and
 * the idlest domain differ by more than hyst_pct of the mean it gives the
 * busiest a push budget of half the difference towards the idlest; the
 * busiest domain's tasks then move at their next enqueue while moving them
 * shrinks the gap by at least a quarter and their affinity allows it. A moved
 * task stays put for DOMBAL_MIGRATE_COOLDOWN rounds, which with the
 * hyst_pct band keeps tasks from ping-ponging.
 *
 * Shortcomings: no NUMA distance order when stealing (round robin from the
 * next domain), FIFO within a domain, a lone CPU-bound task that is never
 * re-enqueued cannot be migrated.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
/* sched_ext is built in: its types and enums are in vmlinux.h already. */
#define SCHED_EXT_TYPES_IN_VMLINUX
#include "sched_ext.bpf.h"	/* generated: op macros, ops map, kfunc externs */
#include "dombal.h"
#include "dombal_scx.bpf.h"

char _license[] SEC("license") = "GPL";

#define DOMBAL_HALF_LIFE_NS	(1ULL << 26)	/* ~67 ms */
#define DOMBAL_MIGRATE_COOLDOWN	2		/* balance intervals */
/* Below half a CPU-bound nice-0 task's load, imbalance is noise. */
#define DOMBAL_MIN_IMBALANCE	(50ULL << DOMBAL_LOAD_SHIFT)
#define DOM_DSQ(dom)		((u64)(dom))	/* user DSQ ids, bit 63 clear */

/* Asserts that keep array indices provably in bounds for the verifier too. */
#define ASSERT_DOM(dom, ret)							\
	do {									\
		if ((u32)(dom) >= DOMBAL_MAX_DOMS) {				\
			scx_bpf_error("domain %u out of range", (u32)(dom));	\
			return ret;						\
		}								\
	} while (0)

struct task_ctx {
	u32 dom;
	u32 weight;
	u64 load_avg;
	u64 last_update;
	u64 migrated_at;
	bool runnable;
};

struct dom_ctx {
	struct bpf_spin_lock lock;
	u64 load_avg;
	u64 runnable_weight;
	u64 last_update;
	u64 push_budget;	/* load the balancer wants moved to push_to */
	u32 push_to;
	u32 nr_tasks;
	struct bpf_cpumask __kptr *cpumask;
};

struct balance_timer {
	struct bpf_timer timer;
};

/*
 * Set by the loader (its typed skeleton) between open and load: the
 * verifier then sees them as constants.
 */
const volatile u32 nr_domains = 1;
const volatile u32 hyst_pct = 20;	/* act when (max - min) > mean * hyst_pct / 100 */
const volatile u64 balance_interval_ns = 100000000ULL;
const volatile u64 time_slice_ns;	/* 0: SCX_SLICE_DFL */
const volatile s32 starve_tgid;		/* the watchdog test's bug: never dispatch this tgid */
const volatile u32 cpu_dom[DOMBAL_MAX_CPUS];

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DOMBAL_MAX_DOMS);
	__type(key, u32);
	__type(value, struct dom_ctx);
} doms SEC(".maps");

/* Published per domain; the loader reads them from the mapped .bss. */
struct dombal_dom_stats dom_stats[DOMBAL_MAX_DOMS];

/* modless-loader reads this as the exit record (sched_ext's UEI name). */
struct dombal_exit_info uei;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct balance_timer);
} timer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/*
 * sched_ext's clock (scx_bpf_now(), 6.13+) where the kernel has it, else
 * the monotonic clock it refines: loads then age by the same time base.
 */
static u64 dombal_now(void)
{
	return SCHED_EXT_HAS(scx_bpf_now) ? scx_bpf_now() : bpf_ktime_get_ns();
}

static u32 nr_doms(void)
{
	u32 n = nr_domains;

	return n >= 1 && n <= DOMBAL_MAX_DOMS ? n : 1;
}

static u64 slice_ns(void)
{
	return time_slice_ns ?: SCX_SLICE_DFL;
}

static u64 interval_ns(void)
{
	return balance_interval_ns ?: 100000000ULL;
}

static u32 dom_of_cpu(s32 cpu)
{
	u32 dom;

	if ((u32)cpu >= DOMBAL_MAX_CPUS)
		return 0;
	dom = cpu_dom[cpu];
	return dom < DOMBAL_MAX_DOMS ? dom : 0;
}

static struct dom_ctx *dom_ctx(u32 dom)
{
	return bpf_map_lookup_elem(&doms, &dom);
}

static struct dombal_dom_stats *dom_stat(u32 dom)
{
	return dom < DOMBAL_MAX_DOMS ? &dom_stats[dom] : NULL;
}

#define STAT_INC(dom, field)						\
	do {								\
		struct dombal_dom_stats *__s = dom_stat(dom);		\
		if (__s)						\
			__sync_fetch_and_add(&__s->field, 1);		\
	} while (0)

/* v * 2^(-dt / half-life): whole half-lives by shifting, the rest linearly. */
static u64 decay(u64 v, u64 dt)
{
	u64 n = dt / DOMBAL_HALF_LIFE_NS;
	u64 rem;

	if (n >= 63)
		return 0;
	v >>= n;
	rem = dt - n * DOMBAL_HALF_LIFE_NS;
	return v - (v >> 1) * (rem >> 10) / (DOMBAL_HALF_LIFE_NS >> 10);
}

/* Moves @avg towards @target over @dt as an exponential average would. */
static u64 approach(u64 avg, u64 target, u64 dt)
{
	if (avg >= target)
		return target + decay(avg - target, dt);
	return target - decay(target - avg, dt);
}

static void task_load_update(struct task_ctx *t, u64 now)
{
	u64 target = t->runnable ? (u64)t->weight << DOMBAL_LOAD_SHIFT : 0;

	if (now > t->last_update)
		t->load_avg = approach(t->load_avg, target, now - t->last_update);
	t->last_update = now;
}

/* Caller holds d->lock. */
static void dom_load_update(struct dom_ctx *d, u64 now)
{
	u64 target = d->runnable_weight << DOMBAL_LOAD_SHIFT;

	if (now > d->last_update)
		d->load_avg = approach(d->load_avg, target, now - d->last_update);
	d->last_update = now;
}

static u64 sat_sub(u64 a, u64 b)
{
	return a > b ? a - b : 0;
}

/*
 * Adds (@sign > 0) or removes a task's runnable weight and load share to or
 * from @dom.
 */
static void dom_account(u32 dom, s32 sign, u64 weight, u64 load, u64 now)
{
	struct dom_ctx *d = dom_ctx(dom);

	if (!d)
		return;
	bpf_spin_lock(&d->lock);
	dom_load_update(d, now);
	if (sign > 0) {
		d->runnable_weight += weight;
		d->load_avg += load;
	} else {
		d->runnable_weight = sat_sub(d->runnable_weight, weight);
		d->load_avg = sat_sub(d->load_avg, load);
	}
	bpf_spin_unlock(&d->lock);
}

static struct task_ctx *task_ctx(struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctxs, p, 0, 0);
}

static bool dom_allows(u32 dom, struct task_struct *p)
{
	struct dom_ctx *d = dom_ctx(dom);
	struct bpf_cpumask *mask;
	bool ok = false;

	if (!d)
		return false;
	bpf_rcu_read_lock();
	mask = d->cpumask;
	if (mask)
		ok = bpf_cpumask_intersects((const struct cpumask *)mask, p->cpus_ptr);
	bpf_rcu_read_unlock();
	return ok;
}

/* Moves @t (task @p) from its domain to @to, carrying its load. */
static void task_move(struct task_struct *p, struct task_ctx *t, u32 to, u64 now)
{
	u64 weight = t->runnable ? t->weight : 0;
	u32 from = t->dom;

	task_load_update(t, now);
	dom_account(from, -1, weight, t->load_avg, now);
	dom_account(to, 1, weight, t->load_avg, now);
	t->dom = to;
	t->migrated_at = now;
	{
		struct dom_ctx *f = dom_ctx(from), *d = dom_ctx(to);

		if (f)
			__sync_fetch_and_sub(&f->nr_tasks, 1);
		if (d)
			__sync_fetch_and_add(&d->nr_tasks, 1);
	}
}

/*
 * The domain @p is queued on: its own unless its affinity excludes it (then
 * the first domain it may run in) or the balancer has a push budget on its
 * domain that @p's load fits.
 */
static u32 pick_dom(struct task_struct *p, struct task_ctx *t, u64 now)
{
	u32 from = t->dom, to, n = nr_doms(), i;
	struct dom_ctx *d;
	bool take = false;

	ASSERT_DOM(from, 0);
	if (!dom_allows(from, p)) {
		bpf_for(i, 0, n) {
			if (dom_allows(i, p)) {
				task_move(p, t, i, now);
				STAT_INC(from, rehomed);
				return i;
			}
		}
		return from;
	}

	if (now - t->migrated_at < DOMBAL_MIGRATE_COOLDOWN * interval_ns())
		return from;
	d = dom_ctx(from);
	if (!d)
		return from;
	task_load_update(t, now);
	bpf_spin_lock(&d->lock);
	to = d->push_to;
	/*
	 * Move only if it shrinks the gap by a quarter or more (load <= 1.75 x
	 * budget, budget = gap / 2): a move that merely flips the sign of the
	 * imbalance would ping-pong.
	 */
	if (d->push_budget && t->load_avg * 4 <= d->push_budget * 7 && to != from) {
		d->push_budget = sat_sub(d->push_budget, t->load_avg);
		take = true;
	}
	bpf_spin_unlock(&d->lock);
	if (!take || to >= n || !dom_allows(to, p))
		return from;

	task_move(p, t, to, now);
	STAT_INC(from, migrated_out);
	STAT_INC(to, migrated_in);
	return to;
}

/* Only the broken variant (starve_tgid set) has a victim. */
static bool is_victim(struct task_struct *p)
{
	return starve_tgid && p->tgid == starve_tgid;
}

/*
 * An idle CPU for @p within @dom_mask, claimed, or -1. Kernels without
 * __scx_bpf_select_cpu_and() (before 6.16) get the default pick over all of
 * @p's CPUs, kept only when it is idle and in the domain (an idle pick
 * elsewhere is kicked, to steal): the degraded behaviour is fewer direct
 * dispatches, never one outside the domain.
 */
static s32 select_idle(struct task_struct *p, s32 prev_cpu, u64 wake_flags,
		       const struct cpumask *dom_mask)
{
	bool idle = false;
	s32 cpu;

	if (SCHED_EXT_HAS(__scx_bpf_select_cpu_and)) {
		/* in the branch: its CO-RE field offsets exist only there */
		struct scx_bpf_select_cpu_and_args args = {
			.prev_cpu = prev_cpu,
			.wake_flags = wake_flags,
		};

		return __scx_bpf_select_cpu_and(p, dom_mask, &args);
	}
	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &idle);
	if (!idle)
		return -1;
	if (bpf_cpumask_test_cpu(cpu, dom_mask))
		return cpu;
	/* claimed but not ours: wake it so it steals rather than stays idle */
	scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	return -1;
}

s32 SCHED_EXT_OP(dombal_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *t = task_ctx(p);
	struct bpf_cpumask *mask;
	struct dom_ctx *d;
	s32 cpu = -1;

	if (!t)
		return prev_cpu;
	/* Keep the victim away from the direct-dispatch path. */
	if (is_victim(p))
		return prev_cpu;
	d = dom_ctx(t->dom);
	if (!d)
		return prev_cpu;
	bpf_rcu_read_lock();
	mask = d->cpumask;
	if (mask)
		cpu = select_idle(p, prev_cpu, wake_flags, (const struct cpumask *)mask);
	bpf_rcu_read_unlock();
	if (cpu < 0)
		return prev_cpu;
	scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns(), 0);
	STAT_INC(t->dom, direct);
	return cpu;
}

void SCHED_EXT_OP(dombal_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *t = task_ctx(p);
	struct bpf_cpumask *mask;
	struct dom_ctx *d;
	s32 cpu = -1;
	u32 dom;

	/* The deliberate bug: this task is owned by BPF and never dispatched. */
	if (is_victim(p))
		return;
	if (!t) {
		scx_bpf_error("%s[%d] has no task context", p->comm, p->pid);
		return;
	}
	/* Per-CPU kthreads and pinned tasks have nowhere else to go. */
	if (p->nr_cpus_allowed == 1) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns(), enq_flags);
		return;
	}

	dom = pick_dom(p, t, dombal_now());
	ASSERT_DOM(dom, );
	scx_bpf_dsq_insert(p, DOM_DSQ(dom), slice_ns(), enq_flags);
	STAT_INC(dom, enqueued);

	/* Wake an idle CPU of the domain, else any idle CPU that can steal it. */
	d = dom_ctx(dom);
	if (d) {
		bpf_rcu_read_lock();
		mask = d->cpumask;
		if (mask)
			cpu = scx_bpf_pick_idle_cpu((const struct cpumask *)mask, 0);
		bpf_rcu_read_unlock();
	}
	if (cpu < 0)
		cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
	if (cpu >= 0)
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
}

void SCHED_EXT_OP(dombal_dispatch, s32 cpu, struct task_struct *prev)
{
	u32 dom = dom_of_cpu(cpu), n = nr_doms(), i;

	if (scx_bpf_dsq_move_to_local(DOM_DSQ(dom))) {
		STAT_INC(dom, dispatched_local);
		return;
	}
	bpf_for(i, 1, n) {
		u32 victim = (dom + i) % n;

		if (scx_bpf_dsq_move_to_local(DOM_DSQ(victim))) {
			STAT_INC(dom, stolen);
			return;
		}
	}
}

void SCHED_EXT_OP(dombal_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *t = task_ctx(p);
	u64 now = dombal_now();

	if (!t || t->runnable)
		return;
	task_load_update(t, now);
	t->runnable = true;
	t->weight = p->scx.weight;
	dom_account(t->dom, 1, t->weight, 0, now);
}

void SCHED_EXT_OP(dombal_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *t = task_ctx(p);
	u64 now = dombal_now();

	if (!t || !t->runnable)
		return;
	task_load_update(t, now);
	t->runnable = false;
	dom_account(t->dom, -1, t->weight, 0, now);
}

void SCHED_EXT_OP(dombal_set_weight, struct task_struct *p, u32 weight)
{
	struct task_ctx *t = task_ctx(p);
	u64 now = dombal_now();

	if (!t)
		return;
	task_load_update(t, now);
	if (t->runnable) {
		dom_account(t->dom, -1, t->weight, 0, now);
		dom_account(t->dom, 1, weight, 0, now);
	}
	t->weight = weight;
}

s32 SCHED_EXT_OP(dombal_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_ctx *t;
	struct dom_ctx *d;
	u64 now = dombal_now();

	t = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return -ENOMEM;
	t->dom = dom_of_cpu(scx_bpf_task_cpu(p));
	t->weight = p->scx.weight;
	/* Start new tasks at half their weight, between idle and CPU-bound. */
	t->load_avg = ((u64)t->weight << DOMBAL_LOAD_SHIFT) / 2;
	t->last_update = now;
	t->migrated_at = 0;
	t->runnable = false;
	dom_account(t->dom, 1, 0, t->load_avg, now);
	d = dom_ctx(t->dom);
	if (d)
		__sync_fetch_and_add(&d->nr_tasks, 1);
	return 0;
}

void SCHED_EXT_OP(dombal_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	struct task_ctx *t = task_ctx(p);
	struct dom_ctx *d;
	u64 now = dombal_now();

	if (!t)
		return;
	task_load_update(t, now);
	dom_account(t->dom, -1, t->runnable ? t->weight : 0, t->load_avg, now);
	d = dom_ctx(t->dom);
	if (d)
		__sync_fetch_and_sub(&d->nr_tasks, 1);
}

/*
 * One balancing round: refresh every domain's average, publish it, and give
 * the busiest domain a push budget towards the idlest when they are further
 * apart than the hysteresis band.
 */
/*
 * The balancer's picks live in .bss rather than in registers: the verifier
 * then sees them as unknown values to bounds-check, instead of exploring the
 * loop once per (busiest, idlest) combination. Only the timer writes them.
 */
static u32 busiest_dom, idlest_dom;

static int balance_timerfn(void *map, int *key, struct bpf_timer *tm)
{
	u64 now = dombal_now(), total = 0, max = 0, min = ~0ULL, hyst;
	u32 n = nr_doms(), i, busiest, idlest;
	struct dom_ctx *d;

	hyst = hyst_pct;
	busiest_dom = idlest_dom = 0;
	bpf_for(i, 0, n) {
		struct dombal_dom_stats *s;
		u64 load, rw;

		d = dom_ctx(i);
		s = dom_stat(i);
		if (!d || !s)
			continue;
		bpf_spin_lock(&d->lock);
		dom_load_update(d, now);
		load = d->load_avg;
		rw = d->runnable_weight;
		d->push_budget = 0;
		bpf_spin_unlock(&d->lock);
		s->load = load;
		s->runnable_weight = rw;
		s->nr_tasks = d->nr_tasks;
		total += load;
		if (load >= max) {
			max = load;
			busiest_dom = i;
		}
		if (load < min) {
			min = load;
			idlest_dom = i;
		}
	}

	busiest = busiest_dom;
	idlest = idlest_dom;
	ASSERT_DOM(busiest, 0);
	ASSERT_DOM(idlest, 0);
	if (n > 1 && busiest != idlest && max - min > DOMBAL_MIN_IMBALANCE &&
	    (max - min) * 100 * n > total * hyst) {
		d = dom_ctx(busiest);
		if (d) {
			bpf_spin_lock(&d->lock);
			d->push_budget = (max - min) / 2;
			d->push_to = idlest;
			bpf_spin_unlock(&d->lock);
			STAT_INC(busiest, balance_rounds);
		}
	}
	bpf_timer_start(tm, interval_ns(), 0);
	return 0;
}

s32 SCHED_EXT_OP_SLEEPABLE(dombal_init)
{
	u32 n = nr_doms(), zero = 0, i;
	struct balance_timer *bt;
	s32 ret;

	bpf_for(i, 0, n) {
		struct bpf_cpumask *mask, *old;
		struct dom_ctx *d;
		s32 cpu;

		ret = scx_bpf_create_dsq(DOM_DSQ(i), -1);
		if (ret) {
			scx_bpf_error("creating DSQ for domain %u: %d", i, ret);
			return ret;
		}
		mask = bpf_cpumask_create();
		if (!mask)
			return -ENOMEM;
		bpf_for(cpu, 0, DOMBAL_MAX_CPUS) {
			if (dom_of_cpu(cpu) == i && cpu < scx_bpf_nr_cpu_ids())
				bpf_cpumask_set_cpu(cpu, mask);
		}
		d = dom_ctx(i);
		if (!d) {
			bpf_cpumask_release(mask);
			return -ENOENT;
		}
		old = bpf_kptr_xchg(&d->cpumask, mask);
		if (old)
			bpf_cpumask_release(old);
	}

	bt = bpf_map_lookup_elem(&timer, &zero);
	if (!bt)
		return -ENOENT;
	ret = bpf_timer_init(&bt->timer, &timer, CLOCK_MONOTONIC);
	if (ret)
		return ret;
	bpf_timer_set_callback(&bt->timer, balance_timerfn);
	return bpf_timer_start(&bt->timer, interval_ns(), 0);
}

void SCHED_EXT_OP(dombal_exit, struct scx_exit_info *ei)
{
	struct dombal_exit_info *x = &uei;

	bpf_probe_read_kernel_str(x->reason, sizeof(x->reason), ei->reason);
	bpf_probe_read_kernel_str(x->msg, sizeof(x->msg), ei->msg);
	bpf_probe_read_kernel_str(x->dump, sizeof(x->dump), ei->dump);
	x->exit_code = ei->exit_code;
	/* Last: userspace treats a non-zero kind as "exited, info complete". */
	__sync_val_compare_and_swap(&x->kind, 0, ei->kind);
}

/* The broken variant's loader renames it and shortens timeout_ms. */
SCHED_EXT_OPS_DEFINE(dombal_ops,
	.select_cpu	= (void *)dombal_select_cpu,
	.enqueue	= (void *)dombal_enqueue,
	.dispatch	= (void *)dombal_dispatch,
	.runnable	= (void *)dombal_runnable,
	.quiescent	= (void *)dombal_quiescent,
	.set_weight	= (void *)dombal_set_weight,
	.init_task	= (void *)dombal_init_task,
	.exit_task	= (void *)dombal_exit_task,
	.init		= (void *)dombal_init,
	.exit		= (void *)dombal_exit,
	.timeout_ms	= 0,	/* the kernel's default (30 s) */
	.exit_dump_len	= DOMBAL_DUMP_LEN,
	.name		= "dombal");
