/* vtgroup.c - see vtgroup.h.
 *
 * A tuple is kept encoded, column by column: its type byte, then an
 * integer's 8 bytes, or a text's or blob's 4-byte length and bytes (NULL:
 * the type byte alone).  Equal tuples have equal encodings, so a lookup is
 * a hash and one memcmp.  The tuples lie in one arena; entries (hash,
 * count, where the encoding lies) in insertion order, found through an
 * open-addressing index of entry numbers. */
#include "vtgroup.h"
#include "spillfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <time.h>
#include <stdbool.h>

struct vg_ent {
	uint64_t hash;
	uint64_t count;
	uint32_t off, len;      /* the encoding in the arena */
};

struct vtgroup {
	size_t ncols;
	size_t max_bytes;
	uint8_t *arena;         /* the tuples' encodings */
	size_t used, cap;
	struct vg_ent *ents;
	size_t n, ents_cap;
	uint32_t *slots;        /* entry number + 1, 0: free */
	size_t nslots;          /* a power of two, at least twice n */
	uint8_t *key;           /* the current tuple's encoding */
	size_t key_len, key_cap;
	uint64_t key_hash;
	/* the order (vtgroup__order): norder columns, each maybe reversed */
	uint32_t order[VG_MAX_COLS];
	uint8_t desc[VG_MAX_COLS];
	size_t norder;
	/* Sorted runs spilled to a temporary file (vtgroup__spill), merged
	 * by a heap of their heads (vtgroup__merge_next); without runs the
	 * table's sorted tuples are handed out in turn (next). */
	FILE *tmp;
	uint64_t tmp_bytes;
	char tmp_err[PATH_MAX + 64];   /* why the file could not be made, "" */
	struct vg_run *runs;
	size_t nruns, runs_cap;
	size_t *heap, nheap;    /* run numbers, the smallest head first */
	size_t next;
	uint8_t *out;           /* the tuple handed out last */
	size_t out_cap;
	bool merging;
	int (*stop)(void *);    /* vtgroup__on_stop: Ctrl-C */
	void *stop_ctx;
	uint64_t k0, k1;        /* the hash's key (hash_key) */
	size_t probes;          /* slots looked at by adds, since the last reset */
	size_t run_bytes;       /* the runs' read-ahead buffers, now */
	size_t run_peak;        /* ... at most, since the last reset */
};

/* Bytes read ahead per run: a run holds ~16 MiB of tuples, so many runs
 * (a hostile capture's billion distinct values) keep this much each. */
#define VG_RUN_READ 16384

/* One run: its records [len u32][count u64][encoding] from off to end. */
struct vg_run {
	uint64_t off, end;      /* the file's bytes not yet read */
	uint8_t *buf;           /* read ahead */
	size_t cap, len, pos;
	uint64_t maxlen;        /* its largest record, bytes */
	const uint8_t *key;     /* its head (in buf) */
	uint32_t klen;
	uint64_t count;
};

static void hash_key(struct vtgroup *g);

struct vtgroup *vtgroup__new(size_t ncols, size_t max_bytes)
{
	struct vtgroup *g;

	if (ncols > VG_MAX_COLS) {
		errno = EINVAL;
		return NULL;
	}
	if (!(g = calloc(1, sizeof(*g))))
		return NULL;
	g->ncols = ncols;
	hash_key(g);
	for (size_t c = 0; c < ncols; c++)
		g->order[c] = (uint32_t)c;
	g->norder = ncols;
	g->max_bytes = max_bytes;
	g->nslots = 64;
	g->slots = calloc(g->nslots, sizeof(*g->slots));
	if (!g->slots) {
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	return g;
}

static void runs_drop(struct vtgroup *g)
{
	for (size_t r = 0; r < g->nruns; r++)
		free(g->runs[r].buf);
	g->nruns = 0;
	g->run_bytes = 0;
	g->run_peak = 0;
	g->nheap = 0;
	if (g->tmp)
		fclose(g->tmp);
	g->tmp = NULL;
	g->tmp_bytes = 0;
	g->merging = false;
	g->next = 0;
}

void vtgroup__free(struct vtgroup *g)
{
	if (!g)
		return;
	runs_drop(g);
	free(g->runs);
	free(g->heap);
	free(g->out);
	free(g->arena);
	free(g->ents);
	free(g->slots);
	free(g->key);
	free(g);
}

void vtgroup__reset(struct vtgroup *g)
{
	runs_drop(g);
	g->probes = 0;
	g->used = 0;
	g->n = 0;
	memset(g->slots, 0, g->nslots * sizeof(*g->slots));
}

#define ROTL64(x, b) ((x) << (b) | (x) >> (64 - (b)))
#define SIPROUND do { \
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32); \
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32); \
	} while (0)

