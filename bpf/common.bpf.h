/* common.bpf.h - what every built-in probe shares: the process-tree filter
 * and the count of events lost to a full buffer.  BPF side only. */
#ifndef BPFREC_COMMON_BPF_H
#define BPFREC_COMMON_BPF_H

#include "bpfrec.h"

/* Set by the recorder before load: keep only tgids present in bpfrec_pids
 * (the recorded command's process tree, kept up to date by proctree.bpf.c). */
const volatile __u32 filter_pids = 0;

/* tgid -> 1.  The recorder creates it once and hands the same map to every
 * object (bpf_map__reuse_fd), so all probes see one process tree. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} bpfrec_pids SEC(".maps");

/* Events this object could not hand to user space (ringbuf reserve or perf
 * output failed), per CPU; see bpfrec.h. */
BPFREC_LOST_COUNTER;

/* The shared stack table and the kinds of stack to take (-g, --stacks). */
BPFREC_STACKS;

/* Per CPU: the last tgid found in bpfrec_pids, plus 2^32 (0: none yet).
 * Nothing removes a tgid from bpfrec_pids (proctree.bpf.c, the recorder),
 * so a tgid found once stays wanted: its next events on this CPU take an
 * inlined array load instead of a hash lookup.  A tgid not found is looked
 * up every time (a fork may add it). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bpfrec_pid_seen SEC(".maps");

static __always_inline int bpfrec_pid_wanted(__u32 tgid)
{
	__u64 *seen, tagged = (1ull << 32) | tgid;
	__u32 k = 0;

	if (!filter_pids)
		return 1;
	seen = bpf_map_lookup_elem(&bpfrec_pid_seen, &k);
	if (seen && *seen == tagged)
		return 1;
	if (!bpf_map_lookup_elem(&bpfrec_pids, &tgid))
		return 0;
	if (seen)
		*seen = tagged;
	return 1;
}

/* What a tracepoint program returns.  0 would tell the kernel to drop the
 * event for perf's own consumers of the same tracepoint: perf record -e
 * (or perf trace) would see nothing of it while bpfrec runs. */
#define BPFREC_TP_RET 1

char LICENSE[] SEC("license") = "GPL";

#endif
