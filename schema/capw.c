/* capw.c - write a capture directory: segment files + index.db.  Ring mode
 * is in capw_ring.c, snapshots in capw_snapshot.c, catalog.db in
 * capw_catalog.c; the state they share in capw_internal.h.
 *
 * Invariants:
 *  - A block is indexed only after its bytes are in the segment file, and a
 *    flush fdatasyncs the segment before it commits the index: every block
 *    the committed index names is on disk.
 *  - After a failed segment write the file is truncated back to the end of
 *    the last whole block and the writer stops ("stopped"): later blocks are
 *    refused with the same error, metadata and close still work.
 *  - Ring mode (capw_opts.ring_bytes / ring_ns): the oldest whole segments
 *    are dropped, rows first (blocks, block_streams, segments, in the batch,
 *    then committed by a flush), file second (unlinked only after that
 *    commit).  So every committed index names only files that exist, and a
 *    crash between the two leaves a file no row names, which meta
 *    'ring_dropped_through' tells recovery to leave alone.  The open segment
 *    is never dropped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capw_internal.h"
#include "cap_internal.h"
#include "index_sql.h"

#define DEFAULT_SEGMENT_BYTES (256ull << 20)

/* Room kept for finishing the index on a full disk: a file of up to
 * CAPW_RESERVE_BYTES made before the first block, deleted when a write or a commit first
 * fails for lack of space, so that the commits that close the capture (the
 * loss rows of what could not be written, the end time, catalog.db) still
 * fit.  Deleted at close in any case. */
#define CAPW_RESERVE_NAME "reserve.tmp"
#define CAPW_RESERVE_BYTES (256u << 10)

uint64_t capw_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int note_err(struct capw *w, int rc)
{
	if (rc && !w->first_err)
		w->first_err = rc;
	return rc;
}

/* Gives the reserved room back (see CAPW_RESERVE_NAME); true if it did. */
static bool release_reserve(struct capw *w)
{
	if (!w->reserved)
		return false;
	w->reserved = false;
	return unlinkat(w->dirfd, CAPW_RESERVE_NAME, 0) == 0;
}

static void make_reserve(struct capw *w)
{
	int fd = openat(w->dirfd, CAPW_RESERVE_NAME,
			O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return;
	/* As much as fits, down to 16 KiB: a small disk gets a small reserve. */
	for (off_t n = CAPW_RESERVE_BYTES; n >= (16 << 10); n /= 2) {
		if (posix_fallocate(fd, 0, n) == 0) {
			w->reserved = true;
			break;
		}
	}
	close(fd);
	if (!w->reserved)
		unlinkat(w->dirfd, CAPW_RESERVE_NAME, 0);
}

static int push_lossrow(struct capw_lossrow **v, size_t *n, size_t *cap,
			const struct capw_lossrow *row)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct capw_lossrow *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *row;
	return 0;
}

/* The open batch is gone (rolled back): its blocks are in the segment but
 * not in the index; its loss rows wait in orphan_losses to be written
 * again (requeue_losses). */
static void batch_lost(struct capw *w)
{
	w->stats.records -= w->batch_records;
	w->stats.unindexed_records += w->batch_records;
	w->stats.losses -= w->batch_losses;
	w->batch_records = w->batch_losses = 0;
	for (size_t i = 0; i < w->nbatch_loss_rows; i++)
		/* Out of memory: that row stays uncounted in the index, and the
		 * recorder's summary says how many events are neither here nor
		 * counted lost. */
		(void)push_lossrow(&w->orphan_losses, &w->norphan_losses, &w->orphan_losses_cap,
				   &w->batch_loss_rows[i]);
	w->nbatch_loss_rows = 0;
}

static int add_loss_row(struct capw *w, const struct capw_lossrow *row);
static int commit(struct capw *w);

/* Puts the loss rows of rolled-back batches into the open batch (opening
 * one).  With commit_now, commits them at once on their own: after a
 * batch that did not fit, a transaction of a few rows still does, since
 * the rolled-back batch's room in the write-ahead log is free again. */
static int requeue_losses(struct capw *w, bool commit_now)
{
	struct capw_lossrow *rows = w->orphan_losses;
	size_t n = w->norphan_losses;
	int rc = 0;

	if (!n || w->requeueing)
		return 0;
	w->requeueing = true;
	/* Taken over: a failure below may hand rows back to orphan_losses. */
	w->orphan_losses = NULL;
	w->norphan_losses = w->orphan_losses_cap = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		rc = add_loss_row(w, &rows[i]);
		for (size_t j = i; rc && j < n; j++)   /* not in the batch: orphans still */
			(void)push_lossrow(&w->orphan_losses, &w->norphan_losses,
					   &w->orphan_losses_cap, &rows[j]);
	}
	free(rows);
	if (!rc && commit_now)
		rc = commit(w);   /* a failure hands the rows back to orphan_losses */
	w->requeueing = false;
	return rc;
}

/* SQLite failure: one line naming index.db and the cause; -errno.  Only
 * failures that lose data (commit, blocks) are kept for capw__close: a
 * refused metadata row is the caller's to handle. */