/* SipHash-1-3 of the tuple under the table's random key.  The tuples come
 * from a capture, which an attacker writes: under a fixed hash (the first
 * one here was a multiply-xorshift mix, invertible, and its block steps
 * let XOR differences in bit 63 cancel whatever the seed) they choose
 * values that share one slot, and every add walks all before it.  A keyed
 * hash gives them nothing to aim at. */
static uint64_t hash_bytes(const struct vtgroup *g, const uint8_t *p, size_t n)
{
	uint64_t v0 = g->k0 ^ 0x736f6d6570736575ull, v1 = g->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = g->k0 ^ 0x6c7967656e657261ull, v3 = g->k1 ^ 0x7465646279746573ull;
	uint64_t m, last = (uint64_t)n << 56;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&m, p, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	m = 0;
	memcpy(&m, p, n);
	last |= m;
	v3 ^= last;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The table's hash key: random (the kernel's), else what differs per run. */
static void hash_key(struct vtgroup *g)
{
	uint64_t k[2];

	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		k[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32 ^
		       (uint64_t)(uintptr_t)g;
		k[1] = (uint64_t)ts.tv_sec * 0xc2b2ae3d27d4eb4full ^ (uint64_t)(uintptr_t)&ts;
	}
	g->k0 = k[0];
	g->k1 = k[1];
}

static int key_room(struct vtgroup *g, size_t need)
{
	if (need <= g->key_cap)
		return 0;
	size_t cap = g->key_cap ? g->key_cap : 64;
	while (cap < need)
		cap *= 2;
	uint8_t *k = realloc(g->key, cap);
	if (!k)
		return -ENOMEM;
	g->key = k;
	g->key_cap = cap;
	return 0;
}

void vtgroup__key_start(struct vtgroup *g)
{
	g->key_len = 0;
}

int vtgroup__key_put(struct vtgroup *g, const struct vgval *v)
{
	size_t need = v->type == VG_NULL ? 1 : v->type == VG_INT ? 9 : 5 + v->n;
	uint8_t *k;
	uint32_t n32;
	int rc;

	if (v->type > VG_BLOB)
		return -EINVAL;
	if ((v->type == VG_TEXT || v->type == VG_BLOB) && v->n >= UINT32_MAX - 16)
		return -E2BIG;
	/* a tuple within max_bytes: so is every run's read-ahead */
	if (g->key_len + need >= UINT32_MAX || g->key_len + need > g->max_bytes)
		return -E2BIG;
	if ((rc = key_room(g, g->key_len + need)))
		return rc;
	k = g->key + g->key_len;
	*k++ = v->type;
	if (v->type == VG_INT) {
		memcpy(k, &v->i, 8);
	} else if (v->type != VG_NULL) {
		n32 = (uint32_t)v->n;
		memcpy(k, &n32, 4);
		if (v->n)
			memcpy(k + 4, v->p, v->n);
	}
	g->key_len += need;
	return 0;
}

uint64_t vtgroup__key_hash(struct vtgroup *g)
{
	g->key_hash = hash_bytes(g, g->key, g->key_len);
	return g->key_hash;
}

