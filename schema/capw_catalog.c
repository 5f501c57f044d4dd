/* capw_catalog.c - catalog.db, the copy of the index's metadata tables
 * (and stack tables, user and group names, programs and how loss is
 * known) that a lost index.db is rebuilt
 * from (FORMAT.md, "Recovery").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capw_internal.h"
#include "cap_internal.h"

/* CAPTURE/catalog.db: the index's metadata tables (meta, sessions,
 * objects, streams) and its stack tables once they have rows (stacks,
 * mappings, symbols: the recorder writes them as it goes), so that a
 * capture whose index.db is lost or damaged can be rebuilt from its
 * segments (capw__recover), stacks named.  Rewritten after a
 * commit that follows a metadata change: at the first flush, when the
 * recorder registers a late stream, and at close.  Best effort: a failure
 * is warned about once and the recording goes on. */
int cap_catalog_exec(sqlite3 *db, const char *fmt, const char *stack_fmt, const char *src)
{
	static const char *const tables[] = { "meta", "sessions", "objects", "streams",
					      "stack_traces", "stack_pids", "sym_files",
					      "proc_maps", "symbols", "lines", "users", "groups",
					      "programs", "stream_loss", "loss_windows" };

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		int stack = i >= 4, rc;
		char *sql;

		if (stack && src) {
			/* only a stack (or names) table with rows: a capture without stacks
			 * keeps its catalog small (a small disk's last pages), and
			 * older catalogs have none */
			sqlite3_stmt *st = NULL;
			char *q = sqlite3_mprintf("SELECT 1 FROM \"%w\".\"%w\" LIMIT 1", src,
						  tables[i]);

			if (!q)
				return -ENOMEM;
			rc = sqlite3_prepare_v2(db, q, -1, &st, NULL);
			sqlite3_free(q);
			rc = rc == SQLITE_OK ? sqlite3_step(st) : rc;
			sqlite3_finalize(st);
			if (rc != SQLITE_ROW)
				continue;
		}
		sql = sqlite3_mprintf(stack && stack_fmt ? stack_fmt : fmt, tables[i], tables[i]);
		rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	}
	return 0;
}

void capw_write_catalog(struct capw *w)
{
	char *tmp = NULL;
	sqlite3_stmt *st = NULL;
	bool attached = false;
	int rc = -EIO;

	w->catalog_dirty = false;
	if (asprintf(&tmp, "%s/catalog.tmp", w->dir) < 0) {
		tmp = NULL;
		goto out;
	}
	/* A crash's leftovers: a journal found beside a new catalog.tmp would be
	 * taken for its own. */
	unlinkat(w->dirfd, "catalog.tmp", 0);
	unlinkat(w->dirfd, "catalog.tmp-journal", 0);
	if (sqlite3_prepare_v2(w->db, "ATTACH DATABASE ?1 AS cat", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC);
	attached = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	/* Pages of 1 KiB, as index.db's: a table takes at least one page, and
	 * the catalog's tables are small (a /bin/true capture's catalog: 12 KiB
	 * instead of 36).  Only a size: a failure is no reason to stop. */
	if (attached)
		sqlite3_exec(w->db, "PRAGMA cat.page_size=1024", NULL, NULL, NULL);
	if (!attached || sqlite3_exec(w->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	if (cap_catalog_exec(w->db, "CREATE TABLE cat.%s AS SELECT * FROM main.%s", NULL, "main") ||
	    sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	if (sqlite3_exec(w->db, "DETACH DATABASE cat", NULL, NULL, NULL) == SQLITE_OK)
		attached = false;
	/* The commit synced the file; the rename makes it replace the old one
	 * whole, and the directory's fsync makes the rename last. */
	if (!attached && renameat(w->dirfd, "catalog.tmp", w->dirfd, "catalog.db") == 0 &&
	    fsync(w->dirfd) == 0)
		rc = 0;
out:
	if (rc) {
		if (!w->catalog_warned)
			cap_warn("%s/catalog.db: cannot write the metadata copy (%s): the capture "
				 "is fine, but cannot be rebuilt should index.db be lost", w->dir,
				 sqlite3_errmsg(w->db));
		w->catalog_warned = true;
		if (attached)
			sqlite3_exec(w->db, "DETACH DATABASE cat", NULL, NULL, NULL);
		unlinkat(w->dirfd, "catalog.tmp", 0);
		unlinkat(w->dirfd, "catalog.tmp-journal", 0);
	}
	free(tmp);
}

