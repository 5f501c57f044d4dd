/* blockbuf.c - the drain side: records appended to an in-memory block
 * (struct blockbuf, block_internal.h), grouped by stream as they come.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "block_internal.h"

static inline uint32_t bb_hash(uint32_t stream)
{
	return (stream * 0x9E3779B1u) >> (32 - 11);
}
_Static_assert(BB_HASH_SIZE == 1u << 11, "bb_hash bits");

struct blockbuf *blockbuf__new(size_t cap_bytes)
{
	struct blockbuf *b;

	cap_bytes &= ~(size_t)7;
	if (cap_bytes < sizeof(struct bb_ent) || cap_bytes > CAP_BLOCKBUF_MAX_BYTES) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->arena = malloc(cap_bytes);
	if (!b->arena) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	b->cap = cap_bytes;
	blockbuf__reset(b);
	return b;
}

void blockbuf__free(struct blockbuf *b)
{
	if (!b)
		return;
	free(b->arena);
	free(b);
}

void blockbuf__release(struct blockbuf *b)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)b->arena + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)b->arena + b->cap) & ~(page - 1);

	blockbuf__reset(b);
	/* The pages wholly inside the arena (its bytes are ours: zeros when
	 * next touched).  A failure would only leave them resident. */
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

void blockbuf__reset(struct blockbuf *b)
{
	b->used = 0;
	b->n = 0;
	b->nslots = 0;
	b->last_slot = UINT32_MAX;
	b->min_ts = UINT64_MAX;
	b->max_ts = 0;
	memset(b->hash, 0, sizeof(b->hash));
}

/* Slot of stream, adding it; UINT32_MAX when the block has no room for
 * another stream. */
static uint32_t bb_slot_of(struct blockbuf *b, uint32_t stream)
{
	uint32_t h = bb_hash(stream);

	for (;;) {
		uint16_t v = b->hash[h];
		if (!v)
			break;
		if (b->slots[v - 1].stream == stream)
			return v - 1;
		h = (h + 1) & (BB_HASH_SIZE - 1);
	}
	if (b->nslots == CAP_BLOCK_MAX_STREAMS)
		return UINT32_MAX;
	uint32_t s = b->nslots++;
	b->slots[s] = (struct bb_slot){ .stream = stream, .min_ts = UINT64_MAX };
	b->hash[h] = (uint16_t)(s + 1);
	return s;
}

int blockbuf__add(struct blockbuf *b, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		  const void *data, uint32_t len)
{
	size_t need = b->used + len + ((size_t)b->n + 1) * sizeof(struct bb_ent);
	uint32_t slot;

	if (need > b->cap)
		return (size_t)len + sizeof(struct bb_ent) > b->cap ? -E2BIG : -ENOSPC;
	if (b->last_slot != UINT32_MAX && b->last_stream == stream) {
		slot = b->last_slot;
	} else {
		slot = bb_slot_of(b, stream);
		if (slot == UINT32_MAX)
			return -ENOSPC;  /* too many streams: cannot happen on an empty block */
		b->last_stream = stream;
		b->last_slot = slot;
	}

	struct bb_ent *e = bb_ent(b, b->n++);
	e->ts_ns = ts_ns;
	e->cpu = cpu;
	e->len = len;
	e->off = (uint32_t)b->used;
	e->slot = slot;
	if (len)
		memcpy(b->arena + b->used, data, len);
	b->used += len;

	struct bb_slot *s = &b->slots[slot];
	s->count++;
	if (ts_ns < s->min_ts)
		s->min_ts = ts_ns;
	if (ts_ns > s->max_ts)
		s->max_ts = ts_ns;
	if (ts_ns < b->min_ts)
		b->min_ts = ts_ns;
	if (ts_ns > b->max_ts)
		b->max_ts = ts_ns;
	return 0;
}

/* A record's bytes into the block: events of 16 to 64 bytes (the usual
 * ones) by two overlapping moves of 16 or 32 bytes, inline, where a call
 * of memcpy cost the drain more than the copy. */
static inline void copy_rec(uint8_t *d, const void *src, uint32_t len)
{
	const uint8_t *s = src;

	if (len >= 16 && len <= 32) {
		memcpy(d, s, 16);
		memcpy(d + len - 16, s + len - 16, 16);
	} else if (len > 32 && len <= 64) {
		memcpy(d, s, 32);
		memcpy(d + len - 32, s + len - 32, 32);
	} else if (len) {
		memcpy(d, s, len);
	}
}

/* How far ahead add_fixed fetches the payload lines it writes (the
 * entries: half as far, as they are 24 bytes a record). */
#define BB_PREFETCH_BYTES 1024

