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
 */
#ifndef BPFREC_H
#define BPFREC_H

typedef __u64 bpfrec_ts_ns;
typedef __u8 bpfrec_ipaddr[16];

#define BPFREC_EVENT(map, type)                                               \
	struct type *const __bpfrec_event__##map                                  \
		__attribute__((used, section(".rodata"))) = (struct type *)0

/* Submit flag for bpf_ringbuf_submit/output: bpfrec drains on a ~1 ms timer,
 * so a wakeup per event (libbpf's default, 5-12 us each) is pure cost. */
#define BPFREC_RB_FLAGS BPF_RB_NO_WAKEUP

#endif
