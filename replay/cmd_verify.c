/* cmd_verify.c - bpfreplay verify: check a whole capture, report every
 * damaged or inconsistent piece, and change nothing.
 *
 * Checks, in this order:
 *  1. the index: it opens (capr's defensive rules), every stream's event
 *     type is usable, block_streams and losses name known blocks and
 *     streams, indexed blocks do not overlap in their segment, segments.bytes
 *     covers the indexed blocks (a bundle: every block has its bytes in
 *     block_data, and no bytes lack a block);
 *  2. every indexed block: read and decoded (header CRC, header equal to its
 *     index row, zstd frame and content checksum, body layout), then its
 *     records counted per stream against block_streams (count, min/max ts),
 *     their stream ids known, no record shorter than its event type;
 *  3. every segment file, walked from its header: bytes between and after
 *     the indexed blocks (whole blocks the index misses, which 'bpfreplay
 *     recover' can index; a partial last block; unreadable bytes), and
 *     segment files the index does not name.
 * Without an index (index.db missing, or refused) only 3. is possible: each
 * segment is walked and every block it holds is decoded.
 *
 * Output: one line per problem on stdout, naming the file, offset and block
 * id, then one summary line.  Exit 0 if nothing is wrong, 3 otherwise.
 * show and sql keep reading what is intact: verify changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "capview.h"
#include "segname.h"

static void help(void)
{
	printf("Usage: bpfreplay verify [-q] CAPTURE\n"
	       "\n"
	       "Check a capture (a directory or a bundle) from end to end and change nothing:\n"
	       "every block's checksums and layout (each block is decoded), the index against\n"
	       "the segment files (each indexed block's header, segment sizes, blocks the\n"
	       "index misses, partial blocks, segment files it does not name), the counts per\n"
	       "stream in the index against the decoded blocks, and that every stream id and\n"
	       "event type is known.  Each problem is printed on one line (file, offset, block\n"
	       "id, reason), then a summary.  Damaged blocks stay skipped by show and sql; the\n"
	       "rest stays readable.  Blocks the index misses (a crash): 'bpfreplay recover'.\n"
	       "\n"
	       "Options:\n"
	       "  -q, --quiet   print the summary line only\n"
	       "  -h, --help    this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay verify ./cap\n"
	       "  bpfreplay verify bug-1234.bpfrec && echo intact\n"
	       "\n"
	       "Exit status: 0 intact, 2 usage, 3 damaged, inconsistent or not a capture.\n");
}

struct verify {
	const char *path;
	bool quiet;
	struct capview *c;                 /* NULL: no usable index */
	struct capr *r;
	struct block_decoder *dec;      /* blocks found outside the index */
	/* A chained block outside the index: the blocks of its segment before
	 * it, decoded in order up to seq_pos (chains do not leave a segment). */
	struct block_seq *seq;
	uint64_t seq_pos;
	uint8_t *buf;
	size_t buf_cap;
	uint64_t problems;              /* lines printed */
	uint64_t blocks_ok, blocks_bad, records_ok, records_lost;
	uint64_t unindexed_blocks, unindexed_records, stray_bytes;
	uint64_t index_errors, segments;
	bool no_index;                  /* walking the segments alone */
};

