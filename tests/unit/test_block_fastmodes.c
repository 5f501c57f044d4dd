/* test_block_fastmodes - a fast block takes the word modes its stream's
 * fast block before picked (blockenc.c, fast_memo) instead of sampling
 * each word anew, but a word that block did not pick picks its own: one
 * encoder, fast blocks of 4000 32-byte records of one stream:
 *  - block 0: word 2 is 0 in every record (no mode picked for it);
 *  - block 1: word 2 holds one of 4 random 64-bit values.  Kept RAW it
 *    would cost its 8 bytes a record (stored literals); picked, it is a
 *    dictionary: block 1 must be no larger than the same records made by
 *    a fresh fast encoder, byte for byte its block;
 *  - blocks 2..17: word 1 becomes a counter (DELTA, where blocks 0 and 1
 *    had a dictionary of 3 values).  Block 2 takes the memo's dictionary,
 *    which overflows (a value a record) and falls back to XOR: larger
 *    than a fresh encoder's block; that sends word 1 to pick anew in
 *    block 3, whose modes blocks 3..17 take: a fresh encoder's blocks
 *    byte for byte (block 16, 16 blocks after the first pick, picks every
 *    word anew, the same modes);
 *  - every block decodes to its records, value by value;
 *  - a word that was the records' ts (mode TS, not stored) in one fast
 *    block and is not in the next is coded there (found by fuzz_block:
 *    the memo once handed the next block TS, and its records decoded
 *    with their ts in that word). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "testutil.h"

#define PER_BLOCK 4000u
#define NBLK 18u

struct ev {
	uint64_t ts_ns;
	uint64_t a;
	uint64_t b;
	uint64_t c;
};

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	return tu_xorshift64(&rng);
}

static void make(uint32_t blk, uint32_t i, struct ev *e)
{
	static const uint64_t vals[4] = { 0x1122334455667788ull, 0x99aabbccddeeff00ull,
					  0x0f1e2d3c4b5a6978ull, 0x8796a5b4c3d2e1f0ull };
	static const uint64_t three[3] = { 17, 0x123456789ull, 0xfedcba9876543210ull };

	e->ts_ns = 1000000 + (uint64_t)blk * PER_BLOCK * 100 + (uint64_t)i * 100 + rnd() % 7;
	e->a = blk < 2 ? three[rnd() % 3] : 1000000007ull * (blk * PER_BLOCK + i);
	e->b = blk == 0 ? 0 : vals[rnd() % 4];
	e->c = rnd() & 0xffff;
}

int main(void)
{
	static struct ev all[NBLK][PER_BLOCK];
	struct blockbuf *bb = blockbuf__new(PER_BLOCK * (32 + 24));
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);
	char err[256];

	CHECK(bb && e && d);
	CHECK_EQ_INT(block_encoder__fast(e, true), 0);
	for (uint32_t b = 0; b < NBLK; b++) {
		struct block_encoder *fresh = block_encoder__new(1);
		const uint8_t *out, *fout;
		size_t len, flen;
		const struct cap_rec *recs;
		uint32_t n;

		CHECK(fresh);
		CHECK_EQ_INT(block_encoder__fast(fresh, true), 0);
		blockbuf__reset(bb);
		for (uint32_t i = 0; i < PER_BLOCK; i++) {
			make(b, i, &all[b][i]);
			CHECK_EQ_INT(blockbuf__add(bb, 3, 0, all[b][i].ts_ns, &all[b][i], 32), 0);
		}
		CHECK_EQ_INT(block_encoder__encode(e, bb, &out, &len, NULL), 0);
		CHECK_EQ_INT(block_encoder__encode(fresh, bb, &fout, &flen, NULL), 0);
		if (b != 2) {   /* picked: the fresh encoder's block */
			if (flen != len)
				fprintf(stderr, "block %u: %zu bytes, a fresh encoder's %zu\n", b, len, flen);
			CHECK(flen == len && !memcmp(fout, out, len));
		} else {   /* the memo's dictionary, overflowed: XOR */
			if (!(len > flen + PER_BLOCK))
				fprintf(stderr, "block %u: %zu bytes, a fresh encoder's %zu\n", b, len, flen);
			CHECK(len > flen + PER_BLOCK);
		}
		CHECK_EQ_INT(block_decoder__decode(d, out, len, &recs, &n, err, sizeof(err)), 0);
		CHECK_EQ_INT(n, PER_BLOCK);
		for (uint32_t i = 0; i < n; i++) {
			CHECK_EQ_U64(recs[i].ts_ns, all[b][i].ts_ns);
			CHECK_EQ_INT(recs[i].len, 32);
			CHECK(!memcmp(recs[i].data, &all[b][i], 32));
		}
		block_encoder__free(fresh);
	}
	/* Word 0 the ts, then not. */
	for (uint32_t b = 0; b < 2; b++) {
		uint8_t rec[300][10];
		const uint8_t *out;
		size_t len;
		const struct cap_rec *recs;
		uint32_t n;

		blockbuf__reset(bb);
		for (uint32_t i = 0; i < 300; i++) {
			uint64_t ts = 5000 + i * 3;
			uint64_t w0 = b ? 0x0102030405060708ull * (i % 5 + 1) : ts;

			memcpy(rec[i], &w0, 8);
			rec[i][8] = (uint8_t)i;
			rec[i][9] = (uint8_t)(i >> 8);
			CHECK_EQ_INT(blockbuf__add(bb, 9, 0, ts, rec[i], 10), 0);
		}
		CHECK_EQ_INT(block_encoder__encode(e, bb, &out, &len, NULL), 0);
		CHECK_EQ_INT(block_decoder__decode(d, out, len, &recs, &n, err, sizeof(err)), 0);
		CHECK_EQ_INT(n, 300);
		for (uint32_t i = 0; i < n; i++) {
			CHECK_EQ_U64(recs[i].ts_ns, 5000 + i * 3);
			CHECK_EQ_INT(recs[i].len, 10);
			CHECK(!memcmp(recs[i].data, rec[i], 10));
		}
	}
	printf("test_block_fastmodes: %u fast blocks\n", NBLK + 2);
	block_decoder__free(d);
	block_encoder__free(e);
	blockbuf__free(bb);
	return 0;
}
