// SPDX-License-Identifier: GPL-2.0
/*
 * jobd - a job dispatcher with CPU domains whose placement policy is BPF.
 *
 * Userspace submits jobs through /proc/jobd. Each domain has a worker thread
 * per CPU, bound to that CPU, running the domain's queue. Where a new job goes
 * (select_domain), how many queued jobs move off the busiest domain (balance)
 * and what happens when a job is done (job_done) is policy: a struct jobd_ops
 * attached from BPF, or the defaults below. Everything BPF-related, from the
 * struct_ops registration to JOBD_CALL(), is generated from ../jobd.toml.
 *
 * /proc/jobd commands:
 *   submit COUNT COST   queue COUNT jobs of COST microseconds each
 *   drain MS            wait up to MS milliseconds for every job to finish
 *   bench LOOPS         time LOOPS policy calls and hook-site calls
 *   race start|stop     call select_domain on every CPU until stopped, sorting
 *                       the answers into the default's and each race policy's
 *
 * Built a second time as jobd_nosites.ko (jobd_nosites_main.c) with every hook
 * site and policy call compiled out: the job path's baseline for the bench.
 * Its /proc file is named after the module, /proc/jobd_nosites.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/proc_fs.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#ifdef CONFIG_X86
#include <asm/tsc.h>
#endif

#include "jobd_bpf.h"

#ifdef JOBD_NO_SITES
/*
 * No hook site and no policy call: each is what runs with nothing attached,
 * written out (the defaults called directly, the hooks' defaults inline), and
 * no BPF glue is linked.
 */
#undef JOBD_CALL
#undef JOBD_HOOK
#define JOBD_CALL(op, ...)	jobd_nosite_##op(__VA_ARGS__)
#define JOBD_HOOK(hook, ...)	jobd_nosite_##hook(__VA_ARGS__)
#define jobd_nosite_select_domain	jobd_default_select_domain
#define jobd_nosite_balance		jobd_default_balance
#define jobd_bpf_init()			0
#define jobd_bpf_eject(code, fmt, ...)	pr_warn("jobd: " fmt "\n", ##__VA_ARGS__)

static inline void jobd_nosite_job_done(struct jobd_job *job, u64 runtime_ns)
{
}

static inline int jobd_nosite_jobd_admit(struct jobd_job *job)
{
	return 0;
}

static inline void jobd_nosite_jobd_job_complete(struct jobd_job *job,
						 u64 runtime_ns)
{
}

/* the bench's plain call; jobd.ko has it from jobd_bpf.c */
noinline void jobd_job_complete(struct jobd_job *job, u64 runtime_ns)
{
	asm volatile("");
}
#endif

#define JOBD_MAX_DOMAINS	8
#define JOBD_MAX_COST_US	10000
#define JOBD_BALANCE_MS		5
/* A policy choosing a domain that does not exist this often in a row is ejected. */
#define JOBD_MAX_BAD_CHOICES	3

static unsigned int domains = 2;
module_param(domains, uint, 0444);
MODULE_PARM_DESC(domains, "CPU domains when the machine has one NUMA node (1-8)");

/* A job and what only jobd sees of it; BPF gets &item->job. */
struct jobd_item {
	struct jobd_job job;
	struct list_head node;
	refcount_t ref;
};

struct jobd_domain {
	spinlock_t lock;		/* protects queue, nr_queued, queued_cost */
	struct list_head queue;
	u32 nr_queued;
	u64 queued_cost;
	wait_queue_head_t wait;
	struct cpumask cpus;
	atomic64_t placed;
	atomic64_t ran;
};

static struct jobd_domain jobd_domains[JOBD_MAX_DOMAINS];
static u32 nr_domains;
static struct task_struct **jobd_workers;

static atomic64_t next_id, submitted, rejected, completed, double_runs, moved;
static atomic_t live_items;
static DECLARE_WAIT_QUEUE_HEAD(drained);

