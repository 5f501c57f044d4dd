/* sys.bpf.c - `bpfrec record --syscalls`: one record per syscall of the
 * selected processes, at its return: number, arguments, return value,
 * errno, latency, with the user memory its arguments point to (paths as
 * text, a socket address) copied at entry.  Entry and exit are paired per
 * thread through sys_inflight; an exit without its entry (the call began
 * before the recording) is dropped, an entry without its exit stays until
 * the thread's next call replaces it.
 *
 * Two pairs of programs, the same work: sys_enter/sys_exit on the classic
 * raw_syscalls tracepoints, and (x86-64) sys_enter_btf/sys_exit_btf on the
 * same tracepoints raw (tp_btf), which take the syscall's arguments from
 * its registers.  The recorder loads the raw pair where the kernel's BTF
 * has it: the classic path has the kernel fill a perf record (number and
 * arguments) for every syscall of every process before the program runs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "common.bpf.h"
#include "sys.h"

/* Set by the recorder before load. */
const volatile __u32 sys_str_size = 256;   /* bytes per string slot, <= SYS_MAX_STR */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} sys_events SEC(".maps");
/* Not staged (bpfrec.h BPFREC_STAGED): a record (640 bytes at the default
 * string size) is already built in sys_inflight, and one copy into the ring
 * costs less than a copy into a staging area and another into the ring
 * (measured: +50 ns a call staged, BPF stats, 6.18; again with the record
 * sent from task storage: 342 vs 270 ns a call).  A per-CPU ring read in
 * place (BPFREC_PERCPU_RING) was no cheaper either (290 ns). */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYS_MAX_NR);
	__type(key, __u32);
	__type(value, struct sys_conf);
} sys_confs SEC(".maps");

/* The record under construction, laid out as it is sent: the fixed part,
 * the stack ids with -g, the first string slot, the second right after it
 * (at sys_str_size, not at SYS_MAX_STR).  Sent from here as is, up to the
 * end of its last string (emit): no copy to close the gap between the
 * slots. */
struct sys_rec {
	struct sys_event e;
	char str[2 * SYS_MAX_STR + 8];
	/* Bytes at the start of each slot that may not be zero: the string
	 * the slot got last (its NUL included); past them the slot is all
	 * zeros, so the next call clears only these. */
	__u32 dirty[2];
	__u32 inflight;           /* 1: an entry waits for its exit */
	__u32 nstr;               /* string slots this call filled (sent up to its last) */
};

/* Each thread's call in flight, in the thread's own storage: made at its
 * first selected call and reused by every later one, freed with the
 * thread.  It was a tid-keyed hash whose 8 KiB element was allocated,
 * zeroed and freed on every call (~900 ns of the probe's ~1.1 us per call,
 * BPF stats, 6.18).  A lookup of existing storage never fails (only making
 * it can, when this CPU is inside task storage code already: that entry is
 * counted lost). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sys_rec);
} sys_inflight SEC(".maps");

/* Zeros to clear a string slot from (never written). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[SYS_MAX_STR]);
} sys_zero SEC(".maps");

static __always_inline __u32 str_size(void)
{
	__u32 sz = sys_str_size;

	return sz > SYS_MAX_STR ? SYS_MAX_STR : sz ? sz : 1;
}

/* Bytes before the string slots in r->str: the stack ids with -g (they
 * come first, so that a record can end after its last string). */
static __always_inline __u32 ids_size(void)
{
	return bpfrec_stack_flags ? 2 * sizeof(__s32) : 0;
}

/* Sends the record up to the end of its last string (nstr slots used):
 * what follows is zeros, and the recorder's drain zero-fills a record to
 * its type's size (sysrec.c), so the capture holds the same bytes as if
 * the empty slots had been sent.  A getppid sends the 128-byte fixed part
 * where it sent 640 bytes at the default --string-size. */
static __always_inline void emit(struct sys_rec *r, int nstr)
{
	__u64 size = sizeof(struct sys_event) + ids_size();

	if (nstr == 1)
		size += r->dirty[0];
	else if (nstr >= 2)
		size += str_size() + r->dirty[1];
	/* bounded in the register the helper gets (the verifier's view) */
	asm volatile("" : "+r"(size));
	if (size > sizeof(struct sys_event) + 2 * SYS_MAX_STR + 8)
		size = sizeof(struct sys_event) + 2 * SYS_MAX_STR + 8;
	asm volatile("" : "+r"(size));
	if (bpf_ringbuf_output(&sys_events, r, size, BPFREC_RB_FLAGS))
		bpfrec_count_lost();
}

/* Slot i's place in r->str: the stack ids, then i * sz, bounded for the
 * verifier. */
static __always_inline char *slot(struct sys_rec *r, int i, __u32 sz)
{
	__u32 off = i ? sz : 0;

	if (off > SYS_MAX_STR)
		off = SYS_MAX_STR;
	return r->str + ids_size() + off;
}

/* Zeros over what the slots' last strings left (nothing, for a thread
 * whose calls carry no strings). */
static __always_inline int clear_slots(struct sys_rec *r, __u32 sz)
{
	const char *z = 0;
	__u32 zero = 0;
	int i;

	for (i = 0; i < 2; i++) {
		__u32 d = r->dirty[i];

		if (!d)
			continue;
		if (!z)
			z = bpf_map_lookup_elem(&sys_zero, &zero);
		if (!z)
			return -1;
		if (d > sz)
			d = sz;
		if (d > SYS_MAX_STR)
			d = SYS_MAX_STR;
		bpf_probe_read_kernel(slot(r, i, sz), d, z);
		r->dirty[i] = 0;
	}
	return 0;
}

