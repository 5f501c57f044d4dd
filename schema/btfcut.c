/* btfcut.c - a validated BTF cut to its roots' closure by value, as raw
 * BTF (see btfcut.h).  Every id and name offset read here was checked by
 * btfv__parse; records are copied whole and then their ids and name
 * offsets rewritten. */
#include "btfcut.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CUT_MAX_DEPTH 32     /* typedef/modifier links followed to a pointee */

struct btfcut {
	uint32_t count;          /* the source's types, void included */
	uint32_t *map;           /* [count]: id in the cut BTF, 0: left out */
	uint8_t *raw;
	size_t len;
};

struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

/* Appends n bytes; returns where they went (NULL after a failure). */
static void *put(struct buf *b, const void *d, size_t n)
{
	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	if (d)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	return b->p + b->len - n;
}

static int kind_of(const struct btf_type *t)
{
	return (int)BTF_INFO_KIND(t->info);
}

static uint32_t vlen_of(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}

/* 1 for the kinds a value may have: not functions, their prototypes,
 * DATASEC or decl tags. */
static int is_value_kind(const struct btf_type *t)
{
	int k = kind_of(t);

	return k != BTF_KIND_FUNC && k != BTF_KIND_FUNC_PROTO && k != BTF_KIND_DATASEC &&
	       k != BTF_KIND_DECL_TAG;
}

/* How many types a value of t is made of (see ref()).  btfv.c's child()
 * walks the same edges but an array's index type (sizes need none), and
 * adding it there would change what the validator refuses: two walks. */
static uint32_t nrefs(const struct btf_type *t)
{
	switch (kind_of(t)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
		return 1;
	case BTF_KIND_ARRAY:
		return 2;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen_of(t);
	}
	return 0;    /* int, float, enums, forward declarations, pointers */
}

/* The k-th: the referred type, an array's element and index types, a
 * member's type. */
static uint32_t ref(const struct btf_type *t, uint32_t k)
{
	if (kind_of(t) == BTF_KIND_ARRAY)
		return k ? ((const struct btf_array *)(t + 1))->index_type
			 : ((const struct btf_array *)(t + 1))->type;
	if (kind_of(t) == BTF_KIND_STRUCT || kind_of(t) == BTF_KIND_UNION)
		return ((const struct btf_member *)(t + 1))[k].type;
	return t->type;
}

static int mark(struct btfcut *c, const struct btfv *b, const uint32_t *roots, size_t n)
{
	uint32_t *stack = malloc(sizeof(*stack) * c->count), top = 0, k;
	size_t i;
	int err = 0;

	if (!stack)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!roots[i])
			continue;
		if (!btfv__usable(b, roots[i]) || !is_value_kind(btfv__type(b, roots[i]))) {
			err = -EINVAL;
			goto out;
		}
		if (!c->map[roots[i]]) {
			c->map[roots[i]] = 1;
			stack[top++] = roots[i];
		}
	}
	while (top) {
		const struct btf_type *t = btfv__type(b, stack[--top]);

		for (k = 0; k < nrefs(t); k++) {
			uint32_t id = ref(t, k);

			if (!id || c->map[id])
				continue;
			if (!is_value_kind(btfv__type(b, id))) {
				err = -EINVAL;
				goto out;
			}
			c->map[id] = 1;
			stack[top++] = id;
		}
	}
out:
	free(stack);
	return err;
}

/* A pointer's target through typedefs and modifiers: the name offset of a
 * named struct, union or forward declaration (*is_union set), else 0. */
static uint32_t pointee(const struct btfv *b, uint32_t id, int *is_union)
{
	const struct btf_type *t = btfv__type(b, id);
	int depth, k;

	for (depth = 0; t && depth < CUT_MAX_DEPTH; depth++) {
		k = kind_of(t);
		if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_CONST && k != BTF_KIND_VOLATILE &&
		    k != BTF_KIND_RESTRICT && k != BTF_KIND_TYPE_TAG)
			break;
		t = btfv__type(b, t->type);
	}
	if (!t || !*btfv__name(b, t->name_off))
		return 0;
	k = kind_of(t);
	if (k != BTF_KIND_STRUCT && k != BTF_KIND_UNION && k != BTF_KIND_FWD)
		return 0;
	*is_union = k == BTF_KIND_UNION || (k == BTF_KIND_FWD && BTF_INFO_KFLAG(t->info));
	return t->name_off;
}

