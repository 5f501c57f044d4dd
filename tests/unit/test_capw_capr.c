/* test_capw_capr - write a capture with capw, read it back with capr;
 * damaged segments, hostile index rows, a missing index, a full disk. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capr.h"
#include "capw.h"
#include "testutil.h"
#include "fixtures/crashcap.h"

#define NREC 40000
#define BASE_TS 5000000000ull

/* Record i: ts strictly increasing, so a sort by ts restores write order. */
struct exp_rec { uint64_t ts; uint32_t stream, cpu, len; };

static struct exp_rec exp_recs[NREC];
static uint32_t stream_ids[3];

static void payload(uint64_t ts, uint32_t len, uint8_t *buf)
{
	for (uint32_t j = 0; j < len; j++)
		buf[j] = (uint8_t)((ts >> ((j % 8) * 8)) + j * 13);
}

static int cmp_rec(const void *a, const void *b)
{
	const struct cap_rec *x = a, *y = b;
	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

static const char btf_blob[] = "\x9f\xeb\x01\x00 pretend BTF \0 with a NUL";

static void write_capture(const char *dir, uint64_t segment_bytes, struct capw_stats *st_out)
{
	struct capw_opts o = { .zstd_level = 3, .segment_bytes = segment_bytes };
	struct capw *w = capw__create(dir, &o);
	struct cap_session s = {
		.host = "testhost", .kernel_release = "6.1.0-test", .boot_id = "b00t-1d",
		.cmdline = "bpfrec record -o 'x y'", .tool_version = "0.1.0",
		.clock_boot_ns = 1000, .clock_real_ns = 1700000000000000000ull, .start_ns = BASE_TS,
	};
	uint32_t obj1, obj2;
	uint64_t rng = 99;
	uint8_t buf[512];

	CHECK(w != NULL);
	CHECK_EQ_INT(capw__set_session(w, &s), 0);
	CHECK_EQ_INT(capw__set_session(w, &s), -EEXIST);
	CHECK_EQ_INT(capw__add_object(w, "exec", NULL, btf_blob, sizeof(btf_blob), &obj1), 0);
	CHECK_EQ_INT(capw__add_object(w, "user.bpf.o", "/tmp/user.bpf.o", NULL, 0, &obj2), 0);
	struct cap_stream_desc d[3] = {
		{ "exec", "ringbuf", obj1, "rb", "exec_event", 42, 0 },
		{ "net", "perf", obj2, "events", NULL, 0, -1 },
		{ "misc", "ringbuf", obj2, "rb2", "misc_ev", 7, 8 },
	};
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(capw__add_stream(w, &d[i], &stream_ids[i]), 0);
	CHECK_EQ_INT(capw__add_stream(w, &d[0], NULL) < 0, 1);   /* duplicate name */

	struct blockbuf *b = blockbuf__new(16 << 10);
	uint64_t ts = BASE_TS;
	for (int i = 0; i < NREC; i++) {
		uint64_t x = test_rand(&rng);
		struct exp_rec *r = &exp_recs[i];
		int k = x % 3;
		ts += 1 + (x >> 8) % 1000;
		r->ts = ts;
		r->stream = stream_ids[k];
		r->cpu = k == 1 ? (x >> 20) % 4 : CAP_CPU_UNKNOWN;
		r->len = k == 0 ? 64 : k == 1 ? (x >> 30) % 200 : 24;
		payload(ts, r->len, buf);
		int rc = blockbuf__add(b, r->stream, r->cpu, r->ts, buf, r->len);
		if (rc == -ENOSPC) {
			CHECK_EQ_INT(capw__write_block(w, b), 0);
			blockbuf__reset(b);
			rc = blockbuf__add(b, r->stream, r->cpu, r->ts, buf, r->len);
		}
		CHECK_EQ_INT(rc, 0);
		if (i == NREC / 2)
			CHECK_EQ_INT(capw__flush(w), 0);
	}
	CHECK_EQ_INT(capw__write_block(w, b), 0);
	blockbuf__reset(b);
	CHECK_EQ_INT(capw__write_block(w, b), 0);   /* empty: no-op */
	blockbuf__free(b);
	CHECK_EQ_INT(capw__add_loss(w, stream_ids[1], 2, BASE_TS + 10, 5), 0);
	CHECK_EQ_INT(capw__add_loss(w, stream_ids[0], CAP_CPU_UNKNOWN, BASE_TS + 20, 7), 0);
	capw__stats(w, st_out);
	CHECK_EQ_U64(st_out->records, NREC);
	CHECK_EQ_INT(capw__close(w, ts + 1), 0);
}

static char q_buf[1024];
static const char *q_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	snprintf(q_buf, sizeof(q_buf), "%s", t ? (const char *)t : "(null)");
	sqlite3_finalize(st);
	return q_buf;
}