static int grow_slots(struct vtgroup *g)
{
	size_t ns = g->nslots * 2;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t e = 0; e < g->n; e++) {
		size_t i = g->ents[e].hash & (ns - 1);
		while (s[i])
			i = (i + 1) & (ns - 1);
		s[i] = (uint32_t)(e + 1);
	}
	free(g->slots);
	g->slots = s;
	g->nslots = ns;
	return 0;
}

int vtgroup__add(struct vtgroup *g)
{
	const uint64_t h = g->key_hash;
	const size_t len = g->key_len;
	size_t i = h & (g->nslots - 1);
	uint32_t e;

	while ((e = g->slots[i])) {
		struct vg_ent *x = &g->ents[e - 1];

		g->probes++;
		if (x->hash == h && x->len == len && !memcmp(g->arena + x->off, g->key, len)) {
			x->count++;
			return 0;
		}
		i = (i + 1) & (g->nslots - 1);
	}
	/* a new tuple: within max_bytes, its index growing with it */
	size_t slots_after = (g->n + 1) * 2 > g->nslots ? g->nslots * 2 : g->nslots;
	size_t ents_after = g->n + 1 > g->ents_cap ? (g->ents_cap ? g->ents_cap * 2 : 16)
						    : g->ents_cap;
	size_t arena_after = g->cap;
	while (g->used + len > arena_after)
		arena_after = arena_after ? arena_after * 2 : 1024;
	if (g->n >= UINT32_MAX - 1 || g->used + len > UINT32_MAX)
		return -E2BIG;
	/* the first tuple always fits: every part of the rows can be counted */
	if (g->n && arena_after + ents_after * sizeof(struct vg_ent) +
			    slots_after * sizeof(uint32_t) > g->max_bytes)
		return -E2BIG;
	if (arena_after > g->cap) {
		uint8_t *a = realloc(g->arena, arena_after);
		if (!a)
			return -ENOMEM;
		g->arena = a;
		g->cap = arena_after;
	}
	if (ents_after > g->ents_cap) {
		struct vg_ent *n = realloc(g->ents, ents_after * sizeof(*n));
		if (!n)
			return -ENOMEM;
		g->ents = n;
		g->ents_cap = ents_after;
	}
	memcpy(g->arena + g->used, g->key, len);
	g->ents[g->n] = (struct vg_ent){ .hash = h, .count = 1, .off = (uint32_t)g->used,
					 .len = (uint32_t)len };
	g->slots[i] = (uint32_t)(g->n + 1);
	g->used += len;
	g->n++;
	if (g->n * 2 > g->nslots && grow_slots(g)) {
		/* counted, but unfindable: undo it */
		g->n--;
		g->used -= len;
		g->slots[i] = 0;
		return -ENOMEM;
	}
	return 0;
}

/* One encoded value at *p: into v; *p moves past it. */
static void decode_one(const uint8_t **p, struct vgval *v)
{
	const uint8_t *k = *p;
	uint32_t n32;

	memset(v, 0, sizeof(*v));
	v->type = *k++;
	if (v->type == VG_INT) {
		memcpy(&v->i, k, 8);
		k += 8;
	} else if (v->type != VG_NULL) {
		memcpy(&n32, k, 4);
		v->n = n32;
		v->p = k + 4;
		k += 4 + n32;
	}
	*p = k;
}

/* SQLite's order of two values of one column (BINARY collation). */
static int cmp_val(const struct vgval *a, const struct vgval *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;   /* NULL < INT < TEXT < BLOB */
	if (a->type == VG_INT)
		return a->i < b->i ? -1 : a->i > b->i;
	if (a->type == VG_NULL)
		return 0;
	size_t n = a->n < b->n ? a->n : b->n;
	int c = n ? memcmp(a->p, b->p, n) : 0;
	if (c)
		return c;
	return a->n < b->n ? -1 : a->n > b->n;
}

