/* connect.h - one event per connect() call: entry and exit paired by thread. */
#ifndef BPFREC_CONNECT_H
#define BPFREC_CONNECT_H

struct connect_event {
	bpfrec_ts_ns ts_ns;    /* syscall entry, bpf_ktime_get_boot_ns() */
	__u64 latency_ns;      /* entry to exit */
	__u32 pid;             /* tgid */
	__u32 tid;
	__s32 fd;
	__s32 ret;             /* 0 or -errno (-111: ECONNREFUSED) */
	__u16 family;          /* AF_UNIX 1, AF_INET 2, AF_INET6 10; other: addr, port, path zero */
	__u16 port;            /* host byte order */
	__u32 __pad;           /* zero */
	bpfrec_ipaddr addr;    /* IPv6, or IPv4-mapped for AF_INET */
	char comm[16];
	bpfrec_ustack_id ustack_id; /* -g: the caller's stack at the syscall's exit (bpfrec.h) */
	bpfrec_kstack_id kstack_id;
	/* AF_UNIX: the socket's path, or its abstract name after a '@' (as
	 * /proc/net/unix and ss(8) write it); empty for other families. */
	char path[108];
	__u32 __pad2;          /* zero */
};
_Static_assert(sizeof(struct connect_event) == 192, "connect_event layout");

#endif
