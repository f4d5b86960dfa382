// SPDX-License-Identifier: GPL-2.0
/*
 * static_call_update() racing calls on every CPU, with no BPF and no modless
 * glue: two plain functions swapped under one static call while a kthread
 * bound to each CPU calls through it. On real x86 the kernel's text_poke
 * protocol (INT3, IPI-serialize every CPU, ..., first byte, IPI) makes this
 * safe; the load fails with -EIO if a call got an answer from neither.
 * It exists to tell a bug in the hot glue from one in the machine that runs
 * it: see ../README.md.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/static_call.h>

static unsigned int swaps = 20000;
module_param(swaps, uint, 0444);
MODULE_PARM_DESC(swaps, "how many times to re-point the static call");

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
		static_call_update(probe_call, i % 2 ? probe_a : probe_b);
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
	pr_info("static_call_probe: %u swaps, callers on %u CPUs: a %llu b %llu other %llu\n",
		swaps, nr, a, b, other);
	return other || nr != num_online_cpus() ? -EIO : 0;
}

static void __exit probe_exit(void)
{
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("static_call_update() racing callers on every CPU (no BPF)");
