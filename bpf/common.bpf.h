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

/* Per CPU: the last verdicts of bpfrec_pids, so that a process's next
 * events on this CPU take inlined array loads instead of a hash lookup.
 * - yes: the last tgid found, plus 2^32 (0: none yet).  Nothing removes a
 *   tgid from bpfrec_pids (proctree.bpf.c, the recorder), so a tgid found
 *   once stays wanted.
 * - no, no_start: the last tgid not found, plus 2^32, and its process's
 *   start time (bpfrec_pid_wanted_current only).  bpfrec adds the command
 *   or -p PID before it loads any program; after that only proctree adds,
 *   a process at its fork, before it runs: a process whose events were
 *   seen not wanted never becomes wanted.  Its pid may be reused by a new
 *   process, which proctree may add: that one has another start time. */
struct bpfrec_pid_cache {
	__u64 yes;
	__u64 no;
	__u64 no_start;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfrec_pid_cache);
} bpfrec_pid_seen SEC(".maps");

/* Whether tgid is recorded.  remember_no (a constant): remember a process
 * found not wanted too, by its tgid and start time, for the probes that run
 * for every process's events (-e, --syscalls); it reads the current task,
 * so tracing programs only.  Without it that code is compiled out. */
static __always_inline int __bpfrec_pid_wanted(__u32 tgid, const int remember_no)
{
	__u64 tagged = (1ull << 32) | tgid, start = 0;
	struct bpfrec_pid_cache *pc;
	__u32 k = 0;

	if (!filter_pids)
		return 1;
	pc = bpf_map_lookup_elem(&bpfrec_pid_seen, &k);
	if (pc && pc->yes == tagged)
		return 1;
	if (remember_no) {
		struct task_struct *task = bpf_get_current_task_btf();

		start = task->group_leader->start_time;
		if (pc && pc->no == tagged && pc->no_start == start)
			return 0;
	}
	if (bpf_map_lookup_elem(&bpfrec_pids, &tgid)) {
		if (pc)
			pc->yes = tagged;
		return 1;
	}
	if (remember_no && pc) {
		pc->no = tagged;
		pc->no_start = start;
	}
	return 0;
}

static __always_inline int bpfrec_pid_wanted(__u32 tgid)
{
	return __bpfrec_pid_wanted(tgid, 0);
}

/* The same for the current task's tgid, remembering a process not wanted
 * too: for -e and --syscalls (tracing programs only). */
static __always_inline int bpfrec_pid_wanted_current(__u32 tgid)
{
	return __bpfrec_pid_wanted(tgid, 1);
}

#if defined(__TARGET_ARCH_x86)
/* A syscall's six arguments from its registers, where the classic
 * raw_syscalls:sys_enter record gets them (syscall_get_arguments): a 32-bit
 * task's from its ia32 registers.  For the raw tracepoint sys_enter
 * (tp_btf: struct pt_regs *regs, long id). */
#define BPFREC_TS_COMPAT 0x0002   /* thread_info.status: an ia32 syscall */
static __always_inline void bpfrec_syscall_args(const struct pt_regs *regs, __u64 *args)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->thread_info.status & BPFREC_TS_COMPAT) {
		args[0] = regs->bx;
		args[1] = regs->cx;
		args[2] = regs->dx;
		args[3] = regs->si;
		args[4] = regs->di;
		args[5] = regs->bp;
	} else {
		args[0] = regs->di;
		args[1] = regs->si;
		args[2] = regs->dx;
		args[3] = regs->r10;
		args[4] = regs->r8;
		args[5] = regs->r9;
	}
}
#endif

/* What a tracepoint program returns.  0 would tell the kernel to drop the
 * event for perf's own consumers of the same tracepoint: perf record -e
 * (or perf trace) would see nothing of it while bpfrec runs. */
#define BPFREC_TP_RET 1

char LICENSE[] SEC("license") = "GPL";

#endif