int capw_db_err(struct capw *w, const char *what)
{
	int code = sqlite3_errcode(w->db);
	int rc = (code == SQLITE_FULL) ? -ENOSPC : (code == SQLITE_NOMEM) ? -ENOMEM : -EIO;

	cap_warn("%s/index.db: %s: %s", w->dir, what, sqlite3_errmsg(w->db));
	/* A full disk: the reserve makes room for the rows that account for
	 * what is not written, and for the last commit. */
	if (code == SQLITE_FULL)
		release_reserve(w);
	/* SQLite may have rolled the whole batch back (SQLITE_FULL, IOERR). */
	if (w->in_txn && sqlite3_get_autocommit(w->db)) {
		w->in_txn = false;
		batch_lost(w);
	}
	return rc;
}

int capw_exec(struct capw *w, const char *sql)
{
	if (sqlite3_exec(w->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return capw_db_err(w, sql);
	return 0;
}

int capw_begin(struct capw *w)
{
	if (w->in_txn)
		return 0;
	if (capw_exec(w, "BEGIN IMMEDIATE"))
		return -EIO;
	w->in_txn = true;
	return 0;
}

static int commit(struct capw *w)
{
	if (!w->in_txn)
		return 0;
	/* A COMMIT that runs out of room is not retried: SQLite's pager is
	 * in its error state after a failed write, and a second COMMIT fails
	 * without writing.  The batch rolls back; the reserve then gives its
	 * room to what accounts for it (requeue_losses) and to the end. */
	int src = sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		int rc = note_err(w, capw_db_err(w, "commit"));
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		w->in_txn = false;
		batch_lost(w);
		release_reserve(w);
		/* The batch may have held the open segment's row: later blocks
		 * could not be indexed consistently.  Stop; the unindexed tail
		 * of the segment is recoverable by a scan. */
		if (!w->stopped)
			w->stopped = rc;
		/* Its losses must stay counted: written again on their own. */
		(void)requeue_losses(w, true);
		return rc;
	}
	w->in_txn = false;
	w->batch_records = w->batch_losses = 0;
	w->nbatch_loss_rows = 0;
	return 0;
}

/* Runs a prepared statement to completion and resets it. */
static int step(struct capw *w, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return capw_db_err(w, what);
	return 0;
}

static int prepare(struct capw *w, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return capw_db_err(w, "prepare");
	return 0;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

struct capw *capw__create(const char *dir, const struct capw_opts *opts)
{
	struct capw *w = NULL;
	char *dbpath = NULL;
	int rc, err = 0;

	if (mkdir(dir, 0755)) {
		err = errno;
		if (err != EEXIST) {
			cap_warn("%s: cannot create capture directory: %s", dir, strerror(err));
			goto fail;
		}
		rc = dir_is_empty(dir);
		if (rc <= 0) {
			err = rc < 0 ? -rc : EEXIST;
			cap_warn("%s: %s", dir, rc < 0 ? strerror(err) :
				 "exists and is not empty (choose a new capture directory)");
			goto fail;
		}
		err = 0;
	}

	w = calloc(1, sizeof(*w));
	if (!w) {
		err = ENOMEM;
		goto fail;
	}
	w->seg_fd = -1;
	w->dirfd = -1;
	if (!(w->dir = strdup(dir)) || asprintf(&dbpath, "%s/index.db", dir) < 0) {
		err = ENOMEM;
		dbpath = NULL;
		goto fail;
	}
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		err = errno;
		cap_warn("%s: %s", dir, strerror(err));
		goto fail;
	}
	if (opts)
		w->opts = *opts;
	if (!w->opts.segment_bytes)
		w->opts.segment_bytes = DEFAULT_SEGMENT_BYTES;
	if (w->opts.ring_bytes) {
		/* A drop frees a segment: make segments a fraction of the ring. */
		uint64_t seg = w->opts.ring_bytes / RING_SEGS, floor = RING_SEG_MIN;

		if (floor > w->opts.ring_bytes / 2)
			floor = w->opts.ring_bytes / 2;
		if (seg < floor)
			seg = floor;
		if (seg < w->opts.segment_bytes)
			w->opts.segment_bytes = seg;
	}
	w->enc = block_encoder__new(w->opts.zstd_level);
	if (!w->enc) {
		err = errno;
		cap_warn("%s: zstd level %d: %s", dir, w->opts.zstd_level, strerror(err));
		goto fail;
	}
	block_encoder__chain(w->enc, w->opts.chain_blocks);

	rc = sqlite3_open_v2(dbpath, &w->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
			     SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		cap_warn("%s: %s", dbpath, w->db ? sqlite3_errmsg(w->db) : sqlite3_errstr(rc));
		err = EIO;
		goto fail;
	}
	/* Someone reading the live index (sqlite3, a test) holds a shared lock
	 * for a moment: the commit waits for it rather than fail. */
	sqlite3_busy_timeout(w->db, 10000);
	/* Small pages: the index's rows are small, and its empty schema then
	 * takes 20 KiB, not 80, which matters on a small disk.
	 * WAL while recording, so that readers see a consistent prefix and
	 * never block a commit; DELETE again at close, so that a finished
	 * capture is one file: FORMAT.md, "index.db".  WAL from the first
	 * statement: a reader arriving while the schema is made sees an empty
	 * live index, not a rollback journal it must take for a crash.  main
	 * only: catalog.tmp, attached to write catalog.db, keeps the default
	 * (one file).  The log is checkpointed every 64 pages and kept under
	 * 256 KiB. */
	if (capw_exec(w, "PRAGMA page_size=1024")) {
		err = EIO;
		goto fail;
	}
	if (capw_exec(w, "PRAGMA main.journal_mode=WAL") || capw_exec(w, "PRAGMA wal_autocheckpoint=64") ||
	    capw_exec(w, "PRAGMA main.journal_size_limit=262144"))
		cap_warn("%s/index.db: stays in rollback mode: readers must wait for the "
			 "recording's end", dir);
	if (capw_exec(w, "PRAGMA synchronous=FULL") || capw_begin(w) || capw_exec(w, cap_index_sql)) {
		err = EIO;
		goto fail;
	}
	sqlite3_stmt *st;
	if (prepare(w, "INSERT INTO meta (key, value) VALUES (?1, ?2)", &st)) {
		err = EIO;
		goto fail;
	}
	char ver[16];
	snprintf(ver, sizeof(ver), "%d", CAP_FORMAT_VERSION);
	char ring_bytes[24], ring_ns[24];
	snprintf(ring_bytes, sizeof(ring_bytes), "%" PRIu64, w->opts.ring_bytes);
	snprintf(ring_ns, sizeof(ring_ns), "%" PRIu64, w->opts.ring_ns);
	const char *kv[][2] = {
		{ "format_version", ver },
		{ "writer", "bpfrec " BPFREC_VERSION },
		{ "ring_bytes", ring_bytes },   /* only in ring mode: see nkv */
		{ "ring_ns", ring_ns },
	};
	size_t nkv = w->opts.ring_bytes || w->opts.ring_ns ? 4 : 2;
	for (size_t i = 0; i < nkv; i++) {
		sqlite3_bind_text(st, 1, kv[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, kv[i][1], -1, SQLITE_STATIC);
		if (step(w, st, "insert meta")) {
			sqlite3_finalize(st);
			err = EIO;
			goto fail;
		}
	}
	sqlite3_finalize(st);
	if (commit(w)) {
		err = EIO;
		goto fail;
	}
	/* The schema into index.db now, and the log emptied: otherwise it is
	 * only in the log until the first checkpoint, and turning the index
	 * back into one file at close must then find room for all of it at
	 * once while the log still holds it (a full small disk could not).
	 * No reader can hold a snapshot yet; if one does, the log stays. */
	sqlite3_exec(w->db, "PRAGMA main.wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (prepare(w, "INSERT INTO blocks (segment_id, offset, enc_bytes, raw_bytes, nrecords, "
		       "min_ts, max_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &w->st_block) ||
	    prepare(w, "INSERT INTO block_streams (block_id, stream_id, nrecords, min_ts, max_ts) "
		       "VALUES (?1, ?2, ?3, ?4, ?5)", &w->st_bstream) ||
	    prepare(w, "UPDATE segments SET bytes = ?2 WHERE id = ?1", &w->st_segbytes) ||
	    prepare(w, "INSERT INTO losses (stream_id, cpu, ts, count) VALUES (?1, ?2, ?3, ?4)",
		    &w->st_loss) ||
	    prepare(w, "SAVEPOINT blk", &w->st_blk_save) ||
	    prepare(w, "RELEASE blk", &w->st_blk_release)) {
		err = EIO;
		goto fail;
	}
	free(dbpath);
	return w;
fail:
	free(dbpath);
	if (w) {
		if (w->db && w->in_txn)   /* never commit half a schema */
			sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		w->in_txn = false;
		w->first_err = 0;
		capw__close(w, 0);
	}
	errno = err ? err : EIO;
	return NULL;
}

/* Metadata calls commit at once unless a batch is open (then they join it). */
static int meta_begin(struct capw *w, bool *own)
{
	*own = !w->in_txn;
	return capw_begin(w);
}

static int meta_end(struct capw *w, bool own, int rc)
{
	if (!rc)
		w->catalog_dirty = true;
	if (!own)
		return rc;
	if (rc) {
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
		w->in_txn = false;
		return rc;
	}
	return commit(w);
}

int capw__set_session(struct capw *w, const struct cap_session *s)
{
	sqlite3_stmt *st = NULL;
	bool own;
	int rc;

	if (w->session_id) {
		cap_warn("%s/index.db: session already set", w->dir);
		return -EEXIST;
	}
	if ((rc = meta_begin(w, &own)))
		return rc;
	rc = prepare(w, "INSERT INTO sessions (host, kernel_release, boot_id, cmdline, tool_version, "
		        "clock_boot_ns, clock_real_ns, start_ns) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)", &st);
	if (!rc) {
		const char *txt[] = { s->host, s->kernel_release, s->boot_id, s->cmdline, s->tool_version };
		for (int i = 0; i < 5; i++)
			sqlite3_bind_text(st, i + 1, txt[i] ? txt[i] : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 6, (int64_t)s->clock_boot_ns);
		sqlite3_bind_int64(st, 7, (int64_t)s->clock_real_ns);
		sqlite3_bind_int64(st, 8, (int64_t)s->start_ns);
		rc = step(w, st, "insert session");
		if (!rc)
			w->session_id = sqlite3_last_insert_rowid(w->db);
	}
	sqlite3_finalize(st);
	return meta_end(w, own, rc);
}

int capw__add_object(struct capw *w, const char *name, const char *path,
		     const void *btf, uint32_t btf_bytes, uint32_t *id)
{
	sqlite3_stmt *st = NULL;
	bool own;
	int rc;

	if (!name) {
		cap_warn("%s/index.db: object without a name", w->dir);
		return -EINVAL;
	}
	if ((rc = meta_begin(w, &own)))
		return rc;
	rc = prepare(w, "INSERT INTO objects (name, path, btf) VALUES (?1, ?2, ?3)", &st);
	if (!rc) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		bind_text_or_null(st, 2, path);
		if (btf)
			sqlite3_bind_blob(st, 3, btf, (int)btf_bytes, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 3);
		rc = step(w, st, "insert object");
		if (!rc && id)
			*id = (uint32_t)sqlite3_last_insert_rowid(w->db);
	}
	sqlite3_finalize(st);
	return meta_end(w, own, rc);
}

int capw__add_stream(struct capw *w, const struct cap_stream_desc *d, uint32_t *id)
{
	sqlite3_stmt *st = NULL;
	bool own;
	int rc;

	if (!d->name || !d->kind || !d->map_name) {
		cap_warn("%s/index.db: stream %s: name, kind and map_name are required", w->dir,
			 d->name ? d->name : "(null)");
		return -EINVAL;
	}
	if ((rc = meta_begin(w, &own)))
		return rc;
	rc = prepare(w, "INSERT INTO streams (name, kind, object_id, map_name, type_name, type_id, "
		        "ts_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st);
	if (!rc) {
		sqlite3_bind_text(st, 1, d->name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, d->kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, d->object_id);
		sqlite3_bind_text(st, 4, d->map_name, -1, SQLITE_TRANSIENT);
		bind_text_or_null(st, 5, d->type_name);
		sqlite3_bind_int64(st, 6, d->type_id);
		sqlite3_bind_int64(st, 7, d->ts_offset);
		rc = step(w, st, "insert stream");
		if (!rc && id)
			*id = (uint32_t)sqlite3_last_insert_rowid(w->db);
	}
	sqlite3_finalize(st);
	return meta_end(w, own, rc);
}

/* Writes all of buf at off; -errno on failure (short writes retried). */
int capw_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Stops segment writing after a write failure: truncates the partial block
 * away so the segment ends with a whole block.  Returns rc. */
static int seg_fail(struct capw *w, const char *what, int rc)
{
	if (w->seg_fd >= 0 && ftruncate(w->seg_fd, (off_t)w->seg_off))
		cap_warn("%s/%s: truncate to %" PRIu64 ": %s", w->dir, w->seg_name, w->seg_off,
			 strerror(errno));
	cap_warn("%s/%s: %s: %s; recording stopped, %" PRIu64 " blocks kept", w->dir,
		 w->seg_name, what, strerror(-rc), w->stats.blocks);
	w->stopped = rc;
	release_reserve(w);
	return note_err(w, rc);
}

static int held_push(struct capw *w)
{
	uint64_t now = capw_boot_ns();

	if (w->nsegs == w->segs_cap) {
		size_t cap = w->segs_cap ? w->segs_cap * 2 : 16;
		void *p = realloc(w->segs, cap * sizeof(*w->segs));

		if (!p)
			return -ENOMEM;
		w->segs = p;
		w->segs_cap = cap;
	}
	w->segs[w->nsegs++] = (struct seg_held){ .id = w->seg_id, .no = w->seg_no,
		.bytes = w->seg_off, .opened_ns = now, .last_write_ns = now };
	w->held_bytes += w->seg_off;
	return 0;
}

static int seg_close(struct capw *w)
{
	int rc = 0;

	if (w->seg_fd < 0)
		return 0;
	if (fdatasync(w->seg_fd)) {
		rc = -errno;
		cap_warn("%s/%s: fdatasync: %s", w->dir, w->seg_name, strerror(errno));
		note_err(w, rc);
	}
	close(w->seg_fd);
	w->seg_fd = -1;
	return rc;
}

static int seg_open_next(struct capw *w)
{
	uint8_t hdr[CAP_SEG_HDR_BYTES];
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = seg_close(w)))
		return rc;
	w->seg_no++;
	cap_segment__name(w->seg_no, w->seg_name);
	w->seg_fd = openat(w->dirfd, w->seg_name,
			   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (w->seg_fd < 0) {
		rc = -errno;
		cap_warn("%s/%s: create: %s", w->dir, w->seg_name, strerror(errno));
		w->stopped = rc;
		return note_err(w, rc);
	}
	w->seg_off = 0;
	w->dir_dirty = true;
	cap_segment__fill_header(hdr);
	rc = capw_pwrite_all(w->seg_fd, hdr, sizeof(hdr), 0);
	if (rc) {
		/* No row names it yet: the file, not even a header, goes. */
		rc = seg_fail(w, "write header", rc);
		close(w->seg_fd);
		w->seg_fd = -1;
		unlinkat(w->dirfd, w->seg_name, 0);
		return rc;
	}
	w->seg_off = sizeof(hdr);
	w->seg_nblocks = 0;
	w->stats.written_bytes += sizeof(hdr);

	if ((rc = capw_begin(w)))
		return rc;
	rc = prepare(w, "INSERT INTO segments (file, bytes) VALUES (?1, ?2)", &st);
	if (!rc) {
		sqlite3_bind_text(st, 1, w->seg_name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)w->seg_off);
		rc = step(w, st, "insert segment");
		w->seg_id = sqlite3_last_insert_rowid(w->db);
	}
	sqlite3_finalize(st);
	if (rc) {
		/* No row names it (a full disk): the file, a bare header, goes,
		 * so that the capture holds no file its index does not know. */
		close(w->seg_fd);
		w->seg_fd = -1;
		unlinkat(w->dirfd, w->seg_name, 0);
		w->stats.written_bytes -= sizeof(hdr);
		w->stopped = rc;
		return note_err(w, rc);
	}
	return held_push(w);
}

static void bstream_cb(uint32_t stream, uint32_t count, uint64_t min_ts, uint64_t max_ts,
		       void *ctx)
{
	struct capw *w = ctx;
	sqlite3_stmt *st = w->st_bstream;

	if (w->cb_rc)
		return;
	sqlite3_bind_int64(st, 1, w->cur_block);
	sqlite3_bind_int64(st, 2, stream);
	sqlite3_bind_int64(st, 3, count);
	sqlite3_bind_int64(st, 4, (int64_t)min_ts);
	sqlite3_bind_int64(st, 5, (int64_t)max_ts);
	w->cb_rc = step(w, st, "insert block_streams");
}

static int append_encoded(struct capw *w, const struct blockbuf *b, const uint8_t *out,
			  size_t len, const struct cap_block_meta *mp);

int capw__write_block(struct capw *w, const struct blockbuf *b)
{
	return capw__append_chained(w, b, w->enc, NULL, 0, NULL);
}

int capw__append_chained(struct capw *w, const struct blockbuf *b, struct block_encoder *enc,
			 const uint8_t *out, size_t len, const struct cap_block_meta *mp)
{
	struct cap_block_meta m;
	int rc;

	if (!blockbuf__count(b))
		return 0;
	if (w->stopped) {
		capw__add_block_loss(w, b);
		return w->stopped;
	}
	for (int again = 0;; again++) {
		if (out && !again) {   /* encoded already, by the caller */
			m = *mp;
			rc = 0;
		} else {
			rc = block_encoder__encode(enc, b, &out, &len, &m);
		}
		if (rc == -EPROTO) {   /* it would not read back: counted, not written */
			block_encoder__chain_break(enc);
			return capw__add_block_loss(w, b);
		}
		if (rc) {
			cap_warn("%s: encode block: %s", w->dir, strerror(-rc));
			capw__add_block_loss(w, b);
			return note_err(w, rc);
		}
		rc = append_encoded(w, b, out, len, &m);
		if (!rc && len > 7 && cap_block_encoding_chained(out[6] | (unsigned)out[7] << 8))
			w->chain_misses = 0;
		/* Its base is not in the segment it goes to (a new one): the
		 * block is encoded again, starting a chain.  When that keeps
		 * happening (segments of about one block), its encoder stops
		 * chaining: every block would be encoded twice for nothing. */
		if (rc != -EXDEV || again)
			break;
		w->stats.chain_reencoded++;
		if (++w->chain_misses >= CAPW_CHAIN_MISSES)
			block_encoder__chain(enc, 1);
		block_encoder__chain_break(enc);
	}
	if (rc) {
		block_encoder__chain_break(enc);
		capw__add_block_loss(w, b);
	}
	return rc;
}

/* capw__append_encoded but for the accounting: 0 when the block is written
 * and in the batch, else -errno and the block is in neither. */
static int append_encoded(struct capw *w, const struct blockbuf *b, const uint8_t *out,
			  size_t len, const struct cap_block_meta *mp)
{
	struct cap_block_meta m = *mp;
	int rc;

	if (w->stopped)
		return w->stopped;
	/* catalog.db before the first block: a capture whose index is lost
	 * or never finished (a full disk) can always be rebuilt.  Then the
	 * room for the last commits is set aside. */
	if (!w->first_block_done) {
		w->first_block_done = true;
		if (w->catalog_dirty && !commit(w))
			capw_write_catalog(w);
		make_reserve(w);
	}
	uint64_t now = capw_boot_ns();
	/* With ring_ns a segment spans at most ring_ns / RING_SEGS, so that
	 * time-based drops free a fraction of the ring too. */
	bool aged = w->opts.ring_ns && w->seg_fd >= 0 && w->nsegs &&
		    now - w->segs[w->nsegs - 1].opened_ns >= w->opts.ring_ns / RING_SEGS;
	if (w->seg_fd < 0 || (w->seg_off > CAP_SEG_HDR_BYTES &&
			      (aged || w->seg_off + len > w->opts.segment_bytes))) {
		if ((rc = seg_open_next(w)))
			return rc;
	}
	if (ring_mode(w)) {
		bool dropped = false;

		/* Make room first: the ring never holds more than ring_bytes
		 * (unless one block alone is larger). */
		if ((rc = capw_ring_enforce(w, len, now, &dropped)) ||
		    (dropped && (rc = capw__flush(w))))
			return note_err(w, rc);
		if (w->seg_fd < 0 && (rc = seg_open_next(w)))   /* the flush closed an aged one */
			return rc;
	}
	if (len > 7 && cap_block_encoding_chained(out[6] | (unsigned)out[7] << 8)) {   /* chained: its base in this segment's last blocks */
		uint32_t crc = 0, n = w->seg_nblocks < CAP_CHAIN_BACK ? w->seg_nblocks : CAP_CHAIN_BACK;
		bool found = false;

		if (block__base_crc(out, len, &crc))
			return -EXDEV;
		for (uint32_t i = 0; i < n && !found; i++)
			found = w->seg_crcs[i] == crc;
		if (!found)
			return -EXDEV;
	}
	rc = capw_pwrite_all(w->seg_fd, out, len, w->seg_off);
	if (rc)
		return seg_fail(w, "write", rc);

	/* A savepoint per block: a failure takes back this block's rows only. */
	if ((rc = capw_begin(w)) || (rc = step(w, w->st_blk_save, "SAVEPOINT blk")))
		goto unindexed;
	sqlite3_stmt *st = w->st_block;
	sqlite3_bind_int64(st, 1, w->seg_id);
	sqlite3_bind_int64(st, 2, (int64_t)w->seg_off);
	sqlite3_bind_int64(st, 3, m.enc_bytes);
	sqlite3_bind_int64(st, 4, m.raw_bytes);
	sqlite3_bind_int64(st, 5, m.nrecords);
	sqlite3_bind_int64(st, 6, (int64_t)m.min_ts_ns);
	sqlite3_bind_int64(st, 7, (int64_t)m.max_ts_ns);
	if ((rc = step(w, st, "insert block")))
		goto unindexed;
	w->cur_block = sqlite3_last_insert_rowid(w->db);
	w->cb_rc = 0;
	blockbuf__for_each_stream(b, bstream_cb, w);
	if ((rc = w->cb_rc))
		goto unindexed;
	sqlite3_bind_int64(w->st_segbytes, 1, w->seg_id);
	sqlite3_bind_int64(w->st_segbytes, 2, (int64_t)(w->seg_off + len));
	if ((rc = step(w, w->st_segbytes, "update segment size")) ||
	    (rc = step(w, w->st_blk_release, "RELEASE blk")))
		goto unindexed;

	w->seg_off += len;
	w->seg_crcs[w->seg_nblocks++ % CAP_CHAIN_BACK] = (uint32_t)out[44] | (uint32_t)out[45] << 8 |
						       (uint32_t)out[46] << 16 |
						       (uint32_t)out[47] << 24;
	w->stats.blocks++;
	w->stats.records += m.nrecords;
	w->batch_records += m.nrecords;
	w->stats.raw_bytes += m.raw_bytes;
	w->stats.written_bytes += len;
	if (w->nsegs) {
		struct seg_held *s = &w->segs[w->nsegs - 1];

		if (!s->first_block)
			s->first_block = w->cur_block;
		s->last_block = w->cur_block;
		s->bytes = w->seg_off;
		s->last_write_ns = now;
		w->held_bytes += len;
	}
	return 0;

unindexed:
	/* The index cannot take the block: keep segment and index in step. */
	if (sqlite3_get_autocommit(w->db)) {
		w->in_txn = false;   /* SQLite rolled the whole batch back (e.g. disk full) */
		batch_lost(w);
	} else {
		sqlite3_exec(w->db, "ROLLBACK TO blk", NULL, NULL, NULL);
		sqlite3_exec(w->db, "RELEASE blk", NULL, NULL, NULL);
	}
	return seg_fail(w, "index the block", rc);
}

int capw__append_encoded(struct capw *w, const struct blockbuf *b, const uint8_t *out,
			 size_t len, const struct cap_block_meta *m)
{
	int rc;

	if (!blockbuf__count(b))
		return 0;
	rc = append_encoded(w, b, out, len, m);
	/* Not written, or not indexed: its records are counted as lost. */
	if (rc)
		capw__add_block_loss(w, b);
	return rc;
}

static int add_loss_row(struct capw *w, const struct capw_lossrow *row)
{
	sqlite3_stmt *st = w->st_loss;
	int rc;

	if ((rc = capw_begin(w)))
		return rc;
	sqlite3_bind_int64(st, 1, row->stream);
	if (row->cpu == CAP_CPU_UNKNOWN)
		sqlite3_bind_null(st, 2);
	else
		sqlite3_bind_int64(st, 2, row->cpu);
	sqlite3_bind_int64(st, 3, (int64_t)row->ts_ns);
	sqlite3_bind_int64(st, 4, row->count > INT64_MAX ? INT64_MAX : (int64_t)row->count);
	if ((rc = step(w, st, "insert loss")))
		return rc;
	w->stats.losses += row->count;
	w->batch_losses += row->count;
	/* Out of memory: the row is in the batch, only not kept for a retry. */
	(void)push_lossrow(&w->batch_loss_rows, &w->nbatch_loss_rows, &w->batch_loss_rows_cap,
			   row);
	return 0;
}

int capw__add_loss(struct capw *w, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		   uint64_t count)
{
	struct capw_lossrow row = { stream, cpu, ts_ns, count };

	if (!count)
		return 0;
	return add_loss_row(w, &row);
}

struct block_loss {
	struct capw *w;
	int rc;
};

static void block_loss_cb(uint32_t stream, uint32_t count, uint64_t min_ts, uint64_t max_ts,
			  void *ctx)
{
	struct block_loss *bl = ctx;
	int rc = capw__add_loss(bl->w, stream, CAP_CPU_UNKNOWN, max_ts, count);

	if (rc && !bl->rc)
		bl->rc = rc;
}

int capw__add_block_loss(struct capw *w, const struct blockbuf *b)
{
	struct block_loss bl = { w, 0 };

	blockbuf__for_each_stream(b, block_loss_cb, &bl);
	w->stats.unwritten_records += blockbuf__count(b);
	return bl.rc;
}

/* ---- stacks and symbols ---- */

enum { SYM_STACK, SYM_STACK_PID, SYM_FILE, SYM_MAP, SYM_SYMBOL, SYM_LINE, SYM_REMAP };

static sqlite3_stmt *sym_stmt(struct capw *w, int which)
{
	static const char *const sql[] = {
		"INSERT OR REPLACE INTO stack_traces (id, kind, frames) VALUES (?1, ?2, ?3)",
		"INSERT OR IGNORE INTO stack_pids (stack_id, pid) VALUES (?1, ?2)",
		"INSERT INTO sym_files (id, kind, path, build_id, size, pid, symbols) "
		"VALUES (?7, ?1, ?2, ?3, ?4, ?5, ?6)",
		"INSERT INTO proc_maps (pid, start_addr, end_addr, file_offset, file_id) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
		"INSERT OR IGNORE INTO symbols (file_id, addr, size, name) VALUES (?1, ?2, ?3, ?4)",
		"INSERT OR IGNORE INTO lines (file_id, addr, size, line, src) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
		"UPDATE proc_maps SET file_id = ?4 WHERE pid = ?1 AND start_addr = ?2 AND "
		"end_addr = ?3",
	};

	if (!w->st_sym[which] && prepare(w, sql[which], &w->st_sym[which]))
		return NULL;
	if (capw_begin(w))
		return NULL;
	w->catalog_dirty = true;   /* catalog.db copies the stack tables too */
	return w->st_sym[which];
}

int capw__add_stack(struct capw *w, uint32_t id, int kernel, const uint64_t *ips, uint32_t n)
{
	sqlite3_stmt *st = sym_stmt(w, SYM_STACK);
	uint8_t *blob;
	int rc;

	if (!st)
		return -EIO;
	blob = malloc(n ? (size_t)n * 8 : 1);
	if (!blob)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		cap_put_le64(blob + 8 * i, ips[i]);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, kernel ? "kernel" : "user", -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, blob, (int)(n * 8), SQLITE_TRANSIENT);
	rc = step(w, st, "insert stack");
	free(blob);
	return rc;
}

