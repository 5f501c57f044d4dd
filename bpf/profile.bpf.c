/* profile.bpf.c - on-CPU samples: a cpu-clock perf event per CPU (the
 * recorder opens them at --probe profile[:HZ], 99 Hz by default) runs this
 * program, which records the task on the CPU with its user and kernel
 * stacks.  The idle task (pid 0) is left out. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "common.bpf.h"
#include "profile.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} profile_events SEC(".maps");
BPFREC_EVENT(profile_events, profile_event);

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct profile_event *e;

	if (!(pid_tgid >> 32) || !bpfrec_pid_wanted(pid_tgid >> 32))
		return 0;
	e = bpf_ringbuf_reserve(&profile_events, sizeof(*e), 0);
	if (!e) {
		bpfrec_count_lost();
		return 0;
	}
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->cpu = bpf_get_smp_processor_id();
	e->__pad = 0;
	e->ustack_id = bpfrec_user_stack(ctx);
	e->kstack_id = bpfrec_kernel_stack(ctx);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 0;
}
