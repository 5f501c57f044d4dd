/* capschema.c - see capschema.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capname.h"
#include "capschema.h"
#include "cap_internal.h"
#include "index_sql.h"

/* The schema bpfrec writes for kind, in a fresh in-memory database; its
 * tables are in schema *ref_schema.  NULL on failure. */
static sqlite3 *ref_open(enum cap_schema_kind kind, const char **ref_schema)
{
	sqlite3 *ref = NULL;

	*ref_schema = "main";
	if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(ref, cap_index_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    (kind == CAP_SCHEMA_BUNDLE &&
	     sqlite3_exec(ref, cap_bundle_sql, NULL, NULL, NULL) != SQLITE_OK))
		goto fail;
	if (kind == CAP_SCHEMA_CATALOG) {
		/* what capw_catalog.c's capw_write_catalog makes */
		if (sqlite3_exec(ref, "ATTACH DATABASE ':memory:' AS cat", NULL, NULL, NULL) !=
		    SQLITE_OK || cap_catalog_exec(ref, "CREATE TABLE cat.%s AS SELECT * FROM main.%s", NULL,
					     NULL))
			goto fail;
		*ref_schema = "cat";
	}
	return ref;
fail:
	sqlite3_close(ref);
	return NULL;
}

static const char *text_or(sqlite3_stmt *st, int i, const char *none)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : none;
}

/* The statements same_rows runs, prepared once per check on each side:
 * a check runs the same few on every table and index (~130 prepares of 4
 * statements cost ~8 M instructions, a third of opening a capture). */
#define SAME_ROWS_SQL 4
struct same_stmts {
	struct {
		const char *sql;        /* NULL: free */
		sqlite3_stmt *a, *b;    /* on the file, on the reference */
	} s[SAME_ROWS_SQL];
};

static void same_stmts_free(struct same_stmts *ss)
{
	for (int i = 0; i < SAME_ROWS_SQL; i++) {
		sqlite3_finalize(ss->s[i].a);
		sqlite3_finalize(ss->s[i].b);
	}
}

/* Runs sql (?1: arg, ?2: the schema's name) on the file and on the
 * reference and compares the results row by row, value by value (type and
 * text).  0 equal, 1 different, -EIO on an SQLite error.  sql is one of
 * SAME_ROWS_SQL constant strings, known by its address. */
static int same_rows(sqlite3 *db, const char *schema, sqlite3 *ref, const char *ref_schema,
		     struct same_stmts *ss, const char *sql, const char *arg)
{
	sqlite3_stmt *a = NULL, *b = NULL;
	int i, rc = -EIO;

	for (i = 0; i < SAME_ROWS_SQL && ss->s[i].sql && ss->s[i].sql != sql; i++)
		;
	if (i == SAME_ROWS_SQL)
		return -EIO;
	if (!ss->s[i].sql) {
		if (sqlite3_prepare_v2(db, sql, -1, &ss->s[i].a, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(ref, sql, -1, &ss->s[i].b, NULL) != SQLITE_OK) {
			sqlite3_finalize(ss->s[i].a);
			ss->s[i].a = NULL;
			return -EIO;
		}
		ss->s[i].sql = sql;
	}
	a = ss->s[i].a;
	b = ss->s[i].b;
	sqlite3_bind_text(a, 1, arg, -1, SQLITE_STATIC);
	sqlite3_bind_text(a, 2, schema, -1, SQLITE_STATIC);
	sqlite3_bind_text(b, 1, arg, -1, SQLITE_STATIC);
	sqlite3_bind_text(b, 2, ref_schema, -1, SQLITE_STATIC);
	for (;;) {
		int ra = sqlite3_step(a), rb = sqlite3_step(b);

		if ((ra != SQLITE_ROW && ra != SQLITE_DONE) || (rb != SQLITE_ROW && rb != SQLITE_DONE))
			goto out;
		if (ra != rb) {
			rc = 1;
			goto out;
		}
		if (ra == SQLITE_DONE)
			break;
		for (int k = 0; k < sqlite3_column_count(a); k++) {
			if (sqlite3_column_type(a, k) != sqlite3_column_type(b, k) ||
			    strcmp(text_or(a, k, ""), text_or(b, k, ""))) {
				rc = 1;
				goto out;
			}
		}
	}
	rc = 0;
out:
	/* ready for the next table; arg is the caller's, not kept */
	sqlite3_reset(a);
	sqlite3_reset(b);
	sqlite3_clear_bindings(a);
	sqlite3_clear_bindings(b);
	return rc;
}

#define SHOW(s, buf) cap_name__show((s), strlen(s), (buf), sizeof(buf))

/* The tables whose every entry (the table and its indexes) has the very
 * text of the reference's in sqlite_schema.sql: SQLite builds a table and
 * its indexes from that text alone, so such a table is the reference's,
 * and its column-by-column comparison (check_table: ~60% of a check's
 * cost) would find nothing.  A table of other text (an older SQLite's
 * CREATE TABLE AS, a hostile file) is compared column by column. */
struct same_text {
	struct {
		char *name;             /* tbl_name */
		uint32_t n;             /* its entries in the file */
		bool differ;            /* one of them has other text, or none */
	} *t;
	size_t n, cap;
};

static void same_text_free(struct same_text *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->t[i].name);
	free(st->t);
}

