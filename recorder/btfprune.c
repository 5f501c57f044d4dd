/* btfprune.c - an object's BTF cut to what its streams' types need: see
 * btfprune.h for what is kept and why. */
#include "btfprune.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PRUNE_MAX_DEPTH 32   /* typedef/modifier links followed to a pointee */

struct fwd {
	const char *name;    /* in the source's strings */
	int is_union;
};

struct btfprune {
	struct btf *btf;         /* the pruned BTF */
	uint32_t *map;           /* [src_count]: id in btf, 0: left out */
	uint32_t src_count;
	uint32_t ntypes;         /* types in btf */
	const void *raw;         /* owned by btf */
	uint32_t raw_bytes;
};

/* The new id of src's type id (0: left out, or not a type of src). */
static uint32_t new_id(const struct btfprune *p, uint32_t id)
{
	return id < p->src_count ? p->map[id] : 0;
}

/* A pointer's target, looking through typedefs and modifiers: a named
 * struct, union or forward declaration gives its name, anything else NULL. */
static const char *pointee_name(const struct btf *src, uint32_t id, int *is_union)
{
	const struct btf_type *t = btf__type_by_id(src, id);
	int depth;

	for (depth = 0; t && depth < PRUNE_MAX_DEPTH && (btf_is_mod(t) || btf_is_typedef(t)); depth++)
		t = btf__type_by_id(src, t->type);
	if (!t || !(btf_is_composite(t) || btf_is_fwd(t)) || !t->name_off)
		return NULL;
	*is_union = btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t));
	return btf__name_by_offset(src, t->name_off);
}

/* How many types a value of t is made of (what a decoder reads: see
 * value_ref), or -EINVAL for a kind no value has (function, function
 * prototype, DATASEC, decl tag). */
static int value_nrefs(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
	case BTF_KIND_PTR:              /* its target is cut: see btfprune.h */
		return 0;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
		return 1;
	case BTF_KIND_ARRAY:
		return 2;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (int)btf_vlen(t);
	}
	return -EINVAL;
}

/* The k-th of them: the referred type, an array's element and index
 * types, a member's type. */
static uint32_t value_ref(const struct btf_type *t, int k)
{
	if (btf_is_array(t))
		return k ? btf_array(t)->index_type : btf_array(t)->type;
	if (btf_is_composite(t))
		return btf_members(t)[k].type;
	return t->type;
}

/* Marks the closure of the roots in p->map (1: kept); -EINVAL for a root
 * that is not a type of src or a kind no value has. */
static int mark(struct btfprune *p, const struct btf *src, const uint32_t *roots, size_t nroots)
{
	uint32_t *stack = malloc(sizeof(*stack) * (p->src_count + 1));
	size_t top = 0, i;
	int err = 0;

	if (!stack)
		return -ENOMEM;
	for (i = 0; i < nroots; i++) {
		if (!roots[i])
			continue;
		if (roots[i] >= p->src_count) {
			err = -EINVAL;
			goto out;
		}
		if (!p->map[roots[i]]) {
			p->map[roots[i]] = 1;
			stack[top++] = roots[i];
		}
	}
	while (top) {
		const struct btf_type *t = btf__type_by_id(src, stack[--top]);
		int n = t ? value_nrefs(t) : -EINVAL, k;

		if (n < 0) {
			err = n;
			goto out;
		}
		for (k = 0; k < n; k++) {
			uint32_t ref = value_ref(t, k);

			if (!ref || (ref < p->src_count && p->map[ref]))
				continue;
			if (ref >= p->src_count) {
				err = -EINVAL;
				goto out;
			}
			p->map[ref] = 1;
			stack[top++] = ref;
		}
	}
out:
	free(stack);
	return err;
}

/* Rewrites the type ids of t, a copy in the pruned BTF of a type of src
 * (btf__add_type keeps the source's ids). */
static void remap(struct btfprune *p, const struct btf *src, struct btf_type *t,
		  const struct fwd *fwds, uint32_t nfwds, uint32_t fwd_base)
{
	struct btf_member *m;
	uint32_t i;

	switch (btf_kind(t)) {
	case BTF_KIND_PTR: {
		const char *name;
		int is_union = 0;

		if (new_id(p, t->type)) {
			t->type = new_id(p, t->type);
			break;
		}
		name = t->type ? pointee_name(src, t->type, &is_union) : NULL;
		t->type = 0;
		for (i = 0; name && i < nfwds; i++)
			if (fwds[i].is_union == is_union && !strcmp(fwds[i].name, name))
				t->type = fwd_base + i;
		break;
	}
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
		t->type = new_id(p, t->type);
		break;
	case BTF_KIND_ARRAY:
		btf_array(t)->type = new_id(p, btf_array(t)->type);
		btf_array(t)->index_type = new_id(p, btf_array(t)->index_type);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		m = btf_members(t);
		for (i = 0; i < btf_vlen(t); i++)
			m[i].type = new_id(p, m[i].type);
		break;
	}
}

/* The forward declarations the kept pointers need (pointers whose target
 * is not kept), each name once, in fwds[]; their number or -ENOMEM. */