/* Names: each source name offset copied once into strs. */
struct names {
	uint32_t *slots;         /* 2 per slot: source offset + 1 (0: empty), new offset */
	uint32_t mask;
	struct buf strs;
};

static uint32_t name_of(struct names *nm, const struct btfv *b, uint32_t off)
{
	const char *s = btfv__name(b, off);
	uint32_t h;

	if (!*s)
		return 0;
	for (h = (off * 2654435761u) & nm->mask; nm->slots[2 * h]; h = (h + 1) & nm->mask)
		if (nm->slots[2 * h] == off + 1)
			return nm->slots[2 * h + 1];
	nm->slots[2 * h] = off + 1;
	nm->slots[2 * h + 1] = (uint32_t)nm->strs.len;
	put(&nm->strs, s, strlen(s) + 1);
	return nm->slots[2 * h + 1];
}

/* Forward declarations for the pointers whose target is left out. */
struct fwds {
	uint32_t *name_off;      /* source offsets */
	uint8_t *is_union;
	uint32_t n;
};

static uint32_t fwd_index(const struct fwds *f, uint32_t name_off, int is_union)
{
	uint32_t i;

	for (i = 0; i < f->n; i++)
		if (f->name_off[i] == name_off && f->is_union[i] == is_union)
			return i;
	return f->n;
}

/* The bytes between the name offsets of what follows a record of t's
 * kind (members, enumerators, parameters: each starts with its name
 * offset); 0 for kinds whose trailing data names nothing. */
static size_t name_stride(const struct btf_type *t)
{
	switch (kind_of(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return sizeof(struct btf_param);
	}
	return 0;
}

/* The k-th name offset of what follows t (k < vlen, name_stride(t) != 0). */
static uint32_t *name_at(struct btf_type *t, uint32_t k)
{
	return (uint32_t *)((uint8_t *)(t + 1) + k * name_stride(t));
}

/* Rewrites the name offsets of the copy t (of the source's record) in
 * place: its own, its members', enumerators' or parameters'.  Every offset
 * was checked by btfv__parse, and t's record is btfv__type_len(t) bytes. */
static void rename_record(struct names *nm, const struct btfv *b, struct btf_type *t)
{
	t->name_off = name_of(nm, b, t->name_off);
	if (name_stride(t))
		for (uint32_t k = 0; k < vlen_of(t); k++)
			*name_at(t, k) = name_of(nm, b, *name_at(t, k));
}

/* Rewrites the copy t (of the source's record) in place: names, and ids
 * into the cut's. */
static void rewrite(struct btfcut *c, const struct btfv *b, struct names *nm, const struct fwds *f,
		    uint32_t fwd_base, struct btf_type *t)
{
	uint32_t i;

	rename_record(nm, b, t);
	switch (kind_of(t)) {
	case BTF_KIND_PTR: {
		int is_union = 0;
		uint32_t pn;

		if (c->map[t->type]) {
			t->type = c->map[t->type];
			break;
		}
		pn = t->type ? pointee(b, t->type, &is_union) : 0;
		t->type = pn ? fwd_base + fwd_index(f, pn, is_union) : 0;
		break;
	}
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
		t->type = c->map[t->type];
		break;
	case BTF_KIND_ARRAY: {
		struct btf_array *a = (struct btf_array *)(t + 1);

		a->type = c->map[a->type];
		a->index_type = c->map[a->index_type];
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		struct btf_member *m = (struct btf_member *)(t + 1);

		for (i = 0; i < vlen_of(t); i++)
			m[i].type = c->map[m[i].type];
		break;
	}
	}
}

/* A name table for nnames names: 0, or -E2BIG for more than it can hold
 * at most half full (name_of's probe needs an empty slot), -ENOMEM. */
static int names_init(struct names *nm, uint64_t nnames)
{
	uint32_t slots = 2;

	while (slots < 2 * nnames && slots < (1u << 31))
		slots *= 2;
	if (nnames > slots / 2)
		return -E2BIG;
	nm->slots = calloc(slots, 2 * sizeof(*nm->slots));
	nm->mask = slots - 1;
	if (!nm->slots || !put(&nm->strs, "", 1))
		return -ENOMEM;
	return 0;
}

/* c->raw: a header, the type section types and the string section strs. */
static int assemble(struct btfcut *c, const struct buf *types, const struct buf *strs)
{
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };

	if (types->err || strs->err)
		return -ENOMEM;
	if (types->len + strs->len > UINT32_MAX - sizeof(h))
		return -E2BIG;
	h.type_off = 0;
	h.type_len = (uint32_t)types->len;
	h.str_off = (uint32_t)types->len;
	h.str_len = (uint32_t)strs->len;
	c->len = sizeof(h) + types->len + strs->len;
	c->raw = malloc(c->len);
	if (!c->raw)
		return -ENOMEM;
	memcpy(c->raw, &h, sizeof(h));
	if (types->len)
		memcpy(c->raw + sizeof(h), types->p, types->len);
	memcpy(c->raw + sizeof(h) + types->len, strs->p, strs->len);
	return 0;
}

