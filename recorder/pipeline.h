/* pipeline.h - hands records from the drain thread to writer threads.
 *
 * The drain thread appends records into the current block buffer (a memcpy);
 * a full or stale block goes through a bounded queue to the writer threads,
 * which encode and compress blocks in parallel and write and index them
 * (capw) in the order they were sent.  Buffers come from
 * a fixed pool (and its spares, while the kernel's buffers are short of
 * room): when the writer falls behind, the drain thread waits for a
 * free buffer, stops draining, the kernel buffers fill and the kernel's loss
 * counters count what is dropped.  Memory never grows without bound.
 * Before it comes to that, the writers make cheaper blocks: while they are
 * behind (PIPELINE_ADAPT, pipeline__backlog) they encode fast blocks, the
 * same format with no dictionaries, larger but cheaper to make.
 *
 * Errors: 0 or -errno (the writer's first error, said where it failed);
 * the constructor NULL with errno set.
 */
#ifndef BPFREC_PIPELINE_H
#define BPFREC_PIPELINE_H

#include <stdint.h>
#include "capw.h"

struct pipeline_opts {
	uint32_t block_bytes;   /* raw bytes per block; 0: CAP_BLOCK_DEFAULT_BYTES */
	uint32_t nbufs;         /* buffers in the pool; 0: nworkers + 1 */
	uint32_t spare_bufs;    /* more, lent to the drain thread only when it
				 * finds every buffer with the writers while
				 * the kernel's buffers could not absorb the
				 * wait (pipeline__headroom), given back (their
				 * memory released) once a second passes
				 * without one needed; 0: none */
	uint32_t nworkers;      /* writer threads (encode in parallel, write in order); 0: 2 */
	int zstd_level;         /* the blocks' zstd level; 0: 1 */
	uint64_t flush_ns;      /* seal + commit at least this often; 0: 1 s */
	unsigned chain_blocks;  /* chained dictionaries (block_encoder__chain):
				 * blocks per chain; 0, 1: none.  A block
				 * continues the block before when that
				 * one's encoder is free, else an older one */
	enum pipeline_effort {
		PIPELINE_ADAPT = 0,   /* compact blocks, fast ones while behind */
		PIPELINE_COMPACT,     /* always compact (block_encoder's default) */
		PIPELINE_FAST,        /* always fast (block_encoder__fast) */
	} effort;
};

struct pipeline;

/* Starts the writer threads.  Takes no ownership of w; w must outlive the
 * pipeline.  NULL with errno set. */
struct pipeline *pipeline__start(struct capw *w, const struct pipeline_opts *opts);
/* Drain thread only.  0, or the writer's error once it has failed. */
int pipeline__append(struct pipeline *p, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		     const void *data, uint32_t len);
/* Drain thread: n records of one stream and cpu, in order, as n calls of
 * pipeline__append (one copy each, handing full blocks on); their times by
 * t, or with t NULL their ts_ns (blockbuf__add_run). */
int pipeline__append_run(struct pipeline *p, uint32_t stream, uint32_t cpu,
			 const struct blockbuf_rec *recs, uint32_t n, const struct blockbuf_ts *t);
int pipeline__loss(struct pipeline *p, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		   uint64_t count);
/* Seals the block and asks for a commit if flush_ns passed since the last. */
void pipeline__tick(struct pipeline *p, uint64_t now_ns);
/* Drain thread: seals the current block and asks the writer thread for a
 * flight-recorder snapshot (capw__snapshot: CAPTURE/snapshot-N), which it
 * announces on stderr.  A failed snapshot is reported and does not stop the
 * recording. */
void pipeline__snapshot(struct pipeline *p);
/* Drain thread: runs fn(ctx, w) on the writer thread, in order with the
 * blocks and losses sent before and after (so in the commit that follows
 * them); fn owns ctx and is called exactly once, even after an error. */
void pipeline__call(struct pipeline *p, int (*fn)(void *ctx, struct capw *w), void *ctx);
/* Drain thread: how full the fullest kernel buffer was at the start of
 * the last drain pass, in thousandths.  With PIPELINE_ADAPT, a backlog (a
 * buffer filling, or every block buffer with the writers while the
 * kernel's buffers are near full for the time that wait may take:
 * pipeline__headroom) makes the blocks
 * handed over from then on fast ones (block_encoder__fast: the same
 * format, cheaper to encode, larger), until the backlog is gone. */
void pipeline__backlog(struct pipeline *p, uint32_t fill_permille);
/* Drain thread: how long, at the rate the kernel's buffers filled lately,
 * until the first of them is full (drain__headroom_ns); 0: not known (the
 * start).  With PIPELINE_ADAPT, a hand-over that finds every block buffer
 * with the writers is a backlog only if that is less than a few blocks'
 * time of the writers: else the buffers absorb the wait, and the blocks
 * stay compact. */
void pipeline__headroom(struct pipeline *p, uint64_t ns);
/* Blocks the writers encoded in all, and of them fast ones.  Any thread. */
void pipeline__blocks(const struct pipeline *p, uint64_t *blocks, uint64_t *fast);
/* Of the fast blocks, those made at BLOCK_FASTER_ZSTD_LEVEL: with
 * PIPELINE_ADAPT, while a kernel buffer was half full at the drain pass's
 * start (pipeline__backlog), the events close to being lost.  Any thread. */
uint64_t pipeline__blocks_faster(const struct pipeline *p);
/* Times the drain thread found every buffer with the writers while
 * recording (they encode slower than events come: the kernel's buffers
 * fill meanwhile, and lose events when full), and the ns it waited in all.
 * Any thread. */
void pipeline__stalls(const struct pipeline *p, uint64_t *stalls, uint64_t *wait_ns);
/* Times the drain thread took a spare buffer (pipeline_opts.spare_bufs)
 * instead of waiting for the writers.  Any thread. */
uint64_t pipeline__spares_taken(const struct pipeline *p);
/* The writer's first error (e.g. -ENOSPC), 0 if none. */
int pipeline__error(const struct pipeline *p);
/* Writes what is left, commits, joins the writer.  Returns its first error. */
int pipeline__stop(struct pipeline *p);
void pipeline__free(struct pipeline *p);   /* NULL is fine; stops first */

#endif
