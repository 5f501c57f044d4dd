/* capr.c - read a capture (untrusted input).
 *
 * Trust model: the capture directory may come from anyone (a bug report).
 * index.db is opened immutable, read-only, defensive, without triggers or
 * views, and its schema is checked to be exactly bpfrec's before any other
 * statement (capschema.h: nothing in the file is ever run); segment names
 * must be plain
 * file names, opened with O_NOFOLLOW relative to the directory; every block
 * read is bounded by the segment's real size and by CAPR_MAX_RAW_BYTES of
 * decoded data.
 *
 * A bundle (FORMAT.md, "Bundle") is the same index in one regular file,
 * opened the same way, with each block's bytes in the block_data table
 * instead of a segment: read through sqlite3_blob, bounded the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capr.h"
#include "cap_internal.h"
#include "capschema.h"

struct capr_seg {
	int64_t id;
	char *file;             /* plain name, checked */
	int fd;                 /* -1: not opened yet */
	int open_rc;            /* -errno once opening failed: reported per block */
	uint64_t size;          /* real file size at open */
	char open_err[192];
};

/* What recent blocks of a chained capture left (encoding 4), by block. */
#define CHAIN_CACHE 4
struct chain_slot {
	int64_t block_id;       /* -1: empty */
	int64_t segment_id;
	uint64_t offset;
	uint64_t used;          /* for the least recently used */
	uint64_t gen;           /* the cursor's projection it was decoded under */
	uint32_t crc;           /* the block's header CRC */
	struct block_dicts *st;
};

struct capr_cursor {
	struct capr *r;
	struct block_decoder *dec;
	uint8_t *buf;           /* one encoded block */
	size_t buf_cap;
	size_t last_len;        /* bytes of the last block read successfully, 0: none */
	/* Chained dictionaries: the last blocks' (a writer's chains interleave
	 * when it encodes on several threads), and a cursor of its own that
	 * decodes the bases a block needs and no cache holds. */
	struct chain_slot cache[CHAIN_CACHE];
	uint64_t tick;
	struct capr_cursor *chain;
	/* The projection its blocks are decoded under (capr__cursor_want), and
	 * its generation: a projected decode leaves the dictionaries that
	 * projection needs (block.h, decode_chain), so a cached state serves
	 * blocks of the same generation, or any when it is whole. */
	struct block_want want;
	uint64_t *want_words;   /* want.words' copy */
	uint64_t gen;
	bool chain_full;        /* a block needed more than a projection left
				 * (-ESTALE): leave whole dictionaries */
};

struct capr {
	char *path;
	int dirfd;              /* -1 for a bundle */
	int bundle;             /* path is a bundle file (blocks in block_data) */
	char *dbname;           /* the SQLite file, for messages: PATH/index.db or PATH */
	sqlite3 *db;
	struct capr_seg *segs;  /* ascending id */
	size_t nsegs;
	struct cap_block_info *blocks;
	size_t nblocks;
	struct capr_cursor *main;   /* for capr__read_block */
	/* Cursors given back, kept with their buffers: a statement opens its
	 * cursors afresh, and new multi-MiB decode buffers cost page faults on
	 * every block of a short query (10-20% of a 1% time range). */
	struct capr_cursor *spare[CAPR_SPARE_CURSORS];
	uint32_t nspare;
	uint64_t decoded;
	size_t max_enc;
	bool chained;           /* an encoding-4 block was seen: keep dictionaries
				 * (atomic: cursors may read on several threads) */
	uint32_t *by_pos;       /* block indexes by (segment, offset) */
};

static int build_by_pos(struct capr *r);
static bool seen_chained(struct capr *r);

/* Percent-encodes path into a file: URI with the given query. */
static char *make_uri(const char *path, const char *query)
{
	size_t n = strlen(path);
	char *u = malloc(5 + 3 * n + strlen(query) + 1), *p = u;

	if (!u)
		return NULL;
	p += sprintf(p, "file:");
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("/._~-", *s))
			*p++ = (char)*s;
		else
			p += sprintf(p, "%%%02X", *s);
	}
	strcpy(p, query);
	return u;
}

/* A segment file name from the index: one plain path component. */
static bool plain_name(const unsigned char *s, int bytes)
{
	if (!s || bytes <= 0 || bytes > 255 || (int)strlen((const char *)s) != bytes)
		return false;
	if (strchr((const char *)s, '/') || strstr((const char *)s, ".."))
		return false;
	return strcmp((const char *)s, ".") != 0;
}

