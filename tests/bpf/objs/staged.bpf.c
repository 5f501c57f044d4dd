/* staged.bpf.c - a staged ringbuf (bpfrec.h BPFREC_STAGED) for
 * test_staged: one event per getpgid(ARG) call of the target process with
 * ARG >= arg_base, the test's value, sent three ways (mode): 0 reserved in
 * the staging area and filled in place; 1 built on the stack and copied
 * (bpfrec_stage_output); 2 as 0, and a second event reserved while the
 * first is still being written, as a program interrupting this one on the
 * same CPU would: it must go to the ring alone (nested = 1).  Each event
 * carries the task's fields read straight from task_struct and the same
 * fields from the helpers, for the test to compare.
 *
 * Built with -DSTAGED_PER_KIND (staged_kind.bpf.o), the object counts its
 * lost events itself, by the parity of their ARG (BPFREC_STAGE_LOST_EVENT),
 * in lost_by_parity, as tp.bpf.c counts them per tracepoint.
 *
 * Built with -DSTAGED_PCRING (staged_pcring.bpf.o, and with a 4 KiB ring
 * per CPU staged_pcring_tiny.bpf.o), the events go in place into a per-CPU
 * ring that bpfrec reads where they lie (BPFREC_PERCPU_RING) instead:
 * modes 0 and 2 as above (the nested event goes to the ringbuf alone). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#ifdef STAGED_PER_KIND
static __always_inline void lost_kind(const __u8 *ev, __u32 len);
#define BPFREC_STAGE_LOST_EVENT(ev, len) lost_kind((ev), (len))
#endif
#include "bpfrec.h"

struct staged_ev {
	bpfrec_ts_ns ts;
	__u64 arg;
	__u32 pid, tid;           /* task->tgid, task->pid */
	__u32 pid_h, tid_h;       /* bpf_get_current_pid_tgid() */
	__u32 cpu;                /* bpf_get_smp_processor_id() */
	__u32 nested;             /* 1: reserved while the CPU's area was busy */
	char comm[16];            /* task->comm */
	char comm_h[16];          /* bpf_get_current_comm() */
	__u64 cgroup_id;          /* task->cgroups->dfl_cgrp->kn->id */
	__u64 cgroup_id_h;        /* bpf_get_current_cgroup_id() */
	__u32 uid;                /* task->cred->uid */
	__u32 uid_h;              /* bpf_get_current_uid_gid() */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ev SEC(".maps");
BPFREC_EVENT(ev, staged_ev);
#ifdef STAGED_PCRING
BPFREC_PERCPU_RING(ev);
#define ev_slot bpfrec_pcslot
#define ev_reserve(size, slot) bpfrec_pcring_reserve(ev, (size), (slot))
#define ev_submit(slot) bpfrec_pcring_submit(slot)
#define ev_output(data, size) ((void)(data), (void)(size))   /* not offered */
#else
BPFREC_STAGED(ev);
#define ev_slot bpfrec_slot
#define ev_reserve(size, slot) bpfrec_stage_reserve(ev, (size), (slot))
#define ev_submit(slot) bpfrec_stage_submit(slot)
#define ev_output(data, size) bpfrec_stage_output(ev, (data), (size))
#endif

#ifdef STAGED_PER_KIND
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} lost_by_parity SEC(".maps");

static __always_inline void lost_kind(const __u8 *ev, __u32 len)
{
	__u32 k;
	__u64 *n;

	if (len < 16)
		return;
	k = *(const __u64 *)(ev + 8) & 1;   /* arg's parity */
	n = bpf_map_lookup_elem(&lost_by_parity, &k);
	if (n)
		*n += 1;
}
#endif

const volatile __u32 target_tgid = 0;
const volatile __u64 arg_base = 0x5eed0000;
const volatile __u32 mode = 0;

static __always_inline void fill(struct staged_ev *e, __u64 arg, __u32 nested)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();

	e->ts = bpf_ktime_get_boot_ns();
	e->arg = arg;
	e->pid = t->tgid;
	e->tid = t->pid;
	e->pid_h = id >> 32;
	e->tid_h = (__u32)id;
	e->cpu = bpf_get_smp_processor_id();
	e->nested = nested;
	__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	bpf_get_current_comm(e->comm_h, sizeof(e->comm_h));
	e->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	e->cgroup_id_h = bpf_get_current_cgroup_id();
	e->uid = t->cred->uid.val;
	e->uid_h = (__u32)bpf_get_current_uid_gid();
}

SEC("tp/syscalls/sys_enter_getpgid")
int staged_emit(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 arg = ctx->args[0];
	struct ev_slot slot, inner;
	struct staged_ev *e, *n, local;

	if (tgid != target_tgid || arg < arg_base)
		return 0;
	if (mode == 1) {
		fill(&local, arg, 0);
		ev_output(&local, sizeof(local));
		return 0;
	}
	e = ev_reserve(sizeof(*e), &slot);
	if (!e)
		return 0;   /* lost, and counted */
	if (mode == 2) {
		n = ev_reserve(sizeof(*n), &inner);
		if (n) {
			fill(n, arg, 1);
			ev_submit(&inner);
		}
	}
	fill(e, arg, 0);
	ev_submit(&slot);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
