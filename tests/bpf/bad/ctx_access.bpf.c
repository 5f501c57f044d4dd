/* ctx_access.bpf.c - broken on purpose: src_port is not readable at
 * cgroup/sock_create (only at post_bind4/6): the verifier refuses the load
 * with "invalid bpf_context access". */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("cgroup/sock_create")
int create_port(struct bpf_sock *sk)
{
	__u32 *port = bpf_ringbuf_reserve(&events, sizeof(*port), 0);

	if (port) {
		*port = sk->src_port;
		bpf_ringbuf_submit(port, 0);
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
