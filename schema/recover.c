/* recover.c - finish a capture a crash left behind (capw__recover).
 *
 * What a crash can leave (FORMAT.md, "Writer"): a hot index.db-journal (a
 * commit in progress), and whole blocks in the segments past each
 * segments.bytes, or a whole segment file the index never heard of, because
 * the batch that named them was not committed.  Recovery lets SQLite roll the
 * journal back, then walks every segment from its indexed end and indexes the
 * whole, decodable blocks it finds, in one transaction (a block whose frame
 * is damaged is stepped over by its header).  It never deletes or
 * truncates: bytes it cannot use stay where they are, unindexed.
 *
 * Without index.db, it makes a new one from catalog.db (the metadata
 * tables capw keeps beside it) and indexes every block of every segment.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capw.h"
#include "segname.h"
#include "cap_internal.h"
#include "index_sql.h"
#include "capschema.h"

/* Damaged blocks of a segment named one by one; the rest are counted. */
#define RECOVER_SAY_DAMAGED 5

struct rec_ctx {
	const char *dir;
	const char *file;
	sqlite3 *db;
	int fd;
	int64_t seg_id;
	uint64_t end;               /* end of the last block indexed */
	uint64_t added;
	uint64_t damaged;           /* the segment's damaged blocks, left unindexed */
	struct block_seq *seq;     /* the segment's blocks in order: chains followed */
	uint8_t *buf;
	size_t buf_cap;
	sqlite3_stmt *st_block, *st_bs;
};

static int sql_fail(struct rec_ctx *c, const char *what)
{
	cap_warn("%s/index.db: %s: %s", c->dir, what, sqlite3_errmsg(c->db));
	return -EIO;
}

static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Per stream of one decoded block: count and time range. */
struct sstat { uint32_t stream, count; uint64_t min_ts, max_ts; };

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = ((const struct sstat *)a)->stream, y = ((const struct sstat *)b)->stream;
	return x < y ? -1 : x > y;
}

/* One block found past the index: decode it (only intact blocks are
 * indexed), then add its rows.  A positive return stops the walk quietly. */
static int rec_block(uint64_t off, const struct cap_block_meta *m, void *ctx)
{
	struct rec_ctx *c = ctx;
	const struct cap_rec *recs;
	uint32_t n;
	char why[256];

	if (c->buf_cap < m->enc_bytes) {
		void *p = realloc(c->buf, m->enc_bytes);
		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->buf_cap = m->enc_bytes;
	}
	if (pread(c->fd, c->buf, m->enc_bytes, (off_t)off) != (ssize_t)m->enc_bytes) {
		cap_warn("%s/%s: block at offset %" PRIu64 " cannot be read: stopping this "
			 "segment's recovery there", c->dir, c->file, off);
		return 1;
	}
	/* A block the index has: decoded only for what a chained block after
	 * it may continue (chains do not leave their segment). */
	if (off < c->end) {
		block_seq__decode(c->seq, c->buf, m->enc_bytes, &recs, &n, why, sizeof(why));
		return 0;
	}
	/* Its header is whole (the walk checked it) and says where the next
	 * block starts: a damaged frame stays unindexed, the walk goes on. */
	if (block_seq__decode(c->seq, c->buf, m->enc_bytes, &recs, &n, why, sizeof(why))) {
		/* the first few said, the rest counted (rec_segment says how
		 * many): a badly damaged segment does not flood the terminal */
		if (++c->damaged <= RECOVER_SAY_DAMAGED)
			cap_warn("%s/%s: block at offset %" PRIu64 " is damaged (%s): left "
				 "unindexed%s", c->dir, c->file, off, why,
				 c->damaged == RECOVER_SAY_DAMAGED ? "; further damaged blocks of this "
				 "segment are only counted" : "");
		return 0;
	}

	/* Records come grouped by stream: one pass gives the groups. */
	struct sstat ss[CAP_BLOCK_MAX_STREAMS];
	uint32_t ns = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!ns || ss[ns - 1].stream != recs[i].stream) {
			if (ns == CAP_BLOCK_MAX_STREAMS)
				return 1;
			ss[ns++] = (struct sstat){ recs[i].stream, 0, UINT64_MAX, 0 };
		}
		struct sstat *s = &ss[ns - 1];
		s->count++;
		s->min_ts = recs[i].ts_ns < s->min_ts ? recs[i].ts_ns : s->min_ts;
		s->max_ts = recs[i].ts_ns > s->max_ts ? recs[i].ts_ns : s->max_ts;
	}
	qsort(ss, ns, sizeof(ss[0]), cmp_u32);

	sqlite3_stmt *st = c->st_block;
	sqlite3_bind_int64(st, 1, c->seg_id);
	sqlite3_bind_int64(st, 2, (int64_t)off);
	sqlite3_bind_int64(st, 3, m->enc_bytes);
	sqlite3_bind_int64(st, 4, m->raw_bytes);
	sqlite3_bind_int64(st, 5, m->nrecords);
	sqlite3_bind_int64(st, 6, (int64_t)m->min_ts_ns);
	sqlite3_bind_int64(st, 7, (int64_t)m->max_ts_ns);
	if (step_reset(st))
		return sql_fail(c, "insert block");
	int64_t id = sqlite3_last_insert_rowid(c->db);
	for (uint32_t i = 0; i < ns; i++) {
		sqlite3_bind_int64(c->st_bs, 1, id);
		sqlite3_bind_int64(c->st_bs, 2, ss[i].stream);
		sqlite3_bind_int64(c->st_bs, 3, ss[i].count);
		sqlite3_bind_int64(c->st_bs, 4, (int64_t)ss[i].min_ts);
		sqlite3_bind_int64(c->st_bs, 5, (int64_t)ss[i].max_ts);
		if (step_reset(c->st_bs))
			return sql_fail(c, "insert block_streams");
	}
	c->end = off + m->enc_bytes;
	c->added++;
	return 0;
}

