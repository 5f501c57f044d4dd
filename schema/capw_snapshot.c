/* capw_snapshot.c - flight-recorder snapshots: what the capture holds now,
 * written as a complete capture of its own (FORMAT.md, "Ring mode and
 * snapshots").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capw_internal.h"
#include "cap_internal.h"

/* Copies a file (when a hard link is refused), fsyncs the copy. */
static int copy_file(int sdirfd, int ddirfd, const char *name)
{
	int in = openat(sdirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, rc = 0;
	char buf[1 << 16];
	uint64_t off = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = openat(ddirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = -errno;
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if ((rc = capw_pwrite_all(out, buf, (size_t)n, off)))
			goto out;
		off += (uint64_t)n;
	}
	if (n < 0 || fsync(out))
		rc = -errno;
out:
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

/* Stamps the snapshot's own index: when it was taken, that it is finished. */
static int snapshot_stamp(const char *dbpath, uint64_t now)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -EIO;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK)
		goto out;
	if (sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; BEGIN", NULL,
			 NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE sessions SET end_ns = ?1 WHERE end_ns IS NULL; ", -1, &st,
			       NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (int64_t)now);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta (key, value) VALUES "
			       "('snapshot_ns', CAST(?1 AS TEXT))", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (int64_t)now);
	if (sqlite3_step(st) != SQLITE_DONE ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	rc = 0;
out:
	if (rc && db)
		cap_warn("%s: %s", dbpath, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int capw__snapshot(struct capw *w, char *path, size_t pathlen)
{
	char tmp[80], name[64], *dbpath = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t now;
	int sfd = -1, rc;

	/* Everything appended so far goes into the index, and the open
	 * segment is closed so that every file held is final: the snapshot
	 * can share them (hard links) and the next block starts a segment. */
	if ((rc = capw__flush(w)))
		return rc;
	if (w->seg_fd >= 0) {
		close(w->seg_fd);   /* synced by the flush */
		w->seg_fd = -1;
	}
	now = capw_boot_ns();
	for (;;) {
		w->snap_no++;
		snprintf(name, sizeof(name), "snapshot-%" PRIu32, w->snap_no);
		snprintf(tmp, sizeof(tmp), "%s.tmp", name);
		if (faccessat(w->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (mkdirat(w->dirfd, tmp, 0755) == 0)
			break;
		if (errno != EEXIST) {
			rc = -errno;
			cap_warn("%s/%s: %s", w->dir, tmp, strerror(-rc));
			return rc;
		}
	}
	sfd = openat(w->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		rc = -errno;
		cap_warn("%s/%s: %s", w->dir, tmp, strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < w->nsegs; i++) {
		char seg[CAP_SEG_NAME_MAX];

		cap_segment__name(w->segs[i].no, seg);
		if (linkat(w->dirfd, seg, sfd, seg, 0) && (rc = copy_file(w->dirfd, sfd, seg))) {
			cap_warn("%s/%s/%s: %s", w->dir, tmp, seg, strerror(-rc));
			goto out;
		}
	}
	/* The metadata copy too (the flush above brought it up to date), so
	 * that the snapshot's index can be rebuilt as the capture's can. */
	if (linkat(w->dirfd, "catalog.db", sfd, "catalog.db", 0) && errno != ENOENT &&
	    copy_file(w->dirfd, sfd, "catalog.db"))
		cap_warn("%s/%s/catalog.db: not copied: the snapshot cannot be rebuilt should its "
			 "index.db be lost", w->dir, tmp);
	if (asprintf(&dbpath, "%s/%s/index.db", w->dir, tmp) < 0) {
		dbpath = NULL;
		rc = -ENOMEM;
		goto out;
	}
	/* VACUUM INTO: a consistent copy of the committed index, one file. */
	if (sqlite3_prepare_v2(w->db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK) {
		rc = capw_db_err(w, "snapshot: prepare VACUUM INTO");
		goto out;
	}
	sqlite3_bind_text(st, 1, dbpath, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = sqlite3_errcode(w->db) == SQLITE_FULL ? -ENOSPC : -EIO;
		cap_warn("%s: snapshot: %s", dbpath, sqlite3_errmsg(w->db));
		goto out;
	}
	if ((rc = snapshot_stamp(dbpath, now)))
		goto out;
	if (fsync(sfd) || renameat(w->dirfd, tmp, w->dirfd, name) || fsync(w->dirfd)) {
		rc = -errno;
		cap_warn("%s/%s: %s", w->dir, name, strerror(-rc));
		goto out;
	}
	if (path)
		snprintf(path, pathlen, "%s/%s", w->dir, name);
out:
	sqlite3_finalize(st);
	if (sfd >= 0)
		close(sfd);
	if (rc) {
		/* Leave nothing half made that looks like a capture. */
		char sub[128], seg[CAP_SEG_NAME_MAX];

		for (size_t i = 0; i < w->nsegs; i++) {
			snprintf(sub, sizeof(sub), "%s/%s", tmp, cap_segment__name(w->segs[i].no, seg));
			unlinkat(w->dirfd, sub, 0);
		}
		snprintf(sub, sizeof(sub), "%s/index.db", tmp);
		unlinkat(w->dirfd, sub, 0);
		snprintf(sub, sizeof(sub), "%s/index.db-journal", tmp);
		unlinkat(w->dirfd, sub, 0);
		unlinkat(w->dirfd, tmp, AT_REMOVEDIR);
	}
	free(dbpath);
	return rc;
}

