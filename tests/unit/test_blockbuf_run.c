/* test_blockbuf_run - blockbuf__add_run (the drain's path) builds the very
 * block that blockbuf__add builds record by record: the same records fit
 * (a run stops where a record would not), the same counts and time bounds
 * per stream, and the encoder writes byte-identical blocks from both.
 * Records of varied lengths and times (not in order), runs of random
 * lengths from a few streams, blocks filled to the brim many times, one
 * filled to its last byte; the times read from the payloads by a
 * blockbuf_ts (the drain's runs), records too short to hold one taking
 * its default; records shorter than a fill_to stored zero-filled (the
 * drain's --syscalls runs); and -E2BIG for a record no block of the
 * capacity could hold. */
#include <errno.h>
#include <stdint.h>

#include "block.h"
#include "testutil.h"

#define NREC 60000
#define CAP (64u << 10)

static uint8_t payload[NREC][96];
static struct blockbuf_rec recs[NREC];
static uint32_t streams[NREC], cpus[NREC];

struct stream_row {
	uint32_t stream, count;
	uint64_t min_ts, max_ts;
};

struct rows {
	struct stream_row r[8];
	int n;
};

static void note_row(uint32_t stream, uint32_t count, uint64_t min_ts, uint64_t max_ts,
		     void *ctx)
{
	struct rows *rows = ctx;

	CHECK(rows->n < 8);
	rows->r[rows->n++] = (struct stream_row){ stream, count, min_ts, max_ts };
}

/* Both blocks hold the same records: same rows, same encoded bytes. */
static void check_same(struct blockbuf *a, struct blockbuf *b, struct block_encoder *ea,
		       struct block_encoder *eb)
{
	struct rows ra = { .n = 0 }, rb = { .n = 0 };
	struct cap_block_meta ma, mb;
	const uint8_t *oa, *ob;
	size_t la, lb;

	CHECK_EQ_INT(blockbuf__count(a), blockbuf__count(b));
	CHECK_EQ_U64(blockbuf__bytes(a), blockbuf__bytes(b));
	blockbuf__for_each_stream(a, note_row, &ra);
	blockbuf__for_each_stream(b, note_row, &rb);
	CHECK_EQ_INT(ra.n, rb.n);
	CHECK(!memcmp(ra.r, rb.r, sizeof(ra.r[0]) * (size_t)ra.n));
	CHECK_EQ_INT(block_encoder__encode(ea, a, &oa, &la, &ma), 0);
	CHECK_EQ_INT(block_encoder__encode(eb, b, &ob, &lb, &mb), 0);
	CHECK_EQ_U64(la, lb);
	CHECK(!memcmp(oa, ob, la));
	CHECK_EQ_U64(ma.min_ts_ns, mb.min_ts_ns);
	CHECK_EQ_U64(ma.max_ts_ns, mb.max_ts_ns);
	CHECK_EQ_INT(ma.nrecords, mb.nrecords);
}

/* Records ib.. of recs into b by add_run, in runs of random length, until
 * b holds what a holds (records ..ia) or is full where a was: the record
 * after the last one taken. */
static uint32_t add_runs_to(struct blockbuf *b, uint32_t stream, uint32_t cpu, uint32_t n,
			    uint32_t ib, uint32_t ia, const struct blockbuf_ts *t, uint64_t *seed)
{
	while (ib < ia) {
		uint32_t k = 1 + (uint32_t)(test_rand(seed) % 300);
		int got;

		if (k > n - ib)
			k = n - ib;
		got = blockbuf__add_run(b, stream, cpu, recs + ib, k, t);
		CHECK(got >= 0 && ib + (uint32_t)got <= ia);
		ib += (uint32_t)got;
		if ((uint32_t)got < k)
			break;   /* full: where a was */
	}
	CHECK_EQ_INT(ib, ia);
	return ib;
}

/* Runs of records of one length L (add_run's own loop for them: as many
 * as fit, found at once), each with a u64 at byte off (the time when the
 * record holds it: off + 8 <= L, else the default), blocks filled to the
 * brim again and again: the same blocks as record by record.  The number
 * of blocks. */
static uint32_t fixed_alike(struct blockbuf *a, struct blockbuf *b, struct block_encoder *ea,
			    struct block_encoder *eb, uint32_t L, int32_t off, uint64_t *seed)
{
	struct blockbuf_ts t = { .off = off, .same_len = L, .add_ns = 7, .dflt_ns = 999 };
	uint32_t n = 3000, ia = 0, ib = 0, blocks = 0, i, j;
	bool holds = off >= 0 && (uint32_t)off + 8 <= L;

