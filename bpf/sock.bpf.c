/* sock.bpf.c - cgroup socket hooks.  Each attach point may read only some
 * bpf_sock fields (the verifier refuses the rest with "invalid bpf_context
 * access"): family/type/protocol everywhere, src_ip4 and src_port only at
 * post_bind4, src_ip6 and src_port only at post_bind6. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "common.bpf.h"
#include "sock.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} sock_events SEC(".maps");
BPFREC_EVENT(sock_events, sock_event);

static __always_inline struct sock_event *sock_start(struct bpf_sock *sk, enum sock_op op)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct sock_event *e;

	if (!bpfrec_pid_wanted(pid_tgid >> 32))
		return NULL;
	e = bpf_ringbuf_reserve(&sock_events, sizeof(*e), 0);
	if (!e) {
		bpfrec_count_lost();
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->pid = pid_tgid >> 32;
	e->op = op;
	e->family = sk->family;
	e->type = sk->type;
	e->protocol = sk->protocol;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *sk)
{
	struct sock_event *e = sock_start(sk, SOCK_CREATE);

	if (e)
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 1;
}

SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *sk)
{
	struct sock_event *e = sock_start(sk, SOCK_RELEASE);

	if (e)
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 1;
}

SEC("cgroup/post_bind4")
int sock_post_bind4(struct bpf_sock *sk)
{
	struct sock_event *e = sock_start(sk, SOCK_POST_BIND4);
	__u32 ip4;

	if (!e)
		return 1;
	ip4 = sk->src_ip4;
	e->port = (__u16)sk->src_port;
	e->addr[10] = 0xff;
	e->addr[11] = 0xff;
	__builtin_memcpy(&e->addr[12], &ip4, 4);
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 1;
}

SEC("cgroup/post_bind6")
int sock_post_bind6(struct bpf_sock *sk)
{
	struct sock_event *e = sock_start(sk, SOCK_POST_BIND6);
	__u32 w;

	if (!e)
		return 1;
	e->port = (__u16)sk->src_port;
	/* One 4-byte load per word: the context allows no wider access. */
	w = sk->src_ip6[0];
	__builtin_memcpy(&e->addr[0], &w, 4);
	w = sk->src_ip6[1];
	__builtin_memcpy(&e->addr[4], &w, 4);
	w = sk->src_ip6[2];
	__builtin_memcpy(&e->addr[8], &w, 4);
	w = sk->src_ip6[3];
	__builtin_memcpy(&e->addr[12], &w, 4);
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 1;
}