/* Reads every block, checks every record against exp_recs. */
static void read_all(struct capr *r)
{
	const struct cap_block_info *bl;
	size_t nb;
	char err[512];
	struct cap_rec *all = malloc(NREC * sizeof(*all));
	uint8_t *data = malloc(NREC * 200), *dp = data;
	size_t n = 0;

	CHECK_EQ_INT(capr__blocks(r, &bl, &nb), 0);
	for (size_t i = 0; i < nb; i++) {
		const struct cap_rec *recs;
		uint32_t nrecs;
		if (i)
			CHECK(bl[i - 1].meta.min_ts_ns <= bl[i].meta.min_ts_ns);
		int rc = capr__read_block(r, &bl[i], &recs, &nrecs, err, sizeof(err));
		if (rc)
			fprintf(stderr, "%s\n", err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(nrecs, bl[i].meta.nrecords);
		for (uint32_t j = 0; j < nrecs; j++) {
			CHECK(n < NREC);
			CHECK(recs[j].ts_ns >= bl[i].meta.min_ts_ns && recs[j].ts_ns <= bl[i].meta.max_ts_ns);
			all[n] = recs[j];
			memcpy(dp, recs[j].data, recs[j].len);   /* data dies with the next read */
			all[n].data = dp;
			dp += recs[j].len;
			n++;
		}
	}
	CHECK_EQ_INT(n, NREC);
	qsort(all, n, sizeof(*all), cmp_rec);
	uint8_t buf[512];
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_U64(all[i].ts_ns, exp_recs[i].ts);
		CHECK_EQ_INT(all[i].stream, exp_recs[i].stream);
		CHECK_EQ_INT(all[i].cpu, exp_recs[i].cpu);
		CHECK_EQ_INT(all[i].len, exp_recs[i].len);
		payload(exp_recs[i].ts, exp_recs[i].len, buf);
		CHECK(memcmp(all[i].data, buf, all[i].len) == 0);
	}
	free(all);
	free(data);
}

