/* uconnect.bpf.c - written as a user would: the connect tracepoint pair.
 * sys_enter_connect saves the fd and the address in a hash map keyed by
 * {pid_tgid; fd} (two u64: 16 bytes), sys_exit_connect looks it up, and
 * emits one event with the result to a ringbuf. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bpfrec.h"

struct conn_key {
	__u64 pid_tgid;
	__u64 fd;
};

struct conn_start {
	__u64 start_ns;
	__u16 family;
	__u16 port;             /* host order */
	__u32 addr4;            /* network order */
};

struct conn_ev {
	bpfrec_ts_ns ts;
	__u32 pid;
	__s32 fd;
	__s32 ret;
	__u16 family;
	__u16 port;
	__u32 addr4;
	__u32 pad;              /* zero */
	__u64 latency_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct conn_key);
	__type(value, struct conn_start);
} starts SEC(".maps");

/* by tid: the fd of the connect() in flight (the exit has no args) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} inflight SEC(".maps");

/* what each connect() returned, kept for bpfrec's end-of-session snapshot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct conn_key);
	__type(value, __s32);
} results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} conns SEC(".maps");
BPFREC_EVENT(conns, conn_ev);

SEC("tp/syscalls/sys_enter_connect")
int handle_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct conn_key k = { .pid_tgid = id, .fd = ctx->args[0] };
	struct conn_start s = { .start_ns = bpf_ktime_get_boot_ns() };
	struct sockaddr_in sa = {};

	bpf_probe_read_user(&sa, sizeof(sa), (void *)ctx->args[1]);
	s.family = sa.sin_family;
	if (sa.sin_family == 2 /* AF_INET */) {
		s.port = bpf_ntohs(sa.sin_port);
		s.addr4 = sa.sin_addr.s_addr;
	}
	bpf_map_update_elem(&starts, &k, &s, BPF_ANY);
	bpf_map_update_elem(&inflight, &id, &k.fd, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int handle_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), *fd;
	struct conn_key k = { .pid_tgid = id };
	struct conn_start *s;
	struct conn_ev *e;
	__s32 ret;

	fd = bpf_map_lookup_elem(&inflight, &id);
	if (!fd)
		return 0;
	k.fd = *fd;
	bpf_map_delete_elem(&inflight, &id);
	s = bpf_map_lookup_elem(&starts, &k);
	if (!s)
		return 0;
	e = bpf_ringbuf_reserve(&conns, sizeof(*e), 0);
	if (e) {
		e->ts = bpf_ktime_get_boot_ns();
		e->pid = id >> 32;
		e->fd = (__s32)k.fd;
		e->ret = (__s32)ctx->ret;
		e->family = s->family;
		e->port = s->port;
		e->addr4 = s->addr4;
		e->pad = 0;
		e->latency_ns = e->ts - s->start_ns;
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	}
	ret = (__s32)ctx->ret;
	bpf_map_update_elem(&results, &k, &ret, BPF_ANY);
	bpf_map_delete_elem(&starts, &k);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