/* add_run's loop for a run of records of one length L (16 to 64 bytes:
 * big, 33 to 64; a constant 64 where the caller knows it, the usual
 * event: one copy of 64 bytes), each with its time at ts_off (has_ts) or
 * none: the usual run of a ringbuf of one event type.  k records, all
 * known to fit: no room check, no size class, no time source chosen per
 * record.  An entry is three words: the time, (cpu, len) the run's, and
 * (off, slot) the record's offset and the run's slot, which steps by L. */
static inline __attribute__((always_inline)) uint8_t *
add_fixed(struct bb_ent *e, uint8_t *dst, const uint8_t *arena, uint32_t cpu, uint32_t slot,
	  const struct blockbuf_rec *recs, uint32_t k, uint32_t L, bool big, bool has_ts,
	  size_t ts_off, uint64_t ts_add, uint64_t ts_dflt, uint64_t *lo_out, uint64_t *hi_out)
{
	const struct blockbuf_rec *end = recs + k;
	uint64_t lo = *lo_out, hi = *hi_out, cpu_len, off_slot, off_step;
	uint32_t c = big ? 32 : 16;
	struct bb_ent first = { .cpu = cpu, .len = L, .off = (uint32_t)(dst - arena),
				.slot = slot };
	struct bb_ent step = { .off = L };

	/* (by the struct's own layout: the words are the same whatever the
	 * byte order; off never carries into slot, the arena is < 4 GiB) */
	memcpy(&cpu_len, (const uint8_t *)&first + offsetof(struct bb_ent, cpu), 8);
	memcpy(&off_slot, (const uint8_t *)&first + offsetof(struct bb_ent, off), 8);
	memcpy(&off_step, (const uint8_t *)&step + offsetof(struct bb_ent, off), 8);
	for (; recs < end; recs++, e--) {
		const uint8_t *s = recs->data;
		uint64_t ts = ts_dflt;

		if (has_ts) {
			memcpy(&ts, s + ts_off, 8);
			ts += ts_add;
		}
		/* The lines written next, ahead (payloads up, entries
		 * down): a block buffer comes back from a writer, whose CPU
		 * read it last, so each store would wait for its line.
		 * With the ring's prefetch the drain's CPU per event fell
		 * ~17% in the bench at 3 M/s.  (Addresses as integers:
		 * they may lie past the buffer.) */
		__builtin_prefetch((const void *)((uintptr_t)dst + BB_PREFETCH_BYTES), 1);
		__builtin_prefetch((const void *)((uintptr_t)e - BB_PREFETCH_BYTES / 2), 1);
		memcpy((uint8_t *)e + offsetof(struct bb_ent, ts_ns), &ts, 8);
		memcpy((uint8_t *)e + offsetof(struct bb_ent, cpu), &cpu_len, 8);
		memcpy((uint8_t *)e + offsetof(struct bb_ent, off), &off_slot, 8);
		off_slot += off_step;
		memcpy(dst, s, c);
		memcpy(dst + L - c, s + L - c, c);
		dst += L;
		lo = ts < lo ? ts : lo;
		hi = ts > hi ? ts : hi;
	}
	*lo_out = lo;
	*hi_out = hi;
	return dst;
}

/* The drain's path: one slot lookup and one update of the time bounds for
 * the whole run, the copies in a tight loop; with t, each record's time
 * read from its payload in the same loop (inlined twice: t given or not,
 * each loop without the other's test). */
