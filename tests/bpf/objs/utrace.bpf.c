/* utrace.bpf.c - written as a user would: BTF-enabled tracing without
 * kprobes.  raw_tp/sched_process_exec (reads the binprm name through
 * bpf_probe_read_kernel), tp_btf/sched_process_fork (typed task pointers,
 * direct reads), and a uprobe and a uretprobe on a function of a user
 * binary: UPROBE_BIN (an absolute path, given with -D) : UPROBE_FUNC. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpfrec.h"

#ifndef UPROBE_BIN
#error "define UPROBE_BIN \"/abs/path/to/binary\" (-D or -include a header)"
#endif
#define UPROBE_FUNC "bpfrec_uprobe_target"

enum trace_kind { TR_EXEC = 1, TR_FORK = 2, TR_UPROBE = 3, TR_URETPROBE = 4 };

struct trace_ev {
	enum trace_kind kind;
	__u32 pid;              /* tgid of the current task */
	__u32 other;            /* exec: old pid; fork: child pid */
	__u32 pad;              /* zero */
	__s64 arg1, arg2;       /* uprobe: the arguments; uretprobe: arg1 = return */
	char name[256];         /* exec: filename; fork: child comm */
};

/* The exec and fork hooks see the whole machine, and the suite runs tests
 * in parallel: 64 KiB (~220 events) once overflowed while another test
 * forked, and the test rightly failed on 64 lost.  4 MiB holds ~15,000. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} traces SEC(".maps");
BPFREC_EVENT(traces, trace_ev);

static struct trace_ev *start(enum trace_kind kind)
{
	struct trace_ev *e = bpf_ringbuf_reserve(&traces, sizeof(*e), 0);

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	return e;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(trace_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct trace_ev *e = start(TR_EXEC);
	const char *fname;

	if (!e)
		return 0;
	e->other = old_pid;
	fname = BPF_CORE_READ(bprm, filename);
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), fname);
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(trace_fork, struct task_struct *parent, struct task_struct *child)
{
	struct trace_ev *e = start(TR_FORK);

	if (!e)
		return 0;
	e->pid = parent->tgid;
	e->other = child->pid;
	e->arg1 = child->tgid == child->pid;   /* a new process, not a thread */
	__builtin_memcpy(e->name, child->comm, sizeof(child->comm));
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 0;
}

SEC("uprobe/" UPROBE_BIN ":" UPROBE_FUNC)
int BPF_KPROBE(trace_uprobe, long a, long b)
{
	struct trace_ev *e = start(TR_UPROBE);

	if (!e)
		return 0;
	e->arg1 = a;
	e->arg2 = b;
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 0;
}

SEC("uretprobe/" UPROBE_BIN ":" UPROBE_FUNC)
int BPF_KRETPROBE(trace_uretprobe, long ret)
{
	struct trace_ev *e = start(TR_URETPROBE);

	if (!e)
		return 0;
	e->arg1 = ret;
	bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
