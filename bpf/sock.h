/* sock.h - socket lifecycle on a cgroup v2 subtree: create, release, bind. */
#ifndef BPFREC_SOCK_H
#define BPFREC_SOCK_H

enum sock_op {
	SOCK_CREATE = 1,
	SOCK_RELEASE = 2,
	SOCK_POST_BIND4 = 3,
	SOCK_POST_BIND6 = 4,
};

struct sock_event {
	bpfrec_ts_ns ts_ns;    /* bpf_ktime_get_boot_ns() */
	__u32 pid;             /* tgid of the calling task */
	enum sock_op op;
	__u32 family;          /* AF_INET 2, AF_INET6 10, ... */
	__u32 type;            /* SOCK_STREAM 1, SOCK_DGRAM 2, ... */
	__u32 protocol;        /* IPPROTO_TCP 6, IPPROTO_UDP 17, ... */
	__u16 port;            /* bound port, host order (post_bind only) */
	__u16 __pad;           /* zero */
	bpfrec_ipaddr addr;    /* bound address (post_bind only) */
	char comm[16];
};
_Static_assert(sizeof(struct sock_event) == 64, "sock_event layout");

#endif
