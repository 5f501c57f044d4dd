/* ringbuf.h - our own consumer of a BPF ringbuf map.
 *
 * libbpf 1.1's ring_buffer stores the consumer position after every record
 * (a write to a cache line the producer reads on every reserve) and maps
 * the ring lazily.  This consumer maps the ring with MAP_POPULATE (no page
 * faults while draining), hands out every committed record of a pass, and
 * publishes the consumer position once per pass.
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
/* Calls fn for each committed record (skipping discarded ones), stopping at
 * the first record still being written; returns records handed out, or
 * fn's negative return. */
long rbc__consume(struct rbc *c, int (*fn)(void *ctx, const void *data, uint32_t len),
		  void *ctx);

#endif
