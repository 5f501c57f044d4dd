/* uprobe_nobin.bpf.c - a uprobe and a uretprobe whose sections name no
 * binary (libbpf-tools attach them from user space, to a library or binary
 * found at run time): bpfrec attaches them where --attach says.  Events are
 * reserved ringbuf slots. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
	__s64 a, b;
	__s64 ret;
	__u32 is_ret;
	__u32 tgid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

const volatile __u32 targ_tgid = 0;

SEC("uprobe")
int BPF_KPROBE(on_entry, long a, long b)
{
	struct event *e;

	if (targ_tgid && (__u32)(bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->a = a;
	e->b = b;
	e->ret = 0;
	e->is_ret = 0;
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(on_return, long ret)
{
	struct event *e;

	if (targ_tgid && (__u32)(bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->a = e->b = 0;
	e->ret = ret;
	e->is_ret = 1;
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
