/* perfsample.bpf.c - a sampling profiler's kernel side as libbpf-tools
 * write one: a SEC("perf_event") program whose loader opens the event
 * (cpu-clock or a hardware counter) on every CPU and attaches it.  Each
 * sample of the target process is counted per (pid, comm) in a hash map
 * and sent, built on the stack, through a perf event array, with no
 * bpfrec.h.  bpfrec attaches it with --perf-event. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TASK_COMM_LEN 16

struct event {
	__u32 pid;
	__u32 tid;
	__u32 cpu;
	__u32 kernel;           /* the sample interrupted kernel code */
	char comm[TASK_COMM_LEN];
};

struct key_t {
	__u32 pid;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct key_t);
	__type(value, __u64);
} counts SEC(".maps");

const volatile __u32 targ_tgid = 0;

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct event s = {};
	struct key_t key = {};
	__u64 one = 1, *n;

	s.pid = id >> 32;
	s.tid = (__u32)id;
	if (targ_tgid && s.pid != targ_tgid)
		return 0;
	s.cpu = bpf_get_smp_processor_id();
	/* user mode: the low two bits of the saved CS are 3 (x86-64); the
	 * context is read whole, 8 bytes, as the verifier wants */
	s.kernel = (*(volatile __u64 *)&ctx->regs.cs & 3) != 3;
	bpf_get_current_comm(&s.comm, sizeof(s.comm));

	key.pid = s.pid;
	__builtin_memcpy(key.comm, s.comm, sizeof(key.comm));
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &s, sizeof(s));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