/* The cut parsed again, each root of the same kind, name and size. */
static int check(const struct btfcut *c, const struct btfv *b, const uint32_t *roots, size_t n)
{
	char err[256];
	struct btfv *again = btfv__parse(c->raw, c->len, err, sizeof(err));
	int rc = 0;
	size_t i;

	if (!again)
		return -EINVAL;
	for (i = 0; i < n && !rc; i++) {
		const struct btf_type *x, *y;

		if (!roots[i])
			continue;
		x = btfv__type(b, roots[i]);
		y = btfv__type(again, c->map[roots[i]]);
		if (!x || !y || kind_of(x) != kind_of(y) ||
		    strcmp(btfv__name(b, x->name_off), btfv__name(again, y->name_off)) ||
		    btfv__size(b, roots[i]) != btfv__size(again, c->map[roots[i]]))
			rc = -EINVAL;
	}
	btfv__free(again);
	return rc;
}

/* A cut of b's types with its map, nothing in it yet; NULL (errno
 * ENOMEM). */
static struct btfcut *cut_alloc(const struct btfv *b)
{
	struct btfcut *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->count = btfv__type_count(b);
	c->map = calloc(c->count ? c->count : 1, sizeof(*c->map));
	if (!c->map) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

struct btfcut *btfcut__new(const struct btfv *b, const uint32_t *roots, size_t n)
{
	struct btfcut *c = cut_alloc(b);
	struct names nm = { 0 };
	struct fwds f = { 0 };
	struct buf types = { 0 };
	uint64_t nnames = 1;
	uint32_t id, next = 1;
	int err;

