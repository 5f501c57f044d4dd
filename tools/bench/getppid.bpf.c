// SPDX-License-Identifier: GPL-2.0
/* getppid.bpf.c - the benchmark's syscall-driven probe: one 64-byte event per
 * getppid() call (tools/bench/sysloop.c makes them), from one of three hooks
 * (run.sh picks one with --only), written in place into a per-CPU ring that
 * bpfrec reads where it lies on its drain timer (bpfrec.h
 * BPFREC_PERCPU_RING), or staged per CPU and sent to a ringbuf in batches
 * (BPFREC_STAGED), every lost event counted. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#define BPFREC_PCRING_BYTES (1u << 22)   /* per CPU (bench_emit=6): 4 MiB */
#include "bpfrec.h"
#include "bench.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");
BPFREC_EVENT(events, getppid_event);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seq SEC(".maps");

BPFREC_STAGED(events);   /* events go to the ring in per-CPU batches (bpfrec.h) */

__BPFREC_PCRING_MAP(events);   /* or in place, in a per-CPU ring (bench_emit=6, 7) */

/* What the probe does, to price each part on the traced loop (--set
 * bench_emit=N): 0 attach and return; 1 the whole event, staged,
 * its task fields read straight from the task (no helper call each);
 * 2 a staged event holding only seq; 3 that and the timestamp; 4 the whole
 * event the way it was made before staging (a ringbuf reserve and a helper
 * call per field: bpf_get_current_pid_tgid, _comm, _cgroup_id, _uid_gid,
 * bpf_get_smp_processor_id), sent alone as a batch of one; 5 the helpers of
 * 4 into a staged event (what the direct reads save); 6 (default) the whole
 * event as 1,
 * written in place into the CPU's ring that bpfrec reads where it lies
 * (bpfrec.h BPFREC_PERCPU_RING: no staging copy, no ringbuf output); 7 as 6
 * without the timestamp (ts_ns 0: what the clock costs); 8 as 6 with jiffies
 * (bpf_jiffies64) in ts_ns: the cheaper clock a tracing program can read,
 * priced and rejected (BENCHMARKS.md: it does not tell events apart); 9 the
 * clock alone, read into bench_clock and nothing else (no event): the floor
 * of any probe that timestamps its events; 10 as 6 with comm, the cgroup
 * id, the uid and the cpu left zero (pid and tid kept: bpfrec keeps events
 * by pid): what the probe would save if the drain filled those in later
 * (per pid, and the CPU of the region it read the event from). */
const volatile __u32 bench_emit = 6;
__u64 bench_clock;   /* mode 9's reads go here, so they are kept */

/* The task's fields from task_struct itself: plain loads, where each
 * helper is a call.  The same values: tgid and pid, comm, the cgroup v2 id,
 * the real uid (what bpf_get_current_uid_gid's low half is). */
static __always_inline void fill_task(struct getppid_event *e)
{
	struct task_struct *t = bpf_get_current_task_btf();

	e->pid = t->tgid;
	e->tid = t->pid;
	__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	e->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	e->uid = t->cred->uid.val;
}

static __always_inline void fill_helpers(struct getppid_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->uid = (__u32)bpf_get_current_uid_gid();
}

/* One event for the current task, whose syscall is getppid (nr).  Every
 * task's getppid() makes an event: bpfrec keeps those of the command it runs
 * (sysloop), and nothing else on the machine calls getppid() in a loop. */
static __always_inline int emit(__u64 nr)
{
	struct getppid_event *e;
	struct bpfrec_slot slot;
	__u64 *n;
	__u32 k = 0;

	if (!bench_emit)
		return 0;
	if (bench_emit == 9) {
		bench_clock = bpf_ktime_get_boot_ns();
		return 0;
	}
	n = bpf_map_lookup_elem(&seq, &k);
	if (!n)
		return 0;
	*n += 1;
	if (bench_emit == 4) {
		/* before staging: a reservation per event (a batch of one) */
		struct bpfrec_batch *b = bpf_ringbuf_reserve(&events, sizeof(*b) + 8 + sizeof(*e), 0);
		struct bpfrec_brec *r;

		if (!b) {
			bpfrec_count_lost_for(events);
			return 0;
		}
		b->magic = BPFREC_BATCH_MAGIC;
		b->count = 1;
		b->bytes = 8 + sizeof(*e);
		r = (struct bpfrec_brec *)(b + 1);
		r->len = sizeof(*e);
		r->zero = 0;
		e = (struct getppid_event *)(r + 1);
		fill_helpers(e);
		e->ts_ns = bpf_ktime_get_boot_ns();
		e->seq = *n;
		e->syscall_nr = nr;
		e->cpu = bpf_get_smp_processor_id();
		b->cpu = e->cpu;
		bpf_ringbuf_submit(b, BPFREC_RB_FLAGS);
		return 0;
	}
	if ((bench_emit >= 6 && bench_emit <= 8) || bench_emit == 10) {
		struct bpfrec_pcslot ps;

		e = bpfrec_pcring_reserve(events, sizeof(*e), &ps);
		if (!e)
			return 0;   /* lost, and counted */
		if (bench_emit == 10) {
			struct task_struct *t = bpf_get_current_task_btf();

			e->pid = t->tgid;   /* what bpfrec keeps events by */
			e->tid = t->pid;
			__builtin_memset(e->comm, 0, sizeof(e->comm));
			e->cgroup_id = 0;
			e->uid = 0;
		} else {
			fill_task(e);
		}
		if (bench_emit == 6 || bench_emit == 10)
			e->ts_ns = bpf_ktime_get_boot_ns();
		else if (bench_emit == 8)
			e->ts_ns = bpf_jiffies64();
		else
			e->ts_ns = 0;
		e->seq = *n;
		e->syscall_nr = nr;
		e->cpu = bench_emit == 10 ? 0 : bpf_get_smp_processor_id();
		bpfrec_pcring_submit(&ps);
		return 0;
	}
	e = bpfrec_stage_reserve(events, sizeof(*e), &slot);
	if (!e)
		return 0;   /* lost, and counted */
	if (bench_emit == 2 || bench_emit == 3) {
		__builtin_memset(e, 0, sizeof(*e));
		e->seq = *n;
		if (bench_emit == 3)
			e->ts_ns = bpf_ktime_get_boot_ns();
		bpfrec_stage_submit(&slot);
		return 0;
	}
	if (bench_emit == 5)
		fill_helpers(e);
	else
		fill_task(e);
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->seq = *n;
	e->syscall_nr = nr;
	e->cpu = bpf_get_smp_processor_id();
	bpfrec_stage_submit(&slot);
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
