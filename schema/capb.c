/* capb.c - write a bundle (capb.h; layout: FORMAT.md, "Bundle").
 *
 * The whole bundle is one transaction on a fresh file with no journal
 * (journal_mode=OFF): a failure leaves a temporary file that capb__abort
 * removes, never a half bundle under the target name.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capb.h"
#include "cap_internal.h"
#include "index_sql.h"

/* The tables a bundle adds to schema/index.sql. */
const char cap_bundle_sql[] =
	"CREATE TABLE block_data (\n"
	"    block_id  INTEGER PRIMARY KEY,     -- blocks.id\n"
	"    data      BLOB NOT NULL            -- the block as a segment holds it: header + zstd frame\n"
	");\n"
	"CREATE TABLE bundle (\n"
	"    key    TEXT PRIMARY KEY NOT NULL,  -- what was sliced and redacted: FORMAT.md\n"
	"    value  TEXT NOT NULL\n"
	") WITHOUT ROWID;\n";

struct capb {
	char *path;                 /* target name */
	char *tmp;                  /* the file being written */
	sqlite3 *db;
	struct block_encoder *enc;
	struct block_decoder *dec;
	sqlite3_stmt *st_block, *st_bs, *st_data, *st_kv;
	uint64_t blocks, records;
};

static int db_fail(struct capb *b, const char *what, char *err, size_t errlen)
{
	int code = sqlite3_errcode(b->db);

	cap_seterr(err, errlen, "%s: %s: %s", b->tmp, what, sqlite3_errmsg(b->db));
	return code == SQLITE_FULL ? -ENOSPC : code == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

struct capb *capb__create(const char *path, int zstd_level, char *err, size_t errlen)
{
	struct capb *b = calloc(1, sizeof(*b));
	int rc = -ENOMEM, fd;

	if (!b || !(b->path = strdup(path)) ||
	    asprintf(&b->tmp, "%s.tmp.%d", path, (int)getpid()) < 0) {
		if (b)
			b->tmp = NULL;
		cap_seterr(err, errlen, "out of memory");
		goto fail;
	}
	struct stat st;
	if (!lstat(path, &st)) {
		rc = -EEXIST;
		cap_seterr(err, errlen, "%s: exists (choose a new file name)", path);
		goto fail;
	}
	fd = open(b->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = -errno;
		cap_seterr(err, errlen, "%s: %s", b->tmp, strerror(errno));
		free(b->tmp);
		b->tmp = NULL;   /* not ours: do not remove it */
		goto fail;
	}
	close(fd);
	if (!(b->enc = block_encoder__new(zstd_level)) ||
	    !(b->dec = block_decoder__new(CAP_BLOCK_MAX_RAW))) {
		cap_seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (sqlite3_open_v2(b->tmp, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
			    SQLITE_OPEN_EXRESCODE, NULL) != SQLITE_OK) {
		rc = -EIO;
		cap_seterr(err, errlen, "%s: %s", b->tmp, b->db ? sqlite3_errmsg(b->db) : "cannot open");
		goto fail;
	}
	char ver[16];
	snprintf(ver, sizeof(ver), "%d", CAP_FORMAT_VERSION);
	/* Pages of 1 KiB, as index.db's: each of the ~25 tables takes a page
	 * at least, and a bundle for a bug report is often small (a /bin/true
	 * capture's: 112 KiB in pages of 4 KiB).  Blobs read as fast. */
	if (sqlite3_exec(b->db, "PRAGMA page_size=1024; PRAGMA journal_mode=OFF; "
			 "PRAGMA synchronous=OFF; BEGIN",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(b->db, cap_index_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(b->db, cap_bundle_sql, NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_fail(b, "create tables", err, errlen);
		goto fail;
	}
	sqlite3_stmt *mst = NULL;
	if (sqlite3_prepare_v2(b->db, "INSERT INTO meta (key, value) VALUES ('format_version', ?1),"
			       " ('writer', 'bpfreplay bundle " BPFREC_VERSION "')", -1, &mst,
			       NULL) != SQLITE_OK) {
		rc = db_fail(b, "meta", err, errlen);
		goto fail;
	}
	sqlite3_bind_text(mst, 1, ver, -1, SQLITE_TRANSIENT);
	rc = step_reset(mst);
	sqlite3_finalize(mst);
	if (rc) {
		rc = db_fail(b, "meta", err, errlen);
		goto fail;
	}
	if (sqlite3_prepare_v2(b->db, "INSERT INTO blocks (segment_id, offset, enc_bytes, raw_bytes,"
			       " nrecords, min_ts, max_ts) VALUES (0, 0, ?1, ?2, ?3, ?4, ?5)", -1,
			       &b->st_block, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b->db, "INSERT INTO block_streams (block_id, stream_id, nrecords,"
			       " min_ts, max_ts) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &b->st_bs,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b->db, "INSERT INTO block_data (block_id, data) VALUES (?1, ?2)", -1,
			       &b->st_data, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b->db, "INSERT OR REPLACE INTO bundle (key, value) VALUES (?1, ?2)",
			       -1, &b->st_kv, NULL) != SQLITE_OK) {
		rc = db_fail(b, "prepare", err, errlen);
		goto fail;
	}
	return b;
fail:
	capb__abort(b);
	errno = -rc;
	return NULL;
}

sqlite3 *capb__db(struct capb *b)
{
	return b->db;
}

int capb__add_encoded(struct capb *b, const void *blk, size_t len, char *err, size_t errlen)
{
	const struct cap_rec *recs;
	struct cap_block_meta m;
	uint32_t n;
	char why[256];
	int rc;

	if (block__parse_header(blk, len, NULL, &m) ||
	    block_decoder__decode(b->dec, blk, len, &recs, &n, why, sizeof(why))) {
		if (block__parse_header(blk, len, NULL, &m))
			snprintf(why, sizeof(why), "bad block header");
		cap_seterr(err, errlen, "damaged block refused: %s", why);
		return -EBADMSG;
	}
	sqlite3_bind_int64(b->st_block, 1, m.enc_bytes);
	sqlite3_bind_int64(b->st_block, 2, m.raw_bytes);
	sqlite3_bind_int64(b->st_block, 3, m.nrecords);
	sqlite3_bind_int64(b->st_block, 4, (int64_t)m.min_ts_ns);
	sqlite3_bind_int64(b->st_block, 5, (int64_t)m.max_ts_ns);
	if (step_reset(b->st_block))
		return db_fail(b, "insert block", err, errlen);
	int64_t id = sqlite3_last_insert_rowid(b->db);

	/* The decoder hands records out grouped by stream, in ascending ids. */
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i, stream = recs[i].stream;
		uint64_t lo = UINT64_MAX, hi = 0;
		for (; j < n && recs[j].stream == stream; j++) {
			lo = recs[j].ts_ns < lo ? recs[j].ts_ns : lo;
			hi = recs[j].ts_ns > hi ? recs[j].ts_ns : hi;
		}
		sqlite3_bind_int64(b->st_bs, 1, id);
		sqlite3_bind_int64(b->st_bs, 2, stream);
		sqlite3_bind_int64(b->st_bs, 3, j - i);
		sqlite3_bind_int64(b->st_bs, 4, (int64_t)lo);
		sqlite3_bind_int64(b->st_bs, 5, (int64_t)hi);
		if ((rc = step_reset(b->st_bs)))
			return db_fail(b, "insert block_streams", err, errlen);
		i = j;
	}
	sqlite3_bind_int64(b->st_data, 1, id);
	sqlite3_bind_blob64(b->st_data, 2, blk, len, SQLITE_STATIC);
	if (step_reset(b->st_data))
		return db_fail(b, "insert block_data", err, errlen);
	b->blocks++;
	b->records += n;
	return 0;
}

int capb__write_block(struct capb *b, const struct blockbuf *bb, char *err, size_t errlen)
{
	const uint8_t *out;
	size_t len;
	int rc;

	if (!blockbuf__count(bb))
		return 0;
	if ((rc = block_encoder__encode(b->enc, bb, &out, &len, NULL))) {
		cap_seterr(err, errlen, "%s: encode block: %s", b->tmp, strerror(-rc));
		return rc;
	}
	return capb__add_encoded(b, out, len, err, errlen);
}

int capb__set(struct capb *b, const char *key, const char *value)
{
	sqlite3_bind_text(b->st_kv, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(b->st_kv, 2, value ? value : "", -1, SQLITE_TRANSIENT);
	return step_reset(b->st_kv);
}

void capb__counts(const struct capb *b, uint64_t *blocks, uint64_t *records)
{
	*blocks = b->blocks;
	*records = b->records;
}

static void finalize_all(struct capb *b)
{
	sqlite3_finalize(b->st_block);
	sqlite3_finalize(b->st_bs);
	sqlite3_finalize(b->st_data);
	sqlite3_finalize(b->st_kv);
	b->st_block = b->st_bs = b->st_data = b->st_kv = NULL;
}

/* fsync of a file or directory by name; -errno. */
static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

int capb__finish(struct capb *b, char *err, size_t errlen)
{
	int rc = 0;

	finalize_all(b);
	if (sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_fail(b, "commit", err, errlen);
		goto out;
	}
	if (sqlite3_close(b->db) != SQLITE_OK) {
		rc = db_fail(b, "close", err, errlen);
		goto out;
	}
	b->db = NULL;
	if ((rc = sync_path(b->tmp, O_RDONLY))) {
		cap_seterr(err, errlen, "%s: fsync: %s", b->tmp, strerror(-rc));
		goto out;
	}
	/* Never replace a file that appeared meanwhile. */
	if (renameat2(AT_FDCWD, b->tmp, AT_FDCWD, b->path, RENAME_NOREPLACE)) {
		rc = -errno;
		if (errno == EINVAL && !link(b->tmp, b->path)) {   /* fs without NOREPLACE */
			unlink(b->tmp);
			rc = 0;
		} else {
			cap_seterr(err, errlen, "%s: %s", b->path, strerror(errno));
			goto out;
		}
	}
	free(b->tmp);
	b->tmp = NULL;
	char *dup = strdup(b->path);
	if (dup) {
		sync_path(dirname(dup), O_RDONLY | O_DIRECTORY);
		free(dup);
	}
out:
	capb__abort(b);
	return rc;
}

void capb__abort(struct capb *b)
{
	if (!b)
		return;
	finalize_all(b);
	if (b->db)
		sqlite3_close(b->db);
	if (b->tmp)
		unlink(b->tmp);
	block_encoder__free(b->enc);
	block_decoder__free(b->dec);
	free(b->tmp);
	free(b->path);
	free(b);
}