static void check_metadata(sqlite3 *db, const struct capw_stats *st)
{
	CHECK_STR(q_text(db, "SELECT value FROM meta WHERE key='format_version'"), "1");
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sessions"), 1);
	CHECK_STR(q_text(db, "SELECT host||'|'||kernel_release||'|'||boot_id||'|'||cmdline||'|'||"
			 "tool_version FROM sessions"),
		  "testhost|6.1.0-test|b00t-1d|bpfrec record -o 'x y'|0.1.0");
	CHECK_EQ_INT(q_int(db, "SELECT clock_boot_ns FROM sessions"), 1000);
	CHECK_EQ_U64(q_int(db, "SELECT clock_real_ns FROM sessions"), 1700000000000000000ull);
	CHECK_EQ_U64(q_int(db, "SELECT start_ns FROM sessions"), BASE_TS);
	CHECK_EQ_U64(q_int(db, "SELECT end_ns FROM sessions"), exp_recs[NREC - 1].ts + 1);

	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM objects"), 2);
	CHECK_STR(q_text(db, "SELECT name||'|'||ifnull(path,'NULL')||'|'||ifnull(length(btf),'NULL') "
			 "FROM objects ORDER BY id LIMIT 1"), "exec|NULL|30");
	CHECK_STR(q_text(db, "SELECT name||'|'||path||'|'||ifnull(btf,'NULL') FROM objects "
			 "ORDER BY id DESC LIMIT 1"), "user.bpf.o|/tmp/user.bpf.o|NULL");
	sqlite3_stmt *s;
	CHECK(sqlite3_prepare_v2(db, "SELECT btf FROM objects WHERE name='exec'", -1, &s, NULL) == 0);
	CHECK(sqlite3_step(s) == SQLITE_ROW);
	CHECK_EQ_INT(sqlite3_column_bytes(s, 0), sizeof(btf_blob));
	CHECK(memcmp(sqlite3_column_blob(s, 0), btf_blob, sizeof(btf_blob)) == 0);
	sqlite3_finalize(s);

	CHECK_STR(q_text(db, "SELECT group_concat(name||','||kind||','||object_id||','||map_name||','||"
			 "ifnull(type_name,'NULL')||','||type_id||','||ts_offset, ';') FROM "
			 "(SELECT * FROM streams ORDER BY id)"),
		  "exec,ringbuf,1,rb,exec_event,42,0;net,perf,2,events,NULL,0,-1;"
		  "misc,ringbuf,2,rb2,misc_ev,7,8");
	CHECK_STR(q_text(db, "SELECT group_concat(stream_id||','||ifnull(cpu,'NULL')||','||ts||','||"
			 "count, ';') FROM (SELECT * FROM losses ORDER BY id)"),
		  "2,2,5000000010,5;1,NULL,5000000020,7");

	CHECK_EQ_U64(q_int(db, "SELECT count(*) FROM blocks"), st->blocks);
	CHECK_EQ_INT(q_int(db, "SELECT sum(nrecords) FROM blocks"), NREC);
	CHECK_EQ_INT(q_int(db, "SELECT sum(nrecords) FROM block_streams"), NREC);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM blocks b WHERE nrecords != (SELECT "
			   "sum(nrecords) FROM block_streams WHERE block_id = b.id)"), 0);
	for (int i = 0; i < 3; i++) {
		char sql[200];
		int64_t c = 0;
		for (int j = 0; j < NREC; j++)
			c += exp_recs[j].stream == stream_ids[i];
		snprintf(sql, sizeof(sql), "SELECT sum(nrecords) FROM block_streams WHERE stream_id=%u",
			 stream_ids[i]);
		CHECK_EQ_INT(q_int(db, sql), c);
	}
	/* Segments: the index's bytes is each file's real size. */
	CHECK(q_int(db, "SELECT count(*) FROM segments") > 2);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM blocks b JOIN segments s ON s.id = b.segment_id "
			   "WHERE b.offset + b.enc_bytes > s.bytes"), 0);
}

static void flip(const char *dir, const char *file, uint64_t off)
{
	char path[4200];
	uint8_t c;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK(pread(fd, &c, 1, (off_t)off) == 1);
	c ^= 0x10;
	CHECK(pwrite(fd, &c, 1, (off_t)off) == 1);
	close(fd);
}

static int scan_cb(uint64_t off, const struct cap_block_meta *m, void *ctx)
{
	uint64_t *n = ctx;

	CHECK(off >= CAP_SEG_HDR_BYTES);
	n[0]++;
	n[1] += m->nrecords;
	return 0;
}

/* Recovery walk: the segments alone give every block and record. */
static void test_scan(const char *dir, size_t nblocks)
{
	uint64_t n[2] = { 0, 0 }, end;
	char path[4200], err[512];

	for (int i = 1;; i++) {
		snprintf(path, sizeof(path), "%s/seg-%06d.bpfrec", dir, i);
		if (access(path, F_OK))
			break;
		struct stat st;
		CHECK(stat(path, &st) == 0);
		CHECK_EQ_INT(cap_segment__scan(path, scan_cb, n, &end, err, sizeof(err)), 0);
		CHECK_EQ_U64(end, (uint64_t)st.st_size);
	}
	CHECK_EQ_U64(n[0], nblocks);
	CHECK_EQ_U64(n[1], NREC);
	snprintf(path, sizeof(path), "%s/index.db", dir);
	CHECK_EQ_INT(cap_segment__scan(path, NULL, NULL, NULL, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "not a bpfrec segment") != NULL);
}

