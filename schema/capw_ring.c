/* capw_ring.c - ring mode (flight recorder) of the capture writer: the
 * oldest whole segments dropped, rows first (in the batch, committed by a
 * flush), file second (unlinked after that commit).  FORMAT.md, "Ring mode
 * and snapshots"; the invariants are in capw.c's opening comment.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capw_internal.h"
#include "cap_internal.h"

/* Runs sql with up to three integer parameters; 0 or -errno. */
static int exec_int3(struct capw *w, const char *sql, int64_t a, int64_t b, int64_t c)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
		return capw_db_err(w, "prepare");
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : capw_db_err(w, sql);
}

/* Drops the oldest held segment's rows in the batch (all or none of them)
 * and queues its file for unlinking after the commit. */
static int ring_drop_oldest(struct capw *w)
{
	struct seg_held *s = &w->segs[0];
	uint64_t nblocks = 0, nrecs = 0;
	sqlite3_stmt *st;
	int rc;

	if (w->nunlink == w->unlink_cap) {
		size_t cap = w->unlink_cap ? w->unlink_cap * 2 : 8;
		void *p = realloc(w->unlink_nos, cap * sizeof(*w->unlink_nos));

		if (!p)
			return -ENOMEM;
		w->unlink_nos = p;
		w->unlink_cap = cap;
	}
	if ((rc = capw_begin(w)) || (rc = capw_exec(w, "SAVEPOINT ringdrop")))
		return rc;
	if (sqlite3_prepare_v2(w->db, "SELECT COUNT(*), TOTAL(nrecords) FROM blocks WHERE segment_id = ?1",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = capw_db_err(w, "prepare");
		goto undo;
	}
	sqlite3_bind_int64(st, 1, s->id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		nblocks = (uint64_t)sqlite3_column_int64(st, 0);
		nrecs = (uint64_t)sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	/* A segment's blocks are written back to back: their ids are a range. */
	if ((s->first_block &&
	     ((rc = exec_int3(w, "DELETE FROM block_streams WHERE block_id BETWEEN ?1 AND ?2",
			      s->first_block, s->last_block, 0)) ||
	      (rc = exec_int3(w, "DELETE FROM blocks WHERE id BETWEEN ?1 AND ?2 AND segment_id = ?3",
			      s->first_block, s->last_block, s->id)))) ||
	    (rc = exec_int3(w, "DELETE FROM segments WHERE id = ?1", s->id, 0, 0)) ||
	    (rc = exec_int3(w, "INSERT OR REPLACE INTO meta (key, value) VALUES "
			       "('ring_dropped_through', CAST(?1 AS TEXT)), "
			       "('ring_dropped_blocks', CAST(?2 AS TEXT)), "
			       "('ring_dropped_records', CAST(?3 AS TEXT))",
			    s->no, (int64_t)(w->dropped_blocks + nblocks),
			    (int64_t)(w->dropped_records + nrecs))) ||
	    (rc = capw_exec(w, "RELEASE ringdrop")))
		goto undo;
	w->dropped_through = s->no;
	w->catalog_dirty = true;   /* its meta copy names what recovery leaves alone */
	w->dropped_blocks += nblocks;
	w->dropped_records += nrecs;
	w->unlink_nos[w->nunlink++] = s->no;
	w->held_bytes -= s->bytes;
	memmove(&w->segs[0], &w->segs[1], (w->nsegs - 1) * sizeof(*w->segs));
	w->nsegs--;
	return 0;
undo:
	if (!sqlite3_get_autocommit(w->db)) {
		sqlite3_exec(w->db, "ROLLBACK TO ringdrop", NULL, NULL, NULL);
		sqlite3_exec(w->db, "RELEASE ringdrop", NULL, NULL, NULL);
	} else {
		w->in_txn = false;
	}
	return rc;
}

/* Ring mode: drops the oldest whole segments (never the open one) while
 * the held bytes plus `incoming` pass ring_bytes, or while the oldest was
 * last written more than ring_ns ago.  Rows go in the batch; the caller
 * commits (capw__flush) before the files go. */
int capw_ring_enforce(struct capw *w, uint64_t incoming, uint64_t now, bool *dropped)
{
	size_t open = w->seg_fd >= 0 ? 1 : 0;
	int rc;

	while (w->nsegs > open) {
		const struct seg_held *s = &w->segs[0];
		bool full = w->opts.ring_bytes && w->held_bytes + incoming > w->opts.ring_bytes;
		bool old = w->opts.ring_ns && now > s->last_write_ns &&
			   now - s->last_write_ns > w->opts.ring_ns;

		if (!full && !old)
			break;
		if ((rc = ring_drop_oldest(w))) {
			char name[CAP_SEG_NAME_MAX];

			cap_warn("%s/%s: ring mode cannot drop it: %s", w->dir,
				 cap_segment__name(s->no, name), strerror(-rc));
			return rc;
		}
		*dropped = true;
	}
	return 0;
}

/* After a commit: the dropped segments' files go (their rows are gone). */
void capw_ring_unlink_dropped(struct capw *w)
{
	char name[CAP_SEG_NAME_MAX];

	for (size_t i = 0; i < w->nunlink; i++) {
		cap_segment__name(w->unlink_nos[i], name);
		if (unlinkat(w->dirfd, name, 0) && errno != ENOENT)
			cap_warn("%s/%s: ring mode: unlink: %s", w->dir, name, strerror(errno));
	}
	if (w->nunlink)
		w->dir_dirty = true;
	w->nunlink = 0;
}

