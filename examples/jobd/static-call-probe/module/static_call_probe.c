// SPDX-License-Identifier: GPL-2.0
/*
 * static_call_update() racing calls on every CPU, with no BPF and no modless
 * glue: two plain functions swapped under one static call while a kthread
 * bound to each CPU calls through it. On real x86 the kernel's text_poke
 * protocol (INT3, IPI-serialize every CPU, ..., first byte, IPI) makes this
 * safe; the load fails with -EIO if a call got an answer from neither.
 * It exists to tell a bug in the hot glue from one in the machine that runs
 * it: see ../README.md. With retry=1 an INT3 at the probe's call site that the
 * kernel's text-poke handler did not claim is reported, with the bytes memory
 * holds there, and the call is run again instead of the kernel dying.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kdebug.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/static_call.h>
#include <linux/timekeeping.h>

static unsigned int swaps = 20000;
module_param(swaps, uint, 0444);
MODULE_PARM_DESC(swaps, "how many times to re-point the static call");
static bool retry;
module_param(retry, bool, 0444);
MODULE_PARM_DESC(retry, "report and retry an unclaimed INT3 at the call site");

#define PROBE_A	1000
#define PROBE_B	2000

/* opaque bodies keep both real, distinct call targets */
static noinline u32 probe_a(u32 n)
{
	asm volatile("");
	return PROBE_A;
}

static noinline u32 probe_b(u32 n)
{
	asm volatile("");
	return PROBE_B;
}

DEFINE_STATIC_CALL(probe_call, probe_a);

/* what the updater was doing, for the INT3 report */
static atomic_t probe_updating;
static unsigned int probe_swaps_done;
static u64 probe_done_ns;
static atomic_t probe_unclaimed;

/*
 * An INT3 reaches the die chain only when the text-poke handler found no patch
 * of that address in progress. Memory is read on the CPU that trapped.
 */
static int probe_int3(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;
	unsigned long ip = args->regs->ip - 1;
	u8 insn[5];
	int n;

	if (val != DIE_INT3 || user_mode(args->regs) ||
	    !within_module(ip, THIS_MODULE))
		return NOTIFY_DONE;
	n = atomic_inc_return(&probe_unclaimed);
	memcpy(insn, (void *)ip, sizeof(insn));
	if (n <= 4)
		pr_err("static_call_probe: unclaimed INT3 #%d at %pS on CPU %d, memory holds %5ph; update %s, %u done, the last %llu us ago\n",
		       n, (void *)ip, smp_processor_id(), insn,
		       atomic_read(&probe_updating) ? "running" : "idle",
		       READ_ONCE(probe_swaps_done),
		       (ktime_get_mono_fast_ns() - READ_ONCE(probe_done_ns)) / 1000);
	if (n > 1000000)
		return NOTIFY_DONE;	/* it never recovers: die */
	/* run the instruction again, from memory */
	args->regs->ip = ip;
	return NOTIFY_STOP;
}

static struct notifier_block probe_nb = {
	.notifier_call = probe_int3,
};

struct probe_caller {
	struct task_struct *task;
	u64 a, b, other;
};

static int probe_caller_fn(void *arg)
{
	struct probe_caller *c = arg;
	u32 n = 0, ans;

	while (!kthread_should_stop()) {
		ans = static_call(probe_call)(n);
		if (ans == PROBE_A)
			c->a++;
		else if (ans == PROBE_B)
			c->b++;
		else
			c->other++;
		/* as jobd's race callers: a short sleep now and then */
		if (!(++n % 64))
			usleep_range(20, 50);
	}
	return 0;
}

static int __init probe_init(void)
{
	struct probe_caller *callers;
	u64 a = 0, b = 0, other = 0;
	unsigned int cpu, i, nr = 0;

	callers = kcalloc(nr_cpu_ids, sizeof(*callers), GFP_KERNEL);
	if (!callers)
		return -ENOMEM;
	if (retry)
		register_die_notifier(&probe_nb);
	for_each_online_cpu(cpu) {
		struct task_struct *t;

		t = kthread_create_on_cpu(probe_caller_fn, &callers[cpu], cpu,
					  "sc_probe/%u");
		if (IS_ERR(t))
			continue;
		callers[cpu].task = t;
		wake_up_process(t);
		nr++;
	}
	for (i = 0; i < swaps; i++) {
		/* the update's IPIs order these flags for the report */
		atomic_set(&probe_updating, 1);
		static_call_update(probe_call, i % 2 ? probe_a : probe_b);
		atomic_set(&probe_updating, 0);
		WRITE_ONCE(probe_done_ns, ktime_get_mono_fast_ns());
		WRITE_ONCE(probe_swaps_done, i + 1);
		cond_resched();
	}
	for_each_online_cpu(cpu) {
		if (!callers[cpu].task)
			continue;
		kthread_stop(callers[cpu].task);
		a += callers[cpu].a;
		b += callers[cpu].b;
		other += callers[cpu].other;
	}
	kfree(callers);
	if (retry)
		unregister_die_notifier(&probe_nb);
	pr_info("static_call_probe: %u swaps, callers on %u CPUs: a %llu b %llu other %llu, unclaimed INT3 %d\n",
		swaps, nr, a, b, other, atomic_read(&probe_unclaimed));
	return other || nr != num_online_cpus() ||
	       atomic_read(&probe_unclaimed) ? -EIO : 0;
}

static void __exit probe_exit(void)
{
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("static_call_update() racing callers on every CPU (no BPF)");
