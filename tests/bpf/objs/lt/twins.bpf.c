/* twins.bpf.c - two programs of one object on the same hook, as
 * libbpf-tools ship a tp_btf and a raw_tp variant of one handler and let
 * their loader keep one: both attach here, so bpfrec names them in a
 * warning.  Each counts the target's getpgid() calls (x86-64 syscall 121)
 * in .bss (results kept in globals, as many tools do), and emits an event
 * from the stack. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	__u32 tgid;
	__u32 variant;          /* 1: raw_tp, 2: tracepoint */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

#define NR_GETPGID 121

const volatile __u32 targ_tgid = 0;
__u64 raw_calls = 0;
__u64 tp_calls = 0;

static __always_inline int handle(void *ctx, long id, __u32 variant)
{
	struct event e = {};

	e.tgid = bpf_get_current_pid_tgid() >> 32;
	if (e.tgid != targ_tgid || id != NR_GETPGID)
		return 0;
	e.variant = variant;
	if (variant == 1)
		__sync_fetch_and_add(&raw_calls, 1);
	else
		__sync_fetch_and_add(&tp_calls, 1);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

SEC("raw_tp/sys_enter")
int twin_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return handle(ctx, (long)ctx->args[1], 1);
}

SEC("tp/raw_syscalls/sys_enter")
int twin_tp(struct trace_event_raw_sys_enter *ctx)
{
	return handle(ctx, ctx->id, 2);
}

char LICENSE[] SEC("license") = "GPL";
