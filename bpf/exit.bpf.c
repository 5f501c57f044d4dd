/* exit.bpf.c - one perf-array event per exiting thread.  A perf event array
 * on purpose: the built-in probes exercise both buffer kinds. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "exit.h"

#define ENOSPC 28

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} exit_events SEC(".maps");
BPFREC_EVENT(exit_events, exit_event);

SEC("tracepoint/sched/sched_process_exit")
int exit_task(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct exit_event e;
	long err;
	int code;

	if (!bpfrec_pid_wanted(pid_tgid >> 32))
		return BPFREC_TP_RET;
	task = (struct task_struct *)bpf_get_current_task();
	code = BPF_CORE_READ(task, exit_code);
	__builtin_memset(&e, 0, sizeof(e));
	e.ts_ns = bpf_ktime_get_boot_ns();
	e.pid = pid_tgid >> 32;
	e.tid = (__u32)pid_tgid;
	e.exit_code = (code >> 8) & 0xff;
	e.exit_signal = code & 0x7f;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	e.ustack_id = bpfrec_user_stack(ctx);
	e.kstack_id = bpfrec_kernel_stack(ctx);
	/* A full perf buffer (-ENOSPC) is counted by perf itself and reaches
	 * the recorder as PERF_RECORD_LOST: count only the other failures. */
	err = bpf_perf_event_output(ctx, &exit_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	if (err && err != -ENOSPC)
		bpfrec_count_lost();
	return BPFREC_TP_RET;
}
