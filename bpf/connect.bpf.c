/* connect.bpf.c - sys_enter_connect saves the arguments per thread,
 * sys_exit_connect completes the event with the result and the latency. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"
#include "connect.h"

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} connect_events SEC(".maps");
BPFREC_EVENT(connect_events, connect_event);

/* tid -> the half-built event; a thread is in at most one connect() at once. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct connect_event);
} connect_inflight SEC(".maps");

/* An AF_UNIX address: sun_path is addrlen - 2 bytes.  A path stops at its
 * NUL (what follows it in the caller's buffer is not the address); an
 * abstract name begins with a NUL, is not NUL-terminated, and is written
 * here after a '@', as /proc/net/unix and ss(8) write it. */
static __always_inline void read_unix_path(struct connect_event *e, const void *uaddr,
					   __u64 addrlen)
{
	const char *sun_path = (const char *)uaddr + 2;
	__u64 n = addrlen > 2 ? addrlen - 2 : 0;
	char first = 0;

	if (n > sizeof(e->path) - 1)
		n = sizeof(e->path) - 1;   /* keep a NUL: a 108-byte name is cut by one */
	n &= 127;                          /* the verifier's bound on the size */
	if (!n || bpf_probe_read_user(&first, 1, sun_path))
		return;
	if (first) {
		/* n + 1: at most n bytes of the path, then the NUL */
		if (bpf_probe_read_user_str(e->path, (n + 1) & 127, sun_path) < 0)
			e->path[0] = 0;
		return;
	}
	if (n > 1 && !bpf_probe_read_user(e->path, n, sun_path))
		e->path[0] = '@';
	else
		e->path[0] = 0;
}

static __always_inline void read_sockaddr(struct connect_event *e, const void *uaddr,
					  __u64 addrlen)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	__u16 family = 0;

	if (bpf_probe_read_user(&family, sizeof(family), uaddr))
		return;
	e->family = family;
	if (family == AF_INET && !bpf_probe_read_user(&sin, sizeof(sin), uaddr)) {
		e->port = bpf_ntohs(sin.sin_port);
		e->addr[10] = 0xff;
		e->addr[11] = 0xff;
		__builtin_memcpy(&e->addr[12], &sin.sin_addr.s_addr, 4);
	} else if (family == AF_INET6 && !bpf_probe_read_user(&sin6, sizeof(sin6), uaddr)) {
		e->port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(e->addr, &sin6.sin6_addr, 16);
	} else if (family == AF_UNIX) {
		read_unix_path(e, uaddr, addrlen);
	}
}

SEC("tracepoint/syscalls/sys_enter_connect")
int connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct connect_event e;
	__u32 tid = (__u32)pid_tgid;

	if (!bpfrec_pid_wanted(pid_tgid >> 32))
		return BPFREC_TP_RET;
	__builtin_memset(&e, 0, sizeof(e));
	e.ts_ns = bpf_ktime_get_boot_ns();
	e.pid = pid_tgid >> 32;
	e.tid = tid;
	e.fd = (__s32)ctx->args[0];
	read_sockaddr(&e, (const void *)ctx->args[1], ctx->args[2]);
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_map_update_elem(&connect_inflight, &tid, &e, BPF_ANY);
	return BPFREC_TP_RET;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct connect_event *start, *e;

	start = bpf_map_lookup_elem(&connect_inflight, &tid);
	if (!start)
		return BPFREC_TP_RET;
	e = bpf_ringbuf_reserve(&connect_events, sizeof(*e), 0);
	if (!e) {
		bpfrec_count_lost();
		bpf_map_delete_elem(&connect_inflight, &tid);
		return BPFREC_TP_RET;
	}
	__builtin_memcpy(e, start, sizeof(*e));
	e->ret = (__s32)ctx->ret;
	e->latency_ns = bpf_ktime_get_boot_ns() - start->ts_ns;
	e->ustack_id = bpfrec_user_stack(ctx);
	e->kstack_id = bpfrec_kernel_stack(ctx);
	bpf_map_delete_elem(&connect_inflight, &tid);
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return BPFREC_TP_RET;
}
