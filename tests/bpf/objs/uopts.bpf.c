/* uopts.bpf.c - written as a user would, with the knobs users give their
 * tools: a .rodata filter target (const volatile u32), a bool switch and a
 * char[16] tag, all set with `bpfrec record --set`; two programs to choose
 * with --only/--skip; a ringbuf with no declared event type (recorded as
 * bytes unless --event names one); a per-CPU array of counters. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bpfrec.h"

const volatile __u32 want_code = 0;     /* exit code to report; 0: every exit */
const volatile bool with_exec = true;   /* report execve calls */
const volatile char tag[16] = "default";

enum opt_kind { OPT_EXEC = 1, OPT_EXIT = 2 };

struct opt_ev {
	enum opt_kind kind;
	__u32 pid;
	__s32 code;
	__u32 pad;              /* zero */
	char tag[16];
	char comm[16];
};

struct raw_ev {
	__u32 pid;
	__u32 magic;            /* 0xfeedf00d */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} opts_events SEC(".maps");
BPFREC_EVENT(opts_events, opt_ev);

/* No BPFREC_EVENT: bpfrec records it as bytes; --event raw_events=raw_ev
 * decodes it.  The variable keeps struct raw_ev in the object's BTF. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} raw_events SEC(".maps");
struct raw_ev raw_ev_example = {};

/* execve calls per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} exec_per_cpu SEC(".maps");

static void fill(struct opt_ev *e, enum opt_kind kind, __s32 code)
{
	e->kind = kind;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->code = code;
	e->pad = 0;
	/* element by element: a cast that drops volatile would let the
	 * compiler fold the default value in, and --set would change nothing */
	for (int i = 0; i < sizeof(e->tag); i++)
		e->tag[i] = tag[i];
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

SEC("tp/syscalls/sys_enter_execve")
int opt_exec(void *ctx)
{
	struct opt_ev *e;
	struct raw_ev *r;
	__u32 zero = 0;
	__u64 *n;

	n = bpf_map_lookup_elem(&exec_per_cpu, &zero);
	if (n)
		*n += 1;
	r = bpf_ringbuf_reserve(&raw_events, sizeof(*r), 0);
	if (r) {
		r->pid = bpf_get_current_pid_tgid() >> 32;
		r->magic = 0xfeedf00d;
		bpf_ringbuf_submit(r, BPFREC_RB_FLAGS);
	}
	if (!with_exec)
		return 0;
	e = bpf_ringbuf_reserve(&opts_events, sizeof(*e), 0);
	if (e) {
		fill(e, OPT_EXEC, 0);
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	}
	return 0;
}

SEC("tp/sched/sched_process_exit")
int opt_exit(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__s32 code = BPF_CORE_READ(t, exit_code) >> 8;
	struct opt_ev *e;

	if (want_code && code != (__s32)want_code)
		return 0;
	e = bpf_ringbuf_reserve(&opts_events, sizeof(*e), 0);
	if (e) {
		fill(e, OPT_EXIT, code);
		bpf_ringbuf_submit(e, BPFREC_RB_FLAGS);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
