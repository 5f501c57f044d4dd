/* fentry_mix.bpf.c - an fentry program beside a tracepoint, as tools that
 * prefer fentry and fall back on tracepoints are written.  Where the kernel
 * has no fentry the fentry program does not load: bpfrec leaves it out
 * with its reason and records the tracepoint (--strict makes it an error).
 * Events go through a ringbuf from reserved slots. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
	__u32 tgid;
	__s32 asked;
	__u32 from_fentry;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

const volatile __u32 targ_tgid = 0;

static __always_inline void emit(__s32 asked, __u32 from_fentry)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (tgid != targ_tgid)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->tgid = tgid;
	e->asked = asked;
	e->from_fentry = from_fentry;
	bpf_ringbuf_submit(e, 0);
}

SEC("fentry/__x64_sys_getpgid")
int BPF_PROG(getpgid_fentry, struct pt_regs *regs)
{
	emit(-1, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int getpgid_tp(struct trace_event_raw_sys_enter *ctx)
{
	emit((__s32)ctx->args[0], 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
