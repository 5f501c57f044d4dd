/* dwarfbtf.c - a DWARF struct, with the types it is made of, as BTF.  See
 * dwarfbtf.h.
 *
 * A BPF object is relocatable (ET_REL) and its DWARF sections carry REL
 * relocations against section symbols of value 0: the offsets stored in
 * place are already right, so libdw reads it without applying them.
 */
#include "dwarfbtf.h"

#include <bpf/btf.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Type nesting followed (members, arrays, typedefs): deeper is refused. */
#define DWARFBTF_MAX_DEPTH 32

struct done {
	Dwarf_Off off;                  /* the DIE */
	uint32_t id;                    /* its BTF id */
};

struct dwarfbtf {
	int fd;
	Dwarf *dw;
	struct done *done;              /* DIEs converted for the current btf */
	size_t ndone, done_cap;
	struct btf *btf;                /* the btf of the last dwarfbtf__add */
};

struct dwarfbtf *dwarfbtf__open(const char *path)
{
	struct dwarfbtf *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return NULL;
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		err = errno;
		free(d);
		errno = err;
		return NULL;
	}
	d->dw = dwarf_begin(d->fd, DWARF_C_READ);
	if (!d->dw) {
		close(d->fd);
		free(d);
		errno = ENODATA;
		return NULL;
	}
	return d;
}

void dwarfbtf__close(struct dwarfbtf *d)
{
	if (!d)
		return;
	if (d->dw)
		dwarf_end(d->dw);
	if (d->fd >= 0)
		close(d->fd);
	free(d->done);
	free(d);
}