int capw__add_stack_pid(struct capw *w, uint32_t stack_id, uint32_t pid)
{
	sqlite3_stmt *st = sym_stmt(w, SYM_STACK_PID);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, stack_id);
	sqlite3_bind_int64(st, 2, pid);
	return step(w, st, "insert stack pid");
}

int capw__add_symfile(struct capw *w, const struct cap_symfile *f, uint32_t *id)
{
	sqlite3_stmt *st = sym_stmt(w, SYM_FILE);
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, f->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, f->path, -1, SQLITE_TRANSIENT);
	bind_text_or_null(st, 3, f->build_id && *f->build_id ? f->build_id : NULL);
	if (f->size >= 0)
		sqlite3_bind_int64(st, 4, f->size);
	if (f->pid >= 0)
		sqlite3_bind_int64(st, 5, f->pid);
	sqlite3_bind_text(st, 6, f->symbols, -1, SQLITE_TRANSIENT);
	if (f->id)
		sqlite3_bind_int64(st, 7, f->id);
	rc = step(w, st, "insert symbol file");
	if (!rc && id)
		*id = (uint32_t)sqlite3_last_insert_rowid(w->db);
	return rc;
}

int capw__add_mapping(struct capw *w, uint32_t pid, uint64_t start, uint64_t end,
		      uint64_t file_offset, uint32_t file_id)
{
	sqlite3_stmt *st = sym_stmt(w, SYM_MAP);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_int64(st, 2, (int64_t)start);
	sqlite3_bind_int64(st, 3, (int64_t)end);
	sqlite3_bind_int64(st, 4, (int64_t)file_offset);
	sqlite3_bind_int64(st, 5, file_id);
	return step(w, st, "insert mapping");
}

