/* test_block_ixcodes - a dictionary column coded by indexes instead of
 * recency ranks (the encoder's choice, measured every KEYED_REMEASURE
 * blocks of a stream: FORMAT.md "Body", DICT), across chained blocks.
 *
 * One stream of 24-byte records (a task, a value, a sequence number; the
 * task's word is the group's key word, the value's a plain dictionary,
 * keyed by nothing: its values do not follow the task), 24 blocks
 * chained by 5.  In blocks 0-15 the value is drawn independently from a
 * skewed mix of 12 frequent values and 400 rare ones: indexes cost less
 * than ranks there.  From block 16 on (where the stream measures again)
 * the value comes in runs of about 3 over the frequent values: ranks win again, in a
 * block that continues one coded by indexes, whose recency list the reader
 * took every value into (duplicates kept): a reader whose lists differed
 * from the encoder's would read other values.  Every block is decoded in
 * order with what the one before left, every record compared value by
 * value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "testutil.h"

#define NBLK 24u
#define PER 3000u
#define CHAIN 5u   /* block 16, which measures again, continues block 15 */
#define T0 9000000000ull

static uint64_t vals[NBLK * PER][3];

static uint64_t pick(uint32_t b, uint64_t *rng, uint64_t last)
{
	uint64_t r = test_rand(rng);

	if (b < 16) {   /* independent: 12 frequent values, 400 rare ones */
		uint32_t x = (uint32_t)(r % 100);
		if (x < 88)
			return (1 + x % 12) * 0x9E3779B97F4A7C15ull;   /* hashes: 8 bytes each */
		return (100 + (r >> 32) % 400) * 0x9E3779B97F4A7C15ull;
	}
	/* runs of about 3 over the frequent values (the first records of
	 * block 16 name them by their ranks in block 15's list) */
	if (r % 3)
		return last;
	return (1 + (r >> 8) % 12) * 0x9E3779B97F4A7C15ull;
}

int main(void)
{
	struct blockbuf *bb = blockbuf__new(4u << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);
	struct block_dicts *st[2] = { block_dicts__new(), block_dicts__new() };
	static uint8_t *blk[NBLK];
	static size_t blen[NBLK];
	uint64_t rng = 11, last = 0;
	const struct cap_rec *recs;
	uint32_t n;
	char err[256];

	CHECK(bb && e && d && st[0] && st[1]);
	block_encoder__chain(e, CHAIN);
	for (uint32_t b = 0; b < NBLK; b++) {
		const uint8_t *out;
		size_t len;

		blockbuf__reset(bb);
		for (uint32_t i = b * PER; i < (b + 1) * PER; i++) {
			/* a task (a hash of 5): the group's key word */
			vals[i][0] = (7 + i / 50 % 5) * 0xC2B2AE3D27D4EB4Full;
			vals[i][1] = last = pick(b, &rng, last);
			vals[i][2] = i;
			CHECK_EQ_INT(blockbuf__add(bb, 4, 0, T0 + i, vals[i], 24), 0);
		}
		CHECK_EQ_INT(block_encoder__encode(e, bb, &out, &len, NULL), 0);
		CHECK_EQ_INT(cap_block_encoding_chained(out[6]), b % CHAIN != 0);
		blk[b] = malloc(len);
		CHECK(blk[b]);
		memcpy(blk[b], out, len);
		blen[b] = len;
	}
	/* In order, each with what the one before left. */
	for (uint32_t b = 0; b < NBLK; b++) {
		int rc = block_decoder__decode_chain(d, blk[b], blen[b], b % CHAIN ? st[(b + 1) % 2] : NULL,
						     st[b % 2], NULL, &recs, &n, err, sizeof(err));
		if (rc)
			fprintf(stderr, "block %u: %s\n", b, err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(n, PER);
		for (uint32_t i = 0; i < n; i++) {
			CHECK_EQ_U64(recs[i].ts_ns, T0 + b * PER + i);
			CHECK(recs[i].len == 24 && !memcmp(recs[i].data, vals[b * PER + i], 24));
		}
	}
	for (uint32_t b = 0; b < NBLK; b++)
		free(blk[b]);
	block_dicts__free(st[0]);
	block_dicts__free(st[1]);
	block_decoder__free(d);
	block_encoder__free(e);
	blockbuf__free(bb);
	printf("ok: %u blocks chained by %u, indexes then ranks, value by value\n", NBLK, CHAIN);
	return 0;
}
