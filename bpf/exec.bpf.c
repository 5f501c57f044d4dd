/* exec.bpf.c - one ringbuf event per execve() call, at syscall entry. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "exec.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} exec_events SEC(".maps");
BPFREC_EVENT(exec_events, exec_event);

SEC("tracepoint/syscalls/sys_enter_execve")
int exec_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct exec_event *e;

	if (!bpfrec_pid_wanted(pid_tgid >> 32))
		return 0;
	e = bpf_ringbuf_reserve(&exec_events, sizeof(*e), 0);
	if (!e) {
		bpfrec_count_lost();
		return 0;
	}
	task = (struct task_struct *)bpf_get_current_task();
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* Ringbuf memory is not zeroed and goes to disk as is: clear the tail
	 * the string read leaves, so records compress and leak nothing. */
	__builtin_memset(e->filename, 0, sizeof(e->filename));
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename),
				    (const char *)ctx->args[0]) < 0)
		e->filename[0] = 0;
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 0;
}
