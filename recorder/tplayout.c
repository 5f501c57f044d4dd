/* tplayout.c - a tracepoint's record layout and its BTF. */
#include "tplayout.h"
#include "stackcap.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tplayout {
	const struct tpformat *f;
	uint32_t rec_size;
	uint32_t stack_off;       /* 0: no stack slot */
	uint32_t nlocs;
	struct tp_loc locs[TP_MAX_LOCS];
	const struct tpfield *loc_field[TP_MAX_LOCS];
};

static uint32_t align8(uint32_t v)
{
	return (v + 7) & ~7u;
}

static uint8_t log2_size(uint32_t s)
{
	return s == 8 ? 3 : s == 4 ? 2 : s == 2 ? 1 : 0;
}

struct tplayout *tplayout__new(const struct tpformat *f, uint32_t string_size, char *err,
			       size_t errlen)
{
	struct tplayout *l;
	uint32_t fixed = tpformat__fixed_size(f), end;
	size_t i;

	if (fixed > TP_MAX_FIXED) {
		snprintf(err, errlen, "%s:%s: its record's fixed part is %u bytes, more than the %u "
			 "recorded", tpformat__system(f), tpformat__name(f), fixed, TP_MAX_FIXED);
		errno = E2BIG;
		return NULL;
	}
	if (!string_size || string_size > TP_MAX_SLOT)
		string_size = TP_MAX_SLOT;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->f = f;
	end = align8(TPLAYOUT_RAW_OFFSET + fixed);
	for (i = 0; i < tpformat__nfields(f); i++) {
		const struct tpfield *fl = tpformat__field(f, i);
		struct tp_loc *loc;
		uint32_t slot;

		if (fl->kind != TPF_LOC_STRING && fl->kind != TPF_LOC_ARRAY)
			continue;
		if (l->nlocs == TP_MAX_LOCS) {
			snprintf(err, errlen, "%s:%s: more than %d __data_loc fields", tpformat__system(f),
				 tpformat__name(f), TP_MAX_LOCS);
			free(l);
			errno = E2BIG;
			return NULL;
		}
		slot = string_size;
		if (fl->kind == TPF_LOC_ARRAY)
			slot = slot / fl->elem_size ? slot / fl->elem_size * fl->elem_size : fl->elem_size;
		loc = &l->locs[l->nlocs];
		loc->field_off = (__u16)fl->offset;
		loc->dst_off = (__u16)end;
		loc->dst_max = (__u16)slot;
		loc->elem_shift = log2_size(fl->elem_size);
		loc->flags = (fl->kind == TPF_LOC_ARRAY ? 1 : 0) | (fl->rel_loc ? 2 : 0);
		l->loc_field[l->nlocs++] = fl;
		end = align8(end + slot);
		if (end > TP_MAX_REC) {
			snprintf(err, errlen, "%s:%s: a record with its __data_loc fields of %u bytes "
				 "would pass %u bytes (give a smaller --string-size)",
				 tpformat__system(f), tpformat__name(f), string_size, TP_MAX_REC);
			free(l);
			errno = E2BIG;
			return NULL;
		}
	}
	l->rec_size = end;
	return l;
}

int tplayout__add_stacks(struct tplayout *l, char *err, size_t errlen)
{
	if (l->stack_off)
		return 0;
	if (l->rec_size + 16 > TP_MAX_REC) {
		snprintf(err, errlen, "%s:%s: its record with a stack slot would pass %u bytes "
			 "(give a smaller --string-size)", tpformat__system(l->f),
			 tpformat__name(l->f), TP_MAX_REC);
		return -E2BIG;
	}
	l->stack_off = l->rec_size;   /* a multiple of 8 */
	l->rec_size += 16;
	return 0;
}

void tplayout__free(struct tplayout *l)
{
	free(l);
}

uint32_t tplayout__rec_size(const struct tplayout *l)
{
	return l->rec_size;
}

void tplayout__conf(const struct tplayout *l, struct tp_conf *c)
{
	c->id = tpformat__id(l->f);
	c->fixed_size = tpformat__fixed_size(l->f);
	c->rec_size = l->rec_size;
	c->nlocs = l->nlocs;
	c->stack_off = l->stack_off;
	memcpy(c->locs, l->locs, sizeof(c->locs));
}

/* An integer type of size bytes, found or added.  "char" is the one
 * bpfreplay reads arrays of as text. */
static int int_type(struct btf *btf, uint32_t size, int is_signed, int is_char)
{
	static const char *const names[2][4] = {
		{ "unsigned char", "unsigned short", "unsigned int", "unsigned long" },
		{ "signed char", "short", "int", "long" },
	};
	const char *name;
	int id;

	if (is_char) {
		name = "char";
		size = 1;
	} else {
		name = names[!!is_signed][size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0];
	}
	id = btf__find_by_name_kind(btf, name, BTF_KIND_INT);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (t->size == size)
			return id;
	}
	return btf__add_int(btf, name, size, is_char ? BTF_INT_SIGNED :
					     is_signed ? BTF_INT_SIGNED : 0);
}

/* Byte elements that bpfreplay shows as numbers, not text: it reads arrays
 * of char-like ints as text, but not through a typedef (__u8, __s8). */
static int byte_type(struct btf *btf, int is_signed)
{
	const char *name = is_signed ? "__s8" : "__u8";
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	int base;

	if (id > 0)
		return id;
	base = int_type(btf, 1, is_signed, 0);
	return base < 0 ? base : btf__add_typedef(btf, name, base);
}

/* A field the format declares uid_t or gid_t ("field:uid_t user;"): its
 * integer behind a typedef of that name, so that bpfreplay shows it with
 * the recording host's user or group name whatever the field is called
 * (chown's user and group; ext4's "group" is a __u32 block group and
 * stays a number).  0: not such a field. */
