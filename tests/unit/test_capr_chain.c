/* test_capr_chain - a capture of chained blocks (capw_opts.chain_blocks,
 * block encoding 4) reads back value by value through capr: in order, in
 * reverse order and one block alone, each read decoding at most the
 * block's chain before it (a time-range read stays bounded); chains never
 * span segments (the writer starts one anew in each); a block whose base is
 * damaged is refused, naming it, while blocks that do not need it read.
 * Projected reads (the SQL tables') read the same values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdint.h>
#include <unistd.h>

#include <sqlite3.h>

#include "block.h"
#include "capr.h"
#include "capw.h"
#include "testutil.h"
#include "fixtures/genev.h"

#define NREC 40000u
#define CHAIN 4u
#define BLOCK_BYTES (64u * 1024u)   /* ~730 records a block */

/* Chained blocks encoded again as a chain's first: its return. */
static uint64_t write_capture_seg(const char *dir, unsigned chain, uint64_t segment_bytes)
{
	struct capw_opts o = { .segment_bytes = segment_bytes, .chain_blocks = chain };
	struct capw *w = capw__create(dir, &o);
	struct blockbuf *bb = blockbuf__new(BLOCK_BYTES);
	struct cap_session sess = { "host", "6.18", "boot", "test", "test", 1, 2, 3 };
	struct genev_gen g = { .rng = 99, .now = 5000000000ull, .variant = 1 };
	uint32_t obj, sid;
	struct genev e;

	CHECK(w && bb);
	CHECK(!capw__set_session(w, &sess));
	CHECK(!capw__add_object(w, "chain", NULL, NULL, 0, &obj));
	struct cap_stream_desc d = { "events", "ringbuf", obj, "events", NULL, 0, 0 };
	CHECK(!capw__add_stream(w, &d, &sid));
	for (uint64_t i = 0; i < NREC; i++) {
		genev_next(&g, i, &e);
		int rc = blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e));
		if (rc == -ENOSPC) {
			CHECK(!capw__write_block(w, bb));
			blockbuf__reset(bb);
			rc = blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e));
		}
		CHECK_EQ_INT(rc, 0);
	}
	CHECK(!capw__write_block(w, bb));
	struct capw_stats st;
	capw__stats(w, &st);
	CHECK(!capw__close(w, g.now + 1000));
	blockbuf__free(bb);
	return st.chain_reencoded;
}

static void write_capture(const char *dir, unsigned chain)
{
	/* segments of ~10 blocks: chains meet segment ends */
	write_capture_seg(dir, chain, 64 * 1024);
}

/* Block b's records against the generator's (records are in ts order
 * within the capture: one stream, one writer). */
static void check_block(const struct cap_rec *recs, uint32_t n, const struct genev *all)
{
	for (uint32_t k = 0; k < n; k++) {
		/* seq is i + 1: the generator's record i */
		struct genev got;

		CHECK_EQ_INT(recs[k].len, sizeof(got));
		memcpy(&got, recs[k].data, sizeof(got));
		CHECK(got.seq >= 1 && got.seq <= NREC);
		const struct genev *want = &all[got.seq - 1];
		CHECK_EQ_U64(recs[k].ts_ns, want->ts_ns);
		CHECK(!memcmp(&got, want, sizeof(got)));
	}
}

/* Every block of the capture (or bundle) at path decodes and gives its
 * records back value by value, NREC in all; returns the blocks. */
static size_t read_whole(const char *path, const struct genev *all)
{
	const struct cap_block_info *blocks;
	const struct cap_rec *recs;
	char err[512];
	uint64_t total = 0;
	uint32_t n;
	size_t nb;
	struct capr *r = capr__open(path, err, sizeof(err));

	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	for (size_t b = 0; b < nb; b++) {
		CHECK_EQ_INT(capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err)), 0);
		check_block(recs, n, all);
		total += n;
	}
	CHECK_EQ_U64(total, NREC);
	capr__close(r);
	return nb;
}