static int collect_fwds(const struct btfprune *p, const struct btf *src, struct fwd **out)
{
	struct fwd *fwds = NULL;
	uint32_t id, n = 0, i;

	for (id = 1; id < p->src_count; id++) {
		const struct btf_type *t = btf__type_by_id(src, id);
		const char *name;
		int is_union = 0;

		if (!p->map[id] || !btf_is_ptr(t) || !t->type || new_id(p, t->type) ||
		    !(name = pointee_name(src, t->type, &is_union)))
			continue;
		for (i = 0; i < n; i++)
			if (fwds[i].is_union == is_union && !strcmp(fwds[i].name, name))
				break;
		if (i < n)
			continue;
		if (!(n & (n + 1))) {   /* n + 1 a power of 2: grow */
			struct fwd *grown = realloc(fwds, sizeof(*fwds) * (2 * n + 2));

			if (!grown) {
				free(fwds);
				return -ENOMEM;
			}
			fwds = grown;
		}
		fwds[n].name = name;
		fwds[n].is_union = is_union;
		n++;
	}
	*out = fwds;
	return (int)n;
}

/* The pruned BTF parsed again by libbpf, each root the same kind, name and
 * size as in src: 0 or -EINVAL. */
static int check(const struct btfprune *p, const struct btf *src, const uint32_t *roots,
		 size_t nroots)
{
	struct btf *again = btf__new(p->raw, p->raw_bytes);
	size_t i;
	int err = 0;

	if (!again)
		return -EINVAL;
	if (btf__type_cnt(again) != p->ntypes + 1)
		err = -EINVAL;
	for (i = 0; i < nroots && !err; i++) {
		const struct btf_type *a, *b;

		if (!roots[i])
			continue;
		a = btf__type_by_id(src, roots[i]);
		b = btf__type_by_id(again, btfprune__id(p, roots[i]));
		if (!a || !b || btf_kind(a) != btf_kind(b) ||
		    strcmp(btf__name_by_offset(src, a->name_off), btf__name_by_offset(again, b->name_off)) ||
		    btf__resolve_size(src, roots[i]) != btf__resolve_size(again, btfprune__id(p, roots[i])))
			err = -EINVAL;
	}
	btf__free(again);
	return err;
}

struct btfprune *btfprune__new(const struct btf *src, const uint32_t *roots, size_t nroots)
{
	struct btfprune *p = calloc(1, sizeof(*p));
	struct fwd *fwds = NULL;
	uint32_t id, next = 1, fwd_base;
	int nfwds = 0, err;

	if (!p)
		return NULL;
	p->src_count = btf__type_cnt(src);
	p->map = calloc(p->src_count, sizeof(*p->map));
	p->btf = btf__new_empty();
	if (!p->map || !p->btf) {
		err = -ENOMEM;
		goto fail;
	}
	err = mark(p, src, roots, nroots);
	if (err)
		goto fail;
	/* New ids in the source's order. */
	for (id = 1; id < p->src_count; id++)
		if (p->map[id])
			p->map[id] = next++;
	fwd_base = next;
	nfwds = collect_fwds(p, src, &fwds);
	if (nfwds < 0) {
		err = nfwds;
		goto fail;
	}
	for (id = 1; id < p->src_count; id++) {
		const struct btf_type *t = btf__type_by_id(src, id);
		int nid;

		if (!p->map[id])
			continue;
		nid = btf__add_type(p->btf, src, t);
		if (nid < 0 || (uint32_t)nid != p->map[id]) {
			err = nid < 0 ? nid : -EINVAL;
			goto fail;
		}
		/* The copy is the pruned BTF's own (btf__add_type made it writable). */
		remap(p, src, (struct btf_type *)btf__type_by_id(p->btf, (uint32_t)nid), fwds,
		      (uint32_t)nfwds, fwd_base);
	}
	for (id = 0; id < (uint32_t)nfwds; id++) {
		int nid = btf__add_fwd(p->btf, fwds[id].name,
				       fwds[id].is_union ? BTF_FWD_UNION : BTF_FWD_STRUCT);

		if (nid < 0 || (uint32_t)nid != fwd_base + id) {
			err = nid < 0 ? nid : -EINVAL;
			goto fail;
		}
	}
	p->ntypes = next - 1 + (uint32_t)nfwds;
	p->raw = btf__raw_data(p->btf, &p->raw_bytes);
	if (!p->raw) {
		err = -ENOMEM;
		goto fail;
	}
	err = check(p, src, roots, nroots);
	if (err)
		goto fail;
	free(fwds);
	return p;
fail:
	free(fwds);
	btfprune__free(p);
	errno = -err;
	return NULL;
}

void btfprune__free(struct btfprune *p)
{
	if (!p)
		return;
	btf__free(p->btf);
	free(p->map);
	free(p);
}

uint32_t btfprune__id(const struct btfprune *p, uint32_t src_id)
{
	return src_id < p->src_count ? p->map[src_id] : 0;
}

const void *btfprune__raw(const struct btfprune *p, uint32_t *bytes)
{
	*bytes = p->raw_bytes;
	return p->raw;
}

uint32_t btfprune__ntypes(const struct btfprune *p)
{
	return p->ntypes;
}
