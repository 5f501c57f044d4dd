/* proctree.bpf.c - keeps bpfrec_pids equal to the recorded command's process
 * tree: a fork by a tracked process tracks the child.  Emits no events.
 * Entries are not removed at exit (the exit probe may still need them; pid
 * reuse within one session is ignored). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "common.bpf.h"

SEC("tracepoint/sched/sched_process_fork")
int proctree_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	__u32 child = ctx->child_pid;   /* a new process: its pid is its tgid */
	__u8 one = 1;

	if (bpf_map_lookup_elem(&bpfrec_pids, &parent))
		bpf_map_update_elem(&bpfrec_pids, &child, &one, BPF_NOEXIST);
	return BPFREC_TP_RET;
}
