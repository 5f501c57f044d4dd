#include "pcring.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfrec_batch.h"

struct pcring {
	uint8_t *map;
	size_t map_len, stride;   /* the mapping; a region's bytes */
	uint32_t nregions;
	uint64_t ring;            /* a region's ring bytes (a power of 2) */
	uint64_t slack;           /* bytes past the ring an event may run on into */
};

struct pcring *pcring__open(int map_fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	struct pcring *p;
	uint64_t room;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return NULL;
	if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE) ||
	    !info.max_entries || info.value_size < sizeof(struct bpfrec_pcring_head) + 4096) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->nregions = info.max_entries;
	p->stride = ((size_t)info.value_size + 7) & ~(size_t)7;   /* array elements are 8-aligned */
	room = info.value_size - sizeof(struct bpfrec_pcring_head);
	for (p->ring = 4096; p->ring * 2 <= room; p->ring *= 2)
		;
	p->slack = room - p->ring;
	p->map_len = (p->stride * p->nregions + (size_t)page - 1) & ~((size_t)page - 1);
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p->map == MAP_FAILED) {
		int err = errno;

		free(p);
		errno = err;
		return NULL;
	}
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

long pcring__read(struct pcring *p, int (*fn)(void *ctx, uint32_t cpu, const void *ev,
					      uint32_t len),
		  void (*done)(void *ctx), void *ctx, uint64_t *bad)
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
		while (tail < head) {
			uint64_t off = tail & (p->ring - 1), need;
			struct bpfrec_brec r;

			memcpy(&r, data + off, sizeof(r));
			need = BPFREC_BREC_SIZE((uint64_t)r.len);
			if (need > head - tail || need > p->slack) {
				*bad += 1;
				tail = head;
				break;
			}
			err = fn(ctx, cpu, data + off + sizeof(r), r.len);
			if (err < 0) {
				done(ctx);
				return err;
			}
			total++;
			tail += need;
		}
		done(ctx);
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
	munmap(p->map, p->map_len);
	free(p);
}
