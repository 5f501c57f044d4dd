/* max_entries_0.bpf.c - broken on purpose: a hash map with max_entries 0,
 * which the kernel refuses at map creation. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 0);
	__type(key, __u32);
	__type(value, __u64);
} zero_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_execve")
int count_exec(void *ctx)
{
	__u32 k = 0;
	__u64 one = 1;

	bpf_map_update_elem(&zero_counts, &k, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
