/* tp.bpf.c - the generic tracepoint recorder: one program attached to
 * every tracepoint `bpfrec record -e` selects, configured per tracepoint by
 * the recorder through tp_confs, keyed by the tracepoint's slot in this
 * object, which the attachment carries as its BPF cookie.  (Not the raw record's
 * common_type: the kernel fills the common fields in only after the BPF
 * program has run, so the program writes common_type and common_pid
 * itself, and cannot know common_flags and common_preempt_count.)  No per-tracepoint code: it copies the raw
 * record's fixed part and the contents of its __data_loc fields into a
 * record laid out as tp.h says, after the filter's comparisons (evaluated
 * on the raw record, before anything is copied) and the process filter. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tp.h"

/* Records are staged (bpfrec.h): per-CPU batches, no ring lock per record,
 * each built in place in its CPU's batch (bpfrec_stage_claim).  The area
 * holds batches of up to 16 KiB: a record's last byte the verifier must
 * allow is TP_MAX_REC + TP_MAX_SLOT past its start, which may lie anywhere
 * in the first half of the area.  A lost record is counted on its
 * tracepoint, found by the common_type the program wrote at offset 8
 * (tp_lost_record, below). */
#define BPFREC_STAGE_BYTES 16368
static __always_inline void tp_lost_record(const __u8 *rec, __u32 len);
#define BPFREC_STAGE_LOST_EVENT(ev, len) tp_lost_record((ev), (len))
#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 23);
} tp_events SEC(".maps");
BPFREC_STAGED(tp_events);

/* Slot (the attachment's cookie) -> what to copy and filter; filled by the
 * recorder before attach.  An array, not a hash keyed by the tracefs ID:
 * the verifier inlines an array lookup into a bounds check and an add,
 * where a hash lookup hashes the key and walks a bucket on every event. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TP_PER_OBJECT);
	__type(key, __u32);
	__type(value, struct tp_conf);
} tp_confs SEC(".maps");

/* tracefs ID (a record's common_type) -> its slot, for a lost record's
 * counter: only the loss path looks it up. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_PER_OBJECT);
	__type(key, __u32);
	__type(value, __u32);
} tp_slots SEC(".maps");

/* Per tracepoint (tp_conf.slot) and CPU: records the ringbuf had no room for. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_PER_OBJECT);
	__type(key, __u32);
	__type(value, __u64);
} tp_lost SEC(".maps");

/* The record being built: too large for the stack.  Twice TP_MAX_REC so
 * that a slot's offset (< TP_MAX_REC) plus its size (<= TP_MAX_SLOT) stays
 * inside it as the verifier sees it. */
struct tp_buf {
	__u8 b[2 * TP_MAX_REC];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tp_buf);
} tp_scratch SEC(".maps");

/* Zeros to clear a slot with (bpf_probe_read_kernel from here). */
const volatile __u8 tp_zeros[TP_MAX_SLOT];

static __always_inline __u64 read_int(void *ctx, __u16 off, __u16 size, int is_signed)
{
	__u64 v = 0;

	switch (size) {
	case 1: {
		__u8 x = 0;

		bpf_probe_read_kernel(&x, 1, ctx + off);
		v = is_signed ? (__u64)(__s64)(__s8)x : x;
		break;
	}
	case 2: {
		__u16 x = 0;

		bpf_probe_read_kernel(&x, 2, ctx + off);
		v = is_signed ? (__u64)(__s64)(__s16)x : x;
		break;
	}
	case 4: {
		__u32 x = 0;

		bpf_probe_read_kernel(&x, 4, ctx + off);
		v = is_signed ? (__u64)(__s64)(__s32)x : x;
		break;
	}
	default:
		bpf_probe_read_kernel(&v, 8, ctx + off);
	}
	return v;
}

static __always_inline int cmp_int(const struct tp_term *t, __u64 v)
{
	if (t->flags & TP_T_SIGNED) {
		__s64 a = (__s64)v, b = (__s64)t->value;

		switch (t->op) {
		case TP_EQ: return a == b;
		case TP_NE: return a != b;
		case TP_LT: return a < b;
		case TP_LE: return a <= b;
		case TP_GT: return a > b;
		case TP_GE: return a >= b;
		}
		return 0;
	}
	switch (t->op) {
	case TP_EQ: return v == t->value;
	case TP_NE: return v != t->value;
	case TP_LT: return v < t->value;
	case TP_LE: return v <= t->value;
	case TP_GT: return v > t->value;
	case TP_GE: return v >= t->value;
	}
	return 0;
}

