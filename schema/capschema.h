/* capschema.h - a file's SQLite schema checked against the one bpfrec
 * writes, structurally, before any other statement runs on it.
 *
 * A capture's index.db, a bundle and catalog.db come from anyone.  SQLite
 * runs what a schema declares: a virtual table's module on first use, a
 * generated column's expression whenever a row is read (PRAGMA quick_check
 * included), views and triggers when named.  So every reader (capr, and
 * recover before it writes) calls cap_schema__check first: the file may hold
 * only the tables and indexes bpfrec itself creates (schema/index.sql, the
 * bundle's two tables, or catalog.db's copies), each with exactly bpfrec's
 * columns (name, declared type, NOT NULL, default, primary key, no hidden
 * or generated column), rowid or WITHOUT ROWID as bpfrec made it, and
 * exactly bpfrec's indexes on them.  No view, trigger or virtual table; a
 * table bpfrec writes may be missing (older captures have no stack tables:
 * reading it then fails as a damaged capture).
 *
 * The check reads sqlite_schema (types, names, root pages) first, then
 * PRAGMA table_list (which sees a virtual table without connecting it),
 * and only then table_xinfo / index_list / index_xinfo of tables it knows
 * to be plain.  Nothing the file says is pasted into SQL: names are bound.
 */
#ifndef BPFREC_SCHEMA_CAPSCHEMA_H
#define BPFREC_SCHEMA_CAPSCHEMA_H

#include <stddef.h>
#include <sqlite3.h>

enum cap_schema_kind {
	CAP_SCHEMA_INDEX,       /* index.db: schema/index.sql */
	CAP_SCHEMA_BUNDLE,      /* a bundle: index.sql + block_data, bundle */
	CAP_SCHEMA_CATALOG,     /* catalog.db: CREATE TABLE AS copies of meta,
				 * sessions, objects, streams */
};

/* Checks the schema named schema ("main", or an attached name) of db.
 * shown: the file's name for messages.  0, or -EBADMSG (the file is not
 * bpfrec's: err names what differs, escaped) or -ENOMEM / -EIO. */
/* 1 if db has a table of that name (older captures lack the newer tables),
 * else 0 (also when the query cannot run).  The name is bound, never pasted. */
int cap_schema__has_table(sqlite3 *db, const char *name);

int cap_schema__check(sqlite3 *db, const char *schema, enum cap_schema_kind kind,
		      const char *shown, char *err, size_t errlen);

#endif