static int has_members(Dwarf_Die *die)
{
	Dwarf_Die child;

	if (dwarf_child(die, &child) != 0)
		return 0;
	do {
		if (dwarf_tag(&child) == DW_TAG_member)
			return 1;
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

/* fn(die) for each top-level DIE of every compile unit; stops at nonzero. */
static int each_top_die(struct dwarfbtf *d, int (*fn)(Dwarf_Die *die, void *ctx), void *ctx)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	int ret;

	while (dwarf_nextcu(d->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(d->dw, off + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				if ((ret = fn(&child, ctx)))
					return ret;
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
	return 0;
}

struct each_ctx {
	void (*fn)(const char *name, uint64_t size, void *ctx);
	void *ctx;
};

static int each_struct_fn(Dwarf_Die *die, void *vctx)
{
	struct each_ctx *c = vctx;
	const char *name = dwarf_diename(die);
	int tag = dwarf_tag(die), size;

	if ((tag == DW_TAG_structure_type || tag == DW_TAG_union_type) && name && *name &&
	    has_members(die) && (size = dwarf_bytesize(die)) >= 0)
		c->fn(name, (uint64_t)size, c->ctx);
	return 0;
}

void dwarfbtf__each_struct(struct dwarfbtf *d, void (*fn)(const char *name, uint64_t size,
							   void *ctx), void *ctx)
{
	struct each_ctx c = { fn, ctx };

	if (d)
		each_top_die(d, each_struct_fn, &c);
}

static uint64_t attr_u(Dwarf_Die *die, int name, uint64_t dflt)
{
	Dwarf_Attribute a;
	Dwarf_Word v;

	if (!dwarf_attr_integrate(die, name, &a) || dwarf_formudata(&a, &v))
		return dflt;
	return v;
}

static int64_t attr_s(Dwarf_Die *die, int name, int64_t dflt)
{
	Dwarf_Attribute a;
	Dwarf_Sword v;

	if (!dwarf_attr_integrate(die, name, &a) || dwarf_formsdata(&a, &v))
		return dflt;
	return v;
}

static int done_find(struct dwarfbtf *d, Dwarf_Off off, uint32_t *id)
{
	size_t i;

	for (i = 0; i < d->ndone; i++)
		if (d->done[i].off == off) {
			*id = d->done[i].id;
			return 1;
		}
	return 0;
}

static int done_add(struct dwarfbtf *d, Dwarf_Off off, uint32_t id)
{
	if (d->ndone == d->done_cap) {
		size_t cap = d->done_cap ? 2 * d->done_cap : 64;
		struct done *p = realloc(d->done, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		d->done = p;
		d->done_cap = cap;
	}
	d->done[d->ndone++] = (struct done){ off, id };
	return 0;
}

static int conv(struct dwarfbtf *d, Dwarf_Die *die, int depth, uint32_t *id);

/* The BTF id of die's DW_AT_type (0: void). */
static int conv_type_of(struct dwarfbtf *d, Dwarf_Die *die, int depth, uint32_t *id)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a)) {
		*id = 0;
		return 0;
	}
	if (!dwarf_formref_die(&a, &t))
		return -EINVAL;
	return conv(d, &t, depth + 1, id);
}

static int index_type(struct btf *btf)
{
	int id = btf__find_by_name_kind(btf, "__ARRAY_SIZE_TYPE__", BTF_KIND_INT);

	if (id > 0)
		return id;
	id = btf__find_by_name_kind(btf, "unsigned int", BTF_KIND_INT);
	return id > 0 ? id : btf__add_int(btf, "unsigned int", 4, 0);
}

static int conv_array(struct dwarfbtf *d, Dwarf_Die *die, int depth, uint32_t *id)
{
	uint64_t dims[DWARFBTF_MAX_DEPTH];
	int ndims = 0, idx, ret, k;
	uint32_t elem;
	Dwarf_Die child;

	if ((ret = conv_type_of(d, die, depth, &elem)))
		return ret;
	if (dwarf_child(die, &child) == 0) {
		do {
			if (dwarf_tag(&child) != DW_TAG_subrange_type)
				continue;
			if (ndims == DWARFBTF_MAX_DEPTH)
				return -E2BIG;
			if (dwarf_hasattr(&child, DW_AT_count))
				dims[ndims++] = attr_u(&child, DW_AT_count, 0);
			else if (dwarf_hasattr(&child, DW_AT_upper_bound))
				dims[ndims++] = (uint64_t)attr_s(&child, DW_AT_upper_bound, -1) + 1;
			else
				dims[ndims++] = 0;      /* flexible */
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	if (!ndims)
		dims[ndims++] = 0;
	if ((idx = index_type(d->btf)) < 0)
		return idx;
	/* int a[2][3]: an array of 2 arrays of 3 */
	for (k = ndims - 1; k >= 0; k--) {
		if (dims[k] > UINT32_MAX)
			return -E2BIG;
		ret = btf__add_array(d->btf, idx, elem, (uint32_t)dims[k]);
		if (ret < 0)
			return ret;
		elem = ret;
	}
	*id = elem;
	return 0;
}

static int conv_composite(struct dwarfbtf *d, Dwarf_Die *die, int depth, uint32_t *id)
{
	int is_union = dwarf_tag(die) == DW_TAG_union_type;
	const char *name = dwarf_diename(die);
	int size = dwarf_bytesize(die), ret, n = 0, cap = 0, i;
	struct mem { const char *name; uint32_t type; uint32_t bit_off, bit_size; } *m = NULL;
	Dwarf_Die child;

	if (size < 0)
		size = 0;       /* a declaration only: an empty struct */
	if (dwarf_child(die, &child) == 0) {
		do {
			struct mem *x;
			uint64_t bit_off;

			if (dwarf_tag(&child) != DW_TAG_member)
				continue;
			if (n == cap) {
				void *p = realloc(m, (cap = cap ? 2 * cap : 16) * sizeof(*m));

				if (!p) {
					free(m);
					return -ENOMEM;
				}
				m = p;
			}
			x = &m[n];
			x->name = dwarf_diename(&child);
			if ((ret = conv_type_of(d, &child, depth, &x->type))) {
				free(m);
				return ret;
			}
			bit_off = attr_u(&child, DW_AT_data_member_location, 0) * 8;
			x->bit_size = 0;
			if (dwarf_hasattr(&child, DW_AT_bit_size)) {
				x->bit_size = (uint32_t)attr_u(&child, DW_AT_bit_size, 0);
				if (dwarf_hasattr(&child, DW_AT_data_bit_offset))
					bit_off = attr_u(&child, DW_AT_data_bit_offset, 0);
			}
			if (bit_off > UINT32_MAX) {
				free(m);
				return -E2BIG;
			}
			x->bit_off = (uint32_t)bit_off;
			n++;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	ret = is_union ? btf__add_union(d->btf, name, size) : btf__add_struct(d->btf, name, size);
	for (i = 0; ret > 0 && i < n; i++) {
		int r = btf__add_field(d->btf, m[i].name, m[i].type, m[i].bit_off, m[i].bit_size);

		if (r < 0)
			ret = r;
	}
	free(m);
	if (ret < 0)
		return ret;
	*id = ret;
	return 0;
}

static int conv_enum(struct dwarfbtf *d, Dwarf_Die *die, uint32_t *id)
{
	int size = dwarf_bytesize(die), ret;
	Dwarf_Die child;

	ret = btf__add_enum(d->btf, dwarf_diename(die), size > 0 ? size : 4);
	if (ret < 0)
		return ret;
	*id = ret;
	if (dwarf_child(die, &child) == 0) {
		do {
			const char *name = dwarf_diename(&child);

			if (dwarf_tag(&child) != DW_TAG_enumerator || !name)
				continue;
			ret = btf__add_enum_value(d->btf, name, attr_s(&child, DW_AT_const_value, 0));
			if (ret < 0)
				return ret;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return 0;
}

static int conv_base(struct dwarfbtf *d, Dwarf_Die *die, uint32_t *id)
{
	const char *name = dwarf_diename(die);
	int size = dwarf_bytesize(die), enc = (int)attr_u(die, DW_AT_encoding, 0), ret, benc = 0;

	if (!name || size <= 0)
		return -EINVAL;
	if (enc == DW_ATE_float) {
		ret = btf__find_by_name_kind(d->btf, name, BTF_KIND_FLOAT);
		ret = ret > 0 ? ret : btf__add_float(d->btf, name, size);
	} else {
		/* char stays an int named char: replay knows char arrays by name */
		if (enc == DW_ATE_boolean)
			benc = BTF_INT_BOOL;
		else if (enc == DW_ATE_signed || enc == DW_ATE_signed_char)
			benc = BTF_INT_SIGNED;
		ret = btf__find_by_name_kind(d->btf, name, BTF_KIND_INT);
		ret = ret > 0 ? ret : btf__add_int(d->btf, name, size, benc);
	}
	if (ret < 0)
		return ret;
	*id = ret;
	return 0;
}

static int conv(struct dwarfbtf *d, Dwarf_Die *die, int depth, uint32_t *id)
{
	Dwarf_Off off = dwarf_dieoffset(die);
	uint32_t inner;
	int ret;

	if (depth > DWARFBTF_MAX_DEPTH)
		return -E2BIG;
	if (done_find(d, off, id))
		return 0;
	switch (dwarf_tag(die)) {
	case DW_TAG_base_type:
		ret = conv_base(d, die, id);
		break;
	case DW_TAG_typedef:
		if ((ret = conv_type_of(d, die, depth, &inner)))
			return ret;
		ret = btf__add_typedef(d->btf, dwarf_diename(die), inner);
		if (ret > 0)
			*id = ret, ret = 0;
		break;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		if ((ret = conv_type_of(d, die, depth, &inner)))
			return ret;
		ret = dwarf_tag(die) == DW_TAG_const_type ? btf__add_const(d->btf, inner)
							  : btf__add_volatile(d->btf, inner);
		if (ret > 0)
			*id = ret, ret = 0;
		break;
	case DW_TAG_pointer_type:
		ret = btf__add_ptr(d->btf, 0);
		if (ret > 0)
			*id = ret, ret = 0;
		break;
	case DW_TAG_array_type:
		ret = conv_array(d, die, depth, id);
		break;
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		ret = conv_composite(d, die, depth, id);
		break;
	case DW_TAG_enumeration_type:
		ret = conv_enum(d, die, id);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	return done_add(d, off, *id);
}

struct find_ctx {
	const char *name;
	Dwarf_Die die;
	int found;
};

static int find_fn(Dwarf_Die *die, void *vctx)
{
	struct find_ctx *c = vctx;
	const char *name = dwarf_diename(die);
	int tag = dwarf_tag(die);

	if ((tag == DW_TAG_structure_type || tag == DW_TAG_union_type) && name &&
	    !strcmp(name, c->name) && has_members(die)) {
		c->die = *die;
		c->found = 1;
		return 1;
	}
	return 0;
}

int dwarfbtf__add(struct dwarfbtf *d, const char *name, struct btf *btf, uint32_t *id)
{
	struct find_ctx c = { .name = name };

	if (!d || !name || !btf)
		return -EINVAL;
	each_top_die(d, find_fn, &c);
	if (!c.found)
		return -ENOENT;
	if (d->btf != btf) {
		/* ids of another btf mean nothing here */
		d->ndone = 0;
		d->btf = btf;
	}
	return conv(d, &c.die, 0, id);
}
