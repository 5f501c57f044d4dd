/* stackrows.c - stack table rows handed from the drain to the writer
 * (stackrows.h). */
#include "stackrows.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum row_kind { R_STACK, R_STACK_PID, R_FILE, R_MAP, R_REMAP, R_SYMBOL, R_LINE };

struct row {
	enum row_kind kind;
	uint32_t a, b;            /* ids: stack/file id, pid, line */
	uint64_t x, y, z;         /* addresses, sizes, offsets */
	int64_t size;             /* R_FILE: file size, -1 unknown */
	int64_t pid;              /* R_FILE: perfmap pid, -1 */
	char *s1, *s2, *s3, *s4;  /* texts: path/name/src, kind, build id, symbols */
	uint64_t *ips;            /* R_STACK */
};

struct stackrows {
	struct row *rows;
	size_t n, cap;
};

struct stackrows *stackrows__new(void)
{
	return calloc(1, sizeof(struct stackrows));
}

void stackrows__free(struct stackrows *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->rows[i].s1);
		free(r->rows[i].s2);
		free(r->rows[i].s3);
		free(r->rows[i].s4);
		free(r->rows[i].ips);
	}
	free(r->rows);
	free(r);
}

static struct row *add(struct stackrows *r, enum row_kind kind)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct row *g = realloc(r->rows, cap * sizeof(*g));

		if (!g)
			return NULL;
		r->rows = g;
		r->cap = cap;
	}
	memset(&r->rows[r->n], 0, sizeof(struct row));
	r->rows[r->n].kind = kind;
	return &r->rows[r->n++];
}

/* Copies s into *dst (NULL stays NULL); -ENOMEM drops the row. */
static int dup_into(struct stackrows *r, char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	if (*dst)
		return 0;
	r->n--;
	return -ENOMEM;
}

int stackrows__stack(struct stackrows *r, uint32_t id, int kernel, const uint64_t *ips,
		     uint32_t n)
{
	struct row *w = add(r, R_STACK);

	if (!w)
		return -ENOMEM;
	w->a = id;
	w->b = (uint32_t)kernel;
	w->x = n;
	w->ips = malloc((n ? n : 1) * sizeof(uint64_t));
	if (!w->ips) {
		r->n--;
		return -ENOMEM;
	}
	memcpy(w->ips, ips, n * sizeof(uint64_t));
	return 0;
}

int stackrows__stack_pid(struct stackrows *r, uint32_t stack_id, uint32_t pid)
{
	struct row *w = add(r, R_STACK_PID);

	if (!w)
		return -ENOMEM;
	w->a = stack_id;
	w->b = pid;
	return 0;
}

int stackrows__symfile(struct stackrows *r, const struct cap_symfile *f)
{
	struct row *w = add(r, R_FILE);
	char *path = NULL, *kind = NULL, *bid = NULL, *sym = NULL;

	if (!w)
		return -ENOMEM;
	w->a = f->id;
	w->size = f->size;
	w->pid = f->pid;
	path = f->path ? strdup(f->path) : NULL;
	kind = f->kind ? strdup(f->kind) : NULL;
	bid = f->build_id ? strdup(f->build_id) : NULL;
	sym = f->symbols ? strdup(f->symbols) : NULL;
	if ((f->path && !path) || (f->kind && !kind) || (f->build_id && !bid) ||
	    (f->symbols && !sym)) {
		free(path);
		free(kind);
		free(bid);
		free(sym);
		r->n--;
		return -ENOMEM;
	}
	w->s1 = path;
	w->s2 = kind;
	w->s3 = bid;
	w->s4 = sym;
	return 0;
}

int stackrows__mapping(struct stackrows *r, uint32_t pid, uint64_t start, uint64_t end,
		       uint64_t file_offset, uint32_t file_id)
{
	struct row *w = add(r, R_MAP);

	if (!w)
		return -ENOMEM;
	*w = (struct row){ .kind = R_MAP, .a = file_id, .b = pid, .x = start, .y = end,
			   .z = file_offset };
	return 0;
}

int stackrows__remap(struct stackrows *r, uint32_t pid, uint64_t start, uint64_t end,
		     uint32_t file_id)
{
	struct row *w = add(r, R_REMAP);

	if (!w)
		return -ENOMEM;
	*w = (struct row){ .kind = R_REMAP, .a = file_id, .b = pid, .x = start, .y = end };
	return 0;
}

int stackrows__symbol(struct stackrows *r, uint32_t file_id, uint64_t addr, uint64_t size,
		      const char *name)
{
	struct row *w = add(r, R_SYMBOL);

	if (!w)
		return -ENOMEM;
	w->a = file_id;
	w->x = addr;
	w->y = size;
	return dup_into(r, &w->s1, name);
}

int stackrows__line(struct stackrows *r, uint32_t file_id, uint64_t addr, uint64_t size,
		    uint32_t line, const char *src)
{
	struct row *w = add(r, R_LINE);

	if (!w)
		return -ENOMEM;
	w->a = file_id;
	w->b = line;
	w->x = addr;
	w->y = size;
	return dup_into(r, &w->s1, src);
}

size_t stackrows__count(const struct stackrows *r)
{
	return r ? r->n : 0;
}

int stackrows__apply(const struct stackrows *r, struct capw *w)
{
	int rc = 0;

	for (size_t i = 0; r && i < r->n && !rc; i++) {
		const struct row *x = &r->rows[i];

		switch (x->kind) {
		case R_STACK:
			rc = capw__add_stack(w, x->a, (int)x->b, x->ips, (uint32_t)x->x);
			break;
		case R_STACK_PID:
			rc = capw__add_stack_pid(w, x->a, x->b);
			break;
		case R_FILE: {
			struct cap_symfile f = { .kind = x->s2, .path = x->s1, .build_id = x->s3,
						 .size = x->size, .pid = x->pid, .symbols = x->s4,
						 .id = x->a };

			rc = capw__add_symfile(w, &f, NULL);
			break;
		}
		case R_MAP:
			rc = capw__add_mapping(w, x->b, x->x, x->y, x->z, x->a);
			break;
		case R_REMAP:
			rc = capw__set_mapping_file(w, x->b, x->x, x->y, x->a);
			break;
		case R_SYMBOL:
			rc = capw__add_symbol(w, x->a, x->x, x->y, x->s1);
			break;
		case R_LINE:
			rc = capw__add_line(w, x->a, x->x, x->y, x->b, x->s1);
			break;
		}
	}
	return rc;
}
