/* lt_flood.bpf.c - written the way bcc's libbpf-tools are (no bpfrec.h):
 * the event is built in a reserved ringbuf slot, so clang leaves its struct
 * out of BTF (the DWARF has it), and a failed reserve is not counted by the
 * program.  Every getppid() of the target tries `per_call` events; the
 * attempts are counted in the per-CPU array `attempts`, so a test can check
 *     recorded events + recorded losses == sum(attempts)
 * with the losses counted by bpfrec itself. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	__u64 seq;
	__u32 cpu;
	__u32 call;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} attempts SEC(".maps");

const volatile __u32 targ_tgid = 0;
const volatile __u32 per_call = 16;

SEC("tracepoint/syscalls/sys_enter_getppid")
int flood(void *ctx)
{
	__u32 zero = 0, i;
	struct event *e;
	__u64 *n;

	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	n = bpf_map_lookup_elem(&attempts, &zero);
	if (!n)
		return 0;
	for (i = 0; i < 256 && i < per_call; i++) {
		*n += 1;
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e)
			continue;
		e->seq = *n;
		e->cpu = bpf_get_smp_processor_id();
		e->call = i;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
