/* bpfrec.h - include in a BPF program to describe its events to bpfrec.
 *
 *   #include "vmlinux.h"            (or linux/types.h)
 *   #include <bpf/bpf_helpers.h>
 *   #include "bpfrec.h"
 *
 *   struct event { bpfrec_ts_ns ts; __u32 pid; char comm[16]; };
 *   struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 20); } events SEC(".maps");
 *   BPFREC_EVENT(events, event);    // the records of map `events` are struct event
 *
 * The name travels in the object's BTF (a typed .rodata variable that also
 * keeps the struct in BTF: clang drops a struct nobody global references).
 * `bpfrec record --event MAP=STRUCT` overrides it.
 *
 * Typedefs with a meaning for bpfrec and bpfreplay:
 *   bpfrec_ts_ns   u64 CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns()): the
 *                  recorder uses it as the record's time (ringbuf records
 *                  carry none of their own)
 *   bpfrec_ipaddr  16 bytes, IPv6 or IPv4-mapped (::ffff:a.b.c.d): replay
 *                  prints it as an address
 *   bpfrec_addr    u64 holding an address (a kernel or user pointer read as
 *                  a number): replay prints it in hex, as it does pointers
 */
#ifndef BPFREC_H
#define BPFREC_H

typedef __u64 bpfrec_ts_ns;
typedef __u8 bpfrec_ipaddr[16];
typedef __u64 bpfrec_addr;

#define BPFREC_EVENT(map, type)                                               \
	struct type *const __bpfrec_event__##map                                  \
		__attribute__((used, section(".rodata"))) = (struct type *)0

/* Several event types on one map, told apart by a leading field that every
 * type shares.  Name the field once (hdr_type is any struct that starts with
 * it, often the common header), then the type of each value; value is any
 * constant expression from 0 to 2^32-1 (a number, an enumerator):
 *
 *   enum kind { KIND_OPEN = 1, KIND_CLOSE = 2 };
 *   struct hdr { __u32 kind; };
 *   struct open_ev { __u32 kind; char path[64]; };
 *   struct close_ev { __u32 kind; __s32 fd; };
 *   BPFREC_DISCRIMINATOR(events, hdr, kind);
 *   BPFREC_EVENT_VARIANT(events, KIND_OPEN, open_ev);
 *   BPFREC_EVENT_VARIANT(events, 2, close_ev);
 *
 * Each type gets its own stream (and table in bpfreplay); records with any
 * other value are kept in a stream of raw bytes named after the map. */
#define BPFREC_DISCRIMINATOR(map, hdr_type, field)                              \
	struct hdr_type *const __bpfrec_discr__##map##__##field                  \
		__attribute__((used, section(".rodata"))) = (struct hdr_type *)0
/* The value travels as the element count of an array type: the compiler
 * evaluates it (an enumerator, an expression), and BTF keeps the count even
 * where it drops an unused enum. */
