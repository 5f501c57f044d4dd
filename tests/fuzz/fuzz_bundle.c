/* fuzz_bundle - opening and reading a bundle (one SQLite file: index tables,
 * block_data, bundle; schema/capr.c and replay/capview.c), then every block,
 * every value, and the SQL tables over it (replay/vtab.c; grouped scans
 * too, with little memory: their runs on disk and merges) as `bpfreplay
 * sql` makes them.  Seeds: bundles of real captures (bpfreplay bundle,
 * some sliced and redacted), vacuumed to 512-byte pages to stay small.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "vtab.h"

static char fz_bundle_path[512];

static void fz_warn_quiet(void *ctx, const char *msg)
{
}

/* A GROUP BY of every column a grouped scan can give (vtab.c
 * VT_IDX_GROUP: not time, not reals): the table counts the distinct
 * tuples of the capture's own values. */
static void fz_sql_grouped(sqlite3 *db, const char *table)
{
	sqlite3_str *cols = sqlite3_str_new(db);
	sqlite3_stmt *st = NULL;
	char *list = NULL, *q = NULL;

	q = sqlite3_mprintf("SELECT name FROM pragma_table_info(%Q) WHERE name <> 'time' AND "
			    "type <> 'REAL'", table);
	if (q && sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			sqlite3_str_appendf(cols, "%s\"%w\"", sqlite3_str_length(cols) ? ", " : "",
					    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_free(q);
	st = NULL;
	list = sqlite3_str_finish(cols);
	q = list && *list ? sqlite3_mprintf("SELECT %s, count(*) FROM \"%w\" GROUP BY %s", list,
					    table, list) : NULL;
	if (q && sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			;
	sqlite3_finalize(st);
	sqlite3_free(q);
	sqlite3_free(list);
}

static void fz_sql_all(const char *file)
{
	/* 4 KiB of grouped-scan memory: a seed's distinct rows (ts makes every
	 * row one) pass it, so grouped scans spill sorted runs to a temporary
	 * file and merge them, in passes (vtgroup.c) */
	struct vtab_opts opts = { .strict = 0, .warn = fz_warn_quiet, .group_bytes = 4096 };
	sqlite3 *db = NULL;
	sqlite3_stmt *names = NULL;
	struct vtab_reg *reg;
	char *err = NULL;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto out;
	reg = vtab__register(db, &opts);
	if (!reg || vtab__attach(reg, file, "main", &err) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table'", -1,
			       &names, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(names) == SQLITE_ROW) {
		char *q = sqlite3_mprintf("SELECT * FROM \"%w\" WHERE ts >= 0 OR ts IS NULL",
					  (const char *)sqlite3_column_text(names, 0));
		sqlite3_stmt *st = NULL;
		if (q && sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
			sqlite3_free(q);   /* a metadata table without ts */
			q = sqlite3_mprintf("SELECT * FROM \"%w\"",
					    (const char *)sqlite3_column_text(names, 0));
			sqlite3_prepare_v2(db, q, -1, &st, NULL);
		}
		while (st && sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
		sqlite3_free(q);
		fz_sql_grouped(db, (const char *)sqlite3_column_text(names, 0));
	}
out:
	sqlite3_finalize(names);
	sqlite3_free(err);
	sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_bundle_path[0])
		snprintf(fz_bundle_path, sizeof(fz_bundle_path), "%s/bundle.bpfrec", fuzz_tmpdir());
	fuzz_write(fz_bundle_path, data, size);
	fuzz_read_all(fz_bundle_path);
	fz_sql_all(fz_bundle_path);
	return 0;
}
