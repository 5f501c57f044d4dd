/* bpfrec_batch.h - how a staged ringbuf's records look (bpfrec.h,
 * BPFREC_STAGED): the layout the BPF side writes and the recorder's drain
 * splits (recorder/stage.c).  Included by bpfrec.h and by the recorder; no
 * BPF code here, fixed widths, explicit padding.
 *
 * Every record of a staged ringbuf is a batch: a header, then `count`
 * events of one CPU in the order they were made, each a record header and
 * its bytes, padded to 8:
 *
 *   struct bpfrec_batch  { magic, cpu, count, bytes }      16 bytes
 *   struct bpfrec_brec   { len, zero }  then len bytes, then 0-7 bytes of
 *                                       padding up to a multiple of 8
 *   ... count times; bytes is the sum of their sizes (headers and padding)
 *
 * A batch of one is how an event goes that could not be staged (a program
 * interrupted another on the same CPU while it wrote the staging area).
 * The events themselves are exactly what an unstaged program would have
 * sent: a capture does not know that they were staged. */
#ifndef BPFREC_BATCH_H
#define BPFREC_BATCH_H

#define BPFREC_BATCH_MAGIC 0x31627262u   /* "brb1" in memory on little-endian */

struct bpfrec_batch {
	__u32 magic;              /* BPFREC_BATCH_MAGIC */
	__u32 cpu;                /* where the events were made */
	__u32 count;              /* events that follow */
	__u32 bytes;              /* their bytes, record headers and padding included */
};

struct bpfrec_brec {
	__u32 len;                /* the event's bytes, without the padding */
	__u32 zero;
};

/* The head of one CPU's staging area (bpfrec.h's struct bpfrec_stage,
 * whose data[] follows): what the recorder reads of it at the end, when
 * the events still staged on a CPU it could not flush are counted lost. */
struct bpfrec_stage_head {
	__u32 busy;               /* a program of this CPU is writing the area */
	__u32 __pad;
	__u64 direct;             /* events sent alone (busy, or too large) */
	struct bpfrec_batch b;    /* b.count events in data[0, b.bytes) */
};

/* One CPU's region of a per-CPU ring read in place (bpfrec.h
 * BPFREC_PERCPU_RING): this head, then the ring's bytes.  Events lie in
 * [tail, head) (positions counted from the start, taken modulo the ring's
 * size), each a struct bpfrec_brec and its bytes padded to 8, written
 * whole from where it starts (one starting near the end runs on past the
 * ring's size, into the region's slack).  The CPU's programs alone write
 * head, publishing an event only once all of it is written; the recorder
 * alone writes tail, once it is done with the events before it.  Each
 * side's word has a cache line of its own. */
struct bpfrec_pcring_head {
	__u64 head;               /* bytes written (the CPU's programs) */
	__u64 tail_seen;          /* the programs' last look at tail */
	__u32 busy;               /* a program of this CPU is writing an event */
	__u32 __pad;
	__u64 direct;             /* events sent to the ringbuf alone (busy, or too large) */
	__u64 __pad0[4];
	__u64 tail;               /* bytes read (the recorder) */
	__u64 __pad1[7];
};

/* The largest event a per-CPU ring takes in place; each region has room
 * for one past its ring's end (the slack). */
#define BPFREC_PCRING_MAX_EVENT 1016

/* An event of len bytes takes this much of a batch. */
#define BPFREC_BREC_SIZE(len) ((((len) + 7u) & ~7u) + 8u)

#ifndef __bpf__
_Static_assert(sizeof(struct bpfrec_batch) == 16, "bpfrec_batch layout");
_Static_assert(sizeof(struct bpfrec_brec) == 8, "bpfrec_brec layout");
_Static_assert(sizeof(struct bpfrec_stage_head) == 32, "bpfrec_stage_head layout");
_Static_assert(sizeof(struct bpfrec_pcring_head) == 128, "bpfrec_pcring_head layout");
#endif

#endif
