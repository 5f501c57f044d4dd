/* uexec.bpf.c - written as a user would: an execve ringbuf with
 * reserve/submit (sent at sched_process_exec), two event types on one
 * ringbuf told apart by a leading field, and hash maps keyed by {u64; u32}
 * (16 bytes) and by the same packed (12 bytes), snapshotted by bpfrec. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpfrec.h"

enum ukind { UK_EXEC = 1, UK_EXIT = 2 };

struct uhdr { __u32 kind; };

struct uexec_ev {
	__u32 kind;             /* UK_EXEC */
	__u32 pid;
	bpfrec_ts_ns ts;
	char comm[16];
	char file[64];
};

struct uexit_ev {
	__u32 kind;             /* UK_EXIT */
	__u32 pid;
	bpfrec_ts_ns ts;
	__s32 code;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} uevents SEC(".maps");
BPFREC_DISCRIMINATOR(uevents, uhdr, kind);
BPFREC_EVENT_VARIANT(uevents, UK_EXEC, uexec_ev);
BPFREC_EVENT_VARIANT(uevents, 2, uexit_ev);

struct key16 { __u64 id; __u32 pid; };                            /* 16 bytes */
struct key12 { __u64 id; __u32 pid; } __attribute__((packed));    /* 12 bytes */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct key16);
	__type(value, __u64);
} by_key16 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct key12);
	__type(value, __u64);
} by_key12 SEC(".maps");

const volatile __u32 target_pid = 0;

/* The maps count execve calls per process.  At sys_enter_execve the
 * filename is often unreadable (the page is not in yet after a fork, and a
 * BPF program cannot fault it in), so the event is sent once the exec has
 * happened, with the name the kernel resolved, as libbpf-bootstrap does. */
SEC("tracepoint/syscalls/sys_enter_execve")
int uexec_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct key16 k16 = { .id = 0x1122334455667788ull, .pid = pid };
	struct key12 k12 = { .id = 0x1122334455667788ull, .pid = pid };
	__u64 one = 1, *n;

	if (target_pid && pid != target_pid)
		return 0;
	n = bpf_map_lookup_elem(&by_key16, &k16);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&by_key16, &k16, &one, BPF_ANY);
	n = bpf_map_lookup_elem(&by_key12, &k12);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&by_key12, &k12, &one, BPF_ANY);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int uexec_done(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	unsigned int fname_off = ctx->__data_loc_filename & 0xFFFF;
	struct uexec_ev *e;

	if (target_pid && pid != target_pid)
		return 0;
	e = bpf_ringbuf_reserve(&uevents, sizeof(*e), 0);
	if (!e)
		return 0;
	e->kind = UK_EXEC;
	e->pid = pid;
	e->ts = bpf_ktime_get_boot_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->file, sizeof(e->file), (void *)ctx + fname_off);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int uexit(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct uexit_ev *e;

	if (target_pid && pid != target_pid)
		return 0;
	e = bpf_ringbuf_reserve(&uevents, sizeof(*e), 0);
	if (!e)
		return 0;
	e->kind = UK_EXIT;
	e->pid = pid;
	e->ts = bpf_ktime_get_boot_ns();
	e->code = 42;
	e->pad = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
