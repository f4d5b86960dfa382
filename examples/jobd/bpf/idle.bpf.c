// SPDX-License-Identifier: GPL-2.0
/*
 * Whether an idle hook site calls its function (jobd-guest-tests idle-sites):
 * a kprobe past the completion hook's ftrace site counts the function's runs
 * without tracing its entry, an fentry program traces it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u64 bodies;
u64 entries;

/* +9: past ENDBR64 (4 bytes, CONFIG_X86_KERNEL_IBT) and the 5-byte nop */
SEC("kprobe/jobd_job_complete+9")
int BPF_KPROBE(count_body)
{
	__sync_fetch_and_add(&bodies, 1);
	return 0;
}

JOBD_FENTRY(jobd_job_complete, count_entry, struct jobd_job *job, u64 runtime_ns)
{
	__sync_fetch_and_add(&entries, 1);
	return 0;
}
