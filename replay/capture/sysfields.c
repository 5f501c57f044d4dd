/* sysfields.c - which string and socket-address columns a --syscalls row
 * has, from the capture's enum bpfrec_syscall_fields or, in captures made
 * before it, from the row's bytes (sysfields.h). */
#include "sysfields.h"
#include "sysenum.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SYSFIELD_ALL (SYSFIELD_PATH | SYSFIELD_PATH2 | SYSFIELD_SOCKADDR)

/* Syscall numbers looked up in a table (a row's answer without a search):
 * x86-64's are below 512; a hostile enum's others are searched. */
#define SYSFIELDS_NR_DIRECT 1024

struct sysfields_entry {
	uint32_t nr;               /* the syscall's value in the `syscall` member */
	uint32_t mask;             /* SYSFIELD_ bits */
};

/* A column's whole bytes, when the type has it so. */
struct sysfields_span {
	uint32_t off, size;        /* size 0: no such column */
};

struct sysfields {
	uint32_t nr_off;           /* the `syscall` member's byte offset (4 bytes) */
	size_t ncols;
	uint8_t *col_bit;          /* per evtype column: its SYSFIELD_ bit, or 0 */
	int known;                 /* the BTF has the enum: e says it all */
	uint8_t by_nr[SYSFIELDS_NR_DIRECT];   /* masks of the syscalls numbered below */
	struct sysfields_entry *e;  /* the others' */
	size_t n;
	/* captures without the enum: the bytes looked at */
	struct sysfields_span path2, family, port, addr;
};

uint32_t sysfields__enum_id(const struct btfv *b)
{
	return sysenum__find(b, "bpfrec_syscall_fields");
}

/* 1 if t is a --syscalls row: struct syscall, `syscall` a 4-byte enum at
 * a whole byte (its offset in *nr_off), u64 arg0..arg5. */
static int is_sys_row(const struct btfv *b, const struct evtype *t, uint32_t *nr_off)
{
	long k = sysenum__col(t, "syscall");
	const struct evcol *c = k >= 0 ? evtype__col(t, (size_t)k) : NULL;

	if (!c || c->kind != EVCOL_ENUM || c->byte_size != 4 || c->bit_size != 32 ||
	    c->bit_offset % 8 || sysenum__kind(btfv__type(b, c->type_id)) != BTF_KIND_ENUM ||
	    !evtype__name(t) || strcmp(evtype__name(t), "syscall"))
		return 0;
	*nr_off = c->bit_offset / 8;
	for (int i = 0; i < 6; i++) {
		char name[8] = "arg0";

		name[3] = (char)('0' + i);
		k = sysenum__col(t, name);
		c = k >= 0 ? evtype__col(t, (size_t)k) : NULL;
		if (!c || c->kind != EVCOL_UINT || c->byte_size != 8)
			return 0;
	}
	return 1;
}

/* Column name's bit, and its bytes (whole bytes only) into *span. */
static void map_col(struct sysfields *f, const struct evtype *t, const char *name, uint32_t bit,
		    struct sysfields_span *span)
{
	long k = sysenum__col(t, name);
	const struct evcol *c = k >= 0 ? evtype__col(t, (size_t)k) : NULL;

	if (!c)
		return;
	f->col_bit[k] = (uint8_t)bit;
	if (span && !(c->bit_offset % 8) && c->bit_size == c->byte_size * 8)
		*span = (struct sysfields_span){ c->bit_offset / 8, c->byte_size };
}

