/* sysids.c - --syscalls rows' uid and gid arguments, from the capture's
 * enum bpfrec_syscall_ids (sysids.h). */
#include "sysids.h"
#include "sysenum.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sysids_entry {
	uint32_t nr;               /* the syscall's value in the `syscall` member */
	uint32_t mask;             /* 2 bits per argument */
};

struct sysids {
	uint32_t nr_off;           /* the `syscall` member's byte offset (4 bytes) */
	size_t arg_col[6];         /* evtype column of arg<i> */
	struct sysids_entry *e;
	size_t n;
};

uint32_t sysids__enum_id(const struct btfv *b)
{
	return sysenum__find(b, "bpfrec_syscall_ids");
}

struct sysids *sysids__new(const struct btfv *b, const struct evtype *t)
{
	long nr_col = t ? sysenum__col(t, "syscall") : -1;
	const struct evcol *c = nr_col >= 0 ? evtype__col(t, (size_t)nr_col) : NULL;
	const struct btf_type *nr_enum, *ids;
	const struct btf_enum *v;
	uint32_t ids_id, nv;
	struct sysids *s;

	errno = 0;
	if (!c || c->kind != EVCOL_ENUM || c->byte_size != 4 || c->bit_size != 32 ||
	    c->bit_offset % 8)
		return NULL;
	nr_enum = btfv__type(b, c->type_id);
	if (sysenum__kind(nr_enum) != BTF_KIND_ENUM || !(ids_id = sysids__enum_id(b)))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->nr_off = c->bit_offset / 8;
	for (int i = 0; i < 6; i++) {
		char name[8] = "arg0";
		long k;

		name[3] = (char)('0' + i);
		k = sysenum__col(t, name);
		c = k >= 0 ? evtype__col(t, (size_t)k) : NULL;
		if (!c || c->kind != EVCOL_UINT || c->byte_size != 8) {
			free(s);
			return NULL;
		}
		s->arg_col[i] = (size_t)k;
	}
	ids = btfv__type(b, ids_id);
	v = (const struct btf_enum *)(ids + 1);
	nv = BTF_INFO_VLEN(ids->info);
	if (nv > SYSIDS_MAX)
		nv = SYSIDS_MAX;
	s->e = calloc(nv ? nv : 1, sizeof(*s->e));
	if (!s->e) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < nv; i++) {
		uint32_t mask = (uint32_t)v[i].val, ok = mask && !(mask & ~0xfffu);
		int64_t nr = ok ? sysenum__value(b, nr_enum, btfv__name(b, v[i].name_off)) : -1;

		for (int a = 0; a < 6; a++)
			ok &= (mask >> (2 * a) & 3) != 3;
		if (ok && nr >= 0)
			s->e[s->n++] = (struct sysids_entry){ (uint32_t)nr, mask };
	}
	if (!s->n) {
		sysids__free(s);
		return NULL;
	}
	return s;
}

void sysids__free(struct sysids *s)
{
	if (!s)
		return;
	free(s->e);
	free(s);
}

int sysids__arg(const struct sysids *s, size_t col)
{
	for (int i = 0; s && i < 6; i++)
		if (s->arg_col[i] == col)
			return i;
	return -1;
}

uint32_t sysids__row(const struct sysids *s, const uint8_t *rec, uint32_t len)
{
	uint32_t nr;

	if (!s || len < s->nr_off + 4)
		return 0;
	memcpy(&nr, rec + s->nr_off, 4);   /* little-endian, as the record was made */
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].nr == nr)
			return s->e[i].mask;
	return 0;
}
