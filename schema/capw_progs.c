/* capw_progs.c - the capture's programs, stream_loss and loss_windows
 * tables (capw.h; FORMAT.md "Programs and loss").  A handful of rows per
 * recording, written once its programs are attached and as windows close:
 * each statement is prepared for its row.  catalog.db copies them. */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "cap_internal.h"
#include "capw.h"
#include "capw_internal.h"

static int prepare(struct capw *w, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(w->db, sql, -1, st, NULL) != SQLITE_OK)
		return capw_db_err(w, "prepare");
	return 0;
}

/* One run of st in the open batch (begun if none is: the next flush or
 * close commits it). */
static int run(struct capw *w, sqlite3_stmt *st, const char *what)
{
	int rc = capw_begin(w);

	if (!rc && sqlite3_step(st) != SQLITE_DONE)
		rc = capw_db_err(w, what);
	return rc;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int64_t clamp(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int capw__add_program(struct capw *w, const struct cap_program *p)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!p->name || !p->section || !p->type || !p->state)
		return -EINVAL;
	if ((rc = prepare(w, "INSERT INTO programs (object_id, name, section, type, state, target, "
			  "reason, stream_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, p->object_id);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, p->section, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, p->type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, p->state, -1, SQLITE_TRANSIENT);
	bind_text_or_null(st, 6, p->target);
	bind_text_or_null(st, 7, p->reason);
	if (p->stream_id)
		sqlite3_bind_int64(st, 8, p->stream_id);
	rc = run(w, st, "insert program");
	w->catalog_dirty = true;
	sqlite3_finalize(st);
	return rc;
}

int capw__set_stream_loss(struct capw *w, uint32_t stream, const char *method,
			  uint64_t ring_bytes)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(w, "INSERT OR REPLACE INTO stream_loss (stream_id, method, ring_bytes) "
			  "VALUES (?1, ?2, ?3)", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, stream);
	sqlite3_bind_text(st, 2, method, -1, SQLITE_TRANSIENT);
	if (ring_bytes)
		sqlite3_bind_int64(st, 3, clamp(ring_bytes));
	rc = run(w, st, "insert stream loss method");
	w->catalog_dirty = true;
	sqlite3_finalize(st);
	return rc;
}

int capw__add_loss_window(struct capw *w, uint32_t stream, uint64_t start_ns, uint64_t end_ns,
			  uint64_t peak_bytes)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(w, "INSERT INTO loss_windows (stream_id, start_ns, end_ns, peak_bytes) "
			  "VALUES (?1, ?2, ?3, ?4)", &st)))
		return rc;
	sqlite3_bind_int64(st, 1, stream);
	sqlite3_bind_int64(st, 2, (int64_t)start_ns);
	sqlite3_bind_int64(st, 3, (int64_t)end_ns);
	sqlite3_bind_int64(st, 4, clamp(peak_bytes));
	rc = run(w, st, "insert loss window");
	w->catalog_dirty = true;
	sqlite3_finalize(st);
	return rc;
}