static struct delayed_work balance_work;

/* Why the last policy was ejected, for /proc/jobd. */
static char exit_reason[96] = "-";
static DEFINE_MUTEX(exit_lock);
static atomic_t bad_choices;

/* Results of the last "bench" command, in TSC cycles on x86 (ns elsewhere). */
static struct {
	u64 loops, op, native, hook, site, plain;
	u32 sink;
} last_bench;
static DEFINE_MUTEX(bench_lock);

static void jobd_put(struct jobd_item *item)
{
	if (refcount_dec_and_test(&item->ref)) {
		kfree(item);
		if (atomic_dec_and_test(&live_items))
			wake_up_all(&drained);
	}
}

/*
 * Defaults: what runs while no BPF policy is attached. A hot op's idle call
 * site is a direct call of its default, so select_domain's is a real function
 * everywhere (noinline), and the bench's baseline makes the same call.
 */

noinline u32 jobd_default_select_domain(struct jobd_job *job, u32 nr)
{
	return job->id % nr;
}

u32 jobd_default_balance(u32 busiest, u32 nr)
{
	u32 d, fewest = U32_MAX;

	for (d = 0; d < nr; d++)
		fewest = min(fewest, READ_ONCE(jobd_domains[d].nr_queued));
	return (READ_ONCE(jobd_domains[busiest].nr_queued) - fewest) / 2;
}

/* kfuncs (prototypes and kernel-doc are generated in jobd_bpf.h) */

__bpf_kfunc_start_defs();

__bpf_kfunc u64 bpf_jobd_domain_load(u32 dom)
{
	if (dom >= nr_domains)
		return 0;
	return READ_ONCE(jobd_domains[dom].queued_cost);
}

__bpf_kfunc u32 bpf_jobd_nr_domains(void)
{
	return nr_domains;
}

__bpf_kfunc struct jobd_job *bpf_jobd_job_acquire(u64 id)
{
	struct jobd_item *item;
	u32 d;

	for (d = 0; d < nr_domains; d++) {
		struct jobd_domain *dom = &jobd_domains[d];

		guard(spinlock)(&dom->lock);
		list_for_each_entry(item, &dom->queue, node) {
			if (item->job.id == id) {
				refcount_inc(&item->ref);
				return &item->job;
			}
		}
	}
	return NULL;
}

__bpf_kfunc void bpf_jobd_job_release(struct jobd_job *job)
{
	jobd_put(container_of(job, struct jobd_item, job));
}

__bpf_kfunc_end_defs();

static void jobd_enqueue(u32 d, struct jobd_item *item)
{
	struct jobd_domain *dom = &jobd_domains[d];

	item->job.domain = d;
	scoped_guard(spinlock, &dom->lock) {
		list_add_tail(&item->node, &dom->queue);
		dom->nr_queued++;
		dom->queued_cost += item->job.cost;
	}
	wake_up(&dom->wait);
}

static struct jobd_item *jobd_dequeue(struct jobd_domain *dom)
{
	struct jobd_item *item;

	guard(spinlock)(&dom->lock);
	item = list_first_entry_or_null(&dom->queue, struct jobd_item, node);
	if (item) {
		list_del(&item->node);
		dom->nr_queued--;
		dom->queued_cost -= item->job.cost;
	}
	return item;
}

static void jobd_run(struct jobd_domain *dom, struct jobd_item *item)
{
	u64 start = ktime_get_ns(), runtime;

	if (++item->job.nr_runs > 1)
		atomic64_inc(&double_runs);
	udelay(item->job.cost);
	runtime = ktime_get_ns() - start;

	JOBD_HOOK(jobd_job_complete, &item->job, runtime);
	JOBD_CALL(job_done, &item->job, runtime);
	atomic64_inc(&dom->ran);
	atomic64_inc(&completed);
	jobd_put(item);
}