/* Projected records (pid|tid, seq, the file, latency: words 1, 2, 5, 7;
 * seq always among them) against the generator's, the words wanted. */
static void check_words(const struct cap_rec *recs, uint32_t n, const struct genev *all,
			uint64_t words)
{
	for (uint32_t k = 0; k < n; k++) {
		uint64_t seq;

		CHECK_EQ_INT(recs[k].len, sizeof(struct genev));
		memcpy(&seq, recs[k].data + 8 * 2, 8);
		CHECK(seq >= 1 && seq <= NREC);
		CHECK_EQ_U64(recs[k].ts_ns, all[seq - 1].ts_ns);
		for (unsigned w = 0; w < 8; w++)
			if (words >> w & 1)
				CHECK(!memcmp(recs[k].data + 8 * w, (const uint8_t *)&all[seq - 1] + 8 * w,
					      8));
	}
}

/* The SQL tables' reads: a cursor that wants some words of the stream
 * decodes a block's prefix and its bases for what that projection needs
 * (FORMAT.md "Chained dictionaries"); the wanted words read as written,
 * in reverse (each block's chain before it, at most CHAIN blocks) and in
 * order across a change of projection, whose first block must not continue
 * what the last projection left. */
static void read_projected(const char *dir, const struct genev *all)
{
	static const uint64_t pw[] = { 1u << 1 | 1u << 2, 1u << 5 | 1u << 2, 1u << 7 | 1u << 2,
				       1u << 2 };
	const struct cap_block_info *blocks;
	const struct cap_rec *recs;
	char err[512];
	uint32_t n;
	size_t nb;
	struct capr *r = capr__open(dir, err, sizeof(err));

	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	struct capr_cursor *c = capr__cursor_new(r);
	CHECK(c);
	uint32_t sid = (uint32_t)q_int_capture(dir, "SELECT id FROM streams LIMIT 1");
	for (size_t pi = 0; pi < sizeof(pw) / sizeof(pw[0]); pi++) {
		uint64_t words = pw[pi], total = 0;
		struct block_want w = { .stream = sid, .words = &words, .nwords = 8,
					.compact = pi & 1 };

		capr__cursor_want(c, &w);
		for (size_t b = nb; b-- > 0;) {
			uint64_t was = capr__blocks_decoded(r);

			if (capr__cursor_read(c, &blocks[b], &recs, &n, err, sizeof(err)))
				fprintf(stderr, "%s\n", err);
			CHECK(capr__blocks_decoded(r) - was <= CHAIN);
			check_words(recs, n, all, words);
			total += n;
		}
		CHECK_EQ_U64(total, NREC);
	}
	for (size_t b = 0, pi = 0; b < nb; b++) {
		uint64_t words = pw[pi];
		struct block_want w = { .stream = sid, .words = &words, .nwords = 8 };

		capr__cursor_want(c, &w);
		CHECK_EQ_INT(capr__cursor_read(c, &blocks[b], &recs, &n, err, sizeof(err)), 0);
		check_words(recs, n, all, words);
		if (b % 3 == 1)   /* mid-chain, most often */
			pi = (pi + 1) % (sizeof(pw) / sizeof(pw[0]));
	}
	capr__cursor_free(c);
	capr__close(r);
}

static unsigned encoding_of(struct capr *r, const struct cap_block_info *b)
{
	const struct cap_rec *recs;
	const uint8_t *buf;
	uint32_t n;
	size_t len;
	char err[512];
	struct capr_cursor *c = capr__cursor_new(r);

	CHECK(c);
	CHECK_EQ_INT(capr__cursor_read(c, b, &recs, &n, err, sizeof(err)), 0);
	capr__cursor_encoded(c, &buf, &len);
	unsigned enc = buf[6];
	capr__cursor_free(c);
	return enc;
}

