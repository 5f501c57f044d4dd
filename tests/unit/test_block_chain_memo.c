/* test_block_chain_memo - an encoder whose chains are out of step with its
 * measuring of keyed dictionaries (every 16th block of a stream: a chain
 * of 8 broken once, as when the recorder gives a block to another
 * encoder) still keys them.  A block that continues its base's
 * dictionaries keeps the base's keyed columns and finds no other, so
 * measuring there left the next chains with none: ~15% more bytes for
 * every block from then on.  And a chain's first block that does not
 * measure keeps a word measured worth keying a dictionary: its first
 * records alone, by chance, could make it a raw column for the whole
 * chain (5x the bytes on these records).  The same blocks are encoded by
 * two encoders, one chaining in step and one broken at block 3; from
 * block 24 on their bytes must be within 3%, from block 3 on within 5%
 * (the broken one starts more chains), and every block of both reads
 * back, value by value. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "block.h"
#include "testutil.h"
#include "fixtures/genev.h"

#define NBLK 40u
#define PER_BLOCK 8192u
#define CHAIN 8u

static struct genev all[NBLK * PER_BLOCK];

/* Encodes the NBLK blocks (chain_break before block break_at, none if
 * NBLK), decodes each in order and checks its records; the bytes of
 * blocks 3..NBLK-1 in *from3, of 24..NBLK-1 in *from24. */
static void encode_all(uint32_t break_at, size_t *from3, size_t *from24)
{
	struct blockbuf *bb = blockbuf__new(PER_BLOCK * 100);
	struct block_encoder *e = block_encoder__new(1);
	struct block_seq *seq = block_seq__new(CAP_BLOCK_MAX_RAW);
	CHECK(bb && e && seq);
	*from3 = *from24 = 0;
	block_encoder__chain(e, CHAIN);
	for (uint32_t k = 0; k < NBLK; k++) {
		const struct cap_rec *recs;
		struct cap_block_meta m;
		const uint8_t *out;
		size_t len;
		uint32_t nr;
		char err[256];

		blockbuf__reset(bb);
		for (uint32_t i = k * PER_BLOCK; i < (k + 1) * PER_BLOCK; i++)
			CHECK_EQ_INT(blockbuf__add(bb, 1, 0, all[i].ts_ns, &all[i], sizeof(all[i])), 0);
		if (k == break_at)
			block_encoder__chain_break(e);
		CHECK_EQ_INT(block_encoder__encode(e, bb, &out, &len, &m), 0);
		*from3 += k >= 3 ? len : 0;
		*from24 += k >= 24 ? len : 0;
		if (block_seq__decode(seq, out, len, &recs, &nr, err, sizeof(err)))
			fprintf(stderr, "block %u: %s\n", k, err);
		CHECK_EQ_INT(nr, PER_BLOCK);
		for (uint32_t j = 0; j < nr; j++) {
			CHECK_EQ_U64(recs[j].ts_ns, all[k * PER_BLOCK + j].ts_ns);
			CHECK_EQ_INT(recs[j].len, sizeof(struct genev));
			CHECK(!memcmp(recs[j].data, &all[k * PER_BLOCK + j], sizeof(struct genev)));
		}
	}
	block_seq__free(seq);
	block_encoder__free(e);
	blockbuf__free(bb);
}

int main(void)
{
	struct genev_gen g = { .rng = 7, .now = 1000000, .variant = 1 };

	/* (no op, ret, latency: columns whose mode a block's first records
	 * pick, which would move the bytes by chance) */
	for (uint32_t i = 0; i < NBLK * PER_BLOCK; i++) {
		genev_next(&g, i, &all[i]);
		all[i].op = 0;
		all[i].ret = 0;
		all[i].latency_ns = 0;
	}
	size_t in_step3, in_step, broken3, broken;

	encode_all(NBLK, &in_step3, &in_step);
	encode_all(3, &broken3, &broken);

	printf("test_block_chain_memo: blocks 24-39: %zu bytes in step, %zu broken at block 3; "
	       "blocks 3-39: %zu, %zu\n", in_step, broken, in_step3, broken3);
	CHECK(broken * 100 <= in_step * 103);
	CHECK(broken3 * 100 <= in_step3 * 105);
	return 0;
}
