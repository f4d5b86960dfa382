// SPDX-License-Identifier: GPL-2.0
/* Observes jobd's completion hook site (the bench's "fentry attached" case). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "jobd.bpf.h"

char _license[] SEC("license") = "GPL";

u64 completions;

JOBD_FENTRY(jobd_job_complete, on_complete, struct jobd_job *job, u64 runtime_ns)
{
	__sync_fetch_and_add(&completions, 1);
	return 0;
}
