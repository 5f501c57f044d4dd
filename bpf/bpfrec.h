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

#endif