static int jobd_worker(void *arg)
{
	struct jobd_domain *dom = arg;
	struct jobd_item *item;

	while (!kthread_should_stop()) {
		wait_event_interruptible(dom->wait, READ_ONCE(dom->nr_queued) ||
					 kthread_should_stop());
		item = jobd_dequeue(dom);
		if (item)
			jobd_run(dom, item);
		/*
		 * Between jobs no policy call is in flight: an RCU Tasks
		 * quiescent state, which the kernel waits for before it frees
		 * a swapped-out policy's trampoline (see jobd_bpf.c), even
		 * while the queue never empties.
		 */
		cond_resched_tasks_rcu_qs();
	}
	return 0;
}

/* Moves up to @n jobs from the tail of @from to @to, in lock order. */
static u32 jobd_move(u32 from, u32 to, u32 n)
{
	struct jobd_domain *src = &jobd_domains[from], *dst = &jobd_domains[to];
	struct jobd_item *item, *tmp;
	u32 done = 0;

	if (from < to) {
		spin_lock(&src->lock);
		spin_lock_nested(&dst->lock, SINGLE_DEPTH_NESTING);
	} else {
		spin_lock(&dst->lock);
		spin_lock_nested(&src->lock, SINGLE_DEPTH_NESTING);
	}
	list_for_each_entry_safe_reverse(item, tmp, &src->queue, node) {
		if (done == n)
			break;
		list_move_tail(&item->node, &dst->queue);
		item->job.domain = to;
		src->nr_queued--;
		src->queued_cost -= item->job.cost;
		dst->nr_queued++;
		dst->queued_cost += item->job.cost;
		done++;
	}
	spin_unlock(&src->lock);
	spin_unlock(&dst->lock);
	if (done)
		wake_up(&dst->wait);
	return done;
}

static void jobd_balance(struct work_struct *work)
{
	u32 d, busiest = 0, idlest = 0, n;

	for (d = 1; d < nr_domains; d++) {
		u32 q = READ_ONCE(jobd_domains[d].nr_queued);

		if (q > READ_ONCE(jobd_domains[busiest].nr_queued))
			busiest = d;
		if (q < READ_ONCE(jobd_domains[idlest].nr_queued))
			idlest = d;
	}
	if (busiest != idlest && READ_ONCE(jobd_domains[busiest].nr_queued)) {
		n = JOBD_CALL(balance, busiest, nr_domains);
		atomic64_add(jobd_move(busiest, idlest, n), &moved);
	}
	schedule_delayed_work(&balance_work, msecs_to_jiffies(JOBD_BALANCE_MS));
}

/* The policy chose domain @d of nr_domains: once is a fallback, often an ejection. */
static void jobd_bad_choice(u32 d)
{
	char reason[sizeof(exit_reason)];

	if (atomic_inc_return(&bad_choices) < JOBD_MAX_BAD_CHOICES)
		return;
	atomic_set(&bad_choices, 0);
	snprintf(reason, sizeof(reason), "select_domain chose domain %u of %u, %d times in a row",
		 d, nr_domains, JOBD_MAX_BAD_CHOICES);
	scoped_guard(mutex, &exit_lock)
		strscpy(exit_reason, reason);
	jobd_bpf_eject(-EINVAL, "%s", reason);
}

static int jobd_submit(u32 count, u32 cost)
{
	struct jobd_item *item;
	u32 i, d;

	for (i = 0; i < count; i++) {
		item = kzalloc(sizeof(*item), GFP_KERNEL);
		if (!item)
			return -ENOMEM;
		refcount_set(&item->ref, 1);
		atomic_inc(&live_items);
		item->job.id = atomic64_inc_return(&next_id);
		item->job.submit_ns = ktime_get_ns();
		item->job.cost = cost;
		atomic64_inc(&submitted);

		if (JOBD_HOOK(jobd_admit, &item->job)) {
			atomic64_inc(&rejected);
			jobd_put(item);
			continue;
		}
		d = JOBD_CALL(select_domain, &item->job, nr_domains);
		if (d >= nr_domains) {
			jobd_bad_choice(d);
			d = jobd_default_select_domain(&item->job, nr_domains);
		} else {
			atomic_set(&bad_choices, 0);
		}
		atomic64_inc(&jobd_domains[d].placed);
		jobd_enqueue(d, item);
	}
	return 0;
}