static void test_damage(const char *dir)
{
	char err[512], want[4400];
	struct capr *r = capr__open(dir, err, sizeof(err));
	const struct cap_block_info *bl;
	const struct cap_rec *recs;
	uint32_t nrecs;
	size_t nb;

	CHECK(r != NULL);
	capr__blocks(r, &bl, &nb);
	CHECK(nb > 6);
	/* Damage three blocks: frame middle, header, frame checksum (last byte). */
	size_t bad[3] = { 1, nb / 2, nb - 2 };
	uint64_t where[3] = { bl[bad[0]].offset + 48 + bl[bad[0]].meta.enc_bytes / 2,
			      bl[bad[1]].offset + 20,
			      bl[bad[2]].offset + bl[bad[2]].meta.enc_bytes - 1 };
	char seg[3][64];
	for (int k = 0; k < 3; k++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "SELECT file FROM segments WHERE id = %lld",
			 (long long)bl[bad[k]].segment_id);
		snprintf(seg[k], sizeof(seg[k]), "%s", q_text(capr__db(r), sql));
		flip(dir, seg[k], where[k]);
	}
	uint64_t before = capr__blocks_decoded(r);
	size_t good = 0;
	for (size_t i = 0; i < nb; i++) {
		int k = i == bad[0] ? 0 : i == bad[1] ? 1 : i == bad[2] ? 2 : -1;
		int rc = capr__read_block(r, &bl[i], &recs, &nrecs, err, sizeof(err));
		if (k < 0) {
			CHECK_EQ_INT(rc, 0);
			good++;
			continue;
		}
		CHECK_EQ_INT(rc, -EBADMSG);
		fprintf(stderr, "expected: %s\n", err);
		snprintf(want, sizeof(want), "%s/%s: block %lld at offset %llu: ", dir, seg[k],
			 (long long)bl[i].id, (unsigned long long)bl[i].offset);
		CHECK(strncmp(err, want, strlen(want)) == 0);
		if (k == 1)
			CHECK(strstr(err, "CRC") != NULL);
	}
	CHECK_EQ_U64(capr__blocks_decoded(r) - before, good);

	/* A truncated segment: the cut block says so, the others still read. */
	char sql[200], path[4200];
	struct cap_block_info lastb = bl[0], *last = &lastb;
	for (size_t i = 0; i < nb; i++)
		if (bl[i].id > last->id)
			lastb = bl[i];
	snprintf(sql, sizeof(sql), "SELECT file FROM segments WHERE id = %lld",
		 (long long)last->segment_id);
	snprintf(path, sizeof(path), "%s/%s", dir, q_text(capr__db(r), sql));
	capr__close(r);
	CHECK(truncate(path, (off_t)(last->offset + last->meta.enc_bytes - 3)) == 0);
	uint64_t end;
	CHECK_EQ_INT(cap_segment__scan(path, NULL, NULL, &end, err, sizeof(err)), -EBADMSG);
	fprintf(stderr, "expected: %s\n", err);
	CHECK(strstr(err, "partial block") != NULL);
	CHECK_EQ_U64(end, last->offset);
	r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	capr__blocks(r, &bl, &nb);
	struct capr_cursor *c = capr__cursor_new(r);
	int hit = 0;
	for (size_t i = 0; i < nb; i++) {
		int rc = capr__cursor_read(c, &bl[i], &recs, &nrecs, err, sizeof(err));
		if (bl[i].id == last->id) {
			CHECK_EQ_INT(rc, -EBADMSG);
			CHECK(strstr(err, "past the end") != NULL);
			hit++;
		}
	}
	CHECK_EQ_INT(hit, 1);
	capr__cursor_free(c);
	capr__close(r);
}

