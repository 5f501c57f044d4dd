/* compat.bpf.c - the ringbuf-or-perf switch of libbpf-tools' compat.bpf.h,
 * written afresh: `events` is declared a perf event array, and the program
 * reserves from it as a ringbuf when the kernel has ringbufs (a CO-RE type
 * check), else fills a per-CPU scratch slot and perf-outputs it.  A loader
 * must turn the map into a ringbuf before load (bpfrec does).  The event is
 * a struct only the DWARF describes.  One event per getpgid(pid) of the
 * target, carrying the pid asked for and its monotonic time. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct event {
	__u32 tgid;
	__s32 asked;
	char comm[16];
	__u64 ts;               /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

const volatile __u32 targ_tgid = 0;

static __always_inline void *buf_reserve(void)
{
	__u32 zero = 0;

	if (bpf_core_type_exists(struct bpf_ringbuf))
		return bpf_ringbuf_reserve(&events, sizeof(struct event), 0);
	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline void buf_submit(void *ctx, void *e)
{
	if (bpf_core_type_exists(struct bpf_ringbuf)) {
		bpf_ringbuf_submit(e, 0);
		return;
	}
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, sizeof(struct event));
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int on_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (tgid != targ_tgid)
		return 0;
	e = buf_reserve();
	if (!e)
		return 0;
	e->tgid = tgid;
	e->asked = (__s32)ctx->args[0];
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->ts = bpf_ktime_get_ns();
	buf_submit(ctx, e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
