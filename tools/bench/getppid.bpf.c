// SPDX-License-Identifier: GPL-2.0
/* getppid.bpf.c - the benchmark's syscall-driven probe: one 64-byte event per
 * getppid() call of a task named "sysloop" (tools/bench/sysloop.c), into a
 * ringbuf without wakeups (bpfrec drains on a timer), failed reserves counted
 * for bpfrec's loss records. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpfrec.h"
#include "bench.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");
BPFREC_EVENT(events, getppid_event);
BPFREC_LOST_COUNTER;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seq SEC(".maps");

/* 0 (bpfrec record --set bench_emit=0): attach but emit nothing, to measure
 * what the attachment alone costs the traced loop. */
const volatile __u32 bench_emit = 1;

/* "sysloop" and its NUL, as two little-endian words of the comm. */
static __always_inline int is_sysloop(const char *c)
{
	const __u64 *w = (const __u64 *)c;

	return w[0] == 0x00706f6f6c737973ull; /* "sysloop\0" */
}

SEC("tp/syscalls/sys_enter_getppid")
int bench_getppid(struct trace_event_raw_sys_enter *ctx)
{
	struct getppid_event *e;
	char comm[16];
	__u64 id = bpf_get_current_pid_tgid(), *n;
	__u32 k = 0;

	bpf_get_current_comm(comm, sizeof(comm));
	if (!is_sysloop(comm) || !bench_emit)
		return 0;
	n = bpf_map_lookup_elem(&seq, &k);
	if (!n)
		return 0;
	*n += 1;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		bpfrec_count_lost();
		return 0;
	}
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->seq = *n;
	__builtin_memcpy(e->comm, comm, sizeof(comm));
	/* The tracepoint's record is the common header and an int __syscall_nr
	 * (getppid has no arguments): reading ctx->id, a long, would go past
	 * its end, and the kernel refuses to attach such a program (EACCES). */
	e->syscall_nr = (__u64)*(const int *)((const char *)ctx + 8);
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cpu = bpf_get_smp_processor_id();
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 0;
}