int capw__set_mapping_file(struct capw *w, uint32_t pid, uint64_t start, uint64_t end,
			   uint32_t file_id)
{
	sqlite3_stmt *st = sym_stmt(w, SYM_REMAP);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_int64(st, 2, (int64_t)start);
	sqlite3_bind_int64(st, 3, (int64_t)end);
	sqlite3_bind_int64(st, 4, file_id);
	return step(w, st, "update mapping");
}

int capw__add_symbol(struct capw *w, uint32_t file_id, uint64_t addr, uint64_t size,
		     const char *name)
{
	sqlite3_stmt *st = sym_stmt(w, SYM_SYMBOL);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, (int64_t)addr);
	sqlite3_bind_int64(st, 3, (int64_t)size);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
	return step(w, st, "insert symbol");
}

int capw__add_line(struct capw *w, uint32_t file_id, uint64_t addr, uint64_t size,
		   uint32_t line, const char *src)
{
	sqlite3_stmt *st = sym_stmt(w, SYM_LINE);

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, (int64_t)addr);
	sqlite3_bind_int64(st, 3, (int64_t)size);
	sqlite3_bind_int64(st, 4, line);
	sqlite3_bind_text(st, 5, src, -1, SQLITE_TRANSIENT);
	return step(w, st, "insert line");
}