/* The slot of table name in *i, made if new.  0 or -ENOMEM.  (A file's
 * entries are each a known name of the reference's, a few dozen: a
 * search is enough.) */
static int same_text_slot(struct same_text *st, const char *name, size_t *i)
{
	for (*i = 0; *i < st->n; ++*i)
		if (!strcmp(st->t[*i].name, name))
			return 0;
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 32;
		void *p = realloc(st->t, cap * sizeof(*st->t));
		if (!p)
			return -ENOMEM;
		st->t = p;
		st->cap = cap;
	}
	st->t[st->n].name = strdup(name);
	if (!st->t[st->n].name)
		return -ENOMEM;
	st->t[st->n].n = 0;
	st->t[st->n].differ = false;
	st->n++;
	return 0;
}

/* The table is the reference's by its text (struct same_text). */
static bool same_text_of(const struct same_text *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->t[i].name, name))
			return !st->t[i].differ;
	return false;
}

/* Every row of sqlite_schema: a table (with a b-tree: a virtual table has
 * root page 0) or an index, named as in the reference.  *same: the tables
 * whose entries have the reference's text. */
static int check_entries(sqlite3 *db, const char *schema, sqlite3 *ref, const char *ref_schema,
			 const char *shown, struct same_text *same, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL, *rs = NULL, *cs = NULL;
	char *q = sqlite3_mprintf("SELECT type, name, tbl_name, rootpage, sql FROM \"%w\".sqlite_schema",
				  schema);
	char *rq = sqlite3_mprintf("SELECT sql FROM \"%w\".sqlite_schema WHERE type = ?1 AND name = ?2"
				   " AND tbl_name = ?3", ref_schema);
	char *cq = sqlite3_mprintf("SELECT count(*) FROM \"%w\".sqlite_schema WHERE tbl_name = ?1",
				   ref_schema);
	int rc = -ENOMEM;

	if (!q || !rq || !cq)
		goto out;
	rc = -EBADMSG;
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ref, rq, -1, &rs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ref, cq, -1, &cs, NULL) != SQLITE_OK) {
		cap_seterr(err, errlen, "%s: cannot read the schema: %s", shown,
			   sqlite3_errmsg(st ? ref : db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = text_or(st, 0, ""), *name = text_or(st, 1, ""),
			   *tbl = text_or(st, 2, "");
		char n1[4 * 64 + 8], n2[4 * 64 + 8];
		bool known = false;

		if (sqlite3_column_int64(st, 3) > 0 &&
		    (!strcmp(type, "table") || !strcmp(type, "index"))) {
			sqlite3_reset(rs);
			sqlite3_bind_text(rs, 1, type, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(rs, 2, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(rs, 3, tbl, -1, SQLITE_TRANSIENT);
			known = sqlite3_step(rs) == SQLITE_ROW;
		}
		if (known) {
			/* the same text, byte for byte (both NULL: an
			 * automatic index, made from its table's text) */
			int ta = sqlite3_column_type(st, 4), tb = sqlite3_column_type(rs, 0);
			const void *a = sqlite3_column_blob(st, 4), *b = sqlite3_column_blob(rs, 0);
			int la = sqlite3_column_bytes(st, 4), lb = sqlite3_column_bytes(rs, 0);
			size_t i;

			if (same_text_slot(same, tbl, &i)) {
				cap_seterr(err, errlen, "out of memory");
				rc = -ENOMEM;
				goto out;
			}
			same->t[i].n++;
			if (ta != tb || (ta != SQLITE_NULL && (ta != SQLITE_TEXT || la != lb ||
							       (la && memcmp(a, b, (size_t)la)))))
				same->t[i].differ = true;
			continue;
		}
		if (!strcmp(type, "table") && sqlite3_column_int64(st, 3) <= 0)
			type = "virtual table";
		else if (strcmp(type, "table") && strcmp(type, "index") && strcmp(type, "view") &&
			 strcmp(type, "trigger"))
			type = "entry";
		cap_seterr(err, errlen, "%s: the schema holds a %s '%s'%s%s%s, which bpfrec does not "
			   "write (refused: nothing stored in a capture is ever run)", shown, type,
			   SHOW(name, n1), strcmp(name, tbl) ? " (on '" : "",
			   strcmp(name, tbl) ? SHOW(tbl, n2) : "", strcmp(name, tbl) ? "')" : "");
		rc = -EBADMSG;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		cap_seterr(err, errlen, "%s: cannot read the schema: %s", shown, sqlite3_errmsg(db));
		rc = -EBADMSG;
		goto out;
	}
	/* and as many entries as the reference's: none of its indexes left out */
	for (size_t i = 0; i < same->n; i++) {
		sqlite3_reset(cs);
		sqlite3_bind_text(cs, 1, same->t[i].name, -1, SQLITE_STATIC);
		if (sqlite3_step(cs) != SQLITE_ROW || sqlite3_column_int64(cs, 0) != same->t[i].n)
			same->t[i].differ = true;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(rs);
	sqlite3_finalize(cs);
	sqlite3_free(q);
	sqlite3_free(rq);
	sqlite3_free(cq);
	return rc;
}

/* One plain table of the file against the reference: its table_list row
 * (kind, columns, WITHOUT ROWID, STRICT), its columns, its indexes and
 * their columns. */
static int check_table(sqlite3 *db, const char *schema, sqlite3 *ref, const char *ref_schema,
		       struct same_stmts *ss, const char *table, const char *shown, char *err,
		       size_t errlen)
{
	static const struct { const char *what, *sql; } parts[] = {
		{ "kind (a virtual table, a view, WITHOUT ROWID or STRICT)",
		  "SELECT type, ncol, wr, strict FROM pragma_table_list WHERE name = ?1"
		  " AND schema = ?2" },
	};
	static const struct { const char *what, *sql; } cols[] = {
		{ "columns (names, declared types, NOT NULL, defaults, keys, generated columns)",
		  "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden"
		  " FROM pragma_table_xinfo(?1, ?2) ORDER BY cid" },
		{ "indexes", "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, ?2)"
		  " ORDER BY name" },
	};
	static const char index_cols[] = "SELECT seqno, cid, name, \"desc\", coll, key"
					 " FROM pragma_index_xinfo(?1, ?2) ORDER BY seqno";
	char n1[4 * 64 + 8];
	int rc;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		rc = same_rows(db, schema, ref, ref_schema, ss, parts[i].sql, table);
		if (rc)
			goto differ;
	}
	/* Only now, the table known plain: table_xinfo would connect a
	 * virtual table's module. */
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		rc = same_rows(db, schema, ref, ref_schema, ss, cols[i].sql, table);
		if (rc) {
			if (rc > 0)
				cap_seterr(err, errlen, "%s: table '%s': its %s differ from bpfrec's "
					   "(refused: not a schema bpfrec writes)", shown,
					   SHOW(table, n1), cols[i].what);
			goto fail;
		}
	}
	/* Each index's columns (expressions, collations, order). */
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(ref, "SELECT name FROM pragma_index_list(?1, ?2)", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ref_schema, -1, SQLITE_STATIC);
	rc = 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *idx = text_or(st, 0, "");
		rc = same_rows(db, schema, ref, ref_schema, ss, index_cols, idx);
		if (rc > 0)
			cap_seterr(err, errlen, "%s: index '%s' of table '%s' differs from bpfrec's "
				   "(refused: not a schema bpfrec writes)", shown, idx,
				   SHOW(table, n1));
	}
	sqlite3_finalize(st);
	if (!rc)
		return 0;
	goto fail;
differ:
	if (rc > 0)
		cap_seterr(err, errlen, "%s: table '%s' is not the table bpfrec writes (its kind, "
			   "number of columns, WITHOUT ROWID or STRICT differ; refused: nothing stored "
			   "in a capture is ever run)", shown, SHOW(table, n1));
fail:
	if (rc < 0)
		cap_seterr(err, errlen, "%s: cannot read the schema of table '%s': %s", shown,
			   SHOW(table, n1), sqlite3_errmsg(db));
	return rc < 0 ? -EIO : -EBADMSG;
}

int cap_schema__check(sqlite3 *db, const char *schema, enum cap_schema_kind kind,
		      const char *shown, char *err, size_t errlen)
{
	const char *ref_schema;
	sqlite3 *ref = ref_open(kind, &ref_schema);
	sqlite3_stmt *st = NULL;
	struct same_stmts ss = { 0 };
	struct same_text same = { 0 };
	int rc;

	if (!ref) {
		cap_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = check_entries(db, schema, ref, ref_schema, shown, &same, err, errlen)))
		goto out;
	/* Every table the file has (sqlite_schema itself included), known
	 * by name now; table_list does not connect a virtual table. */
	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_list WHERE schema = ?1", -1, &st,
			       NULL) != SQLITE_OK) {
		cap_seterr(err, errlen, "%s: cannot list the tables: %s", shown, sqlite3_errmsg(db));
		rc = -EBADMSG;
		goto out;
	}
	sqlite3_bind_text(st, 1, schema, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char table[256];

		snprintf(table, sizeof(table), "%s", text_or(st, 0, ""));
		if (!strcmp(table, "sqlite_schema") || same_text_of(&same, text_or(st, 0, "")))
			continue;
		if ((rc = check_table(db, schema, ref, ref_schema, &ss, table, shown, err, errlen)))
			goto out;
	}
	if (rc != SQLITE_DONE) {
		cap_seterr(err, errlen, "%s: cannot list the tables: %s", shown, sqlite3_errmsg(db));
		rc = -EBADMSG;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	same_stmts_free(&ss);
	same_text_free(&same);
	sqlite3_close(ref);
	return rc;
}

int cap_schema__has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int yes = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return yes;
}