static void test_hostile_index(const char *dir)
{
	char err[512];
	struct capr *r;

	static const char *const names[] = { "../seg-000001.bpfrec", "sub/seg", "..", "/etc/passwd", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char sql[256];
		snprintf(sql, sizeof(sql), "UPDATE segments SET file = '%s' WHERE id = 1", names[i]);
		poke_index(dir, sql);
		r = capr__open(dir, err, sizeof(err));
		CHECK(r == NULL);
		fprintf(stderr, "expected: %s\n", err);
		CHECK(strstr(err, "plain name") != NULL);
	}
	poke_index(dir, "UPDATE segments SET file = 'seg-000001.bpfrec' WHERE id = 1");
	r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	capr__close(r);

	/* A symlinked segment is not followed. */
	char a[4200], b[4200];
	snprintf(a, sizeof(a), "%s/seg-000002.bpfrec", dir);
	snprintf(b, sizeof(b), "%s/seg-000002.real", dir);
	CHECK(rename(a, b) == 0);
	CHECK(symlink("seg-000002.real", a) == 0);
	r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	const struct cap_block_info *bl;
	const struct cap_rec *recs;
	uint32_t nrecs;
	size_t nb;
	int refused = 0;
	capr__blocks(r, &bl, &nb);
	for (size_t i = 0; i < nb; i++)
		if (bl[i].segment_id == 2) {
			CHECK(capr__read_block(r, &bl[i], &recs, &nrecs, err, sizeof(err)) < 0);
			refused++;
		}
	CHECK(refused > 0);
	fprintf(stderr, "expected: %s\n", err);
	capr__close(r);
	unlink(a);
	CHECK(rename(b, a) == 0);

	/* An unfinished index (hot journal) is refused with a reason. */
	snprintf(a, sizeof(a), "%s/index.db-journal", dir);
	int fd = open(a, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	r = capr__open(dir, err, sizeof(err));
	CHECK(r == NULL);
	CHECK(strstr(err, "index.db-journal") != NULL);
	unlink(a);

	/* Index blocks row pointing past a segment's end, or at a bad size. */
	poke_index(dir, "UPDATE blocks SET offset = offset + 1000000000 WHERE id = 3");
	r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	capr__blocks(r, &bl, &nb);
	for (size_t i = 0; i < nb; i++)
		if (bl[i].id == 3) {
			CHECK_EQ_INT(capr__read_block(r, &bl[i], &recs, &nrecs, err, sizeof(err)), -EBADMSG);
			CHECK(strstr(err, "past the end") != NULL);
		}
	capr__close(r);
	poke_index(dir, "UPDATE blocks SET offset = offset - 1000000000 WHERE id = 3");

	/* A row whose time alone disagrees with its block's header: the
	 * message names that field (records and sizes agree). */
	poke_index(dir, "UPDATE blocks SET max_ts = max_ts + 7 WHERE id = 3");
	r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	capr__blocks(r, &bl, &nb);
	for (size_t i = 0; i < nb; i++)
		if (bl[i].id == 3) {
			char want[160];

			CHECK_EQ_INT(capr__read_block(r, &bl[i], &recs, &nrecs, err, sizeof(err)), -EBADMSG);
			snprintf(want, sizeof(want), "disagrees with the index: last time %" PRIu64
				 " in the header, %" PRIu64 " in the index", bl[i].meta.max_ts_ns - 7,
				 bl[i].meta.max_ts_ns);
			if (!strstr(err, want)) {
				fprintf(stderr, "got: %s\nwant: %s\n", err, want);
				CHECK(0);
			}
		}
	capr__close(r);
	poke_index(dir, "UPDATE blocks SET max_ts = max_ts - 7 WHERE id = 3");
	poke_index(dir, "UPDATE blocks SET enc_bytes = -5 WHERE id = 3");
	CHECK(capr__open(dir, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "out of range") != NULL);
	poke_index(dir, "UPDATE blocks SET enc_bytes = 4 WHERE id = 3");
	CHECK(capr__open(dir, err, sizeof(err)) == NULL);

	/* A damaged index.db. */
	char idx[4200];
	snprintf(idx, sizeof(idx), "%s/index.db", dir);
	fd = open(idx, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "garbage!", 8, 0) == 8);
	close(fd);
	CHECK(capr__open(dir, err, sizeof(err)) == NULL);
	fprintf(stderr, "expected: %s\n", err);
	CHECK(strstr(err, "index.db") != NULL);

	/* Missing index.db. */
	CHECK(unlink(idx) == 0);
	r = capr__open(dir, err, sizeof(err));
	CHECK(r == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	fprintf(stderr, "expected: %s\n", err);
	CHECK(strstr(err, "index.db: No such file or directory") != NULL);

	/* Not a directory at all. */
	snprintf(a, sizeof(a), "%s/seg-000001.bpfrec", dir);
	CHECK(capr__open(a, err, sizeof(err)) == NULL);
	fprintf(stderr, "expected: %s\n", err);
	CHECK(strstr(err, "a capture is a directory") != NULL);
}

/* The disk fills (simulated with RLIMIT_FSIZE, no root needed): the writer
 * stops, keeps every whole block, and the capture still opens and reads. */
static void test_full_disk(const char *dir)
{
	struct capw_opts o = { .zstd_level = 1 };
	struct capw *w = capw__create(dir, &o);
	struct blockbuf *b = blockbuf__new(64 << 10);
	struct rlimit old, lim;
	uint64_t rng = 5, ts = BASE_TS;
	uint8_t buf[256];
	uint32_t sid;
	int rc = 0, blocks = 0;

	CHECK(w && b);
	struct cap_stream_desc d = { "s", "perf", 0, "m", NULL, 0, -1 };
	struct cap_session sess = { .host = "h", .start_ns = BASE_TS };
	CHECK_EQ_INT(capw__set_session(w, &sess), 0);
	CHECK_EQ_INT(capw__add_stream(w, &d, &sid), 0);
	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 300 << 10;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	for (int i = 0; i < 100 && !rc; i++) {
		blockbuf__reset(b);
		while (1) {
			for (size_t j = 0; j < sizeof(buf); j++)
				buf[j] = (uint8_t)test_rand(&rng);   /* incompressible */
			if (blockbuf__add(b, sid, 0, ts++, buf, sizeof(buf)))
				break;
		}
		rc = capw__write_block(w, b);
		if (!rc)
			blocks++;
		if (i % 2)
			capw__flush(w);
	}
	CHECK_EQ_INT(rc, -EFBIG);
	CHECK(blocks > 0);
	/* The block that failed and one after it are not written: their
	 * records are counted as lost, a losses row each. */
	uint32_t in_block = blockbuf__count(b);
	CHECK_EQ_INT(capw__write_block(w, b), -EFBIG);   /* stopped */
	CHECK_EQ_INT(capw__add_loss(w, sid, 0, ts, 3), 0);   /* metadata still goes in */
	struct capw_stats cs;
	CHECK_EQ_INT(capw__finish(w, ts), -EFBIG);
	capw__stats(w, &cs);
	CHECK_EQ_U64(cs.unwritten_records, 2 * (uint64_t)in_block);
	CHECK_EQ_U64(cs.losses, 2 * (uint64_t)in_block + 3);
	CHECK_EQ_U64(cs.end_recorded, 1);
	CHECK_EQ_INT(capw__close(w, ts), -EFBIG);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	blockbuf__free(b);

	char err[512];
	struct capr *r = capr__open(dir, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	const struct cap_block_info *bl;
	const struct cap_rec *recs;
	uint32_t nrecs;
	size_t nb;
	capr__blocks(r, &bl, &nb);
	CHECK_EQ_INT(nb, blocks);
	for (size_t i = 0; i < nb; i++)
		CHECK_EQ_INT(capr__read_block(r, &bl[i], &recs, &nrecs, err, sizeof(err)), 0);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT count(*) FROM losses"), 3);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT sum(count) FROM losses"), 2 * in_block + 3);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT sum(nrecords) FROM blocks"), (int64_t)cs.records);
	/* The segment ends exactly after its last whole block. */
	char path[4200];
	struct stat st;
	snprintf(path, sizeof(path), "%s/seg-000001.bpfrec", dir);
	CHECK(stat(path, &st) == 0);
	CHECK_EQ_U64((uint64_t)st.st_size, q_int(capr__db(r), "SELECT bytes FROM segments"));
	capr__close(r);
}

