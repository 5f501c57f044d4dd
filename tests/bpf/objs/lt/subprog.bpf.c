/* subprog.bpf.c - the ringbuf reserve in a function clang does not inline
 * (a BPF subprogram, as some tools write it): libbpf appends that code at
 * load, out of reach of bpfrec's rewrite, so this ringbuf's loss cannot be
 * counted and bpfrec says so instead of printing 0. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	__u32 tgid;
	__s32 asked;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

const volatile __u32 targ_tgid = 0;

static __noinline int emit(__u32 tgid, __s32 asked)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->tgid = tgid;
	e->asked = asked;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int on_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tgid != targ_tgid)
		return 0;
	return emit(tgid, (__s32)ctx->args[0]);
}

char LICENSE[] SEC("license") = "GPL";