	for (i = 0; i < n; i++) {
		uint64_t v = 5000000 + i * 13 - (i % 3) * 5;

		for (j = 0; j < L; j++)
			payload[i][j] = (uint8_t)(i * 7 + j);
		if (holds)
			memcpy(payload[i] + off, &v, 8);
		recs[i] = (struct blockbuf_rec){ .ts_ns = 0, .data = payload[i], .len = L };
	}
	while (ia < n) {
		while (ia < n) {
			uint64_t want = holds ? 5000000 + ia * 13 - (ia % 3) * 5 + 7 : 999;

			if (blockbuf__add(a, 2, 1, want, recs[ia].data, L))
				break;
			ia++;
		}
		ib = add_runs_to(b, 2, 1, n, ib, ia, &t, seed);
		check_same(a, b, ea, eb);
		blocks++;
		blockbuf__reset(a);
		blockbuf__reset(b);
	}
	return blocks;
}

/* Records of 0 to 96 bytes given with fill_to F (a producer that leaves
 * out trailing zeros): each one shorter than F is stored zero-filled to F,
 * its time read from the filled copy (a u64 at byte 8, plus 3), blocks
 * filled to the brim again and again: the same blocks as the filled
 * copies added record by record.  The number of blocks. */
static uint32_t filled_alike(struct blockbuf *a, struct blockbuf *b, struct block_encoder *ea,
			     struct block_encoder *eb, uint32_t F, uint64_t *seed)
{
	struct blockbuf_ts t = { .off = 8, .add_ns = 3, .dflt_ns = 555, .fill_to = F };
	uint32_t n = 6000, ia = 0, ib = 0, blocks = 0, nfilled = 0, i;
	uint8_t whole[96];

	for (i = 0; i < n; i++) {
		uint64_t v = 7000000 + i * 11;
		uint32_t len = (uint32_t)(test_rand(seed) % 97);

		memset(payload[i], 0xAB, sizeof(payload[i]));   /* past len: not to be read */
		for (uint32_t j = 0; j < len; j++)
			payload[i][j] = (uint8_t)(i * 5 + j + 1);
		if (len >= 16)
			memcpy(payload[i] + 8, &v, 8);
		recs[i] = (struct blockbuf_rec){ .ts_ns = 0, .data = payload[i], .len = len };
	}
	while (ia < n) {
		while (ia < n) {
			uint32_t len = recs[ia].len < F ? F : recs[ia].len;
			uint64_t want = 555;

			memset(whole, 0, sizeof(whole));
			memcpy(whole, recs[ia].data, recs[ia].len);
			if (len >= 16) {
				memcpy(&want, whole + 8, 8);
				want += 3;
			}
			if (blockbuf__add(a, 4, 2, want, whole, len))
				break;
			nfilled += recs[ia].len < F;
			ia++;
		}
		ib = add_runs_to(b, 4, 2, n, ib, ia, &t, seed);
		check_same(a, b, ea, eb);
		blocks++;
		blockbuf__reset(a);
		blockbuf__reset(b);
	}
	CHECK(nfilled > n * F / 97 / 2);   /* about n F / 97 */
	return blocks;
}

