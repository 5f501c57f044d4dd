/* capw_names.c - the capture's users and groups tables: the recording
 * host's names for the uids and gids its events carry (capw.h; FORMAT.md
 * "User and group names").  Up to CAP_ID_NAMES_MAX rows a table per call,
 * one prepared statement for all of them, in the open batch. */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "cap_internal.h"
#include "capw.h"
#include "capw_internal.h"

int capw__add_id_names(struct capw *w, int group, const struct cap_id_name *v, size_t n,
		       int truncated)
{
	/* An id seen before keeps its first name: the end's second read only
	 * adds ids created during the recording. */
	const char *sql = group ? "INSERT OR IGNORE INTO groups (gid, name) VALUES (?1, ?2)"
				: "INSERT OR IGNORE INTO users (uid, name) VALUES (?1, ?2)";
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = capw_begin(w)))
		return rc;
	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
		return capw_db_err(w, "prepare");
	for (size_t i = 0; i < n && !rc; i++) {
		size_t len = v[i].name ? strlen(v[i].name) : 0;

		if (!len || len > CAP_ID_NAME_MAX || v[i].id == UINT32_MAX)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, v[i].id);
		sqlite3_bind_text(st, 2, v[i].name, (int)len, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = capw_db_err(w, group ? "insert group name" : "insert user name");
	}
	sqlite3_finalize(st);
	if (!rc && truncated) {
		if (sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, '1')",
				       -1, &st, NULL) != SQLITE_OK)
			return capw_db_err(w, "prepare");
		sqlite3_bind_text(st, 1, group ? "groups_truncated" : "users_truncated", -1,
				  SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = capw_db_err(w, "insert meta");
		sqlite3_finalize(st);
	}
	if (!rc && n)
		w->catalog_dirty = true;   /* catalog.db copies the names too */
	return rc;
}