__attribute__((format(printf, 2, 3)))
static void problem(struct verify *v, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	v->problems++;
	if (v->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli__fputs_safe(msg, stdout);   /* names from the capture: no control bytes */
	putchar('\n');
}

/* One integer from the index (0 on any error). */
static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0;

	if (!sqlite3_prepare_v2(db, sql, -1, &st, NULL) && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- 1. the index ---- */

static void check_index(struct verify *v)
{
	sqlite3 *db = capr__db(v->r);
	static const struct { const char *sql, *what; } q[] = {
		{ "SELECT count(*) FROM block_streams WHERE block_id NOT IN (SELECT id FROM blocks)",
		  "block_streams rows name blocks the index does not have" },
		{ "SELECT count(*) FROM block_streams WHERE stream_id NOT IN (SELECT id FROM streams)",
		  "block_streams rows name streams the index does not have" },
		{ "SELECT count(*) FROM blocks WHERE id NOT IN (SELECT block_id FROM block_streams)"
		  " AND nrecords > 0", "blocks have records but no block_streams rows" },
		{ "SELECT count(*) FROM losses WHERE stream_id NOT IN (SELECT id FROM streams)",
		  "loss reports name streams the index does not have" },
		{ "SELECT count(*) FROM losses WHERE count <= 0", "loss reports count no events" },
		{ "SELECT count(*) FROM streams WHERE object_id NOT IN (SELECT id FROM objects)",
		  "streams name objects the index does not have" },
	};
	static const struct { const char *sql, *what; } qdir[] = {
		{ "SELECT count(*) FROM blocks WHERE segment_id NOT IN (SELECT id FROM segments)",
		  "blocks name segments the index does not have" },
		{ "SELECT count(*) FROM segments s WHERE bytes < (SELECT max(offset + enc_bytes)"
		  " FROM blocks b WHERE b.segment_id = s.id)",
		  "segments are shorter (segments.bytes) than the blocks indexed in them" },
	};
	static const struct { const char *sql, *what; } qbundle[] = {
		{ "SELECT count(*) FROM blocks WHERE id NOT IN (SELECT block_id FROM block_data)",
		  "blocks have no bytes in block_data" },
		{ "SELECT count(*) FROM block_data WHERE block_id NOT IN (SELECT id FROM blocks)",
		  "block_data rows belong to no block (bytes the index misses)" },
	};
	bool bundle = capr__is_bundle(v->r);

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		int64_t n = q_int(db, q[i].sql);
		if (n) {
			v->index_errors++;
			problem(v, "%s: index: %" PRId64 " %s", v->path, n, q[i].what);
		}
	}
	for (size_t i = 0; i < 2; i++) {
		const char *sql = bundle ? qbundle[i].sql : qdir[i].sql;
		const char *what = bundle ? qbundle[i].what : qdir[i].what;
		int64_t n = q_int(db, sql);
		if (n) {
			v->index_errors++;
			problem(v, "%s: index: %" PRId64 " %s", v->path, n, what);
		}
	}
	for (size_t i = 0; i < capview__nstreams(v->c); i++) {
		struct capview_stream *s = capview__stream(v->c, i);
		if (s->type_err) {
			v->index_errors++;
			problem(v, "%s: stream %s: event type unusable, records shown as bytes: %s",
				v->path, s->name, s->type_err);
		}
	}
}

/* ---- 2. every indexed block ---- */

static int cmp_block_pos(const void *a, const void *b)
{
	const struct cap_block_info *x = *(const struct cap_block_info *const *)a;
	const struct cap_block_info *y = *(const struct cap_block_info *const *)b;

	if (x->segment_id != y->segment_id)
		return x->segment_id < y->segment_id ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static const char *seg_file(sqlite3 *db, int64_t seg_id, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;

	snprintf(buf, len, "segment %" PRId64, seg_id);
	if (!sqlite3_prepare_v2(db, "SELECT file FROM segments WHERE id = ?1", -1, &st, NULL)) {
		sqlite3_bind_int64(st, 1, seg_id);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return buf;
}

/* Where a block is, for messages: "CAP/seg-000001.bpfrec: block 7 at offset
 * 16" or "BUNDLE: block 7". */
static void where(struct verify *v, const struct cap_block_info *b, char *buf, size_t len)
{
	char f[300];

	if (capr__is_bundle(v->r))
		snprintf(buf, len, "%s: block %" PRId64, v->path, b->id);
	else
		snprintf(buf, len, "%s/%s: block %" PRId64 " at offset %" PRIu64, v->path,
			 seg_file(capr__db(v->r), b->segment_id, f, sizeof(f)), b->id, b->offset);
}

/* Per stream of a decoded block: count and bounds. */
struct scount {
	uint32_t stream, n, short_recs;
	uint64_t lo, hi;
};

static int check_counts(struct verify *v, const struct cap_block_info *b,
			const struct cap_rec *recs, uint32_t n, sqlite3_stmt *bs_q)
{
	struct scount *sc = NULL;
	size_t nsc = 0;
	char at[512];

	where(v, b, at, sizeof(at));
	/* The decoder returns records grouped by stream, ascending. */
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i;
		struct scount s = { recs[i].stream, 0, 0, UINT64_MAX, 0 };
		struct capview_stream *rs = capview__stream_by_id(v->c, recs[i].stream);
		for (; j < n && recs[j].stream == s.stream; j++) {
			s.n++;
			s.lo = recs[j].ts_ns < s.lo ? recs[j].ts_ns : s.lo;
			s.hi = recs[j].ts_ns > s.hi ? recs[j].ts_ns : s.hi;
			if (rs && evtype__check(rs->et, recs[j].len))
				s.short_recs++;
		}
		void *p = realloc(sc, (nsc + 1) * sizeof(*sc));
		if (!p) {
			free(sc);
			return -ENOMEM;
		}
		sc = p;
		sc[nsc++] = s;
		if (!rs) {
			v->index_errors++;
			problem(v, "%s: %u records of stream id %u, which the index does not have",
				at, s.n, s.stream);
		} else if (s.short_recs) {
			v->records_lost += s.short_recs;
			problem(v, "%s: %u records of stream %s shorter than %s (%u bytes): damaged",
				at, s.short_recs, rs->name, evtype__name(rs->et), evtype__min_size(rs->et));
		}
		i = j;
	}
	/* Against block_streams: each row must match a group, and each group a row. */
	size_t matched = 0;
	sqlite3_reset(bs_q);
	sqlite3_bind_int64(bs_q, 1, b->id);
	while (sqlite3_step(bs_q) == SQLITE_ROW) {
		int64_t sid = sqlite3_column_int64(bs_q, 0);
		int64_t cnt = sqlite3_column_int64(bs_q, 1);
		uint64_t lo = (uint64_t)sqlite3_column_int64(bs_q, 2);
		uint64_t hi = (uint64_t)sqlite3_column_int64(bs_q, 3);
		struct scount *s = NULL;
		for (size_t k = 0; k < nsc; k++)
			if (sc[k].stream == sid)
				s = &sc[k];
		if (!s) {
			v->index_errors++;
			problem(v, "%s: index counts %" PRId64 " records of stream id %" PRId64
				" that the block does not hold", at, cnt, sid);
			continue;
		}
		matched++;
		if ((int64_t)s->n != cnt || s->lo != lo || s->hi != hi) {
			v->index_errors++;
			problem(v, "%s: stream id %" PRId64 ": the index says %" PRId64 " records in [%"
				PRIu64 ", %" PRIu64 "], the block holds %u in [%" PRIu64 ", %" PRIu64 "]",
				at, sid, cnt, lo, hi, s->n, s->lo, s->hi);
		}
	}
	if (matched < nsc) {
		v->index_errors++;
		problem(v, "%s: %zu of its %zu streams have no block_streams row (their records "
			"are invisible to pruned queries)", at, nsc - matched, nsc);
	}
	free(sc);
	return 0;
}

static int check_blocks(struct verify *v)
{
	size_t n = 0;
	const struct cap_block_info *blocks = NULL;
	capr__blocks(v->r, &blocks, &n);
	const struct cap_block_info **order = calloc(n + 1, sizeof(*order));
	struct capr_cursor *cur = capr__cursor_new(v->r);
	sqlite3_stmt *bs_q = NULL;
	int rc = 0;

	if (!order || !cur) {
		rc = -ENOMEM;
		goto out;
	}
	if (sqlite3_prepare_v2(capr__db(v->r), "SELECT stream_id, nrecords, min_ts, max_ts FROM"
			       " block_streams WHERE block_id = ?1", -1, &bs_q, NULL)) {
		v->index_errors++;
		problem(v, "%s: index: block_streams: %s", v->path, sqlite3_errmsg(capr__db(v->r)));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = &blocks[i];
	qsort(order, n, sizeof(*order), cmp_block_pos);
	for (size_t i = 0; i < n; i++) {
		const struct cap_block_info *b = order[i];
		const struct cap_rec *recs;
		uint32_t nrec;
		char err[768], at[512];

		if (!capr__is_bundle(v->r) && i &&
		    order[i - 1]->segment_id == b->segment_id &&
		    order[i - 1]->offset + order[i - 1]->meta.enc_bytes > b->offset) {
			where(v, b, at, sizeof(at));
			v->index_errors++;
			problem(v, "%s: overlaps block %" PRId64 " in the index", at, order[i - 1]->id);
		}
		rc = capr__cursor_read(cur, b, &recs, &nrec, err, sizeof(err));
		if (rc == -ENOMEM)
			goto out;
		if (rc) {
			v->blocks_bad++;
			v->records_lost += b->meta.nrecords;
			problem(v, "damaged: %s", err);
			rc = 0;
			continue;
		}
		v->blocks_ok++;
		v->records_ok += nrec;
		if ((rc = check_counts(v, b, recs, nrec, bs_q)))
			goto out;
	}
out:
	sqlite3_finalize(bs_q);
	capr__cursor_free(cur);
	free(order);
	return rc;
}

/* ---- 3. segment files ---- */

struct ioff {
	uint64_t off, len;
};

static int cmp_ioff(const void *a, const void *b)
{
	uint64_t x = ((const struct ioff *)a)->off, y = ((const struct ioff *)b)->off;
	return x < y ? -1 : x > y;
}

/* Decodes the blocks of fd from v->seq_pos up to off into v->seq (what a
 * chained block at off may continue); 0, or -ENOMEM. */
static int seq_feed(struct verify *v, int fd, uint64_t off)
{
	uint8_t hdr[CAP_BLOCK_HDR_BYTES], *b = NULL;
	struct cap_block_meta m;
	const struct cap_rec *recs;
	uint32_t n;

	if (!v->seq && !(v->seq = block_seq__new(CAPR_MAX_RAW_BYTES)))
		return -ENOMEM;
	while (v->seq_pos < off) {
		if (pread(fd, hdr, sizeof(hdr), (off_t)v->seq_pos) != (ssize_t)sizeof(hdr) ||
		    block__parse_header(hdr, sizeof(hdr), NULL, &m) ||
		    m.enc_bytes > off - v->seq_pos)
			break;   /* not a block: the chain cannot pass it */
		uint8_t *nb = realloc(b, m.enc_bytes);
		if (!nb) {
			free(b);
			return -ENOMEM;
		}
		b = nb;
		if (pread(fd, b, m.enc_bytes, (off_t)v->seq_pos) == (ssize_t)m.enc_bytes)
			block_seq__decode(v->seq, b, m.enc_bytes, &recs, &n, NULL, 0);
		v->seq_pos += m.enc_bytes;
	}
	free(b);
	return 0;
}

/* A block the index does not name, at off in fd: decoded to tell whether
 * recovery could use it. */
static void stray_block(struct verify *v, const char *file, int fd, uint64_t off,
			const struct cap_block_meta *m)
{
	const struct cap_rec *recs;
	uint32_t n;
	char why[256] = "";
	ssize_t got = -1;

	if (v->buf_cap < m->enc_bytes) {
		void *p = realloc(v->buf, m->enc_bytes);   /* <= the file's real size */
		if (p) {
			v->buf = p;
			v->buf_cap = m->enc_bytes;
		}
	}
	if (v->buf_cap >= m->enc_bytes)
		got = pread(fd, v->buf, m->enc_bytes, (off_t)off);
	bool chained = got >= 8 && cap_block_encoding_chained(v->buf[6] | (unsigned)v->buf[7] << 8);
	if (got != (ssize_t)m->enc_bytes)
		snprintf(why, sizeof(why), "cannot read it");
	else if (chained && seq_feed(v, fd, off))
		snprintf(why, sizeof(why), "out of memory");
	else if (chained ?
		 !block_seq__decode(v->seq, v->buf, m->enc_bytes, &recs, &n, why, sizeof(why)) :
		 !block_decoder__decode(v->dec, v->buf, m->enc_bytes, &recs, &n, why, sizeof(why)))
		why[0] = 0;
	if (chained)
		v->seq_pos = off + m->enc_bytes;
	if (!why[0] && v->no_index) {
		v->blocks_ok++;             /* nothing to compare it with */
		v->records_ok += m->nrecords;
	} else if (!why[0]) {
		v->unindexed_blocks++;
		v->unindexed_records += m->nrecords;
		problem(v, "%s/%s: offset %" PRIu64 ": a whole block (%u records) that the index "
			"does not have: 'bpfreplay recover' indexes it", v->path, file, off,
			m->nrecords);
	} else {
		v->blocks_bad++;
		v->records_lost += m->nrecords;
		problem(v, "damaged: %s/%s: unindexed block at offset %" PRIu64 ": %s", v->path, file,
			off, why);
	}
}

/* Walks one segment file.  idx: the indexed blocks in it, sorted by offset
 * (NULL, 0 for a file the index does not name). */
static void walk_segment(struct verify *v, int dirfd, const char *file, const struct ioff *idx,
			 size_t nidx, int64_t indexed_bytes)
{
	uint8_t hdr[CAP_BLOCK_HDR_BYTES];
	struct cap_block_meta m;
	struct stat st;
	char why[256];
	size_t k = 0;

	v->segments++;
	int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		problem(v, "%s/%s: %s%s", v->path, file, fd < 0 ? strerror(errno) :
			"not a regular file", nidx ? " (its indexed blocks are lost)" : "");
		if (fd >= 0)
			close(fd);
		return;
	}
	uint64_t size = (uint64_t)st.st_size, pos = CAP_SEG_HDR_BYTES;
	v->seq_pos = CAP_SEG_HDR_BYTES;
	if (v->seq)
		block_seq__reset(v->seq);
	ssize_t got = pread(fd, hdr, CAP_SEG_HDR_BYTES, 0);
	if (cap_segment__parse_header(hdr, got < 0 ? 0 : (size_t)got, why, sizeof(why))) {
		problem(v, "%s/%s: %s", v->path, file, why);
		close(fd);
		return;
	}
	if (indexed_bytes >= 0 && size < (uint64_t)indexed_bytes)
		problem(v, "%s/%s: %" PRIu64 " bytes, shorter than the %" PRId64 " the index "
			"says: truncated", v->path, file, size, indexed_bytes);
	while (pos < size) {
		while (k < nidx && idx[k].off < pos)
			k++;
		if (k < nidx && idx[k].off == pos) {   /* checked in 2. */
			pos += idx[k].len ? idx[k].len : 1;
			continue;
		}
		got = pread(fd, hdr, sizeof(hdr), (off_t)pos);
		int bad = got < 0 || block__parse_header(hdr, (size_t)got, NULL, &m) ||
			  m.enc_bytes > size - pos;
		if (!bad && (k >= nidx || pos + m.enc_bytes <= idx[k].off)) {
			stray_block(v, file, fd, pos, &m);
			pos += m.enc_bytes;
			continue;
		}
		uint64_t next = k < nidx ? idx[k].off : size;
		v->stray_bytes += next - pos;
		if (k < nidx)
			problem(v, "%s/%s: offset %" PRIu64 ": %" PRIu64 " bytes before the next indexed "
				"block are not a block", v->path, file, pos, next - pos);
		else
			problem(v, "%s/%s: offset %" PRIu64 ": %" PRIu64 " bytes after the last whole "
				"block: a partial block (the recorder stopped mid-write) or garbage",
				v->path, file, pos, next - pos);
		pos = next;
	}
	close(fd);
}

/* Every segment file: by the index (idx_db != NULL), or all seg-*.bpfrec. */
static int check_segments(struct verify *v, sqlite3 *db)
{
	int dirfd = open(v->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sqlite3_stmt *st = NULL, *bq = NULL;
	struct ioff *idx = NULL;
	size_t cap = 0;
	int rc = 0;

	if (dirfd < 0) {
		problem(v, "%s: %s", v->path, strerror(errno));
		return 0;
	}
	if (db && (sqlite3_prepare_v2(db, "SELECT id, file, bytes FROM segments ORDER BY id", -1, &st,
				      NULL) ||
		   sqlite3_prepare_v2(db, "SELECT offset, enc_bytes FROM blocks WHERE segment_id = ?1",
				      -1, &bq, NULL))) {
		v->index_errors++;
		problem(v, "%s: index: segments: %s", v->path, sqlite3_errmsg(db));
		goto out;
	}
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *file = (const char *)sqlite3_column_text(st, 1);
		size_t n = 0;
		sqlite3_reset(bq);
		sqlite3_bind_int64(bq, 1, sqlite3_column_int64(st, 0));
		while (sqlite3_step(bq) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				void *p = realloc(idx, cap * sizeof(*idx));
				if (!p) {
					rc = -ENOMEM;
					goto out;
				}
				idx = p;
			}
			idx[n++] = (struct ioff){ (uint64_t)sqlite3_column_int64(bq, 0),
						  (uint64_t)sqlite3_column_int64(bq, 1) };
		}
		if (n)
			qsort(idx, n, sizeof(*idx), cmp_ioff);
		walk_segment(v, dirfd, file, idx, n, sqlite3_column_int64(st, 2));   /* capr checked the name */
	}

	/* Segment files the index does not name (all of them without an index).
	 * In ring mode, files numbered up to meta 'ring_dropped_through' were
	 * dropped (their rows went first, a crash came before the unlink): left
	 * over, not damage (recover skips them too). */
	uint32_t dropped = db ? cap_segment__dropped_through(db) : 0;
	uint32_t *nos = NULL;
	size_t nnos = 0;
	if (cap_segment__list(v->path, &nos, &nnos) == -ENOMEM) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nnos; i++) {
		char name[CAP_SEG_NAME_MAX];
		cap_segment__name(nos[i], name);
		if (db && nos[i] <= dropped) {
			if (!v->quiet)
				printf("note: %s/%s: dropped by ring mode (left over by a crash; safe to "
				       "delete)\n", v->path, name);
			continue;
		}
		bool known = false;
		if (st) {
			sqlite3_stmt *k = NULL;
			if (!sqlite3_prepare_v2(db, "SELECT 1 FROM segments WHERE file = ?1", -1, &k,
						NULL)) {
				sqlite3_bind_text(k, 1, name, -1, SQLITE_STATIC);
				known = sqlite3_step(k) == SQLITE_ROW;
			}
			sqlite3_finalize(k);
		}
		if (known)
			continue;
		if (db)
			problem(v, "%s/%s: a segment file the index does not name", v->path, name);
		walk_segment(v, dirfd, name, NULL, 0, -1);
	}
	free(nos);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(bq);
	free(idx);
	close(dirfd);
	return rc;
}

