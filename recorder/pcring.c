#include "pcring.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfrec_batch.h"
#include "block.h"

struct pcring {
	uint8_t *map;
	size_t map_len, stride;   /* the mapping; a region's bytes */
	uint32_t nregions;
	uint64_t ring;            /* a region's ring bytes (a power of 2) */
	uint64_t slack;           /* bytes past the ring an event may run on into */
	int mapped;               /* map is ours (pcring__open), not the caller's */
};

/* The layout of nregions regions of value_size bytes at map: the ring,
 * the largest power of 2 after the head; the slack, what is left. */
static int lay_out(struct pcring *p, uint32_t nregions, uint32_t value_size)
{
	uint64_t room;

	if (!nregions || value_size < sizeof(struct bpfrec_pcring_head) + 4096)
		return -EINVAL;
	p->nregions = nregions;
	p->stride = ((size_t)value_size + 7) & ~(size_t)7;   /* array elements are 8-aligned */
	room = value_size - sizeof(struct bpfrec_pcring_head);
	for (p->ring = 4096; p->ring * 2 <= room; p->ring *= 2)
		;
	p->slack = room - p->ring;
	return 0;
}

struct pcring *pcring__open(int map_fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	struct pcring *p;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE)) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (lay_out(p, info.max_entries, info.value_size)) {
		free(p);
		errno = EINVAL;
		return NULL;
	}
	p->map_len = (p->stride * p->nregions + (size_t)page - 1) & ~((size_t)page - 1);
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p->map == MAP_FAILED) {
		int err = errno;

		free(p);
		errno = err;
		return NULL;
	}
	p->mapped = 1;
	return p;
}

struct pcring *pcring__wrap(void *mem, uint32_t nregions, uint32_t value_size)
{
	struct pcring *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (lay_out(p, nregions, value_size)) {
		free(p);
		errno = EINVAL;
		return NULL;
	}
	p->map = mem;
	return p;
}

uint32_t pcring__fill_permille(const struct pcring *p)
{
	uint32_t cpu, most = 0;

	for (cpu = 0; cpu < p->nregions; cpu++) {
		const struct bpfrec_pcring_head *h =
			(const struct bpfrec_pcring_head *)(p->map + (size_t)cpu * p->stride);
		uint64_t head = __atomic_load_n(&h->head, __ATOMIC_RELAXED), tail = h->tail;
		uint64_t used = head - tail;
		uint32_t pm = head < tail || used >= p->ring ? 1000 : (uint32_t)(used * 1000 / p->ring);

		if (pm > most)
			most = pm;
	}
	return most;
}

void pcring__room(const struct pcring *p, uint64_t *written, uint64_t *room)
{
	uint32_t cpu;

	*written = 0;
	*room = p->ring;
	for (cpu = 0; cpu < p->nregions; cpu++) {
		const struct bpfrec_pcring_head *h =
			(const struct bpfrec_pcring_head *)(p->map + (size_t)cpu * p->stride);
		uint64_t head = __atomic_load_n(&h->head, __ATOMIC_RELAXED), tail = h->tail;
		uint64_t left = head < tail || head - tail >= p->ring ? 0 : p->ring - (head - tail);

		*written += head;
		if (left < *room)
			*room = left;
	}
}

/* One region's events in [*tail, head) to fn in runs; *tail moves past
 * those handed out.  A run ends at PCRING_RUN events, or at the ring's end
 * (an event that starts before it runs on into the slack; the next starts
 * at the ring's start): within it the events lie in a row, walked by a
 * pointer.  Each event's size is checked against what is left and the
 * slack, but those whose header is the run's first's (the usual run of
 * one event type) are taken by a counted loop with one compare each (as
 * many as fit whole before head).  -EBADMSG when they do not add up (the
 * runs before handed out), or fn's negative return. */
