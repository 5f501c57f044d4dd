/* exec.bpf.c - one ringbuf event per execve() call, at syscall entry.
 *
 * The file name is read from the caller's memory at sys_enter_execve.  That
 * read fails when the page holding the string is not mapped yet (typical
 * right after fork(): the child has not touched its .rodata page, and a
 * tracepoint cannot fault it in).  Such an event waits in exec_pending and
 * is completed from the kernel's own copy of the name at sched_process_exec,
 * or sent without a name at sys_exit_execve when the exec failed. */
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

/* tid -> an event whose file name could not be read at entry. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct exec_event);
} exec_pending SEC(".maps");

static __always_inline void emit(const struct exec_event *ev)
{
	struct exec_event *e = bpf_ringbuf_reserve(&exec_events, sizeof(*e), 0);

	if (!e) {
		bpfrec_count_lost();
		return;
	}
	__builtin_memcpy(e, ev, sizeof(*e));
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int exec_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct exec_event *e;
	__u32 tid = (__u32)pid_tgid;

	if (!bpfrec_pid_wanted(pid_tgid >> 32))
		return BPFREC_TP_RET;
	/* Built in the pending map's slot for this tid: 296 bytes do not fit
	 * the 512-byte BPF stack next to everything else comfortably. */
	if (bpf_map_update_elem(&exec_pending, &tid, &(struct exec_event){}, BPF_ANY))
		goto lost;
	e = bpf_map_lookup_elem(&exec_pending, &tid);
	if (!e)
		goto lost;
	task = (struct task_struct *)bpf_get_current_task();
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	__u64 uid_gid = bpf_get_current_uid_gid();
	e->uid = (__u32)uid_gid;
	e->gid = (__u32)(uid_gid >> 32);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->ustack_id = bpfrec_user_stack(ctx);
	e->kstack_id = bpfrec_kernel_stack(ctx);
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename),
				    (const char *)ctx->args[0]) > 0) {
		emit(e);
		bpf_map_delete_elem(&exec_pending, &tid);
	}
	return BPFREC_TP_RET;
lost:
	bpfrec_count_lost();
	return BPFREC_TP_RET;
}

SEC("tracepoint/sched/sched_process_exec")
int exec_done(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 tid = ctx->old_pid;   /* a multi-threaded exec takes the leader's tid */
	unsigned short off = ctx->__data_loc_filename & 0xFFFF;
	struct exec_event *e = bpf_map_lookup_elem(&exec_pending, &tid);

	if (!e)
		return BPFREC_TP_RET;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (const char *)ctx + off);
	emit(e);
	bpf_map_delete_elem(&exec_pending, &tid);
	return BPFREC_TP_RET;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exec_failed(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_event *e = bpf_map_lookup_elem(&exec_pending, &tid);

	/* Still pending: the exec failed before the name could be had. */
	if (!e)
		return BPFREC_TP_RET;
	emit(e);
	bpf_map_delete_elem(&exec_pending, &tid);
	return BPFREC_TP_RET;
}