int capw__flush(struct capw *w)
{
	uint64_t now = capw_boot_ns();
	bool dropped = false, rotate = false;
	int rc = 0;

	/* ring_ns: a segment past its span is closed here, even when no block
	 * follows, so that it can age out; old segments are dropped. */
	if (w->opts.ring_ns && !w->stopped && w->seg_fd >= 0 && w->nsegs &&
	    w->segs[w->nsegs - 1].first_block &&
	    now - w->segs[w->nsegs - 1].opened_ns >= w->opts.ring_ns / RING_SEGS)
		rotate = true;
	if (w->seg_fd >= 0 && fdatasync(w->seg_fd)) {
		rc = -errno;
		cap_warn("%s/%s: fdatasync: %s", w->dir, w->seg_name, strerror(errno));
		note_err(w, rc);
		/* Do not index what may not be on disk. */
		if (w->in_txn) {
			sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
			w->in_txn = false;
			batch_lost(w);
		}
		w->stopped = rc;
		w->nunlink = 0;   /* their rows were rolled back */
		return rc;
	}
	if (rotate) {
		close(w->seg_fd);   /* synced just above */
		w->seg_fd = -1;
	}
	if (ring_mode(w) && !w->stopped) {
		/* A failed drop is warned about; the segment stays, the batch commits. */
		(void)capw_ring_enforce(w, 0, now, &dropped);
	}
	/* A new segment's directory entry must be durable too. */
	if (w->dir_dirty) {
		if (fsync(w->dirfd)) {
			rc = -errno;
			cap_warn("%s: fsync: %s", w->dir, strerror(errno));
			note_err(w, rc);
		}
		w->dir_dirty = false;
	}
	/* Losses of an earlier batch that rolled back go with this one. */
	(void)requeue_losses(w, false);
	rc = commit(w);
	if (rc)
		w->nunlink = 0;   /* rolled back: the rows name the files still */
	else
		capw_ring_unlink_dropped(w);
	if (!rc && w->catalog_dirty && !w->stopped)
		capw_write_catalog(w);
	return rc;
}

