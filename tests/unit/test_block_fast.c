/* test_block_fast - fast blocks (block_encoder__fast), the recorder's while
 * its writers are behind: the same format with cheaper choices.  One
 * encoder chaining by 4 (block_encoder__chain) is switched between fast
 * and compact across a run of blocks of the generator's 64-byte events
 * (fixtures/genev.h, dictionary columns in every block):
 *  - a fast block is encoding 1 (no recency list searched, no key, no
 *    DICT_NEXT: what a reader of encoding 1 reads) and names no base;
 *  - a compact block after a fast one starts a chain anew (encoding 7:
 *    3 with escaped codes and ts modes), the next continues it (encoding
 *    8, naming it);
 *  - every block decodes in order (block_seq, as recovery and verify walk
 *    a segment) to its records, value by value, and each fast block
 *    under a projection of one word, its frame given a few bytes at a
 *    time, to that word's values;
 *  - a fast block takes more bytes than the compact block of the same
 *    records (it is the cheaper choice, not the smaller one);
 *  - block 5 is made at BLOCK_FASTER_ZSTD_LEVEL (block_encoder__fast_level,
 *    as the recorder's when its kernel buffers are half full): still
 *    encoding 1, more bytes than the same records in a fast block at
 *    BLOCK_FAST_ZSTD_LEVEL; block 6 is back at that level, byte for byte
 *    the fast block of another encoder. */
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#include "block.h"
#include "fixtures/genev.h"
#include "testutil.h"

#define PER_BLOCK 3000u
#define NBLK 8u

int main(void)
{
	/* 1 fast */
	static const int fast_at[NBLK] = { 0, 0, 1, 0, 0, 1, 1, 0 };
	/* compact blocks 5 (a chain's first) and 6, with escaped codes (their
	 * dictionaries hold more than 240 values); fast ones 1 */
	static const unsigned want_enc[NBLK] = { 7, 8, 1, 7, 8, 1, 1, 7 };
	static struct genev all[NBLK * PER_BLOCK];
	struct genev_gen g = { .rng = 11, .now = 1000000 };
	struct blockbuf *bb = blockbuf__new(PER_BLOCK * (64 + 24));
	struct block_encoder *e = block_encoder__new(1), *ref = block_encoder__new(1);
	struct block_encoder *fref = block_encoder__new(1);
	struct block_seq *seq = block_seq__new(CAP_BLOCK_MAX_RAW);
	uint8_t *blk[NBLK];
	size_t blen[NBLK];
	char err[256];

	CHECK(bb && e && ref && fref && seq);
	CHECK_EQ_INT(block_encoder__fast(fref, true), 0);
	block_encoder__chain(e, 4);
	for (uint32_t i = 0; i < NBLK * PER_BLOCK; i++)
		genev_next(&g, i, &all[i]);
	for (uint32_t b = 0; b < NBLK; b++) {
		const uint8_t *out, *rout;
		size_t len, rlen;
		struct cap_block_meta m;

		blockbuf__reset(bb);
		for (uint32_t i = b * PER_BLOCK; i < (b + 1) * PER_BLOCK; i++)
			CHECK_EQ_INT(blockbuf__add(bb, 5, 1, all[i].ts_ns, &all[i], 64), 0);
		CHECK_EQ_INT(block_encoder__fast_level(e, b == 5 ? BLOCK_FASTER_ZSTD_LEVEL :
							   BLOCK_FAST_ZSTD_LEVEL), 0);
		CHECK_EQ_INT(block_encoder__fast(e, fast_at[b]), 0);
		CHECK_EQ_INT(block_encoder__encode(e, bb, &out, &len, &m), 0);
		CHECK_EQ_INT(m.nrecords, PER_BLOCK);
		if (out[6] != want_enc[b])
			fprintf(stderr, "block %u: encoding %u, expected %u\n", b, out[6], want_enc[b]);
		CHECK_EQ_INT(out[6], want_enc[b]);
		if (want_enc[b] == 8)
			CHECK_EQ_U64(block_encoder__base_crc(e), (uint32_t)crc32(0, blk[b - 1], 44));
		else
			CHECK_EQ_U64(block_encoder__base_crc(e), 0);
		blk[b] = malloc(len);
		CHECK(blk[b]);
		memcpy(blk[b], out, len);
		blen[b] = len;
		if (fast_at[b]) {   /* the same records as a compact block: fewer bytes */
			CHECK_EQ_INT(block_encoder__encode(ref, bb, &rout, &rlen, NULL), 0);
			CHECK(rlen < len);
			/* at the fast level: the same bytes; at the faster one, more */
			CHECK_EQ_INT(block_encoder__encode(fref, bb, &rout, &rlen, NULL), 0);
			if (b == 5)
				CHECK(rlen < len);
			else
				CHECK(rlen == len && !memcmp(rout, out, len));
		}
	}
	/* A projected decode of each fast block (one word, zstd given a few
	 * frame bytes at a time, as SQL's narrow queries read): the frame's
	 * raw and RLE blocks (blockrun.c) decompress piece by piece too. */
	struct block_decoder *pd = block_decoder__new(CAP_BLOCK_MAX_RAW);
	static const uint64_t word2 = 1u << 2;   /* the seq word */
	const struct block_want want = { .stream = 5, .words = &word2, .nwords = 64 };

	CHECK(pd);
	block_decoder__want(pd, &want);
	block_decoder__step(pd, 7);
	for (uint32_t b = 0; b < NBLK; b++) {
		const struct cap_rec *recs;
		uint32_t n;

		if (!fast_at[b])
			continue;
		int rc = block_decoder__decode(pd, blk[b], blen[b], &recs, &n, err, sizeof(err));
		if (rc)
			fprintf(stderr, "block %u, projected: %s\n", b, err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(n, PER_BLOCK);
		struct cap_block_meta pm;
		CHECK_EQ_INT(block__parse_header(blk[b], blen[b], NULL, &pm), 0);
		CHECK(block_decoder__raw_read(pd) < pm.raw_bytes);   /* it stopped early */
		for (uint32_t j = 0; j < n; j++) {
			uint64_t v;

			memcpy(&v, recs[j].data + 16, 8);
			CHECK_EQ_U64(v, all[b * PER_BLOCK + j].seq);
		}
	}
	block_decoder__free(pd);
	for (uint32_t b = 0; b < NBLK; b++) {
		const struct cap_rec *recs;
		uint32_t n;

		int rc = block_seq__decode(seq, blk[b], blen[b], &recs, &n, err, sizeof(err));

		if (rc)
			fprintf(stderr, "block %u: %s\n", b, err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(n, PER_BLOCK);
		for (uint32_t j = 0; j < n; j++) {
			const struct genev *want = &all[b * PER_BLOCK + j];

			CHECK_EQ_INT(recs[j].stream, 5);
			CHECK_EQ_INT(recs[j].cpu, 1);
			CHECK_EQ_U64(recs[j].ts_ns, want->ts_ns);
			CHECK_EQ_INT(recs[j].len, 64);
			CHECK(!memcmp(recs[j].data, want, 64));
		}
		free(blk[b]);
	}
	printf("test_block_fast: %u blocks, %u fast\n", NBLK, 3u);
	block_seq__free(seq);
	block_encoder__free(e);
	block_encoder__free(ref);
	block_encoder__free(fref);
	blockbuf__free(bb);
	return 0;
}