/* Cycles where the TSC is there (fine-grained even under TCG), else ns. */
static u64 jobd_bench_clock(void)
{
#ifdef CONFIG_X86
	return rdtsc_ordered();
#else
	return ktime_get_ns();
#endif
}

/*
 * P1's loops, one shape for all: a barrier (so that no call is hoisted or
 * merged, the default being a pure function), one call, the answer summed
 * into a result jobd keeps. "op" is JOBD_CALL(select_domain); "native" calls
 * the default directly, which is what JOBD_CALL()'s call site is with no
 * policy attached: the idle ratio op/native is the dispatch's cost alone.
 * "hook" calls the completion hook's function directly, a plain call (and
 * with fentry attached, the fentry-attached call); "site" is the hook site,
 * JOBD_HOOK(), which with nothing attached skips the call; "plain" is the
 * loop without a call.
 */
static void jobd_bench(u64 loops)
{
	struct jobd_job job = { .id = 1, .cost = 1 };
	u32 nr = READ_ONCE(nr_domains), sink = 0;
	u64 i, t0, t1, t2, t3, t4, t5;

	t0 = jobd_bench_clock();
	for (i = 0; i < loops; i++) {
		barrier();
		sink += JOBD_CALL(select_domain, &job, nr);
	}
	t1 = jobd_bench_clock();
	for (i = 0; i < loops; i++) {
		barrier();
		sink += jobd_default_select_domain(&job, nr);
	}
	t2 = jobd_bench_clock();
	for (i = 0; i < loops; i++) {
		barrier();
		jobd_job_complete(&job, i);
	}
	t3 = jobd_bench_clock();
	for (i = 0; i < loops; i++) {
		barrier();
		JOBD_HOOK(jobd_job_complete, &job, i);
	}
	t4 = jobd_bench_clock();
	for (i = 0; i < loops; i++)
		barrier();
	t5 = jobd_bench_clock();

	guard(mutex)(&bench_lock);
	last_bench.loops = loops;
	last_bench.op = t1 - t0;
	last_bench.native = t2 - t1;
	last_bench.hook = t3 - t2;
	last_bench.site = t4 - t3;
	last_bench.plain = t5 - t4;
	last_bench.sink = sink;
}

/* The answers of race policies to a race job (examples/jobd/bpf/race.bpf.c). */
#define JOBD_RACE_JOB	(1U << 31)
#define JOBD_RACE_A	1000
#define JOBD_RACE_B	2000

/* One caller per CPU and what it was answered; read once it stopped. */
struct jobd_racer {
	struct task_struct *task;
	unsigned int cpu;
	u64 dflt, a, b, other;
};

static struct jobd_racer *jobd_racers;
static DEFINE_MUTEX(race_lock);
/* Totals of the last race, and on how many CPUs it ran. */
static struct {
	u64 dflt, a, b, other;
	u32 cpus, idle_cpus;
} last_race;

static int jobd_race(void *arg)
{
	struct jobd_racer *r = arg;
	struct jobd_job job = { .id = r->cpu + 1, .flags = JOBD_RACE_JOB };
	u32 nr = READ_ONCE(nr_domains), ans, n = 0;

	while (!kthread_should_stop()) {
		ans = JOBD_CALL(select_domain, &job, nr);
		if (ans == job.id % nr)
			r->dflt++;
		else if (ans == JOBD_RACE_A)
			r->a++;
		else if (ans == JOBD_RACE_B)
			r->b++;
		else
			r->other++;
		/* a voluntary sleep now and then, as a task returning to user space */
		if (!(++n % 64))
			usleep_range(20, 50);
	}
	return 0;
}

