/* uperf.bpf.c - written as a user would: a perf event array with
 * bpf_perf_event_output() on process exit.  The event is 24 bytes: the
 * kernel pads a raw sample to 8 bytes with its u32 size header, so it
 * arrives as 28 bytes and must be decoded by its BTF size. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bpfrec.h"

struct perf_exit_ev {
	__u32 pid;
	__u32 tid;
	__s32 exit_code;
	__u32 ppid;
	__u64 magic;            /* 0x0123456789abcdef */
};
_Static_assert(sizeof(struct perf_exit_ev) == 24, "perf_exit_ev layout");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} exits SEC(".maps");
BPFREC_EVENT(exits, perf_exit_ev);

SEC("tp/sched/sched_process_exit")
int perf_exit(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct perf_exit_ev e = {
		.pid = id >> 32,
		.tid = (__u32)id,
		.exit_code = BPF_CORE_READ(t, exit_code) >> 8,
		.ppid = BPF_CORE_READ(t, real_parent, tgid),
		.magic = 0x0123456789abcdefull,
	};

	bpf_perf_event_output(ctx, &exits, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
