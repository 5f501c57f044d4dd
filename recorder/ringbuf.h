/* ringbuf.h - our own consumer of a BPF ringbuf map.
 *
 * libbpf 1.1's ring_buffer stores the consumer position after every record
 * (a write to a cache line the producer reads on every reserve) and maps
 * the ring lazily.  This consumer maps the ring with MAP_POPULATE (no page
 * faults while draining), hands out every committed record of a pass, and
 * publishes the consumer position once per pass (and every eighth of the
 * ring on a long one).
 */
#ifndef BPFREC_RINGBUF_H
#define BPFREC_RINGBUF_H

#include <stddef.h>
#include <stdint.h>

struct rbc {
	int map_fd;
	size_t size;               /* data area, a power of 2 */
	size_t page;
	volatile uint64_t *cons;   /* consumer position (our page, RW) */
	volatile uint64_t *prod;   /* producer position (RO) */
	const uint8_t *data;       /* data area, mapped twice in a row */
	void *cons_map, *prod_map;
};

/* 0 or -errno.  The map must be a BPF_MAP_TYPE_RINGBUF. */
int rbc__open(struct rbc *c, int map_fd);
void rbc__close(struct rbc *c);
/* Hands every committed record (skipping discarded ones) to fn in runs of
 * up to RBC_RUN (ts_ns not set: the caller's, or a blockbuf_ts), stopping
 * at the first record still being written; same_len: the length of every
 * record of the run when they all have one (0 when not: found in the walk,
 * so the caller need not pass over the run for it).  A run's records stay
 * in place until fn returns, so the caller copies each record once, in one
 * loop, with no call per record.  Returns records handed out, or fn's
 * negative return (the run that failed is not consumed: the next pass
 * hands it out again). */
#define RBC_RUN 256
struct blockbuf_rec;
long rbc__consume_runs(struct rbc *c,
		       int (*fn)(void *ctx, struct blockbuf_rec *recs, uint32_t n, uint32_t same_len),
		       void *ctx);

#endif