static int jobd_race_start(void)
{
	unsigned int cpu;

	guard(mutex)(&race_lock);
	if (jobd_racers)
		return -EBUSY;
	jobd_racers = kcalloc(nr_cpu_ids, sizeof(*jobd_racers), GFP_KERNEL);
	if (!jobd_racers)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		struct jobd_racer *r = &jobd_racers[cpu];
		struct task_struct *t;

		r->cpu = cpu;
		t = kthread_create_on_cpu(jobd_race, r, cpu, "jobd_race/%u");
		if (IS_ERR(t))
			continue;
		r->task = t;
		wake_up_process(t);
	}
	return 0;
}

static int jobd_race_stop(void)
{
	unsigned int cpu;

	guard(mutex)(&race_lock);
	if (!jobd_racers)
		return -EINVAL;
	memset(&last_race, 0, sizeof(last_race));
	for_each_possible_cpu(cpu) {
		struct jobd_racer *r = &jobd_racers[cpu];

		if (!r->task)
			continue;
		kthread_stop(r->task);
		last_race.cpus++;
		if (!(r->dflt + r->a + r->b + r->other))
			last_race.idle_cpus++;
		last_race.dflt += r->dflt;
		last_race.a += r->a;
		last_race.b += r->b;
		last_race.other += r->other;
	}
	kfree(jobd_racers);
	jobd_racers = NULL;
	return 0;
}

static int jobd_show(struct seq_file *m, void *v)
{
	struct jobd_ops *ops = NULL;
	u32 d;

	rcu_read_lock();
#if JOBD_BPF_ENABLED && !defined(JOBD_NO_SITES)
	ops = rcu_dereference(jobd_bpf_ops);
#endif
	seq_printf(m, "policy: %s\n", ops ? ops->name : "default");
	seq_printf(m, "flags: %llu\n", ops ? ops->flags : 0ULL);
	rcu_read_unlock();
	seq_printf(m, "domains: %u\n", nr_domains);
	scoped_guard(mutex, &exit_lock)
		seq_printf(m, "exit: %s\n", exit_reason);
	seq_printf(m, "submitted: %lld\nrejected: %lld\ncompleted: %lld\n",
		   atomic64_read(&submitted), atomic64_read(&rejected),
		   atomic64_read(&completed));
	seq_printf(m, "double_runs: %lld\nmoved: %lld\nlive: %d\n",
		   atomic64_read(&double_runs), atomic64_read(&moved),
		   atomic_read(&live_items));
	for (d = 0; d < nr_domains; d++) {
		struct jobd_domain *dom = &jobd_domains[d];

		seq_printf(m, "domain %u: cpus %*pbl queued %u placed %lld ran %lld\n",
			   d, cpumask_pr_args(&dom->cpus), READ_ONCE(dom->nr_queued),
			   atomic64_read(&dom->placed), atomic64_read(&dom->ran));
	}
	guard(mutex)(&bench_lock);
	seq_printf(m, "bench: unit %s loops %llu op %llu native %llu hook %llu site %llu plain %llu sink %u\n",
		   IS_ENABLED(CONFIG_X86) ? "cycles" : "ns", last_bench.loops,
		   last_bench.op, last_bench.native, last_bench.hook,
		   last_bench.site, last_bench.plain, last_bench.sink);
	guard(mutex)(&race_lock);
	seq_printf(m, "race: cpus %u idle_cpus %u default %llu a %llu b %llu other %llu\n",
		   last_race.cpus, last_race.idle_cpus, last_race.dflt,
		   last_race.a, last_race.b, last_race.other);
	return 0;
}

static int jobd_open(struct inode *inode, struct file *file)
{
	return single_open(file, jobd_show, NULL);
}