static __always_inline int cmp_str(void *ctx, const struct tp_term *t)
{
	char s[TP_FILTER_STR] = {};
	int i, eq = 0;

	if (t->flags & TP_T_LOC) {
		__u32 loc = 0;
		__u32 off;

		bpf_probe_read_kernel(&loc, 4, ctx + t->off);
		off = loc & 0xffff;
		if (t->flags & TP_T_REL)
			off += t->off + 4;
		bpf_probe_read_kernel_str(s, sizeof(s), ctx + off);
	} else {
		__u32 n = t->size;

		if (n > TP_FILTER_STR)
			n = TP_FILTER_STR;
		bpf_probe_read_kernel(s, n, ctx + t->off);
	}
	/* The filter's string is at most TP_FILTER_STR - 1 bytes: its NUL
	 * ends the comparison. */
	for (i = 0; i < TP_FILTER_STR; i++) {
		if (s[i] != t->str[i])
			break;
		if (!s[i]) {
			eq = 1;
			break;
		}
	}
	return t->op == TP_NE ? !eq : eq;
}

/* (t0 && t1 && ...) || (tk && ...) ... over the raw record. */
static __always_inline int match(void *ctx, const struct tp_conf *c, __u32 tid)
{
	int i, group = 1;

	for (i = 0; i < TP_MAX_TERMS; i++) {
		const struct tp_term *t = &c->terms[i];
		int r;

		if (i >= c->nterms)
			break;
		if ((t->flags & TP_T_OR) && i) {
			if (group)
				return 1;
			group = 1;
		}
		if (!group)
			continue;   /* this group failed: skip to the next || */
		if (t->flags & TP_T_PID)
			r = cmp_int(t, (__u64)(__s64)(__s32)tid);
		else if (t->flags & (TP_T_STRING | TP_T_LOC))
			r = cmp_str(ctx, t);
		else
			r = cmp_int(t, read_int(ctx, t->off, t->size, t->flags & TP_T_SIGNED));
		group = group && r;
	}
	return group;
}

static __always_inline void count_lost(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&tp_lost, &slot);

	if (n)
		(*n)++;
}

static __always_inline void tp_lost_record(const __u8 *rec, __u32 len)
{
	__u32 id, *slot;

	if (len < 10)
		return;   /* never: every record has its time and common_type */
	id = *(const __u16 *)(rec + 8);
	slot = bpf_map_lookup_elem(&tp_slots, &id);
	if (slot)
		count_lost(*slot);
	else
		bpfrec_count_lost();
}

/* Builds tracepoint c's record at rec from its raw record raw (the
 * program's ctx takes the stacks): rec[0 .. TP_MAX_REC + TP_MAX_SLOT)
 * must be writable (a loc slot's offset is below TP_MAX_REC, its size at
 * most TP_MAX_SLOT, as the verifier sees them). */
static __always_inline void build(void *ctx, void *raw, const struct tp_conf *c, __u8 *rec,
				  __u32 fixed, __u64 pid_tgid)
{
	__u32 st_off;
	int i;

	*(__u64 *)rec = bpf_ktime_get_boot_ns();
	/* (Plain loads from ctx instead were no faster: 102 vs 104 ns an
	 * event, and a program's loads may not pass the smallest record it
	 * is attached to.) */
	bpf_probe_read_kernel(rec + 8, fixed, raw);
	/* zeros up to the next multiple of 8, the record's padding before its
	 * first slot: not what the staging area held before */
	if (fixed & 7)
		((__u64 *)(rec + 8))[(fixed / 8) & (TP_MAX_FIXED / 8 - 1)] &=
			(1ull << (8 * (fixed & 7))) - 1;
	/* struct trace_entry, as the kernel will fill it in after us */
	*(__u16 *)(rec + 8) = (__u16)c->id;
	*(__u16 *)(rec + 10) = 0;
	*(__u32 *)(rec + 12) = (__u32)pid_tgid;
	for (i = 0; i < TP_MAX_LOCS; i++) {
		const struct tp_loc *l = &c->locs[i];
		__u32 loc = 0, off, len, dst, max;

		if (i >= c->nlocs)
			break;
		dst = l->dst_off;
		max = l->dst_max;
		if (dst >= TP_MAX_REC || max > TP_MAX_SLOT)
			break;
		bpf_probe_read_kernel(&loc, 4, raw + l->field_off);
		off = loc & 0xffff;
		len = loc >> 16;
		if (l->flags & 2)
			off += l->field_off + 4;
		if (len > max)
			len = max;
		/* the slot and its padding up to a multiple of 8 */
		bpf_probe_read_kernel(rec + dst, (max + 7) & ~7u, (const void *)tp_zeros);
		if (len)
			bpf_probe_read_kernel(rec + dst, len, raw + off);
		if ((l->flags & 1) && l->field_off <= TP_MAX_FIXED - 4)
			*(__u32 *)(rec + 8 + l->field_off) = len >> l->elem_shift;
	}
	/* masked, not compared: the verifier then knows the slot is inside
	 * the buffer (the recorder puts it at most TP_MAX_REC - 16) */
	st_off = c->stack_off & (TP_MAX_REC - 1);
	if (st_off) {
		__u8 *st = rec + st_off;

		*(__u32 *)st = pid_tgid >> 32;
		*(__s32 *)(st + 4) = bpfrec_user_stack(ctx);
		*(__s32 *)(st + 8) = bpfrec_kernel_stack(ctx);
		*(__u32 *)(st + 12) = 0;
	}
}