static int load_meta(struct capr *r, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT value FROM meta WHERE key = 'format_version'", -1,
			       &st, NULL) != SQLITE_OK) {
		cap_seterr(err, errlen, "%s: not a bpfrec index (%s)", r->dbname,
			   sqlite3_errmsg(r->db));
		return -EBADMSG;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		cap_seterr(err, errlen, "%s: no format_version in meta (not a bpfrec capture?)",
			   r->dbname);
		sqlite3_finalize(st);
		return -EBADMSG;
	}
	const char *v = (const char *)sqlite3_column_text(st, 0);
	char *end = NULL;
	long ver = v ? strtol(v, &end, 10) : -1;
	if (!v || !*v || *end || ver < 1) {
		cap_seterr(err, errlen, "%s: unknown format version '%.32s'", r->dbname,
			   v ? v : "");
		rc = -EPROTONOSUPPORT;
	} else if (ver > CAP_FORMAT_VERSION) {
		cap_seterr(err, errlen, "%s: format version %ld is newer than this build "
			   "reads (%d): upgrade bpfrec", r->dbname, ver, CAP_FORMAT_VERSION);
		rc = -EPROTONOSUPPORT;
	} else {
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int load_segments(struct capr *r, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if (r->bundle)
		return 0;   /* blocks live in block_data; any segments rows are ignored */
	if (sqlite3_prepare_v2(r->db, "SELECT id, file FROM segments ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK) {
		cap_seterr(err, errlen, "%s: segments: %s", r->dbname, sqlite3_errmsg(r->db));
		return -EBADMSG;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 1);
		int bytes = sqlite3_column_bytes(st, 1);
		if (!plain_name(name, bytes)) {
			cap_seterr(err, errlen, "%s: segment %lld: file name '%.64s' is not a "
				   "plain name inside the capture (refused)", r->dbname,
				   (long long)sqlite3_column_int64(st, 0), name ? (const char *)name : "");
			rc = -EBADMSG;
			goto out;
		}
		if (r->nsegs == cap) {
			cap = cap ? 2 * cap : 8;
			void *p = realloc(r->segs, cap * sizeof(*r->segs));
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			r->segs = p;
		}
		struct capr_seg *s = &r->segs[r->nsegs];
		*s = (struct capr_seg){ .id = sqlite3_column_int64(st, 0), .fd = -1 };
		s->file = strdup((const char *)name);
		if (!s->file) {
			rc = -ENOMEM;
			goto out;
		}
		r->nsegs++;
	}
	rc = rc == SQLITE_DONE ? 0 : -EIO;
	if (rc)
		cap_seterr(err, errlen, "%s: segments: %s", r->dbname, sqlite3_errmsg(r->db));
out:
	if (rc == -ENOMEM)
		cap_seterr(err, errlen, "out of memory");
	sqlite3_finalize(st);
	return rc;
}

static int load_blocks(struct capr *r, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT id, segment_id, offset, enc_bytes, raw_bytes, nrecords, "
			       "min_ts, max_ts FROM blocks ORDER BY min_ts, id", -1, &st,
			       NULL) != SQLITE_OK) {
		cap_seterr(err, errlen, "%s: blocks: %s", r->dbname, sqlite3_errmsg(r->db));
		return -EBADMSG;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t v[8];
		for (int i = 0; i < 8; i++)
			v[i] = sqlite3_column_int64(st, i);
		if (v[2] < 0 || v[3] < CAP_BLOCK_HDR_BYTES || v[3] > UINT32_MAX || v[4] < 0 ||
		    v[4] > UINT32_MAX || v[5] < 0 || v[5] > UINT32_MAX) {
			cap_seterr(err, errlen, "%s: block %lld: offset or sizes out of range",
				   r->dbname, (long long)v[0]);
			rc = -EBADMSG;
			goto out;
		}
		if (r->nblocks == cap) {
			cap = cap ? 2 * cap : 64;
			void *p = realloc(r->blocks, cap * sizeof(*r->blocks));
			if (!p) {
				cap_seterr(err, errlen, "out of memory");
				rc = -ENOMEM;
				goto out;
			}
			r->blocks = p;
		}
		r->blocks[r->nblocks++] = (struct cap_block_info){
			.id = v[0],
			.segment_id = v[1],
			.offset = (uint64_t)v[2],
			.meta = {
				.enc_bytes = (uint32_t)v[3],
				.raw_bytes = (uint32_t)v[4],
				.nrecords = (uint32_t)v[5],
				.min_ts_ns = (uint64_t)v[6],
				.max_ts_ns = (uint64_t)v[7],
			},
		};
	}
	rc = rc == SQLITE_DONE ? 0 : -EIO;
	if (rc)
		cap_seterr(err, errlen, "%s: blocks: %s", r->dbname, sqlite3_errmsg(r->db));
out:
	sqlite3_finalize(st);
	return rc;
}

/* Bytes the capture's files really hold: the bundle, or index.db and the
 * segments the index names (a missing one counts 0). */
