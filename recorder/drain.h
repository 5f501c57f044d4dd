/* drain.h - one loop over every ringbuf and perf buffer (epoll).
 *
 * Producers submit without wakeups (BPF_RB_NO_WAKEUP; perf wakes every
 * wakeup_events samples), so the loop drains on a ~1 ms timer and also
 * whenever a buffer does wake it.  Records go to the sink (the pipeline)
 * with their time: the event's own bpfrec_ts_ns when the type has one
 * (ringbufs and perf arrays alike), else a perf sample's CLOCK_BOOTTIME
 * timestamp, else the time they were drained; perf samples carry their
 * CPU.
 *
 * The drain owns every stream's counters (records, bytes, losses): the
 * losses others find (loss counters in maps, per-tracepoint counters) and
 * the records others make (map snapshots) go through drain__loss and
 * drain__append, and anyone reads them with drain__stats.
 *
 * Errors: 0 or -errno, the constructor NULL with errno set; the message,
 * naming the object and map, printed where it failed (none for ENOMEM).
 */
#ifndef BPFREC_DRAIN_H
#define BPFREC_DRAIN_H

#include <stdint.h>
#include "bpfobj.h"

struct drain_opts {
	uint32_t perf_pages;       /* per CPU, power of 2; 0: 64 */
	uint32_t perf_wakeup;      /* wake every N samples; 0: 64 */
	uint32_t timer_us;         /* drain period; 0: 1000 */
};

/* The process-tree filter for streams the kernel side does not filter
 * (user objects): keep(pid) decides per record, by the type's pid/tgid
 * member; when it says no, refresh() renews its copy of the tree (once per
 * drain pass) and keep() decides again: the kernel's map holds every
 * process whose records are in the buffers at that point. */
struct drain_pid_filter {
	int (*keep)(void *ctx, uint32_t pid);
	void (*refresh)(void *ctx);
	void *ctx;
};

/* Called for each record kept whose type has stack id members (bpfrec.h
 * bpfrec_ustack_id / bpfrec_kstack_id; -1 for a member it lacks): its
 * process (the pid/tgid member, 0 if none) and its stack ids. */
struct drain_stack_hook {
	void (*note)(void *ctx, uint32_t pid, int32_t ustack, int32_t kstack);
	void *ctx;
};

/* Where records and losses go: the pipeline (pipeline__append,
 * pipeline__loss and pipeline__append_run), or a test's fake.  An append's
 * error stops the drain.  append_run (NULL: append per record) takes a run
 * of one stream's records at once, in order, as n calls of append would,
 * each record's time by t (blockbuf_ts__of: the sink reads it as it copies
 * the record), or with t NULL its ts_ns; the drain uses it for the ringbuf
 * records it passes on unchanged. */
struct blockbuf_rec;
struct blockbuf_ts;
struct drain_sink {
	int (*append)(void *ctx, uint32_t stream_id, uint32_t cpu, uint64_t ts_ns,
		      const void *data, uint32_t len);
	void (*loss)(void *ctx, uint32_t stream_id, uint32_t cpu, uint64_t ts_ns, uint64_t n);
	void *ctx;
	int (*append_run)(void *ctx, uint32_t stream_id, uint32_t cpu,
			  const struct blockbuf_rec *recs, uint32_t n, const struct blockbuf_ts *t);
};

/* One stream's counters (or one variant's, drain__stats). */
struct drain_stats {
	uint64_t events;           /* records kept: drained, or given to drain__append */
	uint64_t bytes;            /* their bytes */
	uint64_t lost;             /* events counted lost */
	uint64_t short_events;     /* records shorter than their type: kept, counted */
	uint64_t wakeups;          /* times the stream's buffer woke the loop (the stream's) */
};

struct drain;

/* NULL with errno set.  The sink is copied. */
struct drain *drain__new(const struct drain_sink *sink, const struct drain_opts *opts);
/* Drains stream s of o (its ringbuf or perf buffer, from its map_fd); a
 * snapshot stream has no buffer: its records come through drain__append.
 * -errno with a message naming the object and the map. */
int drain__add(struct drain *d, struct bpfobj *o, struct bpfobj_stream *s);
/* Registers s without reading its buffer: its records come only through
 * drain__append (a test feeds a stream so, with no BPF).  -ENOMEM. */
int drain__add_unbuffered(struct drain *d, struct bpfobj *o, struct bpfobj_stream *s);
/* Drains stream s of o from rb, a ring the caller has mapped (a test's, in
 * memory, laid out as the kernel lays out a ringbuf): rb is copied, its
 * memory stays the caller's and must outlive d; staged: its records are
 * batches (bpf/bpfrec_batch.h), split back into events.  -ENOMEM. */
struct rbc;
int drain__add_ring(struct drain *d, struct bpfobj *o, struct bpfobj_stream *s,
		    const struct rbc *rb, int staged);
/* A record of s the caller has (a map snapshot), routed, filtered and
 * counted as a drained ringbuf record received at ts_ns.  0, -ENOENT if s
 * is not drained here, or the sink's error. */
int drain__append(struct drain *d, const struct bpfobj_stream *s, uint32_t cpu, uint64_t ts_ns,
		  const void *data, uint32_t len);
/* n events of s lost (variant: the index of the event type that was lost
 * among s's variants, -1 for s itself) on cpu (CAP_CPU_UNKNOWN if not
 * known) by ts_ns: counted, and written as one loss record. */
void drain__loss(struct drain *d, const struct bpfobj_stream *s, int variant, uint32_t cpu,
		 uint64_t ts_ns, uint64_t n);
/* A copy of the counters of s: variant -1 for the whole stream (its
 * variants included), else that variant's alone (wakeups: 0).  -ENOENT if s
 * is not drained here or has no such variant. */
int drain__stats(const struct drain *d, const struct bpfobj_stream *s, int variant,
		 struct drain_stats *st);
/* Stream s's ring size (*ring_bytes, 0 if s is not a drained ringbuf)
 * and, for a ringbuf whose loss is unobservable, its possible-loss windows
 * (losswin.h), an open one ended at end_ns (0: left open, the recording
 * goes on); NULL otherwise.  Owned by d. */
struct losswin;
const struct losswin *drain__loss_windows(struct drain *d, const struct bpfobj_stream *s,
					 uint64_t end_ns, uint64_t *ring_bytes);
/* Applies f to the streams of objects that are not built-in probes. */
void drain__set_pid_filter(struct drain *d, const struct drain_pid_filter *f);
void drain__set_stack_hook(struct drain *d, const struct drain_stack_hook *h);
/* Waits up to one timer period (or for extra_fd to be readable, if >= 0),
 * then drains everything.  Returns records drained, or -errno. */
int drain__poll(struct drain *d, int extra_fd);
/* How full the fullest ringbuf (or per-CPU ring read in place) was when
 * the last pass came to it, in thousandths of its size (the backlog:
 * pipeline__backlog). */
uint32_t drain__fill_permille(const struct drain *d);
/* How long, from the last pass's start, until the first of the ringbufs
 * (and per-CPU rings) is full at the rate each filled lately (the last
 * RATE_WINDOW_NS, or faster now): pipeline__headroom.  0 when it cannot
 * tell (the first window; a perf buffer drained, whose fill it does not
 * see) or one is full; UINT64_MAX when nothing comes. */
uint64_t drain__headroom_ns(const struct drain *d);
/* Drains what is left, without waiting. */
int drain__final(struct drain *d);
void drain__free(struct drain *d);   /* NULL is fine */

#endif