static int id_typedef(struct btf *btf, const struct tpfield *fl)
{
	static const char *const ids[] = { "uid_t", "gid_t" };
	const char *name = NULL;
	int base;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (!strcmp(fl->type, ids[i]))
			name = ids[i];
	if (!name)
		return 0;
	/* one typedef per name and size: syscall arguments are 8 bytes */
	for (uint32_t id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_typedef(t) && !strcmp(btf__name_by_offset(btf, t->name_off), name) &&
		    btf__resolve_size(btf, id) == (long)fl->size)
			return (int)id;
	}
	base = int_type(btf, fl->size, fl->is_signed, 0);
	return base < 0 ? base : btf__add_typedef(btf, name, base);
}

/* The element type of a numeric array. */
static int elem_type(struct btf *btf, uint32_t size, int is_signed)
{
	return size == 1 ? byte_type(btf, is_signed) : int_type(btf, size, is_signed, 0);
}

static int array_type(struct btf *btf, int elem, uint32_t n)
{
	int idx = int_type(btf, 4, 0, 0);

	if (elem < 0 || idx < 0)
		return elem < 0 ? elem : idx;
	return btf__add_array(btf, idx, elem, n);
}

/* The BTF type of one field, 0 for none (the slot of a __data_loc string). */
static int field_type(struct btf *btf, const struct tpfield *fl, uint32_t slot)
{
	switch (fl->kind) {
	case TPF_INT: {
		int id = id_typedef(btf, fl);

		return id ? id : int_type(btf, fl->size, fl->is_signed, 0);
	}
	case TPF_POINTER:       /* a BTF pointer (to void): the replay prints it in hex */
		return fl->size == 8 ? btf__add_ptr(btf, 0) : int_type(btf, fl->size, 0, 0);
	case TPF_STRING:
		return array_type(btf, int_type(btf, 1, 0, 1), fl->nelems);
	case TPF_ARRAY:
		return array_type(btf, elem_type(btf, fl->elem_size, fl->elem_signed), fl->nelems);
	case TPF_LOC_STRING:
		return array_type(btf, int_type(btf, 1, 0, 1), slot);
	case TPF_LOC_ARRAY:
		return array_type(btf, elem_type(btf, fl->elem_size, fl->elem_signed),
				  slot / fl->elem_size);
	case TPF_BYTES:
		return array_type(btf, byte_type(btf, 0), fl->size);
	}
	return -EINVAL;
}

int tplayout__add_btf(const struct tplayout *l, struct btf *btf, const char *type_name)
{
	const struct tpformat *f = l->f;
	int sid, len_id = 0, u32 = 0, us = 0, ks = 0, own_tgid = 0;
	size_t i, n = tpformat__nfields(f);
	int *types = calloc(n ? n : 1, sizeof(int));
	uint32_t k;

	if (!types)
		return -ENOMEM;
	/* Every type first: btf__add_field must follow its struct directly. */
	for (i = 0; i < n; i++) {
		const struct tpfield *fl = tpformat__field(f, i);
		uint32_t slot = 0;

		for (k = 0; k < l->nlocs; k++)
			if (l->loc_field[k] == fl)
				slot = l->locs[k].dst_max;
		types[i] = field_type(btf, fl, slot);
		if (types[i] < 0) {
			sid = types[i];
			goto out;
		}
		if (fl->kind == TPF_LOC_ARRAY && !len_id && (len_id = int_type(btf, 4, 0, 0)) < 0) {
			sid = len_id;
			goto out;
		}
	}
	if (l->stack_off) {
		u32 = int_type(btf, 4, 0, 0);
		us = stackcap__btf_id_type(btf, 0);
		ks = stackcap__btf_id_type(btf, 1);
		if (u32 < 0 || us < 0 || ks < 0) {
			sid = u32 < 0 ? u32 : us < 0 ? us : ks;
			goto out;
		}
	}
	sid = btf__add_struct(btf, type_name, l->rec_size);
	if (sid < 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct tpfield *fl = tpformat__field(f, i);
		uint32_t off = TPLAYOUT_RAW_OFFSET + fl->offset;
		char name[TPFORMAT_NAME_MAX + 8];
		int err;

		/* Filled in by the kernel only after BPF has run: no column
		 * rather than a column of zeros. */
		if (!strcmp(fl->name, "common_flags") || !strcmp(fl->name, "common_preempt_count"))
			continue;
		if (fl->kind == TPF_LOC_STRING || fl->kind == TPF_LOC_ARRAY) {
			if (fl->kind == TPF_LOC_ARRAY) {
				/* The program writes the element count over the loc word. */
				snprintf(name, sizeof(name), "%s_len", fl->name);
				err = btf__add_field(btf, name, len_id, off * 8, 0);
				if (err) {
					sid = err;
					goto out;
				}
			}
			for (k = 0; k < l->nlocs; k++)
				if (l->loc_field[k] == fl)
					off = l->locs[k].dst_off;
		}
		err = btf__add_field(btf, fl->name, types[i], off * 8, 0);
		if (err) {
			sid = err;
			goto out;
		}
		own_tgid |= !strcmp(fl->name, "tgid");
	}
	/* the slot of tp.h: its tgid names whose addresses the user stack holds */
	if (l->stack_off) {
		int err = btf__add_field(btf, own_tgid ? "stack_tgid" : "tgid", u32,
					 l->stack_off * 8, 0) ||
			  btf__add_field(btf, "ustack_id", us, (l->stack_off + 4) * 8, 0) ||
			  btf__add_field(btf, "kstack_id", ks, (l->stack_off + 8) * 8, 0);

		if (err)
			sid = -ENOMEM;
	}
out:
	free(types);
	return sid;
}