/* Whether a block at or past the indexed end is chained (encoding 4): a
 * look at the header of the first one. */
static bool seg_has_chains(int fd, uint64_t end)
{
	uint8_t h[CAP_BLOCK_HDR_BYTES];

	if (end < CAP_SEG_HDR_BYTES)
		end = CAP_SEG_HDR_BYTES;
	return pread(fd, h, sizeof(h), (off_t)end) == (ssize_t)sizeof(h) &&
	       !block__parse_header(h, sizeof(h), NULL, NULL) &&
	       cap_block_encoding_chained(h[6] | (unsigned)h[7] << 8);
}

/* Walks one segment from its indexed end (or, when a block there is
 * chained, from its start); updates segments.bytes. */
static int rec_segment(struct rec_ctx *c, int64_t seg_id, const char *file, uint64_t bytes)
{
	char path[4096 + 64], why[256];
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	/* (O_NONBLOCK: a FIFO in a capture directory, which an attacker may
	 * name as a segment, would block the open until a writer came;
	 * cap_segment_scan_fd_from refuses anything but a regular file) */
	c->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (c->fd < 0) {
		cap_warn("%s: %s (skipped)", path, strerror(errno));
		return 0;
	}
	c->file = file;
	c->seg_id = seg_id;
	c->damaged = 0;
	c->end = bytes < CAP_SEG_HDR_BYTES ? CAP_SEG_HDR_BYTES : bytes;
	/* From the start: the blocks already indexed are decoded again only
	 * in a capture with chained blocks (a chained block past the index may
	 * continue one of them). */
	block_seq__reset(c->seq);
	/* the descriptor just opened, not the name again: the file checked
	 * is the file read */
	rc = cap_segment_scan_fd_from(c->fd, path,
				      seg_has_chains(c->fd, bytes) ? CAP_SEG_HDR_BYTES : c->end,
				      rec_block, c, NULL, why, sizeof(why));
	close(c->fd);
	c->fd = -1;
	if (c->damaged > RECOVER_SAY_DAMAGED)
		cap_warn("%s: %" PRIu64 " damaged blocks left unindexed, %" PRIu64 " of them only "
			 "counted", path, c->damaged, c->damaged - RECOVER_SAY_DAMAGED);
	if (rc < 0 && rc != -EBADMSG)
		return rc;
	if (rc == -EBADMSG)
		cap_warn("%s (left in place, unindexed)", why);
	if (sqlite3_prepare_v2(c->db, "UPDATE segments SET bytes = ?2 WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return sql_fail(c, "prepare");
	sqlite3_bind_int64(st, 1, seg_id);
	sqlite3_bind_int64(st, 2, (int64_t)c->end);
	rc = step_reset(st) ? sql_fail(c, "update segment") : 0;
	sqlite3_finalize(st);
	return rc;
}

/* seg-NNNNNN.bpfrec files in dir that no segments row names: the crash hit
 * between creating one and committing its row.  In ring mode, a file
 * numbered at or below meta 'ring_dropped_through' was dropped (rows
 * committed, the crash came before the unlink): it stays out. */
static int rec_orphans(struct rec_ctx *c)
{
	uint32_t dropped = cap_segment__dropped_through(c->db);
	uint32_t *nos;
	size_t nnos;
	int rc;

	if ((rc = cap_segment__list(c->dir, &nos, &nnos)))
		return rc;
	for (size_t i = 0; !rc && i < nnos; i++) {
		char name[CAP_SEG_NAME_MAX];

		cap_segment__name(nos[i], name);
		if (nos[i] <= dropped) {
			cap_warn("%s/%s: dropped by ring mode before the crash (not indexed; safe to "
				 "delete)", c->dir, name);
			continue;
		}
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM segments WHERE file = ?1", -1, &st,
				       NULL) != SQLITE_OK) {
			rc = sql_fail(c, "prepare");
			break;
		}
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		bool known = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (known)
			continue;
		if (sqlite3_prepare_v2(c->db, "INSERT INTO segments (file, bytes) VALUES (?1, ?2)",
				       -1, &st, NULL) != SQLITE_OK) {
			rc = sql_fail(c, "prepare");
			break;
		}
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, CAP_SEG_HDR_BYTES);
		rc = step_reset(st) ? sql_fail(c, "insert segment") : 0;
		sqlite3_finalize(st);
		if (!rc)
			rc = rec_segment(c, sqlite3_last_insert_rowid(c->db), name,
					 CAP_SEG_HDR_BYTES);
	}
	free(nos);
	return rc;
}

