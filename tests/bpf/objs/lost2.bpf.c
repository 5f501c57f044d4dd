/* lost2.bpf.c - one object, two small ringbufs, each with its own loss
 * counter (BPFREC_LOST_COUNTER_FOR): every getppid() of the target process
 * tries per_call events into each; the test checks, per stream, recorded +
 * lost == produced, so a loss lands on the stream that lost it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpfrec.h"

struct lost2_ev {
	__u32 pid;
	__u32 seq;
	__u8 fill[56];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring_a SEC(".maps");
BPFREC_EVENT(ring_a, lost2_ev);
BPFREC_LOST_COUNTER_FOR(ring_a);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} ring_b SEC(".maps");
BPFREC_EVENT(ring_b, lost2_ev);
BPFREC_LOST_COUNTER_FOR(ring_b);

const volatile __u32 target_tgid = 0;
const volatile __u32 per_call = 64;

SEC("tp/syscalls/sys_enter_getppid")
int lost2_emit(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, i;
	struct lost2_ev *e;

	if (pid != target_tgid)
		return 0;
	for (i = 0; i < 256 && i < per_call; i++) {
		e = bpf_ringbuf_reserve(&ring_a, sizeof(*e), 0);
		if (e) {
			__builtin_memset(e, 0, sizeof(*e));
			e->pid = pid;
			e->seq = i;
			bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		} else {
			bpfrec_count_lost_for(ring_a);
		}
		e = bpf_ringbuf_reserve(&ring_b, sizeof(*e), 0);
		if (e) {
			__builtin_memset(e, 0, sizeof(*e));
			e->pid = pid;
			e->seq = i;
			bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		} else {
			bpfrec_count_lost_for(ring_b);
		}
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