/* Two encoded tuples in g's order. */
static int cmp_enc(const struct vtgroup *g, const uint8_t *pa, const uint8_t *pb)
{
	struct vgval va[VG_MAX_COLS], vb[VG_MAX_COLS];

	for (size_t c = 0; c < g->ncols; c++) {
		decode_one(&pa, &va[c]);
		decode_one(&pb, &vb[c]);
	}
	for (size_t k = 0; k < g->norder; k++) {
		int r = cmp_val(&va[g->order[k]], &vb[g->order[k]]);

		if (r)
			return g->desc[k] ? -r : r;
	}
	return 0;
}

static int cmp_ent(const void *x, const void *y, void *ctx)
{
	const struct vtgroup *g = ctx;
	const struct vg_ent *a = x, *b = y;

	return cmp_enc(g, g->arena + a->off, g->arena + b->off);
}

int vtgroup__order(struct vtgroup *g, const uint32_t *cols, const uint8_t *desc, size_t n)
{
	if (n > g->ncols)
		return -EINVAL;
	for (size_t k = 0; k < n; k++)
		if (cols[k] >= g->ncols)
			return -EINVAL;
	for (size_t k = 0; k < n; k++) {
		g->order[k] = cols[k];
		g->desc[k] = desc[k] != 0;
	}
	g->norder = n;
	return 0;
}

void vtgroup__sort(struct vtgroup *g)
{
	if (g->n > 1)
		qsort_r(g->ents, g->n, sizeof(*g->ents), cmp_ent, g);
}

size_t vtgroup__count(const struct vtgroup *g)
{
	return g->n;
}

uint64_t vtgroup__get(const struct vtgroup *g, size_t k, struct vgval *vals)
{
	const uint8_t *p = g->arena + g->ents[k].off;

	for (size_t c = 0; c < g->ncols; c++)
		decode_one(&p, &vals[c]);
	return g->ents[k].count;
}

/* ---- runs: more distinct tuples than max_bytes holds ---- */