/* index.db is gone: makes a new one at dbpath from DIR/catalog.db, the
 * copy of the metadata tables capw writes beside it, for the recovery to
 * index every segment's blocks into.  The catalog holds no losses: the new
 * index says so (meta 'losses_unknown').  The catalog is read as untrusted
 * input (defensive connection, its rows must fit the index's tables). */
/* Opens path writable, defensively (no triggers, untrusted schema): a
 * capture may come from someone else.  NULL after a message. */
static sqlite3 *rec_open(const char *path, int flags)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | flags,
			    NULL) != SQLITE_OK) {
		cap_warn("%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	return db;
}

static int rebuild_index(const char *dir, const char *dbpath)
{
	char *cat = NULL, why_buf[512];
	const char *why = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -EIO;

	if (asprintf(&cat, "%s/catalog.db", dir) < 0)
		return -ENOMEM;
	if (access(cat, F_OK)) {
		rc = -ENOENT;
		cap_warn("%s: %s, and there is no %s to rebuild it from (recovery needs the "
			 "streams)", dbpath, strerror(ENOENT), cat);
		free(cat);
		return rc;
	}
	if (!(db = rec_open(dbpath, SQLITE_OPEN_CREATE)))
		goto out;
	if (sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS cat", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, cat, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	/* Plain tables only, exactly as the writer makes them: no view,
	 * trigger, virtual table or generated column of a catalog that came
	 * with someone else's capture gets to run (capschema.h). */
	if (cap_schema__check(db, "cat", CAP_SCHEMA_CATALOG, cat, why_buf, sizeof(why_buf))) {
		why = why_buf;
		goto fail;
	}
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, cap_index_sql, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	/* A stack row that does not fit is left out, not the capture. */
	if (cap_catalog_exec(db, "INSERT INTO main.%s SELECT * FROM cat.%s",
			     "INSERT OR IGNORE INTO main.%s SELECT * FROM cat.%s", "cat") ||
	    sqlite3_exec(db, "INSERT OR REPLACE INTO meta (key, value) VALUES "
			 "('rebuilt_from_catalog', '1'), ('losses_unknown', '1')", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "DETACH DATABASE cat", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	cap_warn("%s: rebuilt from %s (sessions, objects, streams, stacks, user names, "
		 "programs); the losses recorded before were only in the lost index: unknown",
		 dbpath, cat);
	rc = 0;
	goto out;
fail:
	cap_warn("%s: cannot rebuild it from %s: %s", dbpath, cat, why ? why : sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	db = NULL;
	unlink(dbpath);   /* our own half-made file, nothing of the capture's */
out:
	sqlite3_close(db);
	free(cat);
	return rc;
}

int capw__recover(const char *dir, uint64_t *recovered_blocks)
{
	struct rec_ctx c = { .dir = dir, .fd = -1 };
	sqlite3_stmt *st = NULL;
	char *dbpath = NULL;
	int rc = -EIO;

	if (asprintf(&dbpath, "%s/index.db", dir) < 0)
		return -ENOMEM;
	if (access(dbpath, F_OK)) {
		if (errno == ENOENT) {
			rc = rebuild_index(dir, dbpath);   /* says why when it cannot */
		} else {
			rc = -errno;
			cap_warn("%s: %s (recovery needs the index: it holds the streams)", dbpath,
				 strerror(errno));
		}
		if (rc) {
			free(dbpath);
			return rc;
		}
	}
	if (!(c.db = rec_open(dbpath, 0)))
		goto out;
	/* Before any other statement: the schema is exactly bpfrec's. */
	char why[512];
	if ((rc = cap_schema__check(c.db, "main", CAP_SCHEMA_INDEX, dbpath, why, sizeof(why)))) {
		cap_warn("%s", why);
		goto out;
	}
	rc = -EIO;
	c.seq = block_seq__new(CAP_BLOCK_MAX_RAW);
	if (!c.seq) {
		rc = -ENOMEM;
		goto out;
	}
	/* The first statement rolls a hot journal back. */
	if (sqlite3_exec(c.db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c.db, "SELECT value FROM meta WHERE key = 'format_version'", -1,
			       &st, NULL) != SQLITE_OK) {
		rc = sql_fail(&c, "not a bpfrec index");
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0) ?: "", "1")) {
		cap_warn("%s: not a version 1 capture index", dbpath);
		rc = -EPROTONOSUPPORT;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(c.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c.db, "INSERT INTO blocks (segment_id, offset, enc_bytes, raw_bytes, "
			       "nrecords, min_ts, max_ts) VALUES (?1,?2,?3,?4,?5,?6,?7)", -1,
			       &c.st_block, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c.db, "INSERT INTO block_streams (block_id, stream_id, nrecords, "
			       "min_ts, max_ts) VALUES (?1,?2,?3,?4,?5)", -1, &c.st_bs,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c.db, "SELECT id, file, bytes FROM segments ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = sql_fail(&c, "prepare");
		goto out;
	}
	/* Read the rows first: recovery updates them. */
	struct { int64_t id; uint64_t bytes; char *file; } *segs = NULL;
	size_t nsegs = 0;
	rc = 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *file = (const char *)sqlite3_column_text(st, 1);
		/* The writer makes plain names; refuse anything else. */
		if (!file || !*file || strchr(file, '/') || strstr(file, "..")) {
			cap_warn("%s: segment name '%s' refused", dbpath, file ? file : "");
			rc = -EBADMSG;
			break;
		}
		void *p = realloc(segs, (nsegs + 1) * sizeof(*segs));
		if (!p || !(file = strdup(file))) {
			free(p ? p : segs);
			segs = NULL;
			nsegs = 0;
			rc = -ENOMEM;
			break;
		}
		segs = p;
		segs[nsegs].id = sqlite3_column_int64(st, 0);
		segs[nsegs].bytes = (uint64_t)sqlite3_column_int64(st, 2);
		segs[nsegs++].file = (char *)file;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < nsegs; i++) {
		if (!rc)
			rc = rec_segment(&c, segs[i].id, segs[i].file, segs[i].bytes);
		free(segs[i].file);
	}
	free(segs);
	if (!rc)
		rc = rec_orphans(&c);
	/* meta 'recovered_blocks': this capture went through recovery (and how
	 * much it found).  Also a write in every run, so that SQLite replaces
	 * and deletes a journal the crash left that was not hot (its header
	 * never finished: the database was untouched), which readers refuse. */
	if (!rc) {
		if (sqlite3_prepare_v2(c.db, "INSERT OR REPLACE INTO meta (key, value) VALUES "
				       "('recovered_blocks', CAST(?1 + coalesce((SELECT CAST(value AS "
				       "INTEGER) FROM meta WHERE key = 'recovered_blocks'), 0) AS TEXT))",
				       -1, &st, NULL) != SQLITE_OK) {
			rc = sql_fail(&c, "prepare");
		} else {
			sqlite3_bind_int64(st, 1, (int64_t)c.added);
			if (step_reset(st))
				rc = sql_fail(&c, "record the recovery");
			sqlite3_finalize(st);
			st = NULL;
		}
	}
	if (!rc && sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = sql_fail(&c, "commit");
	if (rc)
		sqlite3_exec(c.db, "ROLLBACK", NULL, NULL, NULL);
	else if (recovered_blocks)
		*recovered_blocks = c.added;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(c.st_block);
	sqlite3_finalize(c.st_bs);
	if (c.db)
		sqlite3_close(c.db);
	block_seq__free(c.seq);
	free(c.buf);
	free(dbpath);
	return rc;
}
