/* memring.h - a BPF ringbuf made in memory for the recorder's unit tests:
 * laid out as the kernel lays one out for its consumer (the consumer and
 * producer positions, the data area mapped twice in a row so that a record
 * wrapping around the end reads whole), filled by the test as a producer
 * would.  Header-only (static inline). */
#ifndef BPFREC_TEST_MEMRING_H
#define BPFREC_TEST_MEMRING_H

#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringbuf.h"
#include "testutil.h"

#define MEMRING_HDR 8u   /* a record's header: u32 len and flags, u32 page offset */

struct memring {
	struct rbc c;          /* what the consumer is given */
	uint64_t cons, prod;   /* the positions (the kernel's pages' words) */
	uint8_t *data;         /* writable view of the data area */
};

/* size: a power of 2, a multiple of the page size. */
static inline void memring_open(struct memring *r, size_t size)
{
	int fd = memfd_create("memring", 0);
	uint8_t *base;

	CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
	base = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(base != MAP_FAILED);
	CHECK(mmap(base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == base);
	CHECK(mmap(base + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
	      base + size);
	close(fd);
	memset(r, 0, sizeof(*r));
	r->data = base;
	r->c.size = size;
	r->c.data = base;
	r->c.cons = &r->cons;
	r->c.prod = &r->prod;
	r->c.map_fd = -1;
}

static inline void memring_close(struct memring *r)
{
	munmap(r->data, 2 * r->c.size);
}

/* Writes a record of len bytes at prod, as the kernel's reserve and
 * commit leave it; flags: BPF_RINGBUF_BUSY_BIT (still being written) and/or
 * BPF_RINGBUF_DISCARD_BIT.  bytes NULL: fill it later through the returned
 * pointer.  *at (if not NULL): its position. */
static inline uint8_t *memring_put(struct memring *r, const void *bytes, uint32_t len, uint32_t flags,
			    uint64_t *at)
{
	uint64_t pos = r->prod;
	uint32_t hdr = len | flags;
	uint8_t *p = r->data + (pos & (r->c.size - 1));

	CHECK(pos + MEMRING_HDR + len - r->cons <= r->c.size);
	if (bytes)
		memcpy(p + MEMRING_HDR, bytes, len);   /* may run into the second view */
	memcpy(p, &hdr, 4);
	r->prod = pos + ((MEMRING_HDR + len + 7) & ~7u);
	if (at)
		*at = pos;
	return p + MEMRING_HDR;
}

/* Clears the busy bit of the record at pos. */
static inline void memring_commit(struct memring *r, uint64_t pos)
{
	uint8_t *p = r->data + (pos & (r->c.size - 1));
	uint32_t hdr;

	memcpy(&hdr, p, 4);
	hdr &= ~(uint32_t)BPF_RINGBUF_BUSY_BIT;
	memcpy(p, &hdr, 4);
}

#endif
