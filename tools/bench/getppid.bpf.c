// SPDX-License-Identifier: GPL-2.0
/* getppid.bpf.c - the benchmark's syscall-driven probe: one 64-byte event per
 * getppid() call (tools/bench/sysloop.c makes them), from one of three hooks
 * (run.sh picks one with --only), into a ringbuf without wakeups (bpfrec
 * drains on a timer), failed reserves counted for bpfrec's loss records. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
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

/* What the probe does, to price each part on the traced loop (--set
 * bench_emit=N): 0 attach and return, 2 reserve and submit an event holding
 * only seq, 3 that and the timestamp, 1 (default) the whole event. */
const volatile __u32 bench_emit = 1;

/* One event for the current task, whose syscall is getppid (nr).  Every
 * task's getppid() makes an event: bpfrec keeps those of the command it runs
 * (sysloop), and nothing else on the machine calls getppid() in a loop. */
static __always_inline int emit(__u64 nr)
{
	struct getppid_event *e;
	__u64 id, *n;
	__u32 k = 0;

	if (!bench_emit)
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
	if (bench_emit >= 2) {
		__builtin_memset(e, 0, sizeof(*e));
		e->seq = *n;
		if (bench_emit == 3)
			e->ts_ns = bpf_ktime_get_boot_ns();
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
		return 0;
	}
	id = bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->seq = *n;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->syscall_nr = nr;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cpu = bpf_get_smp_processor_id();
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 0;
}

/* The syscall's own tracepoint (what perf record -e uses). */
SEC("tp/syscalls/sys_enter_getppid")
int bench_getppid(struct trace_event_raw_sys_enter *ctx)
{
	/* The tracepoint's record is the common header and an int __syscall_nr
	 * (getppid has no arguments): reading ctx->id, a long, would go past
	 * its end, and the kernel refuses to attach such a program (EACCES). */
	return emit((__u64)*(const int *)((const char *)ctx + 8));
}

/* The same from the raw sys_enter tracepoint, typed by BTF: runs for every
 * syscall of every task, without the per-syscall event's record building
 * (perf_syscall_enter); --only bench_getppid_btf. */
SEC("tp_btf/sys_enter")
int BPF_PROG(bench_getppid_btf, struct pt_regs *regs, long nr)
{
	if (nr != 110) /* __NR_getppid on x86-64 */
		return 0;
	return emit(nr);
}

/* The cheapest hook where the kernel has it (not on every kernel: BPF
 * trampolines); --only bench_getppid_fentry. */
SEC("fentry/__x64_sys_getppid")
int BPF_PROG(bench_getppid_fentry)
{
	return emit(110);
}