#define __BPFREC_CAT2(a, b) a##b
#define __BPFREC_CAT(a, b) __BPFREC_CAT2(a, b)
#define BPFREC_EVENT_VARIANT(map, value, type)                                  \
	struct type (*const __BPFREC_CAT(__bpfrec_variant__##map##__, __COUNTER__))[value] \
		__attribute__((used, section(".rodata"))) = 0

/* Loss accounting: declare BPFREC_LOST_COUNTER; once at file scope and call
 * bpfrec_count_lost() where a reserve or output fails.  bpfrec reads the
 * per-CPU counts and records them as losses of the object's first stream
 * (see BPFREC_LOST_COUNTER_FOR for an object with several).
 * Not for bpf_perf_event_output() returning -ENOSPC (28): perf counts that
 * one itself and bpfrec records its PERF_RECORD_LOST. */
#define BPFREC_LOST_COUNTER                                                     \
	struct {                                                                  \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                          \
		__uint(max_entries, 1);                                           \
		__type(key, __u32);                                               \
		__type(value, __u64);                                             \
	} bpfrec_lost SEC(".maps")
/* Per map, for objects with several ringbufs or perf arrays:
 * BPFREC_LOST_COUNTER_FOR(events); ... bpfrec_count_lost_for(events);
 * counts the losses of map `events` (its own per-CPU counter, found by its
 * name bpfrec_lost__events). */
#define BPFREC_LOST_COUNTER_FOR(map)                                            \
	struct {                                                                  \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                          \
		__uint(max_entries, 1);                                           \
		__type(key, __u32);                                               \
		__type(value, __u64);                                             \
	} bpfrec_lost__##map SEC(".maps")
#define bpfrec_count_lost_for(map)                                              \
	do {                                                                      \
		__u32 __bpfrec_k = 0;                                             \
		__u64 *__bpfrec_n = bpf_map_lookup_elem(&bpfrec_lost__##map, &__bpfrec_k); \
		if (__bpfrec_n)                                                   \
			*__bpfrec_n += 1;                                         \
	} while (0)
#define bpfrec_count_lost()                                                     \
	do {                                                                      \
		__u32 __bpfrec_k = 0;                                             \
		__u64 *__bpfrec_n = bpf_map_lookup_elem(&bpfrec_lost, &__bpfrec_k); \
		if (__bpfrec_n)                                                   \
			*__bpfrec_n += 1; /* per-CPU slot: no other writer */     \
	} while (0)

/* Call stacks (bpfrec record -g / --stacks).  Declare BPFREC_STACKS; once at
 * file scope and give the event a member of each type you take:
 *
 *   struct event { bpfrec_ts_ns ts; __u32 pid; bpfrec_ustack_id ustack_id;
 *                  bpfrec_kstack_id kstack_id; };
 *   e->ustack_id = bpfrec_user_stack(ctx);      // ctx: the program's context
 *   e->kstack_id = bpfrec_kernel_stack(ctx);
 *
 * A stack id names a stack in the table bpfrec shares between every object
 * of a recording; the capture stores each distinct stack once, with what it
 * takes to name its functions on another machine.  The event's pid (tgid)
 * member says whose addresses a user stack holds.  Values: >= 0 a stack;
 * BPFREC_NO_STACK (-1): none taken (the recording did not ask for that kind);
 * other negatives: bpf_get_stackid's -errno (-14 EFAULT: no stack of that
 * kind here, e.g. a kernel stack while user code ran; -17 EEXIST: the table
 * had no room, the stack is lost). */
typedef __s32 bpfrec_ustack_id;
typedef __s32 bpfrec_kstack_id;
#define BPFREC_NO_STACK (-1)
#define BPFREC_STACK_DEPTH 127       /* frames kept per stack (perf's default) */
#define BPFREC_STACK_USER 1          /* bpfrec_stack_flags bits, set by bpfrec */
#define BPFREC_STACK_KERNEL 2
#define BPFREC_STACKS                                                           \
	const volatile __u32 bpfrec_stack_flags = 0;                              \
	struct {                                                                  \
		__uint(type, BPF_MAP_TYPE_STACK_TRACE);                           \
		__uint(max_entries, 1);  /* bpfrec hands over its own table */    \
		__uint(key_size, sizeof(__u32));                                  \
		__uint(value_size, BPFREC_STACK_DEPTH * sizeof(__u64));           \
	} bpfrec_stacks SEC(".maps")
#define bpfrec_user_stack(ctx)                                                  \
	((bpfrec_stack_flags & BPFREC_STACK_USER) ?                               \
	 (__s32)bpf_get_stackid((ctx), &bpfrec_stacks, BPF_F_USER_STACK) : BPFREC_NO_STACK)
#define bpfrec_kernel_stack(ctx)                                                \
	((bpfrec_stack_flags & BPFREC_STACK_KERNEL) ?                             \
	 (__s32)bpf_get_stackid((ctx), &bpfrec_stacks, 0) : BPFREC_NO_STACK)

/* Submit flag for bpf_ringbuf_submit/output: bpfrec drains on a ~1 ms timer,
 * so a wakeup per event (libbpf's default, 5-12 us each) is pure cost. */
#define BPFREC_RB_FLAGS BPF_RB_NO_WAKEUP

/* ---- Staging: events batched per CPU (BPFREC_STAGED) ----
 *
 * A ringbuf call per event takes the ring's lock and writes a record
 * header: about a third of a small probe's cost.  The events of a staged
 * ringbuf are written with plain stores into a per-CPU staging area
 * instead, and go to the ring a batch at a time (one bpf_ringbuf_output per
 * batch of up to BPFREC_STAGE_BYTES, 8 KiB).  bpfrec splits the batches
 * back into events as it drains them (bpfrec_batch.h), so the capture is
 * the same as without staging (and each event's CPU is known); at every
 * drain tick (~1 ms) and at the end it runs the map's flush program on each
 * CPU that holds a partly filled batch (BPF_PROG_TEST_RUN on that CPU), so
 * no event waits longer than a tick.
 *
 *   struct { __uint(type, BPF_MAP_TYPE_RINGBUF); ... } events SEC(".maps");
 *   BPFREC_EVENT(events, event);
 *   BPFREC_STAGED(events);
 *
 *   struct bpfrec_slot slot;
 *   struct event *e = bpfrec_stage_reserve(events, sizeof(*e), &slot);
 *
 *   if (e) {                              // NULL: lost, and counted
 *           e->ts = bpf_ktime_get_boot_ns();
 *           ...                           // every byte: the area is reused
 *           bpfrec_stage_submit(&slot);   // or bpfrec_stage_discard(&slot)
 *   }
 *
 *   bpfrec_stage_output(events, data, size);   // a record built elsewhere, copied
 *
 *   __u8 *rec = bpfrec_stage_claim(events, size, &slot);   // size known at run time
 *   if (rec) {                            // in the area: rec[0 .. BPFREC_STAGE_BYTES - 8)
 *           ...                           // may be written; the event is size bytes
 *           bpfrec_stage_submit(&slot);
 *   } else {                              // busy (a nested program) or too large:
 *           ...                           // build elsewhere, then bpfrec_stage_output
 *   }
 *
 * - bpfrec_stage_reserve's size is a constant (as bpf_ringbuf_reserve's);
 *   bpfrec_stage_output's may vary (bounded, as the verifier wants).
 * - A reserved slot must be submitted or discarded: until then the CPU's
 *   staging area is marked busy, and what a program interrupting this one
 *   on the same CPU (an interrupt, the flush) sends meanwhile goes to the
 *   ring directly as a batch of one (counted per CPU in the area's `direct`).
 * - Losses are exact: BPFREC_STAGED declares the map's loss counter
 *   (bpfrec_lost__MAP: do not declare BPFREC_LOST_COUNTER_FOR(MAP) too), and
 *   a batch the ring refuses counts every event it held.  An object that
 *   counts its losses per kind of event defines, before including this
 *   header, BPFREC_STAGE_LOST_EVENT(ev, len): called for each lost event's
 *   bytes instead (a refused batch's events, an event sent alone that did
 *   not fit, an event bpfrec_stage_output could not place), except one
 *   bpfrec_stage_reserve could not place at all, counted in
 *   bpfrec_lost__MAP.  One macro for every staged map of the object.
 * - Order: a CPU's events reach the ring in the order they were made,
 *   except one sent directly, which may precede the batch still staged on
 *   its CPU; across CPUs a batch may be a tick late.  bpfreplay orders
 *   events by their time: give a staged map's event type a bpfrec_ts_ns
 *   member (without one, an event's time is when bpfrec drained it).
 * - bpfrec makes batches smaller for a small ring (bpfrec_stage_limit__MAP,
 *   set to an eighth of the ring); an event larger than a batch goes alone.
 *   Define BPFREC_STAGE_BYTES (a multiple of 8, at most 16368) before
 *   including this header to change the area (twice that per CPU: the
 *   verifier's bound for an event of any size at any place).
 * - Without bpfrec, the events still arrive (batches in the ring, laid out
 *   as bpfrec_batch.h says), but a reader must run bpfrec_flush__MAP on
 *   each CPU itself for the last partly filled batches. */
#include "bpfrec_batch.h"

#ifndef BPFREC_STAGE_BYTES
#define BPFREC_STAGE_BYTES 8192
#endif

/* One CPU's staging area: the batch's header sits right before its
 * events, so a flush sends them with one bpf_ringbuf_output. */
struct bpfrec_stage {
	struct bpfrec_stage_head h;   /* busy, direct, the batch's header */
	__u8 data[2 * BPFREC_STAGE_BYTES];
};

/* A reserved event: in the staging area (st) or in the ring (rec). */
struct bpfrec_slot {
	struct bpfrec_stage *st;
	void *rec;
	__u32 need;               /* bytes it takes in the batch */
	__u32 __pad;
};

#define BPFREC_STAGED(map)                                                      \
	struct {                                                                  \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                          \
		__uint(max_entries, 1);                                           \
		__type(key, __u32);                                               \
		__type(value, struct bpfrec_stage);                               \
	} bpfrec_stage__##map SEC(".maps");                                       \
	/* per CPU: 1 while its batch holds events (the drain flushes those) */  \
	struct {                                                                  \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                          \
		__uint(max_entries, 1);                                           \
		__type(key, __u32);                                               \
		__type(value, __u64);                                             \
	} bpfrec_pending__##map SEC(".maps");                                     \
	BPFREC_LOST_COUNTER_FOR(map);                                             \
	const volatile __u32 bpfrec_stage_limit__##map = BPFREC_STAGE_BYTES;      \
	SEC("raw_tp")                                                             \
	int bpfrec_flush__##map(void *ctx)                                        \
	{                                                                         \
		return __bpfrec_flush_prog(&map, &bpfrec_stage__##map,            \
					   &bpfrec_pending__##map, &bpfrec_lost__##map); \
	}

#define bpfrec_stage_reserve(map, size, slot)                                   \
	__bpfrec_stage_reserve(&map, &bpfrec_stage__##map, &bpfrec_pending__##map, \
			       &bpfrec_lost__##map, bpfrec_stage_limit__##map, (size), (slot))
/* The event's place in the CPU's batch, for an event whose size is known
 * only at run time; NULL (nothing counted) when it cannot be staged. */
#define bpfrec_stage_claim(map, size, slot)                                     \
	__bpfrec_stage_claim(&map, &bpfrec_stage__##map, &bpfrec_pending__##map,  \
			     &bpfrec_lost__##map, bpfrec_stage_limit__##map, (size), (slot))
#define bpfrec_stage_submit(slot) __bpfrec_stage_end((slot), 1)
#define bpfrec_stage_discard(slot) __bpfrec_stage_end((slot), 0)
/* 0, or -1 when lost (counted). */
#define bpfrec_stage_output(map, data, size)                                    \
	__bpfrec_stage_output(&map, &bpfrec_stage__##map, &bpfrec_pending__##map, \
			      &bpfrec_lost__##map, bpfrec_stage_limit__##map, (data), (size))

#define __bpfrec_barrier() asm volatile("" ::: "memory")

static __always_inline void __bpfrec_add_lost(void *lost, __u64 n)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(lost, &k);

	if (c)
		*c += n;   /* per-CPU slot */
}

static __always_inline void __bpfrec_set_pending(void *pending, __u64 v)
{
	__u32 k = 0;
	__u64 *p = bpf_map_lookup_elem(pending, &k);

	if (p)
		*p = v;
}

#ifdef BPFREC_STAGE_LOST_EVENT
/* A refused batch's events, one by one, to BPFREC_STAGE_LOST_EVENT. */
struct __bpfrec_walk {
	struct bpfrec_stage *st;
	__u32 off, end;
};

static long __bpfrec_lost_walk(__u64 i, void *ctx)
{
	struct __bpfrec_walk *w = ctx;
	struct bpfrec_brec *r;
	__u32 off = w->off, len;

	if (off >= w->end || off > BPFREC_STAGE_BYTES - sizeof(*r))
		return 1;
	r = (struct bpfrec_brec *)(w->st->data + off);
	len = r->len;
	if (len > BPFREC_STAGE_BYTES)
		return 1;
	BPFREC_STAGE_LOST_EVENT((const __u8 *)(r + 1), len);
	w->off = off + BPFREC_BREC_SIZE(len);
	return 0;
}
#endif

/* Sends the CPU's batch to the ring (the caller holds busy). */
static __always_inline void __bpfrec_stage_flush(void *ring, struct bpfrec_stage *st,
						 void *pending, void *lost)
{
	__u32 bytes = st->h.b.bytes, n = st->h.b.count;

	if (!n)
		return;
	if (bytes > BPFREC_STAGE_BYTES)
		bytes = BPFREC_STAGE_BYTES;   /* never: for the verifier */
	st->h.b.magic = BPFREC_BATCH_MAGIC;
	st->h.b.cpu = bpf_get_smp_processor_id();
	if (bpf_ringbuf_output(ring, &st->h.b, sizeof(st->h.b) + bytes, BPFREC_RB_FLAGS)) {
#ifdef BPFREC_STAGE_LOST_EVENT
		struct __bpfrec_walk w = { st, 0, bytes };

		bpf_loop(n, __bpfrec_lost_walk, &w, 0);
#else
		__bpfrec_add_lost(lost, n);
#endif
	}
	st->h.b.bytes = 0;
	st->h.b.count = 0;
	__bpfrec_set_pending(pending, 0);
}

/* Room for an event of size bytes (need in the batch) in the CPU's batch,
 * busy held; NULL when the area is busy (the caller sends it alone). */
static __always_inline struct bpfrec_brec *__bpfrec_claim(void *ring, struct bpfrec_stage *st,
							 void *pending, void *lost, __u32 limit,
							 __u32 size, __u32 need)
{
	struct bpfrec_brec *r;
	__u32 used;

	if (st->h.busy)
		return 0;
	st->h.busy = 1;
	__bpfrec_barrier();   /* a program interrupting this one from here sees busy */
	used = st->h.b.bytes;
	if (used + need > limit) {
		__bpfrec_stage_flush(ring, st, pending, lost);
		used = 0;
	}
	if (used > BPFREC_STAGE_BYTES) {   /* never: for the verifier */
		__bpfrec_barrier();
		st->h.busy = 0;
		return 0;
	}
	if (!used)
		__bpfrec_set_pending(pending, 1);
	r = (struct bpfrec_brec *)(st->data + used);
	r->len = size;
	r->zero = 0;
	return r;
}

/* The event's place in the CPU's batch (slot filled in), or NULL; *stp is
 * the CPU's area either way (NULL if it has none). */
static __always_inline void *__bpfrec_stage_place(void *ring, void *stage, void *pending,
						  void *lost, __u32 limit, __u32 size,
						  struct bpfrec_slot *slot, struct bpfrec_stage **stp)
{
	__u32 k = 0, need = BPFREC_BREC_SIZE(size);
	struct bpfrec_stage *st = bpf_map_lookup_elem(stage, &k);
	struct bpfrec_brec *r = 0;

	*stp = st;
	slot->st = 0;
	slot->rec = 0;
	slot->need = need;
	if (st && size <= BPFREC_STAGE_BYTES - 8 && need <= limit && limit <= BPFREC_STAGE_BYTES)
		r = __bpfrec_claim(ring, st, pending, lost, limit, size, need);
	if (!r)
		return 0;
	slot->st = st;
	return r + 1;
}

static __always_inline void *__bpfrec_stage_reserve(void *ring, void *stage, void *pending,
						    void *lost, __u32 limit, __u32 size,
						    struct bpfrec_slot *slot)
{
	struct bpfrec_stage *st;
	struct bpfrec_brec *r;
	struct bpfrec_batch *b;
	void *e = __bpfrec_stage_place(ring, stage, pending, lost, limit, size, slot, &st);

	if (e)
		return e;
	if (st)
		st->h.direct++;
	b = bpf_ringbuf_reserve(ring, sizeof(*b) + BPFREC_BREC_SIZE(size), 0);
	if (!b) {
		__bpfrec_add_lost(lost, 1);
		return 0;
	}
	b->magic = BPFREC_BATCH_MAGIC;
	b->cpu = bpf_get_smp_processor_id();
	b->count = 1;
	b->bytes = BPFREC_BREC_SIZE(size);
	r = (struct bpfrec_brec *)(b + 1);
	r->len = size;
	r->zero = 0;
	slot->rec = b;
	return r + 1;
}

/* The caller's bpfrec_stage_output counts a NULL in the area's direct. */
static __always_inline void *__bpfrec_stage_claim(void *ring, void *stage, void *pending,
						  void *lost, __u32 limit, __u32 size,
						  struct bpfrec_slot *slot)
{
	struct bpfrec_stage *st;

	return __bpfrec_stage_place(ring, stage, pending, lost, limit, size, slot, &st);
}

static __always_inline void __bpfrec_stage_end(struct bpfrec_slot *slot, int keep)
{
	struct bpfrec_stage *st = slot->st;

	if (st) {
		if (keep) {
			st->h.b.bytes += slot->need;
			st->h.b.count++;
		}
		__bpfrec_barrier();
		st->h.busy = 0;
	} else if (slot->rec) {
		if (keep)
			bpf_ringbuf_submit(slot->rec, BPFREC_RB_FLAGS);
		else
			bpf_ringbuf_discard(slot->rec, BPFREC_RB_FLAGS);
	}
}

static __always_inline int __bpfrec_stage_output(void *ring, void *stage, void *pending,
						 void *lost, __u32 limit, const void *data,
						 __u32 size)
{
	__u32 need = BPFREC_BREC_SIZE(size);
	struct bpfrec_stage *st;
	struct bpfrec_slot slot;
	struct {
		struct bpfrec_batch b;
		struct bpfrec_brec r;
	} one;
	struct bpf_dynptr dp;
	void *e = __bpfrec_stage_place(ring, stage, pending, lost, limit, size, &slot, &st);

	if (e) {
		bpf_probe_read_kernel(e, size, data);
		__bpfrec_stage_end(&slot, 1);
		return 0;
	}
	if (st)
		st->h.direct++;
	one.b.magic = BPFREC_BATCH_MAGIC;
	one.b.cpu = bpf_get_smp_processor_id();
	one.b.count = 1;
	one.b.bytes = need;
	one.r.len = size;
	one.r.zero = 0;
	if (bpf_ringbuf_reserve_dynptr(ring, sizeof(one) + need - 8, 0, &dp)) {
		bpf_ringbuf_discard_dynptr(&dp, 0);
#ifdef BPFREC_STAGE_LOST_EVENT
		BPFREC_STAGE_LOST_EVENT((const __u8 *)data, size);
#else
		__bpfrec_add_lost(lost, 1);
#endif
		return -1;
	}
	bpf_dynptr_write(&dp, 0, &one, sizeof(one), 0);
	bpf_dynptr_write(&dp, sizeof(one), (void *)data, size, 0);
	bpf_ringbuf_submit_dynptr(&dp, BPFREC_RB_FLAGS);
	return 0;
}

/* The flush program (bpfrec_flush__MAP): 0 sent or nothing to send, 1 the
 * area is busy (a program this one interrupted is writing it: try later). */
static __always_inline int __bpfrec_flush_prog(void *ring, void *stage, void *pending,
					       void *lost)
{
	__u32 k = 0;
	struct bpfrec_stage *st = bpf_map_lookup_elem(stage, &k);

	if (!st)
		return 0;
	if (st->h.busy)
		return 1;
	st->h.busy = 1;
	__bpfrec_barrier();
	__bpfrec_stage_flush(ring, st, pending, lost);
	__bpfrec_barrier();
	st->h.busy = 0;
	return 0;
}

/* ---- A per-CPU ring read in place (BPFREC_PERCPU_RING) ----
 *
 * Staging still copies every event twice: into the staging area, then
 * with the batch into the ring.  A per-CPU ring is written once: each CPU
 * has a region of a mmapable array (bpfrec_pcring__MAP), a ring only that
 * CPU's programs write, and bpfrec maps it and reads the events where they
 * lie, at every drain tick and at the end.  Nothing needs flushing, and a
 * CPU's events arrive in the order they were made.
 *
 *   struct { __uint(type, BPF_MAP_TYPE_RINGBUF); ... } events SEC(".maps");
 *   BPFREC_EVENT(events, event);
 *   BPFREC_PERCPU_RING(events);
 *
 *   struct bpfrec_pcslot slot;
 *   struct event *e = bpfrec_pcring_reserve(events, sizeof(*e), &slot);
 *
 *   if (e) {                              // NULL: lost, and counted
 *           e->ts = bpf_ktime_get_boot_ns();
 *           ...                           // every byte: the ring is reused
 *           bpfrec_pcring_submit(&slot);  // or bpfrec_pcring_discard(&slot)
 *   }
 *
 * - The ringbuf `events` stays the stream (its name, its type) and takes
 *   what cannot go in place: an event reserved while a program this one
 *   interrupted on the same CPU holds the region (busy), an event larger
 *   than BPFREC_PCRING_MAX_EVENT (1016 bytes), a CPU without a region.
 *   It goes alone, as a batch of one (bpfrec_batch.h), and may precede
 *   its CPU's earlier events: give the type a bpfrec_ts_ns member.
 * - Losses are exact: an event that finds its CPU's ring full, or the
 *   ringbuf full, is counted in bpfrec_lost__MAP (declared here).
 * - Each CPU's ring is BPFREC_PCRING_BYTES (default 1 MiB; define it, a
 *   power of 2 of at least 4096, before including this header), or what
 *   `bpfrec record --ringbuf-size MAP=BYTES` says (bpfrec then sizes the
 *   array's values and sets bpfrec_pcring_bytes__MAP; the ringbuf keeps
 *   its own size); bpfrec sets the array's max_entries to the number of
 *   possible CPUs.
 * - The size given to bpfrec_pcring_reserve is a constant.
 * - Without bpfrec, a reader maps the array and reads each region as
 *   bpfrec_batch.h's struct bpfrec_pcring_head says. */
#ifndef BPFREC_PCRING_BYTES
#define BPFREC_PCRING_BYTES (1u << 20)
#endif
_Static_assert(BPFREC_PCRING_BYTES >= 4096 &&
	       (BPFREC_PCRING_BYTES & (BPFREC_PCRING_BYTES - 1)) == 0,
	       "BPFREC_PCRING_BYTES: a power of 2, at least 4096");

struct bpfrec_pcring {
	struct bpfrec_pcring_head h;
	/* an event starting near the end runs on here */
	__u8 data[BPFREC_PCRING_BYTES + BPFREC_BREC_SIZE(BPFREC_PCRING_MAX_EVENT)];
};

/* A reserved event: in the CPU's ring (r, head past it) or in the ringbuf
 * (rec). */
struct bpfrec_pcslot {
	struct bpfrec_pcring *r;
	void *rec;
	__u64 head;
};

#define BPFREC_PERCPU_RING(map)                                                 \
	__BPFREC_PCRING_MAP(map);                                                 \
	BPFREC_LOST_COUNTER_FOR(map)
/* The array alone, for a map that BPFREC_STAGED declares too (the
 * benchmark's, to compare both ways): one loss counter. */
#define __BPFREC_PCRING_MAP(map)                                                \
	struct {                                                                  \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                 \
		__uint(map_flags, BPF_F_MMAPABLE);                                \
		__uint(max_entries, 1);   /* bpfrec: one per possible CPU */      \
		__uint(key_size, sizeof(__u32));                                  \
		/* no BTF type: bpfrec may resize it (--ringbuf-size) */          \
		__uint(value_size, sizeof(struct bpfrec_pcring));                 \
	} bpfrec_pcring__##map SEC(".maps");                                      \
	/* each CPU's ring bytes: bpfrec sets it with the array's value size */ \
	const volatile __u64 bpfrec_pcring_bytes__##map = BPFREC_PCRING_BYTES

#define bpfrec_pcring_reserve(map, size, slot)                                  \
	__bpfrec_pcring_reserve(&map, &bpfrec_pcring__##map, &bpfrec_lost__##map, \
				bpfrec_pcring_bytes__##map, (size), (slot))
#define bpfrec_pcring_submit(slot) __bpfrec_pcring_end((slot), 1)
#define bpfrec_pcring_discard(slot) __bpfrec_pcring_end((slot), 0)

static __always_inline void *__bpfrec_pcring_reserve(void *ring, void *pcring, void *lost,
						     __u64 bytes, __u32 size,
						     struct bpfrec_pcslot *slot)
{
	__u32 cpu = bpf_get_smp_processor_id(), need = BPFREC_BREC_SIZE(size);
	struct bpfrec_pcring *r = bpf_map_lookup_elem(pcring, &cpu);
	struct bpfrec_brec *br;
	struct bpfrec_batch *b;
	__u64 h;

	slot->r = 0;
	slot->rec = 0;
	if (r && size <= BPFREC_PCRING_MAX_EVENT && !r->h.busy) {
		r->h.busy = 1;
		__bpfrec_barrier();   /* a program interrupting this one from here sees busy */
		h = r->h.head;
		/* tail is read again only when the ring looks full: its cache
		 * line stays the recorder's */
		if (h + need - r->h.tail_seen > bytes) {
			r->h.tail_seen = *(volatile __u64 *)&r->h.tail;
			if (h + need - r->h.tail_seen > bytes) {
				__bpfrec_barrier();
				r->h.busy = 0;
				__bpfrec_add_lost(lost, 1);
				return 0;
			}
		}
		/* bytes is a power of 2 the verifier knows (read-only data) */
		br = (struct bpfrec_brec *)(r->data + (h & (bytes - 1)));
		br->len = size;
		br->zero = 0;
		slot->r = r;
		slot->head = h + need;
		return br + 1;
	}
	if (r)
		r->h.direct++;
	b = bpf_ringbuf_reserve(ring, sizeof(*b) + need, 0);
	if (!b) {
		__bpfrec_add_lost(lost, 1);
		return 0;
	}
	b->magic = BPFREC_BATCH_MAGIC;
	b->cpu = cpu;
	b->count = 1;
	b->bytes = need;
	br = (struct bpfrec_brec *)(b + 1);
	br->len = size;
	br->zero = 0;
	slot->rec = b;
	return br + 1;
}

static __always_inline void __bpfrec_pcring_end(struct bpfrec_pcslot *slot, int keep)
{
	struct bpfrec_pcring *r = slot->r;

	if (r) {
		if (keep) {
			/* The event's bytes before head: x86 keeps stores in
			 * program order (the compiler must too); elsewhere an
			 * exchange, which the BPF JITs make fully ordered. */
			__bpfrec_barrier();
#if defined(__TARGET_ARCH_x86)
			r->h.head = slot->head;
#else
			__sync_lock_test_and_set(&r->h.head, slot->head);
#endif
		}
		__bpfrec_barrier();
		r->h.busy = 0;
	} else if (slot->rec) {
		if (keep)
			bpf_ringbuf_submit(slot->rec, BPFREC_RB_FLAGS);
		else
			bpf_ringbuf_discard(slot->rec, BPFREC_RB_FLAGS);
	}
}

#endif