static uint64_t capture_bytes(const struct capr *r)
{
	struct stat st;
	uint64_t total = 0;

	if (r->bundle)
		return !stat(r->dbname, &st) ? (uint64_t)st.st_size : 0;
	if (!fstatat(r->dirfd, "index.db", &st, AT_SYMLINK_NOFOLLOW))
		total += (uint64_t)st.st_size;
	for (size_t i = 0; i < r->nsegs; i++)
		if (!fstatat(r->dirfd, r->segs[i].file, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	return total;
}

static int cmp_place(const void *a, const void *b)
{
	const struct cap_block_info *x = *(const struct cap_block_info *const *)a,
				    *y = *(const struct cap_block_info *const *)b;

	if (x->segment_id != y->segment_id)
		return x->segment_id < y->segment_id ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The work a reader may be made to do is bounded by the capture's size
 * (FORMAT.md, "Reader (capr) rules"): no two index rows share or overlap
 * bytes of a segment (each byte is decoded once), and the records and
 * decoded bytes the index promises stay within CAPR_MAX_RECORDS_PER_BYTE
 * and CAPR_MAX_RAW_PER_BYTE times the capture's real size, plus one
 * block's worth. */
static int check_work(struct capr *r, char *err, size_t errlen)
{
	uint64_t size = capture_bytes(r), recs = 0, raw = 0;
	const struct cap_block_info **order = NULL;
	int rc = 0;

	for (size_t i = 0; i < r->nblocks; i++) {
		recs += r->blocks[i].meta.nrecords;
		raw += r->blocks[i].meta.raw_bytes;
	}
	if (recs > size * CAPR_MAX_RECORDS_PER_BYTE + CAP_BLOCK_MAX_RECORDS ||
	    raw > size * CAPR_MAX_RAW_PER_BYTE + CAPR_MAX_RAW_BYTES) {
		cap_seterr(err, errlen, "%s: the index promises %" PRIu64 " records, %" PRIu64
			   " decoded bytes from %" PRIu64 " bytes of files: more than a reader "
			   "decodes per byte (%d records, %d bytes; refused)", r->dbname, recs, raw,
			   size, CAPR_MAX_RECORDS_PER_BYTE, CAPR_MAX_RAW_PER_BYTE);
		return -EBADMSG;
	}
	if (r->bundle || r->nblocks < 2)
		return 0;       /* a bundle's blocks are rows of their own */
	order = malloc(r->nblocks * sizeof(*order));
	if (!order) {
		cap_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->nblocks; i++)
		order[i] = &r->blocks[i];
	qsort(order, r->nblocks, sizeof(*order), cmp_place);
	for (size_t i = 1; i < r->nblocks; i++) {
		const struct cap_block_info *a = order[i - 1], *b = order[i];
		if (a->segment_id == b->segment_id && a->offset + a->meta.enc_bytes > b->offset) {
			cap_seterr(err, errlen, "%s: blocks %lld and %lld share bytes of segment %lld "
				   "(offsets %" PRIu64 " and %" PRIu64 "): each block is decoded once "
				   "(refused)", r->dbname, (long long)a->id, (long long)b->id,
				   (long long)a->segment_id, a->offset, b->offset);
			rc = -EBADMSG;
			break;
		}
	}
	free(order);
	return rc;
}

/* Opens the SQLite file dbpath (index.db, or a bundle) for untrusted reading:
 * FORMAT.md, "Reader (capr) rules".  live: a capture being recorded (its
 * index in WAL mode): opened read-only but not immutable, so that SQLite
 * reads the committed part of the WAL, and held in one read transaction,
 * so that everything read through r is one consistent snapshot. */
/* 1 if the index has a schema. */
static bool live_index_ready(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool ready;

	ready = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema LIMIT 1", -1, &st, NULL) ==
			SQLITE_OK &&
		sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return ready;
}

/* How long a reader of a live index waits for its writer's lock. */
#define CAPR_LIVE_BUSY_MS 5000

static int open_db(struct capr *r, const char *dbpath, enum cap_schema_kind kind, bool live,
		   char *err, size_t errlen)
{
	char *uri = make_uri(dbpath, live ? "?mode=ro" : "?mode=ro&immutable=1");
	int rc;

	if (!uri) {
		cap_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int src = sqlite3_open_v2(uri, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
				  SQLITE_OPEN_NOFOLLOW, NULL);
	free(uri);
	if (src != SQLITE_OK) {
		cap_seterr(err, errlen, "%s: %s", dbpath,
			   r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(src));
		return -EIO;
	}
	/* A live index is locked for a moment now and then by its writer: at
	 * a checkpoint, and at the end, when it turns the WAL back into one
	 * file.  Wait that out (bounded) rather than fail the reader. */
	if (live)
		sqlite3_busy_timeout(r->db, CAPR_LIVE_BUSY_MS);
	static const int off_on[][2] = {
		{ SQLITE_DBCONFIG_DEFENSIVE, 1 },
		{ SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0 },
		{ SQLITE_DBCONFIG_ENABLE_TRIGGER, 0 },
		{ SQLITE_DBCONFIG_ENABLE_VIEW, 0 },
	};
	for (size_t i = 0; i < sizeof(off_on) / sizeof(off_on[0]); i++) {
		if (sqlite3_db_config(r->db, off_on[i][0], off_on[i][1], NULL) != SQLITE_OK) {
			cap_seterr(err, errlen, "%s: sqlite3_db_config %d: %s", dbpath,
				   off_on[i][0], sqlite3_errmsg(r->db));
			return -EIO;
		}
	}
	/* A recording in its first milliseconds: its index has no schema yet
	 * (the recorder then commits the schema, and its session at once). */
	if (live && !live_index_ready(r->db)) {
		cap_seterr(err, errlen, "%s: the recording is just starting (its index is still "
			   "empty): try again in a moment", dbpath);
		return -EAGAIN;
	}
	/* Before any other statement: the schema is exactly bpfrec's (no
	 * virtual table, view, trigger or generated column; capschema.h). */
	if ((rc = cap_schema__check(r->db, "main", kind, dbpath, err, errlen)))
		return rc;

	/* Catch a corrupt b-tree cell as it is read, not by its effects. */
	sqlite3_exec(r->db, "PRAGMA cell_size_check = ON", NULL, NULL, NULL);

	/* quick_check: a damaged file fails here, not somewhere in a query. */
	sqlite3_stmt *st = NULL;
	const char *qc = NULL;
	if (sqlite3_prepare_v2(r->db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		qc = (const char *)sqlite3_column_text(st, 0);
	if (!qc || strcmp(qc, "ok")) {
		cap_seterr(err, errlen, "%s: damaged or not an SQLite database (%s)", dbpath,
			   qc ? qc : sqlite3_errmsg(r->db));
		sqlite3_finalize(st);
		return -EBADMSG;
	}
	sqlite3_finalize(st);
	/* The snapshot: a read transaction that stays open until close.  The
	 * writer goes on (WAL readers never block it); we see its last commit
	 * as of now, at most one flush interval behind. */
	if (live && (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
		     sqlite3_exec(r->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
			     SQLITE_OK)) {
		cap_seterr(err, errlen, "%s: cannot take a snapshot of the live index: %s", dbpath,
			   sqlite3_errmsg(r->db));
		return -EIO;
	}
	return 0;
}

/* A plain file of its own: regular, not a symlink, one link.  SQLite writes
 * to a -shm file: it must not be another file under another name. */
static bool plain_file(int at, const char *name)
{
	struct stat st;

	return !fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode) &&
	       st.st_nlink == 1;
}

/* immutable=1 ignores journals: refuse a file a crash left unfinished rather
 * than read it half-written.  at: the directory fd (or AT_FDCWD), base: the
 * database file's name there.  live (NULL: refuse WAL too): set when base is
 * in WAL mode, as a capture being recorded is (its -wal and -shm both
 * present, plain files): then it is read as of its last commit. */
static int check_side_files(int at, const char *base, const char *shown, bool *live,
			    char *err, size_t errlen)
{
	static const char *const side[] = { "-journal", "-wal" };
	char name[4096 + 16], shm[4096 + 16];
	struct stat st;

	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s%s", base, side[i]);
		snprintf(shm, sizeof(shm), "%s-shm", base);
		if (i == 1 && live && plain_file(at, name) && plain_file(at, shm)) {
			*live = true;
			continue;
		}
		if (!fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) && st.st_size > 0) {
			cap_seterr(err, errlen, "%s%s exists: the recorder is still running, or "
				   "it crashed mid-commit and the capture needs recovery "
				   "(bpfreplay recover) first", shown, side[i]);
			return -EBUSY;
		}
	}
	return 0;
}

/* path is a regular file: a bundle, or not a capture at all. */
static int open_bundle(struct capr *r, const char *path, char *err, size_t errlen)
{
	static const char sqlite_magic[16] = "SQLite format 3";
	char hdr[16], *real = NULL;
	int rc, fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		cap_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, sqlite_magic, sizeof(hdr))) {
		cap_seterr(err, errlen, "%s: not a directory nor a bundle (a capture is a directory; "
			   "a bundle is one file made by 'bpfreplay bundle')", path);
		return -ENOTDIR;
	}
	/* The user named this file: follow a symlink to it once, here, so that
	 * SQLite's NOFOLLOW applies to the real file. */
	real = realpath(path, NULL);
	if (!real) {
		rc = -errno;
		cap_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	rc = check_side_files(AT_FDCWD, real, path, NULL, err, errlen);
	if (!rc)
		rc = open_db(r, real, CAP_SCHEMA_BUNDLE, false, err, errlen);
	free(real);
	if (rc)
		return rc;
	if (!cap_schema__has_table(r->db, "block_data")) {
		cap_seterr(err, errlen, "%s: an SQLite file, but not a bpfrec bundle (no block_data "
			   "table; a capture is a directory)", path);
		return -EBADMSG;
	}
	r->bundle = 1;
	return 0;
}

struct capr *capr__open(const char *path, char *err, size_t errlen)
{
	struct capr *r = calloc(1, sizeof(*r));
	struct stat stt;
	int rc = -ENOMEM;

	if (r)
		r->dirfd = -1;
	if (!r || !(r->path = strdup(path)) ||
	    asprintf(&r->dbname, "%s/index.db", path) < 0) {
		if (r)
			r->dbname = NULL;
		cap_seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (!stat(path, &stt) && S_ISREG(stt.st_mode)) {
		strcpy(r->dbname, path);   /* shorter */
		if ((rc = open_bundle(r, path, err, errlen)))
			goto fail;
		goto load;
	}
	r->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		rc = -errno;
		cap_seterr(err, errlen, "%s: %s%s", path, strerror(errno),
			   errno == ENOTDIR ? " (a capture is a directory)" : "");
		goto fail;
	}
	if (fstatat(r->dirfd, "index.db", &stt, AT_SYMLINK_NOFOLLOW)) {
		rc = -errno;
		cap_seterr(err, errlen, "%s/index.db: %s%s", path, strerror(errno),
			   errno == ENOENT ? " (not a bpfrec capture, or the index was lost: "
			   "the segments can be scanned without it)" : "");
		goto fail;
	}
	if (!S_ISREG(stt.st_mode)) {
		rc = -EBADMSG;
		cap_seterr(err, errlen, "%s/index.db: not a regular file (refused)", path);
		goto fail;
	}
	char shown[4096 + 16];
	snprintf(shown, sizeof(shown), "%s/index.db", path);
	bool live = false;
	if ((rc = check_side_files(r->dirfd, "index.db", shown, &live, err, errlen)))
		goto fail;
	if ((rc = open_db(r, shown, CAP_SCHEMA_INDEX, live, err, errlen)))
		goto fail;
load:
	if ((rc = load_meta(r, err, errlen)) || (rc = load_segments(r, err, errlen)) ||
	    (rc = load_blocks(r, err, errlen)) || (rc = check_work(r, err, errlen)))
		goto fail;
	if ((rc = build_by_pos(r))) {
		cap_seterr(err, errlen, "out of memory");
		goto fail;
	}
	r->chained = seen_chained(r);
	r->max_enc = block__max_enc_bytes(CAPR_MAX_RAW_BYTES);
	r->main = capr__cursor_new(r);
	if (!r->main) {
		rc = -ENOMEM;
		cap_seterr(err, errlen, "out of memory");
		goto fail;
	}
	return r;
fail:
	capr__close(r);
	errno = -rc;
	return NULL;
}

static void cursor_destroy(struct capr_cursor *c)
{
	if (!c)
		return;
	block_decoder__free(c->dec);
	free(c->buf);
	free(c->want_words);
	for (int i = 0; i < CHAIN_CACHE; i++)
		block_dicts__free(c->cache[i].st);
	cursor_destroy(c->chain);
	free(c);
}

void capr__close(struct capr *r)
{
	if (!r)
		return;
	cursor_destroy(r->main);
	while (r->nspare)
		cursor_destroy(r->spare[--r->nspare]);
	for (size_t i = 0; i < r->nsegs; i++) {
		if (r->segs[i].fd >= 0)
			close(r->segs[i].fd);
		free(r->segs[i].file);
	}
	free(r->segs);
	free(r->blocks);
	free(r->by_pos);
	if (r->db)
		sqlite3_close(r->db);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->path);
	free(r->dbname);
	free(r);
}

sqlite3 *capr__db(struct capr *r)
{
	return r->db;
}

const char *capr__path(const struct capr *r)
{
	return r->path;
}

int capr__is_bundle(const struct capr *r)
{
	return r->bundle;
}

int capr__blocks(struct capr *r, const struct cap_block_info **out, size_t *n)
{
	*out = r->blocks;
	*n = r->nblocks;
	return 0;
}

uint64_t capr__blocks_decoded(const struct capr *r)
{
	return r->decoded;
}

static struct capr_seg *find_seg(struct capr *r, int64_t id)
{
	size_t lo = 0, hi = r->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->segs[mid].id == id)
			return &r->segs[mid];
		if (r->segs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Opens a segment on first use; remembers a failure (reported per block). */
static int seg_open(struct capr *r, struct capr_seg *s)
{
	uint8_t hdr[CAP_SEG_HDR_BYTES];
	struct stat st;
	char why[128];

	if (s->fd >= 0)
		return 0;
	if (s->open_rc)
		return s->open_rc;
	int fd = openat(r->dirfd, s->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		s->open_rc = -errno;
		snprintf(s->open_err, sizeof(s->open_err), "%s", strerror(errno));
		return s->open_rc;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		s->open_rc = -EBADMSG;
		snprintf(s->open_err, sizeof(s->open_err), "not a regular file");
		close(fd);
		return s->open_rc;
	}
	ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
	int rc = cap_segment__parse_header(hdr, n < 0 ? 0 : (size_t)n, why, sizeof(why));
	if (rc) {
		s->open_rc = rc;
		snprintf(s->open_err, sizeof(s->open_err), "%s", why);
		close(fd);
		return rc;
	}
	s->fd = fd;
	s->size = (uint64_t)st.st_size;
	return 0;
}

struct capr_cursor *capr__cursor_new(struct capr *r)
{
	struct capr_cursor *c;

	if (r->nspare) {
		c = r->spare[--r->nspare];
		capr__cursor_want(c, NULL);
		c->last_len = 0;
		return c;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->r = r;
	c->want.stream = CAP_STREAM_ALL;
	for (int i = 0; i < CHAIN_CACHE; i++)
		c->cache[i].block_id = -1;
	c->dec = block_decoder__new(CAPR_MAX_RAW_BYTES);
	if (!c->dec) {
		free(c);
		return NULL;
	}
	return c;
}

void capr__cursor_free(struct capr_cursor *c)
{
	if (!c)
		return;
	if (c->r->nspare < CAPR_SPARE_CURSORS) {
		c->r->spare[c->r->nspare++] = c;
		return;
	}
	cursor_destroy(c);
}

/* Grows c->buf to len bytes. */
static int cursor_buf(struct capr_cursor *c, uint64_t len)
{
	if (c->buf_cap >= len)
		return 0;
	void *p = realloc(c->buf, len);
	if (!p)
		return -ENOMEM;
	c->buf = p;
	c->buf_cap = len;
	return 0;
}

/* Reads block b's len bytes from the bundle's block_data row into c->buf,
 * allocating only once the blob is known to hold exactly len bytes (the
 * file's real contents bound the allocation, not the index's claim). */
static int bundle_read(struct capr_cursor *c, const struct cap_block_info *b, uint64_t len,
		       char *why, size_t whylen)
{
	struct capr *r = c->r;
	sqlite3_blob *blob = NULL;
	int rc = 0;

	if (sqlite3_blob_open(r->db, "main", "block_data", "data", b->id, 0, &blob) != SQLITE_OK) {
		snprintf(why, whylen, "no bytes for it in the bundle (block_data: %s)",
			 sqlite3_errmsg(r->db));
		sqlite3_blob_close(blob);
		return -EBADMSG;
	}
	int n = sqlite3_blob_bytes(blob);
	if (n < 0 || (uint64_t)n != len) {
		snprintf(why, whylen, "block_data holds %d bytes, the index says %" PRIu64, n, len);
		rc = -EBADMSG;
	} else if (cursor_buf(c, len)) {
		snprintf(why, whylen, "out of memory");
		rc = -ENOMEM;
	} else if (sqlite3_blob_read(blob, c->buf, n, 0) != SQLITE_OK) {
		snprintf(why, whylen, "block_data: %s", sqlite3_errmsg(r->db));
		rc = -EBADMSG;
	}
	sqlite3_blob_close(blob);
	return rc;
}

/* Whether a and b want the same records and words (compact aside: the
 * dictionaries a decode leaves do not depend on it). */
static bool same_want(const struct block_want *a, const struct block_want *b)
{
	uint32_t sa = a ? a->stream : CAP_STREAM_ALL, sb = b ? b->stream : CAP_STREAM_ALL;
	const uint64_t *wa = a ? a->words : NULL, *wb = b ? b->words : NULL;

	if (sa != sb || !wa != !wb)
		return false;
	if (!wa)
		return true;
	if (a->nwords != b->nwords)
		return false;
	for (uint32_t i = 0; i < a->nwords; i++)
		if ((wa[i / 64] ^ wb[i / 64]) >> (i % 64) & 1)
			return false;
	return true;
}

void capr__cursor_want(struct capr_cursor *c, const struct block_want *w)
{
	block_decoder__want(c->dec, w);
	if (same_want(&c->want, w))
		return;
	/* another projection: the states cached under the last one may lack
	 * what this one decodes */
	c->gen++;
	free(c->want_words);
	c->want_words = NULL;
	c->want = w ? *w : (struct block_want){ .stream = CAP_STREAM_ALL };
	if (w && w->words) {
		size_t n = (w->nwords + 63) / 64;

		c->want_words = malloc(n * sizeof(uint64_t));
		if (c->want_words)
			memcpy(c->want_words, w->words, n * sizeof(uint64_t));
		else   /* as the decoder does: out of memory, every word */
			c->want.nwords = 0;
	}
	c->want.words = c->want_words;
	if (c->chain_full) {
		c->chain_full = false;
		block_decoder__chain_full(c->dec, false);
	}
}

static int chain_decode(struct capr_cursor *c, const struct cap_block_info *b, size_t len,
			const struct cap_rec **recs, uint32_t *nrecs, char *why, size_t whylen);

/* Reads block b into c->buf and checks its header against the index; why
 * gets the reason of a failure. */
static int fetch(struct capr_cursor *c, const struct cap_block_info *b, char *why, size_t whylen)
{
	struct capr *r = c->r;
	struct capr_seg *s = r->bundle ? NULL : find_seg(r, b->segment_id);
	int rc;

#define FAIL_WHY(code) return code
#define FAIL(code, ...) do { \
		snprintf(why, whylen, __VA_ARGS__); \
		FAIL_WHY(code); \
	} while (0)

	c->last_len = 0;
	uint64_t len = b->meta.enc_bytes;
	if (len < CAP_BLOCK_HDR_BYTES || len > r->max_enc)
		FAIL(-EBADMSG, "size %" PRIu64 " out of range", len);
	if (!r->bundle) {
		if (!s)
			FAIL(-EBADMSG, "segment %lld is not in the index", (long long)b->segment_id);
		if ((rc = seg_open(r, s)))
			FAIL(rc, "cannot open segment: %s", s->open_err);
		if (b->offset < CAP_SEG_HDR_BYTES || b->offset > s->size || len > s->size - b->offset)
			FAIL(-EBADMSG, "%" PRIu64 " bytes extend past the end of the segment (%" PRIu64
			     " bytes): truncated?", len, s->size);
	}
	if (r->bundle) {
		if ((rc = bundle_read(c, b, len, why, whylen)))
			FAIL_WHY(rc);
	} else {
		/* len fits in the segment's real size: checked above. */
		if (cursor_buf(c, len))
			FAIL(-ENOMEM, "out of memory");
		for (size_t got = 0; got < len;) {
			ssize_t n = pread(s->fd, c->buf + got, len - got, (off_t)(b->offset + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				FAIL(-EIO, "read: %s", strerror(errno));
			if (n == 0)
				FAIL(-EBADMSG, "segment shrank while reading (%zu of %" PRIu64 " bytes)",
				     got, len);
			got += (size_t)n;
		}
	}

	/* The header must agree with the index that located it. */
	struct cap_block_meta hm;
	if ((rc = cap_block_parse_header(c->buf, len, &hm, NULL, why, whylen)))
		FAIL_WHY(rc);
	/* (the first field that differs, named: the others may agree) */
	const struct { const char *name; uint64_t head, index; } field[] = {
		{ "bytes", hm.enc_bytes, b->meta.enc_bytes },
		{ "decoded bytes", hm.raw_bytes, b->meta.raw_bytes },
		{ "records", hm.nrecords, b->meta.nrecords },
		{ "first time", hm.min_ts_ns, b->meta.min_ts_ns },
		{ "last time", hm.max_ts_ns, b->meta.max_ts_ns },
	};
	for (size_t k = 0; k < sizeof(field) / sizeof(field[0]); k++)
		if (field[k].head != field[k].index)
			FAIL(-EBADMSG, "block header disagrees with the index: %s %" PRIu64 " in the "
			     "header, %" PRIu64 " in the index", field[k].name, field[k].head,
			     field[k].index);
	return 0;
#undef FAIL
#undef FAIL_WHY
}

int capr__cursor_read(struct capr_cursor *c, const struct cap_block_info *b,
		      const struct cap_rec **recs, uint32_t *nrecs, char *err, size_t errlen)
{
	struct capr *r = c->r;
	struct capr_seg *s = r->bundle ? NULL : find_seg(r, b->segment_id);
	const char *file = s ? s->file : "?";
	char why[256];
	int rc = fetch(c, b, why, sizeof(why));

	if (!rc)
		rc = chain_decode(c, b, b->meta.enc_bytes, recs, nrecs, why, sizeof(why));
	if (rc == -ESTALE && !c->chain_full) {
		/* A chain's dictionaries left for one projection, which a block
		 * (whose columns changed mode along the chain) needs more of:
		 * this cursor leaves them whole from now on, and decodes the
		 * chain again. */
		c->chain_full = true;
		c->gen++;
		block_decoder__chain_full(c->dec, true);
		rc = chain_decode(c, b, b->meta.enc_bytes, recs, nrecs, why, sizeof(why));
	}
	if (rc) {
		c->last_len = 0;
		if (r->bundle)
			cap_seterr(err, errlen, "%s: block %lld: %s", r->path, (long long)b->id, why);
		else
			cap_seterr(err, errlen, "%s/%s: block %lld at offset %" PRIu64 ": %s",
				   r->path, file, (long long)b->id, b->offset, why);
		return rc;
	}
	r->decoded++;
	c->last_len = b->meta.enc_bytes;
	return 0;
}

void capr__cursor_encoded(const struct capr_cursor *c, const uint8_t **buf, size_t *len)
{
	*buf = c->buf;
	*len = c->last_len;
}

int capr__read_block(struct capr *r, const struct cap_block_info *b,
		     const struct cap_rec **recs, uint32_t *nrecs, char *err, size_t errlen)
{
	return capr__cursor_read(r->main, b, recs, nrecs, err, errlen);
}

int cap_segment__scan(const char *path,
		      int (*fn)(uint64_t offset, const struct cap_block_meta *meta, void *ctx),
		      void *ctx, uint64_t *end_off, char *err, size_t errlen)
{
	int rc, fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		rc = -errno;
		cap_seterr(err, errlen, "%s: %s", path, strerror(errno));
		if (end_off)
			*end_off = 0;
		return rc;
	}
	rc = cap_segment_scan_fd_from(fd, path, CAP_SEG_HDR_BYTES, fn, ctx, end_off, err, errlen);
	close(fd);
	return rc;
}

int cap_segment__scan_fd(int fd, const char *path,
			 int (*fn)(uint64_t offset, const struct cap_block_meta *meta, void *ctx),
			 void *ctx, uint64_t *end_off, char *err, size_t errlen)
{
	return cap_segment_scan_fd_from(fd, path, CAP_SEG_HDR_BYTES, fn, ctx, end_off, err, errlen);
}

int cap_segment_scan_fd_from(int fd, const char *path, uint64_t start,
			     int (*fn)(uint64_t offset, const struct cap_block_meta *meta, void *ctx),
			     void *ctx, uint64_t *end_off, char *err, size_t errlen)
{
	uint8_t hdr[CAP_BLOCK_HDR_BYTES];
	struct cap_block_meta m;
	struct stat st;
	uint64_t off = 0;
	char why[192];
	int rc;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = -EBADMSG;
		cap_seterr(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	ssize_t n = pread(fd, hdr, CAP_SEG_HDR_BYTES, 0);
	if ((rc = cap_segment__parse_header(hdr, n < 0 ? 0 : (size_t)n, why, sizeof(why)))) {
		cap_seterr(err, errlen, "%s: %s", path, why);
		goto out;
	}
	off = start < CAP_SEG_HDR_BYTES ? CAP_SEG_HDR_BYTES : start;
	if (off > (uint64_t)st.st_size) {
		rc = -EBADMSG;
		cap_seterr(err, errlen, "%s: %" PRIu64 " bytes, shorter than its indexed %" PRIu64,
			   path, (uint64_t)st.st_size, off);
		goto out;
	}
	while (off < (uint64_t)st.st_size) {
		n = pread(fd, hdr, sizeof(hdr), (off_t)off);
		if (n < 0) {
			rc = -errno;
			cap_seterr(err, errlen, "%s: read at offset %" PRIu64 ": %s", path, off,
				   strerror(errno));
			goto out;
		}
		if ((rc = cap_block_parse_header(hdr, (size_t)n, &m, NULL, why, sizeof(why)))) {
			cap_seterr(err, errlen, "%s: offset %" PRIu64 ": %s", path, off, why);
			goto out;
		}
		if (m.enc_bytes > (uint64_t)st.st_size - off) {
			rc = -EBADMSG;
			cap_seterr(err, errlen, "%s: offset %" PRIu64 ": partial block (%u bytes, %"
				   PRIu64 " left in the file)", path, off, m.enc_bytes,
				   (uint64_t)st.st_size - off);
			goto out;
		}
		if (fn && (rc = fn(off, &m, ctx)))
			goto out;
		off += m.enc_bytes;
	}
	rc = 0;
out:
	if (end_off)
		*end_off = off;
	return rc;
}

/* --- Chained dictionaries (encoding 4, FORMAT.md "Chained dictionaries") ---
 * A chained block continues the dictionaries of its base, one of the
 * CAP_CHAIN_BACK blocks before it in its segment, named by header CRC.  A
 * cursor keeps what the last CHAIN_CACHE blocks it decoded left, so that a
 * capture read in order decodes each block once; a block whose base it does
 * not hold has its chain decoded from the chain's first block, at most
 * CAP_CHAIN_MAX - 1 blocks before it.  A capture with no encoding-4 block
 * costs none of this. */

static int cmp_pos(const void *a, const void *b, void *ctx)
{
	const struct cap_block_info *bl = ctx, *x = &bl[*(const uint32_t *)a],
				    *y = &bl[*(const uint32_t *)b];

	if (x->segment_id != y->segment_id)
		return x->segment_id < y->segment_id ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* r->by_pos, at open: a few bytes a block, and built before any cursor
 * (cursors may read on threads of their own). */
static int build_by_pos(struct capr *r)
{
	if (r->nblocks > UINT32_MAX || !(r->by_pos = malloc((r->nblocks + 1) * 4)))
		return -ENOMEM;
	for (size_t i = 0; i < r->nblocks; i++)
		r->by_pos[i] = (uint32_t)i;
	qsort_r(r->by_pos, r->nblocks, 4, cmp_pos, r->blocks);
	return 0;
}

/* Whether the first blocks of the capture (by position: a recorder's
 * writers start their chains there) hold an encoding-4 one, from their
 * headers alone.  A chained capture is then read keeping dictionaries from
 * its first block on; otherwise from its first chained block, whose base
 * is decoded again (a cost, not an error: a capture whose chains start
 * later reads the same). */
static bool seen_chained(struct capr *r)
{
	for (size_t i = 0; i < r->nblocks && i < 4 && !r->bundle; i++) {
		const struct cap_block_info *bi = &r->blocks[r->by_pos[i]];
		struct capr_seg *s = find_seg(r, bi->segment_id);
		uint8_t h[CAP_BLOCK_HDR_BYTES];

		if (s && !seg_open(r, s) && bi->offset <= s->size &&
		    s->size - bi->offset >= sizeof(h) &&
		    pread(s->fd, h, sizeof(h), (off_t)bi->offset) == (ssize_t)sizeof(h) &&
		    !block__parse_header(h, sizeof(h), NULL, NULL) &&
		    cap_block_encoding_chained(cap_get_le16(h + 6)))
			return true;
	}
	return false;
}

/* Position of b in r->by_pos, or -1. */
static ssize_t block_pos(struct capr *r, const struct cap_block_info *b)
{
	size_t lo = 0, hi = r->nblocks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cap_block_info *m = &r->blocks[r->by_pos[mid]];

		if (m->segment_id == b->segment_id && m->offset == b->offset)
			return (ssize_t)mid;
		if (m->segment_id < b->segment_id ||
		    (m->segment_id == b->segment_id && m->offset < b->offset))
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The header CRC of block bi, read alone (48 bytes). */
static int head_crc(struct capr *r, const struct cap_block_info *bi, uint32_t *crc)
{
	uint8_t h[CAP_BLOCK_HDR_BYTES];

	if (r->bundle) {
		sqlite3_blob *blob = NULL;
		int ok = sqlite3_blob_open(r->db, "main", "block_data", "data", bi->id, 0,
					   &blob) == SQLITE_OK &&
			 sqlite3_blob_bytes(blob) >= (int)sizeof(h) &&
			 sqlite3_blob_read(blob, h, sizeof(h), 0) == SQLITE_OK;
		sqlite3_blob_close(blob);
		if (!ok)
			return -EBADMSG;
	} else {
		struct capr_seg *s = find_seg(r, bi->segment_id);

		if (!s || seg_open(r, s) ||
		    pread(s->fd, h, sizeof(h), (off_t)bi->offset) != (ssize_t)sizeof(h))
			return -EBADMSG;
	}
	*crc = cap_get_le32(h + 44);
	return 0;
}

/* The base of b named by crc: the nearest of the CAP_CHAIN_BACK blocks
 * before it in its segment with that header CRC; NULL if none. */
static const struct cap_block_info *find_base(struct capr *r, const struct cap_block_info *b,
					      uint32_t crc)
{
	ssize_t p = block_pos(r, b);

	for (ssize_t q = p - 1; p >= 0 && q >= 0 && q >= p - CAP_CHAIN_BACK; q--) {
		const struct cap_block_info *bi = &r->blocks[r->by_pos[q]];
		uint32_t hc;

		if (bi->segment_id != b->segment_id)
			break;
		if (!head_crc(r, bi, &hc) && hc == crc)
			return bi;
	}
	return NULL;
}

/* Whether slot sl's state serves the cursor's projection. */
static bool slot_usable(const struct capr_cursor *c, const struct chain_slot *sl)
{
	return sl->block_id >= 0 && (sl->gen == c->gen || block_dicts__whole(sl->st));
}

static struct chain_slot *cache_find(struct capr_cursor *c, const struct cap_block_info *bi)
{
	for (int i = 0; i < CHAIN_CACHE; i++)
		if (c->cache[i].block_id == bi->id && c->cache[i].segment_id == bi->segment_id &&
		    c->cache[i].offset == bi->offset && slot_usable(c, &c->cache[i])) {
			c->cache[i].used = ++c->tick;
			return &c->cache[i];
		}
	return NULL;
}

/* A slot for what the next block leaves: the least recently used one that
 * does not hold keep (the base that block is decoded with). */
static struct chain_slot *cache_take(struct capr_cursor *c, const struct block_dicts *keep)
{
	struct chain_slot *best = NULL;

	for (int i = 0; i < CHAIN_CACHE; i++) {
		struct chain_slot *sl = &c->cache[i];

		if (sl->st && sl->st == keep)
			continue;
		if (!best || sl->block_id < 0 || (best->block_id >= 0 && sl->used < best->used))
			best = sl;
		if (sl->block_id < 0)
			break;
	}
	if (!best->st && !(best->st = block_dicts__new()))
		return NULL;
	best->block_id = -1;
	return best;
}

/* Decodes c->buf (block bi) with base, keeping what it leaves (recs
 * NULL: only that, a base's). */
static int decode_keep(struct capr_cursor *c, const struct cap_block_info *bi, size_t len,
		       const struct block_dicts *base, const struct cap_rec **recs,
		       uint32_t *nrecs, char *why, size_t whylen)
{
	struct chain_slot *sl = cache_take(c, base);
	int rc;

	if (!sl) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	rc = block_decoder__decode_chain(c->dec, c->buf, len, base, sl->st, NULL, recs, nrecs, why,
					 whylen);
	if (!rc) {
		sl->block_id = bi->id;
		sl->segment_id = bi->segment_id;
		sl->offset = bi->offset;
		sl->crc = cap_get_le32(c->buf + 44);
		sl->used = ++c->tick;
		sl->gen = c->gen;
	}
	return rc;
}

/* What b's base (named by crc) left: from the cache, or its chain decoded
 * from the chain's first block (or the nearest block the cache holds). */
static int chain_base(struct capr_cursor *c, const struct cap_block_info *b, uint32_t crc,
		      const struct block_dicts **base, char *why, size_t whylen)
{
	struct capr *r = c->r;
	const struct cap_block_info *list[CAP_CHAIN_MAX], *cur = b;
	const struct block_dicts *st = NULL;
	uint32_t n = 0;
	char sub[192];
	int rc;

	for (;;) {
		const struct cap_block_info *bi = find_base(r, cur, crc);
		struct chain_slot *sl;

		if (!bi) {
			snprintf(why, whylen, "%sits base block (header CRC 0x%08x) is not among "
				 "the %d blocks before it in its segment",
				 n ? "a block of its chain: " : "", crc, CAP_CHAIN_BACK);
			return -EBADMSG;
		}
		if ((sl = cache_find(c, bi))) {
			st = sl->st;
			break;
		}
		if (n == CAP_CHAIN_MAX - 1) {
			snprintf(why, whylen, "its chain of dictionaries is longer than %d blocks",
				 CAP_CHAIN_MAX);
			return -EBADMSG;
		}
		list[n++] = bi;
		if (!c->chain && !(c->chain = calloc(1, sizeof(*c->chain)))) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
		c->chain->r = r;
		if (!c->chain->dec && !(c->chain->dec = block_decoder__new(CAPR_MAX_RAW_BYTES))) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
		if ((rc = fetch(c->chain, bi, sub, sizeof(sub))) ||
		    (rc = block__base_crc(c->chain->buf, bi->meta.enc_bytes, &crc))) {
			snprintf(why, whylen, "its base block %lld: %s", (long long)bi->id,
				 rc == -EBADMSG && !sub[0] ? "damaged" : sub);
			return rc;
		}
		if (!crc)   /* the chain's first block */
			break;
		cur = bi;
	}
	/* Forward from there, each with what the one before left (the cursor's
	 * own decoder keeps its buffer: the chain's has its own).  A base's
	 * records are not wanted, only what it leaves for the cursor's
	 * projection: the prefix of its body that projection reads, and of
	 * that only the dictionary columns it decodes. */
	if (n) {
		block_decoder__want(c->chain->dec, &c->want);
		block_decoder__chain_full(c->chain->dec, c->chain_full);
	}
	while (n) {
		const struct cap_block_info *bi = list[--n];
		struct capr_cursor *cc = c->chain;
		struct block_decoder *d = c->dec;
		uint8_t *keepbuf = c->buf;
		size_t keepcap = c->buf_cap;

		if ((rc = fetch(cc, bi, sub, sizeof(sub)))) {
			snprintf(why, whylen, "its base block %lld: %s", (long long)bi->id, sub);
			return rc;
		}
		/* decode_keep works on c's cache with cc's bytes and decoder */
		c->dec = cc->dec;
		c->buf = cc->buf;
		rc = decode_keep(c, bi, bi->meta.enc_bytes, st, NULL, NULL, sub, sizeof(sub));
		c->dec = d;
		c->buf = keepbuf;
		c->buf_cap = keepcap;
		if (rc) {
			snprintf(why, whylen, "its base block %lld: %s", (long long)bi->id, sub);
			return rc;
		}
		st = cache_find(c, bi)->st;
		r->decoded++;
	}
	*base = st;
	return 0;
}

static int chain_decode(struct capr_cursor *c, const struct cap_block_info *b, size_t len,
			const struct cap_rec **recs, uint32_t *nrecs, char *why, size_t whylen)
{
	struct capr *r = c->r;
	const struct block_dicts *base = NULL;
	uint32_t crc = 0;
	int rc;

	if (cap_block_encoding_chained(cap_get_le16(c->buf + 6)) && r->bundle) {
		/* A bundle's blocks have no segment order to find a base by:
		 * its writer writes a chained block's records anew. */
		snprintf(why, whylen, "a chained block (encoding %u) in a bundle, which holds "
			 "only blocks that read alone", cap_get_le16(c->buf + 6));
		return -EBADMSG;
	}
	if (cap_block_encoding_chained(cap_get_le16(c->buf + 6)))
		__atomic_store_n(&r->chained, true, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&r->chained, __ATOMIC_RELAXED))   /* blocks that read alone: as ever */
		return block_decoder__decode(c->dec, c->buf, len, recs, nrecs, why, whylen);
	if (block__base_crc(c->buf, len, &crc) == 0 && crc) {
		const struct cap_block_info *bi = NULL;
		struct chain_slot *sl = NULL;

		/* the block read before it, as often as not */
		for (int i = 0; i < CHAIN_CACHE && !sl; i++)
			if (slot_usable(c, &c->cache[i]) && c->cache[i].crc == crc &&
			    c->cache[i].segment_id == b->segment_id && c->cache[i].offset < b->offset &&
			    (bi = find_base(r, b, crc)) && bi->offset == c->cache[i].offset)
				sl = &c->cache[i];
		if (sl) {
			sl->used = ++c->tick;
			base = sl->st;
		} else if ((rc = chain_base(c, b, crc, &base, why, whylen))) {
			return rc;
		}
	}
	return decode_keep(c, b, len, base, recs, nrecs, why, whylen);
}