int main(void)
{
	static struct genev all[NREC];
	struct genev_gen g = { .rng = 99, .now = 5000000000ull, .variant = 1 };
	const char *dir = test_tmpdir("capr_chain"), *dir1;
	char dir_plain[4200], err[512];
	const struct cap_block_info *blocks;
	const struct cap_rec *recs;
	uint32_t n;
	size_t nb;

	for (uint64_t i = 0; i < NREC; i++)
		genev_next(&g, i, &all[i]);
	snprintf(dir_plain, sizeof(dir_plain), "%s/plain", dir);
	char dir_ch[4200];
	snprintf(dir_ch, sizeof(dir_ch), "%s/chained", dir);
	write_capture(dir_ch, CHAIN);
	write_capture(dir_plain, 0);
	dir1 = dir_ch;

	/* Segments of one block each: no block can continue another, and
	 * after CAPW_CHAIN_MISSES blocks encoded twice the writer stops
	 * chaining; every record still reads. */
	char dir_one[4200];
	snprintf(dir_one, sizeof(dir_one), "%s/one", dir);
	CHECK_EQ_U64(write_capture_seg(dir_one, CHAIN, 1), CAPW_CHAIN_MISSES);
	CHECK_EQ_INT(q_int_capture(dir_one, "SELECT sum(nrecords) FROM blocks"), NREC);
	CHECK_EQ_INT(q_int_capture(dir_one, "SELECT count(*) FROM blocks"),
		     q_int_capture(dir_one, "SELECT count(*) FROM segments"));

	/* Fewer bytes for the same records. */
	CHECK(q_int_capture(dir1, "SELECT sum(enc_bytes) FROM blocks") * 100 <
	      q_int_capture(dir_plain, "SELECT sum(enc_bytes) FROM blocks") * 95);
	CHECK(q_int_capture(dir1, "SELECT count(*) FROM segments") >= 3);

	/* In order: every record, each block decoded once. */
	struct capr *r = capr__open(dir1, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	CHECK(nb > 3 * CHAIN);
	uint64_t total = 0;
	for (size_t b = 0; b < nb; b++) {
		if (capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err)))
			fprintf(stderr, "%s\n", err);
		/* (the reader knows the capture has chains from its first
		 * blocks' headers: it keeps the first block's dictionaries) */
		CHECK_EQ_INT(capr__blocks_decoded(r), b + 1);
		check_block(recs, n, all);
		total += n;
	}
	CHECK_EQ_U64(total, NREC);
	/* Chains of CHAIN blocks, each segment starting one. */
	unsigned n4 = 0, run = 0;
	int64_t seg = -1;
	for (size_t b = 0; b < nb; b++) {
		unsigned enc = encoding_of(r, &blocks[b]);

		if (blocks[b].segment_id != seg)
			CHECK(!cap_block_encoding_chained(enc));
		seg = blocks[b].segment_id;
		run = cap_block_encoding_chained(enc) ? run + 1 : 0;
		CHECK(run < CHAIN);
		n4 += cap_block_encoding_chained(enc);
	}
	CHECK(n4 >= nb / 2);
	capr__close(r);

	/* In reverse, and each block alone in a fresh reader: at most its chain
	 * before it is decoded. */
	r = capr__open(dir1, err, sizeof(err));
	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	for (size_t b = nb; b-- > 0;) {
		uint64_t was = capr__blocks_decoded(r);

		CHECK_EQ_INT(capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err)), 0);
		check_block(recs, n, all);
		CHECK(capr__blocks_decoded(r) - was <= CHAIN);
	}
	capr__close(r);
	uint64_t most = 0;
	for (size_t b = 0; b < nb; b++) {
		r = capr__open(dir1, err, sizeof(err));
		CHECK(r);
		CHECK(!capr__blocks(r, &blocks, &nb));
		CHECK_EQ_INT(capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err)), 0);
		check_block(recs, n, all);
		if (capr__blocks_decoded(r) > most)
			most = capr__blocks_decoded(r);
		capr__close(r);
	}
	CHECK_EQ_U64(most, CHAIN);   /* a chain's last block: its chain, then it */

	/* A time range of a few blocks in the middle: the blocks it overlaps,
	 * plus at most CHAIN - 1 before the first. */
	r = capr__open(dir1, err, sizeof(err));
	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	uint64_t lo = all[NREC / 2].ts_ns, hi = all[NREC / 2 + 2000].ts_ns, got = 0, nov = 0;
	for (size_t b = 0; b < nb; b++) {
		if (!cap_block__overlaps(blocks[b].meta.min_ts_ns, blocks[b].meta.max_ts_ns, lo, hi))
			continue;
		nov++;
		CHECK_EQ_INT(capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err)), 0);
		check_block(recs, n, all);
		for (uint32_t k = 0; k < n; k++)
			got += recs[k].ts_ns >= lo && recs[k].ts_ns <= hi;
	}
	CHECK_EQ_U64(got, 2001);
	CHECK(capr__blocks_decoded(r) <= nov + CHAIN - 1);
	capr__close(r);

	read_projected(dir1, all);

	/* bpfreplay verify finds nothing wrong; a bundle of it (its chained
	 * blocks written anew) holds every record. */
	char bin[4200], cmd[16384], bundle[4300];
	const char *bd = getenv("BPFREC_BUILD");
	if (bd && *bd) {
		snprintf(bin, sizeof(bin), "%s/replay/bpfreplay", bd);
		snprintf(cmd, sizeof(cmd), "%s verify %s >/dev/null", bin, dir1);
		CHECK_EQ_INT(system(cmd), 0);
		snprintf(bundle, sizeof(bundle), "%s/b.bpfrec", dir);
		snprintf(cmd, sizeof(cmd), "%s bundle %s -o %s >/dev/null", bin, dir1, bundle);
		CHECK_EQ_INT(system(cmd), 0);
		read_whole(bundle, all);

		/* A bundle holds no chained block: one put in its place (its
		 * row made to agree) is refused, the others read. */
		r = capr__open(dir1, err, sizeof(err));
		CHECK(r);
		CHECK(!capr__blocks(r, &blocks, &nb));
		const struct cap_block_info *ch = NULL;
		for (size_t b = 0; b < nb && !ch; b++)
			if (cap_block_encoding_chained(encoding_of(r, &blocks[b])))
				ch = &blocks[b];
		CHECK(ch);
		char seg[4400], sql2[512];
		snprintf(seg, sizeof(seg), "%s/seg-%06lld.bpfrec", dir1,
			 (long long)q_int_capture(dir1, "SELECT id FROM segments ORDER BY id LIMIT 1") -
				 1 + ch->segment_id);
		uint8_t *blk = malloc(ch->meta.enc_bytes);
		int sfd = open(seg, O_RDONLY);
		CHECK(blk && sfd >= 0);
		CHECK(pread(sfd, blk, ch->meta.enc_bytes, (off_t)ch->offset) ==
		      (ssize_t)ch->meta.enc_bytes);
		close(sfd);
		snprintf(sql2, sizeof(sql2),
			 "UPDATE blocks SET enc_bytes = %u, raw_bytes = %u, nrecords = %u, "
			 "min_ts = %llu, max_ts = %llu WHERE id = 2", ch->meta.enc_bytes,
			 ch->meta.raw_bytes, ch->meta.nrecords,
			 (unsigned long long)ch->meta.min_ts_ns, (unsigned long long)ch->meta.max_ts_ns);
		uint32_t chlen = ch->meta.enc_bytes;
		capr__close(r);   /* (ch is r's) */
		poke_db(bundle, sql2);
		sqlite3 *db;
		sqlite3_stmt *st;
		CHECK(sqlite3_open(bundle, &db) == SQLITE_OK);
		CHECK(sqlite3_prepare_v2(db, "UPDATE block_data SET data = ?1 WHERE block_id = 2", -1,
					 &st, NULL) == SQLITE_OK);
		sqlite3_bind_blob(st, 1, blk, (int)chlen, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_finalize(st);
		sqlite3_close(db);
		free(blk);
		r = capr__open(bundle, err, sizeof(err));
		CHECK(r);
		CHECK(!capr__blocks(r, &blocks, &nb));
		unsigned bad = 0;
		for (size_t b = 0; b < nb; b++) {
			if (!capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err)))
				continue;
			if (!strstr(err, "a chained block (encoding 8) in a bundle"))
				fprintf(stderr, "%s\n", err);
			CHECK(strstr(err, "a chained block (encoding 8) in a bundle"));
			bad++;
		}
		CHECK_EQ_INT(bad, 1);
		capr__close(r);
	}

	/* Recovery of blocks past the index (a crash before the last
	 * commits): chained ones continue blocks the index has. */
	int64_t nblk = q_int_capture(dir1, "SELECT count(*) FROM blocks");
	int64_t cut = q_int_capture(dir1, "SELECT max(id) FROM blocks") - 6;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "UPDATE segments SET bytes = (SELECT min(offset) FROM blocks b WHERE "
		 "b.segment_id = segments.id AND b.id > %lld) WHERE id IN (SELECT segment_id FROM "
		 "blocks WHERE id > %lld); DELETE FROM block_streams WHERE block_id > %lld; "
		 "DELETE FROM blocks WHERE id > %lld", (long long)cut, (long long)cut, (long long)cut,
		 (long long)cut);
	poke_index(dir1, sql);
	CHECK_EQ_INT(q_int_capture(dir1, "SELECT count(*) FROM blocks"), nblk - 6);
	uint64_t added = 0;
	CHECK_EQ_INT(capw__recover(dir1, &added), 0);
	CHECK_EQ_U64(added, 6);
	CHECK_EQ_INT(read_whole(dir1, all), nblk);

	/* Damage a chain's first block in its segment: it and the blocks that
	 * continue it are refused, naming the cause; the others still read. */
	r = capr__open(dir1, err, sizeof(err));
	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	size_t first = nb;
	for (size_t b = 1; b < nb && first == nb; b++)
		if (cap_block_encoding_chained(encoding_of(r, &blocks[b])) &&
		    !cap_block_encoding_chained(encoding_of(r, &blocks[b - 1])) &&
		    blocks[b].segment_id == blocks[b - 1].segment_id)
			first = b - 1;
	CHECK(first < nb);
	int64_t seg_id = blocks[first].segment_id;
	uint64_t off = blocks[first].offset;
	capr__close(r);
	char path[4300];
	snprintf(path, sizeof(path), "%s/seg-%06lld.bpfrec", dir1,
		 (long long)q_int_capture(dir1, "SELECT id FROM segments ORDER BY id LIMIT 1") -
			 1 + seg_id);
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	uint8_t byte;
	CHECK(pread(fd, &byte, 1, (off_t)off + 45) == 1);   /* its header CRC */
	byte ^= 0x5a;
	CHECK(pwrite(fd, &byte, 1, (off_t)off + 45) == 1);
	close(fd);
	r = capr__open(dir1, err, sizeof(err));
	CHECK(r);
	CHECK(!capr__blocks(r, &blocks, &nb));
	unsigned refused = 0, read_ok = 0;
	for (size_t b = 0; b < nb; b++) {
		int rc = capr__read_block(r, &blocks[b], &recs, &n, err, sizeof(err));

		if (rc) {
			refused++;
			CHECK(blocks[b].segment_id == seg_id);
			CHECK(blocks[b].offset == off ||
			      strstr(err, "is not among the 16 blocks before it in its segment"));
			CHECK(!strstr(err, ":  "));   /* one space after each part's colon */
			continue;
		}
		read_ok++;
		check_block(recs, n, all);
	}
	CHECK(refused >= 2 && refused <= CHAIN);
	CHECK_EQ_INT(read_ok + refused, nb);
	capr__close(r);
	return 0;
}