	if (!c)
		return NULL;
	if ((err = mark(c, b, roots, n)))
		goto fail;
	for (id = 1; id < c->count; id++) {
		const struct btf_type *t = btfv__type(b, id);

		if (!c->map[id])
			continue;
		c->map[id] = next++;
		/* its name, its members' or enumerators', a pointer's forward declaration's */
		nnames += 1 + (kind_of(t) == BTF_KIND_PTR ? 1 : vlen_of(t));
		if (kind_of(t) == BTF_KIND_PTR)
			f.n++;          /* at most one forward declaration each */
	}
	if ((err = names_init(&nm, nnames)))
		goto fail;
	err = -ENOMEM;
	f.name_off = calloc(f.n + 1, sizeof(*f.name_off));
	f.is_union = calloc(f.n + 1, 1);
	if (!f.name_off || !f.is_union)
		goto fail;
	/* the forward declarations, each name once */
	f.n = 0;
	for (id = 1; id < c->count; id++) {
		const struct btf_type *t = btfv__type(b, id);
		int is_union = 0;
		uint32_t pn;

		if (!c->map[id] || kind_of(t) != BTF_KIND_PTR || !t->type || c->map[t->type] ||
		    !(pn = pointee(b, t->type, &is_union)) || fwd_index(&f, pn, is_union) < f.n)
			continue;
		f.name_off[f.n] = pn;
		f.is_union[f.n++] = (uint8_t)is_union;
	}
	for (id = 1; id < c->count; id++) {
		const struct btf_type *t = btfv__type(b, id);
		struct btf_type *copy;

		if (!c->map[id])
			continue;
		copy = put(&types, t, btfv__type_len(t));
		if (!copy)
			goto fail;
		rewrite(c, b, &nm, &f, next, copy);
	}
	for (id = 0; id < f.n; id++) {
		struct btf_type fwd = {
			.name_off = name_of(&nm, b, f.name_off[id]),
			.info = (uint32_t)f.is_union[id] << 31 | (uint32_t)BTF_KIND_FWD << 24,   /* kflag: union */
		};

		put(&types, &fwd, sizeof(fwd));
	}
	if (!(err = assemble(c, &types, &nm.strs)))
		err = check(c, b, roots, n);
fail:
	free(types.p);
	free(nm.strs.p);
	free(nm.slots);
	free(f.name_off);
	free(f.is_union);
	if (!err)
		return c;
	btfcut__free(c);
	errno = -err;
	return NULL;
}

/* The rewrite parsed again: every record the source's but for its name
 * offsets, which name the same strings. */
static int check_names(const struct btfcut *c, const struct btfv *b)
{
	char err[256];
	struct btfv *again = btfv__parse(c->raw, c->len, err, sizeof(err));
	int rc = 0;

	if (!again || btfv__type_count(again) != c->count)
		rc = -EINVAL;
	for (uint32_t id = 1; id < c->count && !rc; id++) {
		const struct btf_type *x = btfv__type(b, id), *y = btfv__type(again, id);
		size_t len = x && y ? btfv__type_len(x) : 0, stride = x ? name_stride(x) : 0;

		if (!x || !y || x->info != y->info || x->size != y->size ||
		    len != btfv__type_len(y) ||
		    strcmp(btfv__name(b, x->name_off), btfv__name(again, y->name_off))) {
			rc = -EINVAL;
			break;
		}
		/* what follows the record, a u32 at a time (BTF's unit) */
		const uint32_t *xw = (const uint32_t *)(x + 1), *yw = (const uint32_t *)(y + 1);
		for (size_t w = 0; w < (len - sizeof(*x)) / 4 && !rc; w++) {
			bool name = stride && (w * 4) % stride == 0;

			if (name ? strcmp(btfv__name(b, xw[w]), btfv__name(again, yw[w])) != 0
				 : xw[w] != yw[w])
				rc = -EINVAL;
		}
	}
	btfv__free(again);
	return rc;
}

struct btfcut *btfcut__names(const struct btfv *b)
{
	struct btfcut *c = cut_alloc(b);
	struct names nm = { 0 };
	struct buf types = { 0 };
	uint64_t nnames = 1;
	uint32_t id;
	int err;

	if (!c)
		return NULL;
	for (id = 1; id < c->count; id++) {
		c->map[id] = id;
		nnames += 1 + vlen_of(btfv__type(b, id));
	}
	if ((err = names_init(&nm, nnames)))
		goto fail;
	err = -ENOMEM;
	for (id = 1; id < c->count; id++) {
		const struct btf_type *t = btfv__type(b, id);
		struct btf_type *copy = put(&types, t, btfv__type_len(t));

		if (!copy)
			goto fail;
		rename_record(&nm, b, copy);
	}
	if (!(err = assemble(c, &types, &nm.strs)))
		err = check_names(c, b);
fail:
	free(types.p);
	free(nm.strs.p);
	free(nm.slots);
	if (!err)
		return c;
	btfcut__free(c);
	errno = -err;
	return NULL;
}

void btfcut__free(struct btfcut *c)
{
	if (!c)
		return;
	free(c->map);
	free(c->raw);
	free(c);
}

uint32_t btfcut__id(const struct btfcut *c, uint32_t id)
{
	return id < c->count ? c->map[id] : 0;
}

const void *btfcut__raw(const struct btfcut *c, size_t *len)
{
	*len = c->len;
	return c->raw;
}