/* A recorder killed mid-batch: the last flush's blocks are indexed, the
 * rest (including a whole segment created after it) are only in the
 * segments; capw__recover indexes them. */
static void test_crash_recover(const char *dir)
{
	enum { BEFORE = 6, AFTER = 9, PER = 200 };
	char err[512];

	crashcap_write(dir, &(struct crashcap){ .segment_bytes = 40 << 10, .before = BEFORE,
						.after = AFTER, .per = PER, .seed = 3,
						.base_ts = BASE_TS });

	struct capr *r = capr__open(dir, err, sizeof(err));
	const struct cap_block_info *bl;
	size_t nb;
	if (r) {
		capr__blocks(r, &bl, &nb);
		CHECK_EQ_INT(nb, BEFORE);
		capr__close(r);
	} else {
		fprintf(stderr, "expected: %s\n", err);
		CHECK(strstr(err, "index.db-journal") != NULL);
	}
	uint64_t added = 0;
	CHECK_EQ_INT(capw__recover(dir, &added), 0);
	CHECK_EQ_U64(added, AFTER);
	CHECK_EQ_INT(capw__recover(dir, &added), 0);
	CHECK_EQ_U64(added, 0);   /* idempotent */

	r = capr__open(dir, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	capr__blocks(r, &bl, &nb);
	CHECK_EQ_INT(nb, BEFORE + AFTER);
	uint64_t total = 0;
	for (size_t i = 0; i < nb; i++) {
		const struct cap_rec *recs;
		uint32_t n;
		CHECK_EQ_INT(capr__read_block(r, &bl[i], &recs, &n, err, sizeof(err)), 0);
		total += n;
	}
	CHECK_EQ_U64(total, (BEFORE + AFTER) * PER);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT sum(nrecords) FROM block_streams"),
		     (BEFORE + AFTER) * PER);
	CHECK(q_int(capr__db(r), "SELECT count(*) FROM segments") > 2);
	capr__close(r);
}