static int take_option(void *ctx, int ch, const char *arg)
{
	if (ch != 'q')
		return CLI_NOT_MINE;
	((struct verify *)ctx)->quiet = true;
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL },
	};
	struct verify v = { 0 };
	const struct cli_cmd cmd = {
		.name = "verify", .help = help, .shortopts = "q", .longopts = opts,
		.take = take_option, .ctx = &v, .captures = CLI_ONE_CAPTURE,
	};
	struct cli_args a;
	char err[768];
	int rc = cli__parse(&cmd, argc, argv, &a);

	if (rc || a.help)
		goto out;
	v.path = a.paths[0];
	v.dec = block_decoder__new(CAPR_MAX_RAW_BYTES);
	if (!v.dec) {
		cli__warn("out of memory");
		rc = EXIT_CAPTURE;
		goto out;
	}

	struct stat st;
	bool is_dir = !stat(v.path, &st) && S_ISDIR(st.st_mode);
	v.c = capview__open(v.path, err, sizeof(err));
	if (!v.c) {
		if (!is_dir) {
			cli__warn("%s", err);
			rc = EXIT_CAPTURE;
			goto out;
		}
		/* No usable index: the segments can still be checked. */
		v.no_index = true;
		v.index_errors++;
		problem(&v, "%s", err);
		if (!v.quiet)
			printf("(no usable index: checking the segment files alone)\n");
		rc = check_segments(&v, NULL);
	} else {
		v.r = capview__capr(v.c);
		check_index(&v);
		rc = check_blocks(&v);
		if (!rc && !capr__is_bundle(v.r))
			rc = check_segments(&v, capr__db(v.r));
	}
	if (rc) {
		cli__warn("verify: %s", strerror(-rc));
		rc = EXIT_CAPTURE;
		goto out;
	}

	/* The summary. */
	uint64_t blocks = v.blocks_ok + v.blocks_bad;
	printf("verify: %s: %" PRIu64 " blocks, %" PRIu64 " events", v.path, blocks + v.unindexed_blocks,
	       v.records_ok + v.unindexed_records);
	if (!v.problems) {
		printf(": intact\n");
	} else {
		printf("; %" PRIu64 " damaged blocks (%" PRIu64 " events lost), %" PRIu64
		       " unindexed blocks (%" PRIu64 " events), %" PRIu64 " stray bytes, %" PRIu64
		       " index errors: DAMAGED", v.blocks_bad, v.records_lost, v.unindexed_blocks,
		       v.unindexed_records, v.stray_bytes, v.index_errors);
		if (v.unindexed_blocks && v.c)
			printf(" (run 'bpfreplay recover %s')", v.path);
		printf("\n");
		rc = EXIT_CAPTURE;
	}
out:
	capview__close(v.c);
	block_decoder__free(v.dec);
	block_seq__free(v.seq);
	free(v.buf);
	cli__args_free(&a);
	return rc;
}