/* One event of the tracepoint in slot key, whose raw record (as tracefs
 * describes it) is at raw. */
static __always_inline void record(void *ctx, void *raw, __u32 key)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct bpfrec_slot slot;
	struct tp_conf *c;
	struct tp_buf *buf;
	__u32 fixed, size;
	__u8 *rec;

	c = bpf_map_lookup_elem(&tp_confs, &key);
	if (!c || !c->rec_size)   /* a slot the recorder did not configure */
		return;
	if (!bpfrec_pid_wanted_current(pid_tgid >> 32))
		return;
	if (c->nterms && !match(raw, c, (__u32)pid_tgid))
		return;
	fixed = c->fixed_size;
	size = c->rec_size;
	if (fixed > TP_MAX_FIXED || size > TP_MAX_REC)
		return;   /* the recorder never configures that */
	/* Built in place in the CPU's batch: no scratch copy. */
	rec = bpfrec_stage_claim(tp_events, size, &slot);
	if (rec) {
		build(ctx, raw, c, rec, fixed, pid_tgid);
		bpfrec_stage_submit(&slot);
		return;
	}
	/* The area is busy (this program interrupted another on this CPU) or
	 * the record is larger than a batch: built aside, sent alone. */
	key = 0;
	buf = bpf_map_lookup_elem(&tp_scratch, &key);
	if (!buf) {
		count_lost(c->slot);
		return;
	}
	build(ctx, raw, c, buf->b, fixed, pid_tgid);
	bpfrec_stage_output(tp_events, buf->b, size);   /* a loss is counted there */
}

SEC("tracepoint")
int tp_record(void *ctx)
{
	record(ctx, ctx, (__u32)bpf_get_attach_cookie(ctx));
	return BPFREC_TP_RET;
}

#if defined(__TARGET_ARCH_x86)
/* raw_syscalls:sys_enter and sys_exit from their raw tracepoints (tp_btf),
 * which the recorder loads instead of attaching tp_record to them where the
 * kernel's BTF has them: the classic tracepoint has the kernel take a perf
 * buffer and fill the record in for every syscall of every process before
 * the program runs.  These fill the same record in themselves, as the
 * tracepoint's TP_fast_assign does (number, and syscall_get_arguments:
 * an ia32 task's arguments from its ia32 registers; or number and return
 * value), and go on as tp_record.  Their slots, set before load: */
const volatile __u32 tp_raw_enter_slot = 0;
const volatile __u32 tp_raw_exit_slot = 0;

/* raw_syscalls:sys_enter's record (sys_exit's: common, id, ret) */
struct tp_raw_sys {
	__u64 common;             /* written by build() */
	__s64 id;
	__u64 args[6];
};

SEC("tp_btf/sys_enter")
int tp_record_raw_enter(__u64 *ctx)
{
	struct tp_raw_sys raw = { .id = (__s64)ctx[1] };

	bpfrec_syscall_args((const struct pt_regs *)ctx[0], raw.args);
	record(ctx, &raw, tp_raw_enter_slot);
	return 0;
}

SEC("tp_btf/sys_exit")
int tp_record_raw_exit(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	/* syscall_get_nr(): the number the call was made with */
	struct tp_raw_sys raw = { .id = (__s64)regs->orig_ax, .args[0] = ctx[1] };

	record(ctx, &raw, tp_raw_exit_slot);
	return 0;
}
#endif
