/* test_block_narrow - the narrow records' transposition (records of 2 to
 * 15 words, a function per width of 2 to 8, two records a step): every
 * length from 16 to 127 bytes (odd and even word counts, tails of 0 to 7
 * bytes), groups of 1, 2, 3 and 67 records (an odd last record, a record
 * alone), compact and fast blocks, each record's time word equal to its
 * time, or one record's not (in a pair, or the odd last one: the word is
 * then coded as any other).  Every record decodes value by value. */
#include <stdint.h>

#include "block.h"
#include "testutil.h"

#define MAXL 127u
#define MAXC 67u

/* Encodes c records of L bytes (the time in word 0, except record odd_ts
 * when it is < c), decodes them and compares each. */
static void round_trip(uint32_t L, uint32_t c, int fast, uint32_t odd_ts, uint64_t *rng)
{
	static uint8_t recs[MAXC][MAXL];
	static struct blockbuf *bb;
	static struct block_encoder *e;
	static struct block_decoder *d;
	const struct cap_rec *out;
	struct cap_block_meta m;
	const uint8_t *buf;
	uint64_t ts[MAXC];
	size_t len;
	uint32_t n, i;
	char err[256];

	if (!bb) {   /* one of each for all blocks, as a writer thread has */
		bb = blockbuf__new(1 << 20);
		e = block_encoder__new(1);
		d = block_decoder__new(1 << 22);
		CHECK(bb && e && d);
	}
	blockbuf__reset(bb);
	CHECK_EQ_INT(block_encoder__fast(e, fast), 0);
	for (i = 0; i < c; i++) {
		uint8_t *r = recs[i];

		ts[i] = 1000000 + (uint64_t)i * 37 + (test_rand(rng) & 15);
		for (uint32_t k = 0; k < L; k++)   /* a few values per byte: dictionaries too */
			r[k] = (uint8_t)((test_rand(rng) & 3) * 0x41 + k);
		memcpy(r, &ts[i], 8);
		if (i == odd_ts)
			r[3] ^= 0x5a;   /* word 0 is not its time here */
		memcpy(r + 8, &i, 4);   /* a counter */
		CHECK_EQ_INT(blockbuf__add(bb, 9, 2, ts[i], r, L), 0);
	}
	CHECK_EQ_INT(block_encoder__encode(e, bb, &buf, &len, &m), 0);
	if (block_decoder__decode(d, buf, len, &out, &n, err, sizeof(err))) {
		fprintf(stderr, "L %u c %u fast %d: %s\n", L, c, fast, err);
		exit(1);
	}
	CHECK_EQ_INT(n, c);
	for (i = 0; i < n; i++) {
		CHECK_EQ_INT(out[i].stream, 9);
		CHECK_EQ_INT(out[i].cpu, 2);
		CHECK_EQ_INT(out[i].len, L);
		CHECK_EQ_U64(out[i].ts_ns, ts[i]);
		if (memcmp(out[i].data, recs[i], L)) {
			fprintf(stderr, "L %u c %u fast %d odd_ts %u: record %u differs\n", L, c,
				fast, odd_ts, i);
			exit(1);
		}
	}
}

int main(void)
{
	static const uint32_t counts[] = { 1, 2, 3, MAXC };
	uint64_t rng = 5;
	uint32_t blocks = 0;

	for (uint32_t L = 16; L <= MAXL; L++)
		for (uint32_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
			for (int fast = 0; fast <= 1; fast++) {
				uint32_t c = counts[k];

				round_trip(L, c, fast, UINT32_MAX, &rng);   /* ts in every one */
				round_trip(L, c, fast, c / 2, &rng);        /* not in a middle one */
				round_trip(L, c, fast, c - 1, &rng);        /* nor the last */
				blocks += 3;
			}
	printf("test_block_narrow: ok (%u blocks)\n", blocks);
	return 0;
}