/* The metadata a rebuilt index must give back whole, as one string. */
static const char META_DUMP[] =
	"SELECT (SELECT group_concat(host||kernel_release||boot_id||cmdline||tool_version||"
	"clock_boot_ns||clock_real_ns||start_ns||ifnull(end_ns,'-'), ';') FROM sessions) || '#' ||"
	"(SELECT group_concat(id||name||ifnull(path,'-')||ifnull(hex(btf),'-'), ';') FROM objects)"
	" || '#' || (SELECT group_concat(id||name||kind||object_id||map_name||"
	"ifnull(type_name,'-')||type_id||ts_offset, ';') FROM streams)";

/* index.db lost: capw__recover makes a new one from catalog.db and the
 * segments; every record reads back with its stream, type and BTF; the
 * losses are marked unknown.  A hostile catalog is refused and leaves no
 * index behind; without either file, recovery says so. */
static void test_rebuild(const char *dir)
{
	char path[4200], cat[4200], err[512], before[4096];
	struct capw_stats st;
	uint64_t added = 0;
	sqlite3 *db;
	struct capr *r;
	size_t nb0, nb;
	const struct cap_block_info *bl;

	write_capture(dir, 64 << 10, &st);
	CHECK(snprintf(path, sizeof(path), "%s/index.db", dir) < (int)sizeof(path));
	CHECK(snprintf(cat, sizeof(cat), "%s/catalog.db", dir) < (int)sizeof(cat));
	/* The catalog holds the metadata, with the end time written at close. */
	CHECK(sqlite3_open_v2(cat, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM streams"), 3);
	CHECK(q_int(db, "SELECT end_ns FROM sessions") > 0);
	sqlite3_close(db);

	r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	snprintf(before, sizeof(before), "%s", q_text(capr__db(r), META_DUMP));
	capr__blocks(r, &bl, &nb0);
	capr__close(r);
	CHECK(unlink(path) == 0);
	CHECK(capr__open(dir, err, sizeof(err)) == NULL);

	CHECK_EQ_INT(capw__recover(dir, &added), 0);
	CHECK_EQ_U64(added, nb0);
	r = capr__open(dir, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	CHECK_STR(q_text(capr__db(r), META_DUMP), before);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT count(*) FROM meta WHERE key = 'losses_unknown'"), 1);
	CHECK_EQ_INT(q_int(capr__db(r), "SELECT count(*) FROM losses"), 0);
	capr__blocks(r, &bl, &nb);
	CHECK_EQ_INT(nb, nb0);
	read_all(r);   /* every record, against what was written */
	capr__close(r);
	CHECK_EQ_INT(capw__recover(dir, &added), 0);
	CHECK_EQ_U64(added, 0);

	/* A catalog whose tables do not fit the index's: refused, nothing left. */
	CHECK(unlink(path) == 0);
	CHECK(unlink(cat) == 0);
	CHECK(sqlite3_open(cat, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE meta (k, v); INSERT INTO meta VALUES "
			   "('format_version', '1'); CREATE TABLE sessions (a); CREATE TABLE "
			   "objects (a); CREATE TABLE streams (id, name)", NULL, NULL, NULL) ==
	      SQLITE_OK);
	sqlite3_close(db);
	CHECK(capw__recover(dir, &added) < 0);
	CHECK(access(path, F_OK) != 0);

	/* A catalog with a view (anything but plain tables): refused. */
	CHECK(unlink(cat) == 0);
	CHECK(sqlite3_open(cat, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE meta (key, value); CREATE TABLE sessions (a); "
			   "CREATE TABLE objects (a); CREATE VIEW streams AS SELECT 1", NULL, NULL,
			   NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(capw__recover(dir, &added) < 0);
	CHECK(access(path, F_OK) != 0);

	/* Neither file. */
	CHECK(unlink(cat) == 0);
	CHECK_EQ_INT(capw__recover(dir, &added), -ENOENT);
	CHECK(access(path, F_OK) != 0);
}

int main(void)
{
	char dir[4096], err[512];
	struct capw_stats st;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("capw_capr"));
	strcat(dir, "/cap");
	write_capture(dir, 256 << 10, &st);
	printf("wrote %llu records, %llu blocks, %llu bytes\n", (unsigned long long)st.records,
	       (unsigned long long)st.blocks, (unsigned long long)st.written_bytes);

	/* A second create in the same (now non-empty) directory is refused. */
	CHECK(capw__create(dir, NULL) == NULL);
	CHECK_EQ_INT(errno, EEXIST);

	struct capr *r = capr__open(dir, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	CHECK_STR(capr__path(r), dir);
	check_metadata(capr__db(r), &st);
	CHECK_EQ_U64(capr__blocks_decoded(r), 0);
	read_all(r);
	CHECK_EQ_U64(capr__blocks_decoded(r), st.blocks);
	/* Cursors are independent: one's records survive another's reads. */
	{
		const struct cap_block_info *bl;
		const struct cap_rec *ra, *rb;
		uint32_t na, nb2;
		size_t nbl;
		capr__blocks(r, &bl, &nbl);
		struct capr_cursor *ca = capr__cursor_new(r), *cb = capr__cursor_new(r);
		CHECK(ca && cb);
		CHECK_EQ_INT(capr__cursor_read(ca, &bl[0], &ra, &na, err, sizeof(err)), 0);
		uint64_t ts0 = ra[0].ts_ns;
		uint8_t d0[512];
		memcpy(d0, ra[0].data, ra[0].len);
		CHECK_EQ_INT(capr__cursor_read(cb, &bl[nbl - 1], &rb, &nb2, err, sizeof(err)), 0);
		CHECK_EQ_INT(capr__read_block(r, &bl[1], &rb, &nb2, err, sizeof(err)), 0);
		CHECK_EQ_U64(ra[0].ts_ns, ts0);
		CHECK(memcmp(ra[0].data, d0, ra[0].len) == 0);
		capr__cursor_free(ca);
		capr__cursor_free(cb);
		CHECK_EQ_U64(capr__blocks_decoded(r), st.blocks + 3);
	}
	/* The reader's connection is read-only. */
	CHECK(sqlite3_exec(capr__db(r), "DELETE FROM losses", NULL, NULL, NULL) != SQLITE_OK);
	capr__close(r);
	capr__close(NULL);

	test_scan(dir, st.blocks);
	test_damage(dir);
	test_hostile_index(dir);

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("capw_full"));
	strcat(dir, "/cap");
	test_full_disk(dir);

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("capw_crash"));
	strcat(dir, "/cap");
	test_crash_recover(dir);

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("capw_rebuild"));
	strcat(dir, "/cap");
	test_rebuild(dir);
	printf("test_capw_capr: ok\n");
	return 0;
}