int main(void)
{
	struct blockbuf *a = blockbuf__new(CAP), *b = blockbuf__new(CAP);
	struct block_encoder *ea = block_encoder__new(1), *eb = block_encoder__new(1);
	uint64_t seed = 18, ts = 1000000;
	uint32_t i, ia = 0, ib = 0, blocks = 0;

	CHECK(a && b && ea && eb);
	for (i = 0; i < NREC; i++) {
		uint64_t r = test_rand(&seed);
		uint32_t len = (uint32_t)(r % 97), j;   /* 0..96 bytes */

		for (j = 0; j < len; j++)
			payload[i][j] = (uint8_t)(i + j * 3);
		ts += r >> 60;                          /* mostly rising, */
		recs[i].ts_ns = ts - ((r >> 20) & 7);   /* a little out of order */
		recs[i].data = payload[i];
		recs[i].len = len;
		streams[i] = 1 + (uint32_t)((i / 500) % 3);   /* runs of one stream */
		cpus[i] = (uint32_t)((i / 1000) % 2);
	}
	/* a: record by record; b: runs of 1..300 of one stream and cpu */
	while (ia < NREC) {
		uint32_t full_at;

		while (ia < NREC && blockbuf__add(a, streams[ia], cpus[ia], recs[ia].ts_ns,
						  recs[ia].data, recs[ia].len) == 0)
			ia++;
		full_at = ia;
		while (ib < full_at) {
			uint32_t n = 1 + (uint32_t)(test_rand(&seed) % 300), k;
			int got;

			for (k = 1; k < n && ib + k < NREC && streams[ib + k] == streams[ib] &&
				    cpus[ib + k] == cpus[ib]; k++)
				;
			got = blockbuf__add_run(b, streams[ib], cpus[ib], recs + ib, k, NULL);
			CHECK(got >= 0 && (uint32_t)got <= k);
			if (ib + (uint32_t)got > full_at) {
				fprintf(stderr, "add_run took %u records past %u where add stopped\n",
					ib + (uint32_t)got - full_at, full_at);
				exit(1);
			}
			ib += (uint32_t)got;
			if ((uint32_t)got < k)
				break;   /* full: must be where a was */
		}
		CHECK_EQ_INT(ib, full_at);
		check_same(a, b, ea, eb);
		blocks++;
		blockbuf__reset(a);
		blockbuf__reset(b);
	}
	CHECK(blocks > 20);
	/* Records that fill a block exactly (40 bytes + a 24-byte entry, 1024
	 * of them in 64 KiB): the last one fits, the next does not. */
	{
		struct blockbuf_rec r[1100];

		for (i = 0; i < 1100; i++)
			r[i] = (struct blockbuf_rec){ 1000 + i, payload[i], 40 };
		CHECK_EQ_INT(blockbuf__add_run(b, 1, 0, r, 1100, NULL), CAP / 64);
		CHECK_EQ_INT(blockbuf__add_run(b, 1, 0, r, 1, NULL), 0);
		for (i = 0; i < CAP / 64; i++)
			CHECK_EQ_INT(blockbuf__add(a, 1, 0, r[i].ts_ns, r[i].data, 40), 0);
		CHECK_EQ_INT(blockbuf__add(a, 1, 0, 5, payload[0], 40), -ENOSPC);
		check_same(a, b, ea, eb);
		blockbuf__reset(a);
		blockbuf__reset(b);
	}
	/* Times from the payloads: a u64 at byte 8 plus 5000 where the record
	 * holds one (16 bytes or more), 777 where not; with no offset, 777
	 * for every record.  Block a gets the times worked out here. */
	struct blockbuf *a2 = blockbuf__new(1u << 20), *b2 = blockbuf__new(1u << 20);

	CHECK(a2 && b2);
	for (int off = 8; off >= -1; off -= 9) {
		struct blockbuf_ts t = { .off = off, .add_ns = 5000, .dflt_ns = 777 };
		uint32_t nlong = 0, nshort = 0;

		for (i = 0; i < 3000; i++) {
			uint64_t want = 777, v = 1000000 + i * 37 - (i % 5) * 90;

			if (recs[i].len >= 16) {
				memcpy(payload[i] + 8, &v, 8);
				if (off >= 0)
					want = v + 5000;
			}
			nlong += want != 777;
			nshort += want == 777;
			CHECK_EQ_INT(blockbuf__add(a2, 1, 0, want, recs[i].data, recs[i].len), 0);
		}
		for (ib = 0; ib < 3000;) {
			uint32_t k = 1 + (uint32_t)(test_rand(&seed) % 300);

			if (k > 3000 - ib)
				k = 3000 - ib;
			CHECK_EQ_INT(blockbuf__add_run(b2, 1, 0, recs + ib, k, &t), (int)k);
			ib += k;
		}
		CHECK(nshort > 200 && (off < 0 || nlong > 2000));
		check_same(a2, b2, ea, eb);
		blockbuf__reset(a2);
		blockbuf__reset(b2);
	}
	blockbuf__free(a2);
	blockbuf__free(b2);
	/* One length a run: 16 to 64 bytes, and past the bounds of that loop */
	{
		static const uint32_t lens[] = { 16, 24, 32, 33, 40, 64, 15, 65, 96 };

		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			CHECK(fixed_alike(a, b, ea, eb, lens[i], 0, &seed) > 1);
			CHECK(fixed_alike(a, b, ea, eb, lens[i], 8, &seed) > 1);
		}
		CHECK(fixed_alike(a, b, ea, eb, 40, -1, &seed) > 1);
	}
	/* Short records stored zero-filled (fill_to), some short of their
	 * time's place until filled; and a same_len under fill_to unused. */
	CHECK(filled_alike(a, b, ea, eb, 80, &seed) > 1);
	CHECK(filled_alike(a, b, ea, eb, 12, &seed) > 1);
	{
		struct blockbuf_ts t = { .off = 0, .same_len = 16, .dflt_ns = 1, .fill_to = 40 };
		struct blockbuf_rec r[4];
		uint8_t whole[40];

		memset(whole, 0, sizeof(whole));
		memcpy(whole, payload[0], 16);
		for (i = 0; i < 4; i++)
			r[i] = (struct blockbuf_rec){ 0, payload[0], 16 };
		CHECK_EQ_INT(blockbuf__add_run(b, 1, 0, r, 4, &t), 4);
		for (i = 0; i < 4; i++) {
			uint64_t ts;

			memcpy(&ts, whole, 8);
			CHECK_EQ_INT(blockbuf__add(a, 1, 0, ts, whole, 40), 0);
		}
		check_same(a, b, ea, eb);
		blockbuf__reset(a);
		blockbuf__reset(b);
	}
	/* An empty run adds nothing; a record larger than any block: -E2BIG. */
	CHECK_EQ_INT(blockbuf__add_run(b, 1, 0, recs, 0, NULL), 0);
	{
		static uint8_t big[CAP];
		struct blockbuf_rec r = { 5, big, CAP };

		CHECK_EQ_INT(blockbuf__add_run(b, 1, 0, &r, 1, NULL), -E2BIG);
		CHECK_EQ_INT(blockbuf__count(b), 0);
	}
	block_encoder__free(ea);
	block_encoder__free(eb);
	blockbuf__free(a);
	blockbuf__free(b);
	printf("ok: %u blocks alike\n", blocks);
	return 0;
}
