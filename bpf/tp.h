/* tp.h - the generic tracepoint program's configuration, shared by
 * tp.bpf.c and the recorder (recorder/tprec.c).  Fixed widths, explicit
 * padding, size checks.
 *
 * One program is attached to every selected tracepoint.  It finds the
 * tracepoint it runs for by the attachment's BPF cookie (the tracepoint's
 * tracefs ID), looks up that tracepoint's tp_conf, and emits one record:
 *
 *   [0, 8)                 u64 time, bpf_ktime_get_boot_ns()
 *   [8, 8 + fixed_size)    the raw record's fixed part, as the kernel wrote it,
 *                          with common_type and common_pid (the thread id)
 *                          written by the program: the kernel fills the
 *                          common fields in after BPF has run; common_flags
 *                          and common_preempt_count stay 0 (and have no
 *                          column)
 *   then, per __data_loc field, a slot of dst_max bytes at dst_off: the
 *   field's data (a string with its NUL, or array elements), zero-filled;
 *   an array's element count replaces its (length << 16 | offset) word.
 *
 *   with -g/--stacks, at stack_off (the record's last 16 bytes): u32 tgid,
 *   s32 user stack id, s32 kernel stack id (bpfrec.h's values), u32 zero
 *
 * The record's size is rec_size, the same for every record of a
 * tracepoint, so the capture describes it with one BTF struct. */
#ifndef BPFREC_TP_H
#define BPFREC_TP_H

#define TP_MAX_REC 8192           /* bytes of one record */
#define TP_MAX_FIXED 4096         /* bytes of a raw record's fixed part */
#define TP_MAX_SLOT 4096          /* bytes of one __data_loc slot */
#define TP_MAX_LOCS 4             /* __data_loc fields copied per tracepoint */
#define TP_MAX_TERMS 8            /* filter comparisons per tracepoint */
#define TP_FILTER_STR 32          /* a filter's string, with its NUL */
#define TP_PER_OBJECT 32          /* tracepoints per loaded program (loss slots) */

enum tp_op { TP_EQ = 1, TP_NE, TP_LT, TP_LE, TP_GT, TP_GE };

enum tp_term_flags {
	TP_T_SIGNED = 1,          /* the field is signed: sign-extend, compare signed */
	TP_T_STRING = 2,          /* a fixed char array: compare with str */
	TP_T_LOC = 4,             /* a __data_loc string: compare with str */
	TP_T_OR = 8,              /* starts a new || group */
	TP_T_REL = 16,            /* __rel_loc rather than __data_loc */
	TP_T_PID = 32,            /* common_pid: the current thread id, not the record's */
};

/* One comparison of a raw record's field with a constant.  The terms of a
 * filter are && groups joined by ||: a term with TP_T_OR starts a group. */
struct tp_term {
	__u16 off;                /* of the field in the raw record */
	__u16 size;               /* integers: 1, 2, 4, 8; strings: the array's size */
	__u8 op;                  /* enum tp_op; strings: TP_EQ or TP_NE */
	__u8 flags;               /* enum tp_term_flags */
	__u8 __pad[2];
	__u64 value;              /* integers: the constant, as 64 bits */
	char str[TP_FILTER_STR];  /* strings: NUL-padded */
};

struct tp_loc {
	__u16 field_off;          /* of the (length << 16 | offset) word in the raw record */
	__u16 dst_off;            /* of the slot in the emitted record */
	__u16 dst_max;            /* slot bytes, <= TP_MAX_SLOT */
	__u8 elem_shift;          /* arrays: log2 of the element size */
	__u8 flags;               /* 1: array (write the element count), 2: __rel_loc */
};

struct tp_conf {
	__u32 id;                 /* the tracepoint's tracefs ID (common_type) */
	__u32 slot;               /* index in tp_lost: the tracepoint's loss counter */
	__u32 fixed_size;         /* raw bytes copied, <= TP_MAX_FIXED */
	__u32 rec_size;           /* bytes emitted, <= TP_MAX_REC */
	__u32 nlocs;              /* <= TP_MAX_LOCS */
	__u32 nterms;             /* <= TP_MAX_TERMS; 0: no filter */
	__u32 stack_off;          /* of the stack slot, <= TP_MAX_REC - 16; 0: none */
	__u32 __pad;
	struct tp_loc locs[TP_MAX_LOCS];
	struct tp_term terms[TP_MAX_TERMS];
};

_Static_assert(sizeof(struct tp_term) == 48, "tp_term layout");
_Static_assert(sizeof(struct tp_loc) == 8, "tp_loc layout");
_Static_assert(sizeof(struct tp_conf) == 32 + 4 * 8 + 8 * 48, "tp_conf layout");

#endif
