/* burst.bpf.c - a producer that overloads its buffer on purpose, for the
 * exact-loss test (test_faults_loss).  Every getppid() of the target process
 * tries to emit `per_call` events, every getpgid() one; the program counts every attempt in the
 * per-CPU array `produced` (bpfrec snapshots it into the capture) and every
 * failure the way bpfrec.h asks, so that
 *     recorded events + recorded losses == sum(produced).
 * Built twice: a ringbuf (default) and, with -DBURST_PERF, a perf array. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpfrec.h"

#define ENOSPC 28

struct burst_ev {
	__u64 seq;              /* the producer's count, per CPU, at emit time */
	__u32 cpu;
	__u32 call;             /* this call's index of the event */
	__u8 fill[48];          /* zero, the first random_words u32 random: 64 bytes an event */
};
_Static_assert(sizeof(struct burst_ev) == 64, "burst_ev layout");

#ifdef BURST_PERF
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");
#else
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);   /* the test shrinks it: --ringbuf-size events=4096 */
} events SEC(".maps");
#endif
BPFREC_EVENT(events, burst_ev);
BPFREC_LOST_COUNTER;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} produced SEC(".maps");

const volatile __u32 target_tgid = 0;
const volatile __u32 per_call = 16;
const volatile __u32 random_words = 0;  /* this many u32 of fill are random (0..12) */

static __always_inline int emit(void *ctx, __u32 count)
{
	struct burst_ev e = {};
	__u32 zero = 0, i;
	__u64 *n;

	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	n = bpf_map_lookup_elem(&produced, &zero);
	if (!n)
		return 0;
	e.cpu = bpf_get_smp_processor_id();
	for (i = 0; i < 256 && i < count; i++) {
		long err;

		*n += 1;
		e.seq = *n;
		e.call = i;
		for (__u32 k = 0; k < 12 && k < random_words; k++)
			((__u32 *)e.fill)[k] = bpf_get_prandom_u32();
#ifdef BURST_PERF
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
		/* -ENOSPC: perf counts it and reports PERF_RECORD_LOST (bpfrec.h). */
		if (err && err != -ENOSPC)
			bpfrec_count_lost();
#else
		err = bpf_ringbuf_output(&events, &e, sizeof(e), BPFREC_RB_FLAGS);
		if (err)
			bpfrec_count_lost();
#endif
	}
	return 0;
}

/* The burst: per_call events a call. */
SEC("tp/syscalls/sys_enter_getppid")
int burst(void *ctx)
{
	return emit(ctx, per_call);
}

/* One event a call: fits in a drained buffer (and so carries perf's
 * pending PERF_RECORD_LOST out) without overflowing it again. */
SEC("tp/syscalls/sys_enter_getpgid")
int single(void *ctx)
{
	return emit(ctx, 1);
}

char LICENSE[] SEC("license") = "GPL";
