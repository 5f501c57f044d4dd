/* rowlacks.c - what a row does not have (rowlacks.h). */
#include "rowlacks.h"

#include <errno.h>
#include <stdlib.h>

#include "names.h"
#include "sysfields.h"

#define FAM_UNIX  1    /* AF_UNIX */
#define FAM_INET  2    /* AF_INET */
#define FAM_INET6 10   /* AF_INET6 */

struct rowlacks {
	const struct capview_stream *s;
	size_t n;                   /* columns: s's that its event type has */
	uint8_t *scope;             /* per evtype column: enum name_scope */
	int fam_col;                /* evtype column of the family (NAME_AF), or -1 */
	size_t *inet;               /* the evtype columns of scope SCOPE_INET */
	size_t ninet;
	struct sysfields *sysfields;   /* --syscalls rows: which of path, path2 and
					  the socket address each has, or NULL */
	uint32_t row_fields;        /* the last row's (sysfields__row) */
};

struct rowlacks *rowlacks__new(const struct btfv *btf, const struct capview_stream *s)
{
	struct rowlacks *rl = calloc(1, sizeof(*rl));
	size_t n = evtype__ncols(s->et) < s->ncols ? evtype__ncols(s->et) : s->ncols;

	if (!rl)
		goto nomem;
	rl->s = s;
	rl->n = n;
	rl->fam_col = -1;
	rl->scope = calloc(s->ncols + 1, 1);
	rl->inet = calloc(s->ncols + 1, sizeof(*rl->inet));
	if (!rl->scope || !rl->inet)
		goto nomem;
	rl->sysfields = sysfields__new(btf, s->et);
	if (!rl->sysfields && errno == ENOMEM)
		goto nomem;
	for (size_t k = 0; k < n; k++) {
		const struct evcol *col = evtype__col(s->et, k);
		int is_int = col->kind == EVCOL_INT || col->kind == EVCOL_UINT;

		rl->scope[k] = (uint8_t)names__scope(s->cols[k], (const char *const *)s->cols,
						     s->ncols);
		if (rl->fam_col < 0 && names__hint(s->cols[k], is_int, (const char *const *)s->cols,
						   s->ncols) == NAME_AF)
			rl->fam_col = (int)k;
		if (rl->scope[k] == SCOPE_INET)
			rl->inet[rl->ninet++] = k;
	}
	return rl;
nomem:
	rowlacks__free(rl);
	errno = ENOMEM;
	return NULL;
}

void rowlacks__free(struct rowlacks *rl)
{
	if (!rl)
		return;
	free(rl->scope);
	free(rl->inet);
	sysfields__free(rl->sysfields);
	free(rl);
}

int rowlacks__may(const struct rowlacks *rl, size_t k)
{
	return k < rl->n && (rl->scope[k] != SCOPE_ANY || sysfields__col(rl->sysfields, k));
}

void rowlacks__row(struct rowlacks *rl, const struct cap_rec *rec)
{
	rl->row_fields = rl->sysfields ? sysfields__row(rl->sysfields, rec->data, rec->len) : 0;
}

/* Column k's bytes in rec, if whole bytes within the record; else NULL. */
static const uint8_t *col_bytes(const struct rowlacks *rl, const struct cap_rec *rec, size_t k)
{
	const struct evcol *c = evtype__col(rl->s->et, k);

	if (c->bit_offset % 8 || c->bit_size != c->byte_size * 8 || !c->byte_size ||
	    (uint64_t)c->bit_offset / 8 + c->byte_size > rec->len)
		return NULL;
	return rec->data + c->bit_offset / 8;
}

/* Column k's whole bytes are all zero (0 when they are no whole bytes
 * within the record: not known to be). */
static int col_zero(const struct rowlacks *rl, const struct cap_rec *rec, size_t k)
{
	const uint8_t *v = col_bytes(rl, rec, k);
	uint32_t n = evtype__col(rl->s->et, k)->byte_size;

	if (!v)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i])
			return 0;
	return 1;
}

/* The row's address family (its family column, little-endian as BPF's
 * records), or -1 when it has none readable. */
static int64_t row_family(const struct rowlacks *rl, const struct cap_rec *rec)
{
	const uint8_t *f;
	uint32_t size;
	uint64_t fam = 0;

	if (rl->fam_col < 0 || !(f = col_bytes(rl, rec, (size_t)rl->fam_col)))
		return -1;
	size = evtype__col(rl->s->et, (size_t)rl->fam_col)->byte_size;
	if (size > 4)
		return -1;
	for (uint32_t i = 0; i < size; i++)
		fam |= (uint64_t)f[i] << (8 * i);
	return (int64_t)fam;
}

int rowlacks__col(const struct rowlacks *rl, const struct cap_rec *rec, size_t k)
{
	uint32_t bit;
	int64_t fam;

	/* the common answer first: a column of no socket address in a
	 * stream of no --syscalls rows is always there */
	if (k >= rl->n || (!rl->sysfields && rl->scope[k] == SCOPE_ANY))
		return 0;
	bit = sysfields__col(rl->sysfields, k);
	if (bit && !(rl->row_fields & bit))
		return 1;
	if (rl->scope[k] == SCOPE_ANY || !col_zero(rl, rec, k) || (fam = row_family(rl, rec)) < 0)
		return 0;
	if (rl->scope[k] == SCOPE_UNIX)
		return fam != FAM_UNIX && !(bit && rl->row_fields & SYSFIELD_KNOWN);
	if (fam != FAM_INET && fam != FAM_INET6)
		return 1;
	if (fam == FAM_INET && evtype__col(rl->s->et, k)->kind == EVCOL_IPADDR)
		return 1;
	if (bit && rl->row_fields & SYSFIELD_KNOWN)
		return 0;
	for (size_t i = 0; i < rl->ninet; i++)
		if (!col_zero(rl, rec, rl->inet[i]))
			return 0;
	return 1;
}