static ssize_t jobd_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	char buf[64];
	u32 a, b;
	u64 loops;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';

	if (sscanf(buf, "submit %u %u", &a, &b) == 2) {
		if (b > JOBD_MAX_COST_US)
			return -EINVAL;
		ret = jobd_submit(a, b);
	} else if (sscanf(buf, "drain %u", &a) == 1) {
		ret = wait_event_interruptible_timeout(drained, !atomic_read(&live_items),
						       msecs_to_jiffies(a));
		ret = ret > 0 ? 0 : ret ?: -ETIMEDOUT;
	} else if (sscanf(buf, "bench %llu", &loops) == 1) {
		jobd_bench(loops);
		ret = 0;
	} else if (!strcmp(buf, "race start")) {
		ret = jobd_race_start();
	} else if (!strcmp(buf, "race stop")) {
		ret = jobd_race_stop();
	} else {
		return -EINVAL;
	}
	return ret ?: len;
}

static const struct proc_ops jobd_proc_ops = {
	.proc_open	= jobd_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
	.proc_write	= jobd_write,
};

/* One domain per NUMA node, else @domains contiguous blocks of CPUs. */
static u32 jobd_domain_of(unsigned int cpu)
{
	if (num_online_nodes() > 1)
		return cpu_to_node(cpu) % nr_domains;
	return cpu * nr_domains / nr_cpu_ids;
}

static void jobd_stop_workers(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (jobd_workers[cpu])
			kthread_stop(jobd_workers[cpu]);
	kfree(jobd_workers);
}

static int __init jobd_init(void)
{
	unsigned int cpu;
	u32 d;
	int ret;

	nr_domains = num_online_nodes() > 1 ? num_online_nodes() : domains;
	nr_domains = clamp_t(u32, nr_domains, 1, min(JOBD_MAX_DOMAINS, nr_cpu_ids));
	for (d = 0; d < nr_domains; d++) {
		spin_lock_init(&jobd_domains[d].lock);
		INIT_LIST_HEAD(&jobd_domains[d].queue);
		init_waitqueue_head(&jobd_domains[d].wait);
	}

	ret = jobd_bpf_init();
	if (ret)
		return ret;

	jobd_workers = kcalloc(nr_cpu_ids, sizeof(*jobd_workers), GFP_KERNEL);
	if (!jobd_workers)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		struct jobd_domain *dom = &jobd_domains[jobd_domain_of(cpu)];
		struct task_struct *t;

		cpumask_set_cpu(cpu, &dom->cpus);
		t = kthread_create_on_cpu(jobd_worker, dom, cpu, "jobd/%u");
		if (IS_ERR(t)) {
			jobd_stop_workers();
			return PTR_ERR(t);
		}
		jobd_workers[cpu] = t;
		wake_up_process(t);
	}

	if (!proc_create(KBUILD_MODNAME, 0600, NULL, &jobd_proc_ops)) {
		jobd_stop_workers();
		return -ENOMEM;
	}
	INIT_DELAYED_WORK(&balance_work, jobd_balance);
	schedule_delayed_work(&balance_work, msecs_to_jiffies(JOBD_BALANCE_MS));
	pr_info("jobd: %u domains over %u CPUs\n", nr_domains, num_online_cpus());
	return 0;
}

static void __exit jobd_exit(void)
{
	struct jobd_item *item;
	u32 d;

	remove_proc_entry(KBUILD_MODNAME, NULL);
	jobd_race_stop();
	cancel_delayed_work_sync(&balance_work);
	jobd_stop_workers();
	for (d = 0; d < nr_domains; d++)
		while ((item = jobd_dequeue(&jobd_domains[d])))
			jobd_put(item);
}

module_init(jobd_init);
module_exit(jobd_exit);
MODULE_DESCRIPTION("jobd: job dispatcher whose placement policy is a BPF struct_ops");
MODULE_LICENSE("GPL");