int vtgroup__spill(struct vtgroup *g)
{
	struct vg_run *r;

	g->tmp_err[0] = 0;
	if (!g->tmp && !(g->tmp = spillfile__open(g->tmp_err, sizeof(g->tmp_err))))
		return -errno;
	if (g->nruns == g->runs_cap) {
		size_t cap = g->runs_cap ? 2 * g->runs_cap : 8;
		struct vg_run *nr = realloc(g->runs, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		g->runs = nr;
		g->runs_cap = cap;
	}
	vtgroup__sort(g);
	r = &g->runs[g->nruns];
	*r = (struct vg_run){ .off = g->tmp_bytes };
	for (size_t e = 0; e < g->n; e++) {
		const struct vg_ent *x = &g->ents[e];

		if (fwrite(&x->len, 4, 1, g->tmp) != 1 || fwrite(&x->count, 8, 1, g->tmp) != 1 ||
		    fwrite(g->arena + x->off, 1, x->len, g->tmp) != x->len)
			return errno == ENOSPC ? -ENOSPC : -EIO;
		g->tmp_bytes += 12 + (uint64_t)x->len;
		if (12 + (uint64_t)x->len > r->maxlen)
			r->maxlen = 12 + (uint64_t)x->len;
	}
	r->end = g->tmp_bytes;
	g->nruns++;
	/* the table empties; the file and the runs stay */
	g->used = 0;
	g->n = 0;
	memset(g->slots, 0, g->nslots * sizeof(*g->slots));
	return 0;
}

const char *vtgroup__spill_error(const struct vtgroup *g)
{
	return g->tmp_err;
}

/* At least need bytes of run r at buf + pos (read ahead from the file). */
static int run_fill(struct vtgroup *g, struct vg_run *r, size_t need)
{
	if (r->len - r->pos >= need)
		return 0;
	if (need > r->end - r->off + (r->len - r->pos))
		return -EIO;            /* cut short: not what was written */
	if (r->len > r->pos)   /* (buf NULL before the first read) */
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	size_t want = need > VG_RUN_READ ? need : VG_RUN_READ;
	if (want > r->cap) {
		uint8_t *b = realloc(r->buf, want);

		if (!b)
			return -ENOMEM;
		r->buf = b;
		g->run_bytes += want - r->cap;
		if (g->run_bytes > g->run_peak)
			g->run_peak = g->run_bytes;
		r->cap = want;
	}
	while (r->len < need) {
		size_t n = r->cap - r->len;

		if (n > r->end - r->off)
			n = (size_t)(r->end - r->off);
		ssize_t got = pread(fileno(g->tmp), r->buf + r->len, n, (off_t)r->off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EIO;
		r->len += (size_t)got;
		r->off += (uint64_t)got;
	}
	return 0;
}

/* Run r's next tuple as its head: 1, 0 at its end, or -errno. */
static int run_head(struct vtgroup *g, struct vg_run *r)
{
	int rc;

	if (r->pos == r->len && r->off == r->end)
		return 0;
	if ((rc = run_fill(g, r, 12)))
		return rc;
	memcpy(&r->klen, r->buf + r->pos, 4);
	memcpy(&r->count, r->buf + r->pos + 4, 8);
	r->pos += 12;
	if ((rc = run_fill(g, r, r->klen)))
		return rc;
	r->key = r->buf + r->pos;
	r->pos += r->klen;
	return 1;
}

static int heap_less(const struct vtgroup *g, size_t a, size_t b)
{
	return cmp_enc(g, g->runs[a].key, g->runs[b].key) < 0;
}

static void heap_down(struct vtgroup *g, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < g->nheap && heap_less(g, g->heap[l], g->heap[m]))
			m = l;
		if (l + 1 < g->nheap && heap_less(g, g->heap[l + 1], g->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t t = g->heap[i];
		g->heap[i] = g->heap[m];
		g->heap[m] = t;
		i = m;
	}
}

/* The heap's smallest head moves on to its run's next tuple. */
static int heap_advance(struct vtgroup *g)
{
	int rc = run_head(g, &g->runs[g->heap[0]]);

	if (rc < 0)
		return rc;
	if (!rc)
		g->heap[0] = g->heap[--g->nheap];
	if (g->nheap)
		heap_down(g, 0);
	return 0;
}

/* Run r's buffer goes (its tuples all read). */
static void run_free(struct vtgroup *g, struct vg_run *r)
{
	free(r->buf);
	g->run_bytes -= r->cap;
	r->buf = NULL;
	r->cap = r->len = r->pos = 0;
}

/* The read-ahead run r takes while merged: run_fill's buffer. */
static uint64_t run_need(const struct vg_run *r)
{
	return r->maxlen > VG_RUN_READ ? r->maxlen : VG_RUN_READ;
}

/* The heap over runs [first, first + n): their first tuples. */
static int heap_build(struct vtgroup *g, size_t first, size_t n)
{
	int rc;

	g->nheap = 0;
	for (size_t r = first; r < first + n; r++) {
		if ((rc = run_head(g, &g->runs[r])) < 0)
			return rc;
		if (rc)
			g->heap[g->nheap++] = r;
	}
	for (size_t i = g->nheap / 2; i-- > 0;)
		heap_down(g, i);
	return 0;
}

/* The heap's smallest tuple into g->out (*len bytes), with its rows counted
 * over the runs that hold it (each run holds a tuple once: the same tuple's
 * heads come next).  The heap is not empty. */
static int heap_pop(struct vtgroup *g, uint32_t *len, uint64_t *count)
{
	struct vg_run *r = &g->runs[g->heap[0]];
	int rc;

	*len = r->klen;
	if (*len > g->out_cap) {
		uint8_t *o = realloc(g->out, *len);

		if (!o)
			return -ENOMEM;
		g->out = o;
		g->out_cap = *len;
	}
	memcpy(g->out, r->key, *len);
	*count = r->count;
	if ((rc = heap_advance(g)))
		return rc;
	while (g->nheap) {
		r = &g->runs[g->heap[0]];
		if (r->klen != *len || memcmp(r->key, g->out, *len))
			break;
		*count += r->count;
		if ((rc = heap_advance(g)))
			return rc;
	}
	return 0;
}

/* One pass over the runs: consecutive runs whose read-ahead fits
 * max_bytes together (two at least) are merged into one new run at the
 * file's end; a run left alone stays as it is.  At least halves the runs
 * (more than two). */
static int merge_pass(struct vtgroup *g)
{
	size_t nout = 0, first = 0;
	uint32_t written = 0;
	int rc;

	while (first < g->nruns) {
		size_t n = 1;
		uint64_t need = run_need(&g->runs[first]);

		while (first + n < g->nruns &&
		       (n < 2 || need + run_need(&g->runs[first + n]) <= g->max_bytes))
			need += run_need(&g->runs[first + n++]);
		if (n == 1) {   /* alone: as it is */
			g->runs[nout++] = g->runs[first++];
			continue;
		}
		struct vg_run m = { .off = g->tmp_bytes };
		if (g->stop && g->stop(g->stop_ctx))
			return -EINTR;
		if ((rc = heap_build(g, first, n)))
			return rc;
		while (g->nheap) {
			uint32_t len;
			uint64_t count;

			if ((rc = heap_pop(g, &len, &count)))
				return rc;
			if (fwrite(&len, 4, 1, g->tmp) != 1 || fwrite(&count, 8, 1, g->tmp) != 1 ||
			    fwrite(g->out, 1, len, g->tmp) != len)
				return errno == ENOSPC ? -ENOSPC : -EIO;
			g->tmp_bytes += 12 + (uint64_t)len;
			if (12 + (uint64_t)len > m.maxlen)
				m.maxlen = 12 + (uint64_t)len;
			if (!(++written & 1023) && g->stop && g->stop(g->stop_ctx))
				return -EINTR;
		}
		m.end = g->tmp_bytes;
		for (size_t r = first; r < first + n; r++)
			run_free(g, &g->runs[r]);
		/* (nout <= first: the runs before first are done with) */
		g->runs[nout++] = m;
		first += n;
	}
	g->nruns = nout;
	return fflush(g->tmp) ? -EIO : 0;
}

int vtgroup__merge_start(struct vtgroup *g)
{
	int rc;

	g->next = 0;
	g->merging = g->nruns > 0;
	if (!g->merging) {
		vtgroup__sort(g);
		return 0;
	}
	if (g->n && (rc = vtgroup__spill(g)))
		return rc;
	if (fflush(g->tmp))
		return -EIO;
	free(g->heap);
	if (!(g->heap = malloc(g->nruns * sizeof(*g->heap))))
		return -ENOMEM;
	/* Every run's head at once would hold a buffer per run (up to a
	 * tuple each, however large): merge passes until the runs' heads fit
	 * the memory (or two are left), the runs halving each pass. */
	for (;;) {
		uint64_t need = 0;

		for (size_t r = 0; r < g->nruns; r++)
			need += run_need(&g->runs[r]);
		if (need <= g->max_bytes || g->nruns <= 2)
			break;
		if ((rc = merge_pass(g)))
			return rc;
	}
	return heap_build(g, 0, g->nruns);
}

int vtgroup__merge_next(struct vtgroup *g, struct vgval *vals, uint64_t *count)
{
	const uint8_t *p;
	uint32_t len;
	int rc;

	if (!g->merging) {
		if (g->next >= g->n)
			return 0;
		*count = vtgroup__get(g, g->next++, vals);
		return 1;
	}
	if (!g->nheap)
		return 0;
	if ((rc = heap_pop(g, &len, count)))
		return rc;
	p = g->out;
	for (size_t c = 0; c < g->ncols; c++)
		decode_one(&p, &vals[c]);
	return 1;
}

void vtgroup__on_stop(struct vtgroup *g, int (*stop)(void *ctx), void *ctx)
{
	g->stop = stop;
	g->stop_ctx = ctx;
}

size_t vtgroup__probes(const struct vtgroup *g)
{
	return g->probes;
}

size_t vtgroup__merge_peak(const struct vtgroup *g)
{
	return g->run_peak;
}