/* The entries of enum ids (validated: see sysfields.h); 0 or -ENOMEM. */
static int load_entries(struct sysfields *f, const struct btfv *b, const struct btf_type *nr_enum,
			uint32_t ids_id)
{
	const struct btf_type *ids = btfv__type(b, ids_id);
	const struct btf_enum *v = (const struct btf_enum *)(ids + 1);
	uint32_t nv = BTF_INFO_VLEN(ids->info);

	if (nv > SYSFIELDS_MAX)
		nv = SYSFIELDS_MAX;
	f->e = calloc(nv ? nv : 1, sizeof(*f->e));
	if (!f->e)
		return -ENOMEM;
	for (uint32_t i = 0; i < nv; i++) {
		uint32_t mask = (uint32_t)v[i].val;
		int ok = !(mask & ~SYSFIELD_ALL) && (!(mask & SYSFIELD_PATH2) || (mask & SYSFIELD_PATH));
		int64_t nr = ok ? sysenum__value(b, nr_enum, btfv__name(b, v[i].name_off)) : -1;

		if (nr >= 0 && nr < SYSFIELDS_NR_DIRECT && !f->by_nr[nr])
			f->by_nr[nr] = (uint8_t)mask;
		else if (nr >= SYSFIELDS_NR_DIRECT)
			f->e[f->n++] = (struct sysfields_entry){ (uint32_t)nr, mask };
	}
	f->known = 1;
	return 0;
}

struct sysfields *sysfields__new(const struct btfv *b, const struct evtype *t)
{
	struct sysfields *f;
	uint32_t nr_off, ids_id;
	long k;

	errno = 0;
	if (!b || !t || !is_sys_row(b, t, &nr_off))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		goto nomem;
	f->nr_off = nr_off;
	f->ncols = evtype__ncols(t);
	f->col_bit = calloc(f->ncols + 1, 1);
	if (!f->col_bit)
		goto nomem;
	map_col(f, t, "path", SYSFIELD_PATH, NULL);
	map_col(f, t, "path2", SYSFIELD_PATH2, &f->path2);
	map_col(f, t, "family", SYSFIELD_SOCKADDR, &f->family);
	map_col(f, t, "port", SYSFIELD_SOCKADDR, &f->port);
	map_col(f, t, "addr", SYSFIELD_SOCKADDR, &f->addr);
	k = sysenum__col(t, "syscall");
	ids_id = sysfields__enum_id(b);
	if (ids_id && load_entries(f, b, btfv__type(b, evtype__col(t, (size_t)k)->type_id), ids_id))
		goto nomem;
	return f;
nomem:
	sysfields__free(f);
	errno = ENOMEM;
	return NULL;
}

void sysfields__free(struct sysfields *f)
{
	if (!f)
		return;
	free(f->col_bit);
	free(f->e);
	free(f);
}

uint32_t sysfields__col(const struct sysfields *f, size_t col)
{
	return f && col < f->ncols ? f->col_bit[col] : 0;
}

/* 1 if the span has a non-zero byte within the record. */
static int nonzero(const struct sysfields_span *s, const uint8_t *rec, uint32_t len)
{
	if (!s->size || s->off > len)
		return 0;
	for (uint32_t i = s->off; i < len && i - s->off < s->size; i++)
		if (rec[i])
			return 1;
	return 0;
}

uint32_t sysfields__row(const struct sysfields *f, const uint8_t *rec, uint32_t len)
{
	uint32_t nr, mask = SYSFIELD_PATH;

	if (!f)
		return SYSFIELD_ALL;
	if (f->known && len >= f->nr_off + 4) {
		memcpy(&nr, rec + f->nr_off, 4);   /* little-endian, as the record was made */
		if (nr < SYSFIELDS_NR_DIRECT)
			return SYSFIELD_KNOWN | f->by_nr[nr];
		for (size_t i = 0; i < f->n; i++)
			if (f->e[i].nr == nr)
				return SYSFIELD_KNOWN | f->e[i].mask;
		return SYSFIELD_KNOWN;
	}
	/* no word from the capture: what the bytes show (a record cut
	 * short reads as zeros, as the decoder's columns do) */
	if (nonzero(&f->path2, rec, len))
		mask |= SYSFIELD_PATH2;
	if (nonzero(&f->family, rec, len) || nonzero(&f->port, rec, len) ||
	    nonzero(&f->addr, rec, len))
		mask |= SYSFIELD_SOCKADDR;
	return mask;
}