static int read_region(const struct pcring *p, uint32_t cpu, const uint8_t *data,
		       uint64_t *tail, uint64_t head,
		       int (*fn)(void *ctx, uint32_t cpu, struct blockbuf_rec *recs, uint32_t n,
				 uint32_t same_len),
		       void *ctx, long *total)
{
	struct blockbuf_rec run[PCRING_RUN];

	while (*tail < head) {
		uint64_t off = *tail & (p->ring - 1), left = head - *tail;
		const uint8_t *ptr = data + off, *start = ptr;
		/* events start before pend and end by phead */
		const uint8_t *pend = data + (left < p->ring - off ? off + left : p->ring);
		const uint8_t *phead = ptr + left;
		struct blockbuf_rec *r = run;
		uint64_t first_hdr = 0, step = 0;
		uint32_t first_len = 0, diff = 0, k;
		int bad = 0, err;

		while (r < run + PCRING_RUN && ptr < pend) {
			struct bpfrec_brec b;
			uint64_t hdr, need, fit;

			memcpy(&b, ptr, sizeof(b));
			need = BPFREC_BREC_SIZE((uint64_t)b.len);
			if (need > (uint64_t)(phead - ptr) || need > p->slack) {
				bad = 1;
				break;
			}
			if (r == run) {
				memcpy(&first_hdr, &b, sizeof(b));
				first_len = b.len;
				step = need;
			}
			diff |= b.len ^ first_len;
			r->data = ptr + sizeof(b);
			r->len = b.len;
			r++;
			ptr += need;
			if (b.len != first_len)
				continue;
			/* the events after it like the first: those that start
			 * before pend and end by phead, and the run's room */
			fit = ptr < pend ? ((uint64_t)(pend - ptr) + step - 1) / step : 0;
			if (fit > (uint64_t)(phead - ptr) / step)
				fit = (uint64_t)(phead - ptr) / step;
			if (fit > (uint64_t)(run + PCRING_RUN - r))
				fit = (uint64_t)(run + PCRING_RUN - r);
			for (; fit; fit--) {
				memcpy(&hdr, ptr, sizeof(hdr));
				if (hdr != first_hdr)
					break;
				r->data = ptr + sizeof(b);
				r->len = first_len;
				r++;
				ptr += step;
			}
		}
		k = (uint32_t)(r - run);
		if (k) {
			err = fn(ctx, cpu, run, k, diff ? 0 : first_len);
			if (err < 0)
				return err;
			*total += k;
		}
		*tail += (uint64_t)(ptr - start);
		if (bad)
			return -EBADMSG;
	}
	return 0;
}

long pcring__read_runs(struct pcring *p,
		       int (*fn)(void *ctx, uint32_t cpu, struct blockbuf_rec *recs, uint32_t n,
				 uint32_t same_len),
		       void *ctx, uint64_t *bad)
{
	long total = 0;
	uint32_t cpu;
	int err;

	for (cpu = 0; cpu < p->nregions; cpu++) {
		uint8_t *region = p->map + (size_t)cpu * p->stride;
		struct bpfrec_pcring_head *h = (struct bpfrec_pcring_head *)region;
		const uint8_t *data = region + sizeof(*h);
		uint64_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE), tail = h->tail;

		if (head == tail)
			continue;
		if (head < tail || head - tail > p->ring) {
			*bad += 1;
			__atomic_store_n(&h->tail, head, __ATOMIC_RELEASE);
			continue;
		}
		err = read_region(p, cpu, data, &tail, head, fn, ctx, &total);
		if (err == -EBADMSG) {
			*bad += 1;
			tail = head;   /* the rest dropped */
		} else if (err < 0) {
			/* (the runs before consumed, the failed one not) */
			__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
			return err;
		}
		__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
	}
	return total;
}

uint64_t pcring__direct(const struct pcring *p)
{
	uint64_t n = 0;
	uint32_t cpu;

	for (cpu = 0; cpu < p->nregions; cpu++) {
		const struct bpfrec_pcring_head *h =
			(const struct bpfrec_pcring_head *)(p->map + (size_t)cpu * p->stride);

		n += __atomic_load_n(&h->direct, __ATOMIC_RELAXED);
	}
	return n;
}

void pcring__free(struct pcring *p)
{
	if (!p)
		return;
	if (p->mapped)
		munmap(p->map, p->map_len);
	free(p);
}