static __always_inline void read_sockaddr(struct sys_rec *r, const void *uaddr, __u64 len)
{
	struct sockaddr_in6 sa = {};

	if (len > sizeof(sa))
		len = sizeof(sa);
	if (len < 4 || bpf_probe_read_user(&sa, len, uaddr))
		return;
	r->e.family = sa.sin6_family;
	r->e.port = __builtin_bswap16(sa.sin6_port);
	if (sa.sin6_family == 2 /* AF_INET */) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		r->e.addr[10] = 0xff;
		r->e.addr[11] = 0xff;
		__builtin_memcpy(&r->e.addr[12], &in->sin_addr, 4);
	} else if (sa.sin6_family == 10 /* AF_INET6 */) {
		__builtin_memcpy(r->e.addr, &sa.sin6_addr, 16);
	}
}

/* A call's entry: its number and arguments as the tracepoint has them. */
static __always_inline int on_enter(void *ctx, __u32 nr, const __u64 *args)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = (__u32)pid_tgid;
	struct sys_conf *c;
	struct sys_rec *r;
	__u32 sz = str_size();
	int i, nstr = 0;

	if (nr >= SYS_MAX_NR)
		return BPFREC_TP_RET;
	c = bpf_map_lookup_elem(&sys_confs, &nr);
	if (!c || !c->enabled || !bpfrec_pid_wanted_current(pid_tgid >> 32))
		return BPFREC_TP_RET;
	r = bpf_task_storage_get(&sys_inflight, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!r)
		goto lost;
	/* The storage holds the thread's previous call (made zeroed): everything
	 * sent is written anew, and what the last strings left in the slots is
	 * cleared (a string's bytes after its NUL, and a slot this call does
	 * not use, are zeros as before). */
	if (clear_slots(r, sz))
		goto lost;
	__builtin_memset(&r->e, 0, sizeof(r->e));
	r->e.ts_ns = bpf_ktime_get_boot_ns();
	r->e.pid = pid_tgid >> 32;
	r->e.tid = tid;
	r->e.nr = nr;
	/* task->comm itself: what bpf_get_current_comm copies, without its call */
	__builtin_memcpy(r->e.comm, task->comm, sizeof(r->e.comm));
	if (bpfrec_stack_flags) {
		/* at entry: the user code that made the call; before the slots */
		__s32 ids[2] = { bpfrec_user_stack(ctx), bpfrec_kernel_stack(ctx) };

		__builtin_memcpy(r->str, ids, sizeof(ids));
	}
	r->e.args[0] = args[0];
	r->e.args[1] = args[1];
	r->e.args[2] = args[2];
	r->e.args[3] = args[3];
	r->e.args[4] = args[4];
	r->e.args[5] = args[5];
	for (i = 0; i < 6; i++) {
		__u64 a = r->e.args[i];
		__u32 la = c->len_arg;

		if (c->kind[i] == SYS_ARG_STR && nstr < 2) {
			long n = bpf_probe_read_user_str(slot(r, nstr, sz), sz, (const void *)a);

			/* what it wrote: n bytes (the rest of the slot untouched, or
			 * zeroed in the last word); a failed read zeroes the slot,
			 * but a whole slot cleared next time costs little */
			r->dirty[nstr] = n > 0 ? (__u32)n : sz;
			nstr++;
		} else if (c->kind[i] == SYS_ARG_SOCKADDR && la < 6) {
			read_sockaddr(r, (const void *)a, r->e.args[la]);
		}
	}
	r->nstr = nstr;
	r->inflight = !c->noreturn;
	if (c->noreturn)
		emit(r, nstr);
	return BPFREC_TP_RET;
lost:
	bpfrec_count_lost();
	return BPFREC_TP_RET;
}

/* A call's return. */
static __always_inline int on_exit(long ret)
{
	struct sys_rec *r = bpf_task_storage_get(&sys_inflight, bpf_get_current_task_btf(),
						 NULL, 0);

	if (!r || !r->inflight)
		return BPFREC_TP_RET;   /* not selected, or began before the recording */
	r->inflight = 0;
	r->e.ret = ret;
	r->e.err = ret < 0 && ret >= -4095 ? (__s32)-ret : 0;
	r->e.returned = 1;
	r->e.latency_ns = bpf_ktime_get_boot_ns() - r->e.ts_ns;
	emit(r, r->nstr);
	return BPFREC_TP_RET;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* one by one: the verifier wants a constant offset into ctx */
	__u64 args[6] = { ctx->args[0], ctx->args[1], ctx->args[2],
			  ctx->args[3], ctx->args[4], ctx->args[5] };

	return on_enter(ctx, (__u32)ctx->id, args);
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx->ret);
}

#if defined(__TARGET_ARCH_x86)
/* The raw tracepoints: (struct pt_regs *regs, long id) and (regs, long ret);
 * the arguments from the registers (bpfrec_syscall_args). */
SEC("tp_btf/sys_enter")
int sys_enter_btf(__u64 *ctx)
{
	__u64 args[6];

	bpfrec_syscall_args((const struct pt_regs *)ctx[0], args);
	on_enter(ctx, (__u32)ctx[1], args);
	return 0;
}

SEC("tp_btf/sys_exit")
int sys_exit_btf(__u64 *ctx)
{
	on_exit((long)ctx[1]);
	return 0;
}
#endif