int capw__finish(struct capw *w, uint64_t end_ns)
{
	if (w->finished)
		return w->first_err;
	w->finished = true;
	bool ended = false;
	if (w->db && w->session_id && w->st_block) {
		sqlite3_stmt *st = NULL;
		if (!capw_begin(w) &&
		    !prepare(w, "UPDATE sessions SET end_ns = ?2 WHERE id = ?1", &st)) {
			sqlite3_bind_int64(st, 1, w->session_id);
			sqlite3_bind_int64(st, 2, (int64_t)end_ns);
			if (!step(w, st, "record end time"))
				w->catalog_dirty = ended = true;
		}
		sqlite3_finalize(st);
	}
	if (w->db && !capw__flush(w) && ended)
		w->stats.end_recorded = 1;
	return w->first_err;
}

int capw__close(struct capw *w, uint64_t end_ns)
{
	int rc;

	if (!w)
		return 0;
	capw__finish(w, end_ns);
	seg_close(w);
	/* One file again: checkpoints the WAL into index.db and removes it.
	 * It needs the file to itself: a reader still on a snapshot makes it
	 * fail at once (no busy handler here), so it is retried for up to 10 s. */
	for (int tries = 0; w->db && !w->in_txn; tries++) {
		int src = sqlite3_exec(w->db, "PRAGMA main.journal_mode=DELETE", NULL, NULL, NULL);

		if (src == SQLITE_OK)
			break;
		if (((src & 0xff) != SQLITE_BUSY && (src & 0xff) != SQLITE_LOCKED) || tries == 1000) {
			cap_warn("%s/index.db: stays in WAL mode (%s): it opens as it is; "
				 "'bpfreplay recover' makes it one file", w->dir, sqlite3_errmsg(w->db));
			break;
		}
		usleep(10000);
	}
	sqlite3_finalize(w->st_block);
	sqlite3_finalize(w->st_bstream);
	sqlite3_finalize(w->st_segbytes);
	sqlite3_finalize(w->st_loss);
	sqlite3_finalize(w->st_blk_save);
	sqlite3_finalize(w->st_blk_release);
	for (size_t i = 0; i < sizeof(w->st_sym) / sizeof(w->st_sym[0]); i++)
		sqlite3_finalize(w->st_sym[i]);
	if (w->db && sqlite3_close(w->db) != SQLITE_OK)
		note_err(w, capw_db_err(w, "close"));
	if (w->dirfd >= 0) {
		release_reserve(w);
		close(w->dirfd);
	}
	block_encoder__free(w->enc);
	free(w->batch_loss_rows);
	free(w->orphan_losses);
	free(w->segs);
	free(w->unlink_nos);
	rc = w->first_err;
	free(w->dir);
	free(w);
	return rc;
}

void capw__stats(const struct capw *w, struct capw_stats *st)
{
	*st = w->stats;
	st->held_bytes = w->held_bytes;
	st->dropped_blocks = w->dropped_blocks;
	st->dropped_records = w->dropped_records;
}
