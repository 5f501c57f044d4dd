/* filter_hist.bpf.c - set up by its user space, as libbpf-tools are: a
 * filter map of pids to follow (hash, filled before the tool starts:
 * --map-put), and a histogram whose size the loader chooses (max_entries 0
 * in the object: --map-size).  Each getpgid(n) of a followed process adds
 * to slot n % 16 and emits an event from the stack through a perf buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	__u32 tgid;
	__u32 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} follow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 0);         /* the loader sizes it */
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* unused here: the follow map chooses (the test sets it for every object) */
const volatile __u32 targ_tgid = 0;

SEC("tracepoint/syscalls/sys_enter_getpgid")
int count_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	struct event e = {};
	__u64 *slot;

	e.tgid = bpf_get_current_pid_tgid() >> 32;
	if (!bpf_map_lookup_elem(&follow, &e.tgid))
		return 0;
	e.slot = (__u32)ctx->args[0] % 16;
	slot = bpf_map_lookup_elem(&hist, &e.slot);
	if (slot)
		__sync_fetch_and_add(slot, 1);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
