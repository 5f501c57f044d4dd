#include "ringbuf.h"
#include "block.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RB_HDR_BYTES 8u     /* struct { u32 len; u32 pg_off; } */

int rbc__open(struct rbc *c, int map_fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(c, 0, sizeof(*c));
	memset(&info, 0, sizeof(info));
	c->map_fd = map_fd;
	c->page = (size_t)sysconf(_SC_PAGESIZE);
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	c->size = info.max_entries;
	c->cons_map = mmap(NULL, c->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (c->cons_map == MAP_FAILED) {
		c->cons_map = NULL;
		return -errno;
	}
	/* The producer page, then the data area mapped twice, so a record that
	 * wraps around is contiguous.  Populated now: draining never faults. */
	c->prod_map = mmap(NULL, c->page + 2 * c->size, PROT_READ, MAP_SHARED | MAP_POPULATE,
			   map_fd, (off_t)c->page);
	if (c->prod_map == MAP_FAILED) {
		int err = -errno;

		c->prod_map = NULL;
		rbc__close(c);
		return err;
	}
	c->cons = c->cons_map;
	c->prod = c->prod_map;
	c->data = (const uint8_t *)c->prod_map + c->page;
	return 0;
}

void rbc__close(struct rbc *c)
{
	if (c->cons_map)
		munmap(c->cons_map, c->page);
	if (c->prod_map)
		munmap(c->prod_map, c->page + 2 * c->size);
	c->cons_map = c->prod_map = NULL;
}

/* How far ahead of the walk the ring's lines are fetched: ~7 of the
 * bench's 72-byte records. */
#define RBC_PREFETCH_BYTES 512

long rbc__consume_runs(struct rbc *c,
		       int (*fn)(void *ctx, struct blockbuf_rec *recs, uint32_t n, uint32_t same_len),
		       void *ctx)
{
	uint64_t cons = *c->cons, prod = __atomic_load_n(c->prod, __ATOMIC_ACQUIRE);
	uint64_t published = cons;
	struct blockbuf_rec run[RBC_RUN];
	size_t mask = c->size - 1, eighth = c->size / 8;
	const uint8_t *data = c->data;
	long n = 0;
	int busy = 0;

	while (cons < prod && !busy) {
		/* A run ends at RBC_RUN records, at the first record still
		 * being written, where an eighth of the ring since the last
		 * give-back is read, or at the ring's end: within the run the
		 * records lie in a row (a record across the end, in the
		 * second mapping), walked by a pointer, not a masked
		 * position; one bound per record, not three. */
		uint64_t run_start = cons, end = published + eighth;
		const uint8_t *p = data + (cons & mask), *pend;
		struct blockbuf_rec *r = run;
		/* the run's first length (its records' step), and the bits
		 * in which another differs */
		uint32_t k, first_len = 0, step = RB_HDR_BYTES, diff = 0;
		int err;

		if (end > prod)
			end = prod;
		if (end - cons > c->size - (cons & mask))
			end = cons + (c->size - (cons & mask));
		pend = p + (end - cons);
		while (r < run + RBC_RUN && p < pend) {
			uint32_t len = __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);

			/* The records ahead: the producer's CPU wrote them, so
			 * each line is a miss that the walk, which learns
			 * where the next record starts from this one's
			 * length, would wait for one by one (the drain's CPU
			 * per event -8% in the bench at 3 M/s).  (Past the
			 * mapping near its end: a prefetch does not fault.) */
			__builtin_prefetch(p + RBC_PREFETCH_BYTES);
			/* The usual record: committed, kept, of the run's
			 * length (no flag bit set: busy and discarded ones
			 * differ) */
			if (len == first_len) {
				r->data = p + RB_HDR_BYTES;
				r->len = len;
				r++;
				p += step;
				continue;
			}
			/* busy: reserved, not yet committed: the next pass gets it */
			if (len & BPF_RINGBUF_BUSY_BIT) {
				busy = 1;
				break;
			}
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				if (r == run) {
					first_len = len;
					step = (len + RB_HDR_BYTES + 7) & ~7u;
				}
				diff |= len ^ first_len;
				r->data = p + RB_HDR_BYTES;
				r->len = len;
				r++;
			}
			len &= ~BPF_RINGBUF_DISCARD_BIT;
			p += (len + RB_HDR_BYTES + 7) & ~7u;
		}
		cons += (uint64_t)(p - (data + (run_start & mask)));
		/* The run goes out before its space is given back. */
		k = (uint32_t)(r - run);
		if (k) {
			err = fn(ctx, run, k, diff ? 0 : first_len);
			if (err < 0) {
				__atomic_store_n(c->cons, run_start, __ATOMIC_RELEASE);
				return err;
			}
			n += k;
		}
		/* Give space back every eighth of the ring, not per record:
		 * the producer reads this line on every reserve. */
		if (cons - published >= eighth) {
			__atomic_store_n(c->cons, cons, __ATOMIC_RELEASE);
			published = cons;
		}
	}
	__atomic_store_n(c->cons, cons, __ATOMIC_RELEASE);
	return n;
}