static inline __attribute__((always_inline)) int
add_run(struct blockbuf *b, uint32_t stream, uint32_t cpu, const struct blockbuf_rec *recs,
	uint32_t n, const struct blockbuf_ts *t)
{
	/* (t's fields in locals: the stores below could alias them) */
	uint64_t lo = UINT64_MAX, hi = 0, ts_add = t ? t->add_ns : 0, ts_dflt = t ? t->dflt_ns : 0;
	/* a record holds its time when len >= ts_end: never with no offset */
	uint64_t ts_end = t && t->off >= 0 ? (uint64_t)t->off + 8 : UINT64_MAX;
	size_t ts_off = t && t->off >= 0 ? (size_t)t->off : 0;
	uint32_t fill_to = t ? t->fill_to : 0;
	uint8_t *arena = b->arena, *dst;
	struct bb_ent *e;
	uint32_t slot, i;

	if (!n)
		return 0;
	if ((size_t)(recs[0].len < fill_to ? fill_to : recs[0].len) + sizeof(struct bb_ent) > b->cap)
		return -E2BIG;
	if (b->last_slot != UINT32_MAX && b->last_stream == stream) {
		slot = b->last_slot;
	} else {
		slot = bb_slot_of(b, stream);
		if (slot == UINT32_MAX)
			return 0;   /* too many streams: cannot happen on an empty block */
		b->last_stream = stream;
		b->last_slot = slot;
	}
	/* The payload grows up to dst, the entries down to e: a record fits
	 * when its payload ends at or below its entry's start. */
	dst = arena + b->used;
	e = bb_ent(b, b->n);
	i = 0;
	if (t && t->same_len >= 16 && t->same_len <= 64 && t->same_len >= fill_to) {
		/* All of one length (an event type's runs): as many as fit,
		 * found at once, then add_fixed's loop.  Record j fits when
		 * dst + (j + 1) L <= the start of its entry, e - j, i.e.
		 * (j + 1) (L + 24) <= avail. */
		uint32_t L = t->same_len;
		ptrdiff_t avail = (uint8_t *)(e + 1) - dst;
		size_t fit = avail <= 0 ? 0 : (size_t)avail / (L + sizeof(struct bb_ent));
		uint32_t k = fit < n ? (uint32_t)fit : n;
		bool has_ts = L >= ts_end;

		if (L == 64)
			dst = has_ts ? add_fixed(e, dst, arena, cpu, slot, recs, k, 64, true, true,
						 ts_off, ts_add, ts_dflt, &lo, &hi) :
				       add_fixed(e, dst, arena, cpu, slot, recs, k, 64, true, false,
						 ts_off, ts_add, ts_dflt, &lo, &hi);
		else if (L > 32)
			dst = has_ts ? add_fixed(e, dst, arena, cpu, slot, recs, k, L, true, true,
						 ts_off, ts_add, ts_dflt, &lo, &hi) :
				       add_fixed(e, dst, arena, cpu, slot, recs, k, L, true, false,
						 ts_off, ts_add, ts_dflt, &lo, &hi);
		else
			dst = has_ts ? add_fixed(e, dst, arena, cpu, slot, recs, k, L, false, true,
						 ts_off, ts_add, ts_dflt, &lo, &hi) :
				       add_fixed(e, dst, arena, cpu, slot, recs, k, L, false, false,
						 ts_off, ts_add, ts_dflt, &lo, &hi);
		i = n = k;   /* (the loop below: nothing more) */
	}
	for (; i < n; i++, e--) {
		uint32_t len = recs[i].len;
		const uint8_t *src = recs[i].data;
		uint64_t ts;

		if (len < fill_to) {
			/* stored whole: the bytes its producer left out are zeros */
			if ((ptrdiff_t)fill_to > (uint8_t *)e - dst)
				break;
			memcpy(dst, src, len);
			memset(dst + len, 0, fill_to - len);
			src = dst;   /* (its time from the filled copy) */
			len = fill_to;
		} else if ((ptrdiff_t)len > (uint8_t *)e - dst) {   /* (< 0: not even an entry's room) */
			break;
		}
		if (!t) {
			ts = recs[i].ts_ns;
		} else if (len >= ts_end) {
			memcpy(&ts, src + ts_off, 8);
			ts += ts_add;
		} else {
			ts = ts_dflt;
		}
		*e = (struct bb_ent){ .ts_ns = ts, .cpu = cpu, .len = len,
				      .off = (uint32_t)(dst - arena), .slot = slot };
		if (src != dst)
			copy_rec(dst, src, len);
		dst += len;
		lo = ts < lo ? ts : lo;
		hi = ts > hi ? ts : hi;
	}
	if (!i)
		return 0;
	b->used = (size_t)(dst - arena);
	b->n += i;

	struct bb_slot *s = &b->slots[slot];
	s->count += i;
	if (lo < s->min_ts)
		s->min_ts = lo;
	if (hi > s->max_ts)
		s->max_ts = hi;
	if (lo < b->min_ts)
		b->min_ts = lo;
	if (hi > b->max_ts)
		b->max_ts = hi;
	return (int)i;
}

int blockbuf__add_run(struct blockbuf *b, uint32_t stream, uint32_t cpu,
		      const struct blockbuf_rec *recs, uint32_t n, const struct blockbuf_ts *t)
{
	return t ? add_run(b, stream, cpu, recs, n, t) : add_run(b, stream, cpu, recs, n, NULL);
}

uint32_t blockbuf__count(const struct blockbuf *b)
{
	return b->n;
}

size_t blockbuf__bytes(const struct blockbuf *b)
{
	return b->used + (size_t)b->n * sizeof(struct bb_ent);
}

void blockbuf__for_each_stream(const struct blockbuf *b,
			       void (*fn)(uint32_t stream, uint32_t count, uint64_t min_ts,
					  uint64_t max_ts, void *ctx),
			       void *ctx)
{
	for (uint32_t i = 0; i < b->nslots; i++)
		fn(b->slots[i].stream, b->slots[i].count, b->slots[i].min_ts,
		   b->slots[i].max_ts, ctx);
}
