/* idnames.c - see idnames.h. */
#include "idnames.h"
#include "capschema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

struct idname {
	uint32_t id;
	uint32_t row;              /* order read: the first of an id wins */
	char *name;
};

struct idtable {
	struct idname *v;          /* ascending id, one per id */
	size_t n, cap;
	uint64_t skipped;
};

struct idnames {
	struct idtable t[2];       /* IDNAMES_USER, IDNAMES_GROUP */
};

/* A name a terminal, a CSV cell and a JSON string all show as it is. */
static int good_name(const char *s, size_t len)
{
	if (!len || len > IDNAMES_NAME_MAX || memchr(s, 0, len))
		return 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = utf8__seq(s + i, len - i, &cp);

		if (!k || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			return 0;
		i += k;
	}
	return 1;
}

static int cmp_idname(const void *a, const void *b)
{
	const struct idname *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static int load_table(sqlite3 *db, struct idtable *t, const char *table, const char *sql,
		      char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	uint32_t row = 0;
	int rc;

	if (!cap_schema__has_table(db, table))
		return 0;   /* an older capture: no names */
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "table %s: %s", table, sqlite3_errmsg(db));
		return -EBADMSG;
	}
	sqlite3_bind_int64(st, 1, (int64_t)IDNAMES_ROWS_MAX + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* types first: column_text would make text of a number or a
		 * blob, and a type read after a conversion means nothing */
		int typed = sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
			    sqlite3_column_type(st, 1) == SQLITE_TEXT;
		const char *name = typed ? (const char *)sqlite3_column_text(st, 1) : NULL;
		size_t len = typed ? (size_t)sqlite3_column_bytes(st, 1) : 0;
		int64_t id = typed ? sqlite3_column_int64(st, 0) : -1;

		if (row++ == IDNAMES_ROWS_MAX) {
			t->skipped++;   /* the LIMIT's extra row: there are more */
			break;
		}
		if (!typed || id < 0 || id >= UINT32_MAX || !name || !good_name(name, len)) {
			t->skipped++;
			continue;
		}
		if (t->n == t->cap) {
			size_t ncap = t->cap ? 2 * t->cap : 64;
			struct idname *nv = realloc(t->v, ncap * sizeof(*nv));

			if (!nv)
				goto nomem;
			t->v = nv;
			t->cap = ncap;
		}
		if (!(t->v[t->n].name = strndup(name, len)))
			goto nomem;
		t->v[t->n].id = (uint32_t)id;
		t->v[t->n++].row = row;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "table %s: %s", table, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -EBADMSG;
	}
	sqlite3_finalize(st);
	/* one name an id: the first read wins, the others are counted */
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), cmp_idname);
	size_t kept = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (kept && t->v[kept - 1].id == t->v[i].id) {
			free(t->v[i].name);
			t->skipped++;
			continue;
		}
		t->v[kept++] = t->v[i];
	}
	t->n = kept;
	return 0;
nomem:
	sqlite3_finalize(st);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

int idnames__load(sqlite3 *db, struct idnames **out, char *err, size_t errlen)
{
	struct idnames *n = calloc(1, sizeof(*n));
	int rc;

	*out = NULL;
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* the names of the columns are bpfrec's (the schema is checked), the
	 * values the file's: each one judged in load_table */
	if ((rc = load_table(db, &n->t[IDNAMES_USER], "users",
			     "SELECT uid, name FROM users ORDER BY rowid LIMIT ?1", err, errlen)) ||
	    (rc = load_table(db, &n->t[IDNAMES_GROUP], "groups",
			     "SELECT gid, name FROM groups ORDER BY rowid LIMIT ?1", err, errlen))) {
		idnames__free(n);
		return rc;
	}
	*out = n;
	return 0;
}

const char *idnames__name(const struct idnames *n, enum idnames_kind kind, int64_t id)
{
	const struct idtable *t;
	size_t lo = 0, hi;

	if (!n || (kind != IDNAMES_USER && kind != IDNAMES_GROUP) || id < 0 || id >= UINT32_MAX)
		return NULL;
	t = &n->t[kind];
	hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].id == (uint32_t)id)
			return t->v[mid].name;
		if (t->v[mid].id < (uint32_t)id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t idnames__count(const struct idnames *n, enum idnames_kind kind)
{
	return n && (kind == IDNAMES_USER || kind == IDNAMES_GROUP) ? n->t[kind].n : 0;
}

const char *idnames__at(const struct idnames *n, enum idnames_kind kind, size_t i, uint32_t *id)
{
	if (i >= idnames__count(n, kind))
		return NULL;
	*id = n->t[kind].v[i].id;
	return n->t[kind].v[i].name;
}

uint64_t idnames__skipped(const struct idnames *n, enum idnames_kind kind)
{
	return n && (kind == IDNAMES_USER || kind == IDNAMES_GROUP) ? n->t[kind].skipped : 0;
}

void idnames__free(struct idnames *n)
{
	if (!n)
		return;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < n->t[k].n; i++)
			free(n->t[k].v[i].name);
		free(n->t[k].v);
	}
	free(n);
}
