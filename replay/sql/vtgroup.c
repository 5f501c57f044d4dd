/* vtgroup.c - see vtgroup.h.
 *
 * A tuple is kept encoded, column by column: its type byte, then an
 * integer's 8 bytes, or a text's or blob's 4-byte length and bytes (NULL:
 * the type byte alone).  Equal tuples have equal encodings, so a lookup is
 * a hash and one memcmp.  The tuples lie in one arena; entries (hash,
 * count, where the encoding lies) in insertion order, found through an
 * open-addressing index of entry numbers. */
#include "vtgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
};

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

void vtgroup__free(struct vtgroup *g)
{
	if (!g)
		return;
	free(g->arena);
	free(g->ents);
	free(g->slots);
	free(g->key);
	free(g);
}

void vtgroup__reset(struct vtgroup *g)
{
	g->used = 0;
	g->n = 0;
	memset(g->slots, 0, g->nslots * sizeof(*g->slots));
}

/* 8 bytes at a time, each mixed in by a multiply (the tuples are short:
 * a comm, a pid). */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, x;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&x, p, 8);
		h = (h ^ x) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n) {
		x = 0;
		memcpy(&x, p, n);
		h = (h ^ x) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	h *= 0x94d049bb133111ebull;
	return h ^ h >> 32;
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
	if (g->key_len + need >= UINT32_MAX)
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
	g->key_hash = hash_bytes(g->key, g->key_len);
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

static int cmp_off(const void *x, const void *y)
{
	const struct vg_ent *a = x, *b = y;

	return a->off < b->off ? -1 : a->off > b->off;
}

int vtgroup__trim(struct vtgroup *g, size_t keep)
{
	size_t used = 0;

	if (!keep || keep > g->n)
		return -EINVAL;
	/* In place: the kept tuples by where they lie, each moved down to the
	 * end of those before it (never up: no copy overlaps one not moved
	 * yet), then back in order. */
	g->n = keep;
	qsort(g->ents, keep, sizeof(*g->ents), cmp_off);
	for (size_t e = 0; e < keep; e++) {
		memmove(g->arena + used, g->arena + g->ents[e].off, g->ents[e].len);
		g->ents[e].off = (uint32_t)used;
		used += g->ents[e].len;
	}
	g->used = used;
	vtgroup__sort(g);
	memset(g->slots, 0, g->nslots * sizeof(*g->slots));
	for (size_t e = 0; e < keep; e++) {
		size_t i = g->ents[e].hash & (g->nslots - 1);

		while (g->slots[i])
			i = (i + 1) & (g->nslots - 1);
		g->slots[i] = (uint32_t)(e + 1);
	}
	return 0;
}

void vtgroup__enc(const struct vtgroup *g, size_t k, const uint8_t **p, size_t *len)
{
	*p = g->arena + g->ents[k].off;
	*len = g->ents[k].len;
}

int vtgroup__key_cmp(const struct vtgroup *g, const uint8_t *enc)
{
	return cmp_enc(g, g->key, enc);
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
