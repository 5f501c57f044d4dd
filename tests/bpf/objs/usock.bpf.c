/* usock.bpf.c - written as a user would: cgroup socket hooks.  Every socket
 * created in the cgroup, and every IPv4 bind with its address and port
 * (readable only at post_bind4), to a ringbuf. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpfrec.h"

enum usock_op { USOCK_CREATE = 1, USOCK_BIND4 = 2 };

struct usock_ev {
	enum usock_op op;
	__u32 pid;
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u16 port;             /* host order (bpf_sock's src_port is) */
	__u32 addr4;            /* network order */
	__u32 pad;              /* zero */
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} socks SEC(".maps");
BPFREC_EVENT(socks, usock_ev);

static struct usock_ev *start(struct bpf_sock *sk, enum usock_op op)
{
	struct usock_ev *e = bpf_ringbuf_reserve(&socks, sizeof(*e), 0);

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->op = op;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->family = sk->family;
	e->type = sk->type;
	e->protocol = sk->protocol;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

SEC("cgroup/sock_create")
int usock_create(struct bpf_sock *sk)
{
	struct usock_ev *e = start(sk, USOCK_CREATE);

	if (e)
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 1;   /* allow */
}

SEC("cgroup/post_bind4")
int usock_bind4(struct bpf_sock *sk)
{
	struct usock_ev *e = start(sk, USOCK_BIND4);

	if (e) {
		e->port = (__u16)sk->src_port;
		e->addr4 = sk->src_ip4;
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
