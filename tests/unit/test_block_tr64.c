/* test_block_tr64 - the AVX2 transposition of 64-byte records
 * (schema/blocktr64.c, cap_tr64_avx2) against the plain definition: for
 * record counts 0..13 and 1001 (a remainder of 0..3 left to the caller),
 * word w of record i lands at words[w * c + i] for every record it says
 * it did (c rounded down to 4) and nothing past them; each word column's
 * OR is ORed into wor; ts_ok stays set when every done record's ts word
 * is its entry's ts_ns and is cleared when one record's differs (first,
 * middle, last of those done), and a record it did not do (the
 * remainder) never clears it.  Exits 77 (skipped) on a CPU without AVX2;
 * the encoder's blocks with it are checked against the scalar build's by
 * unit_block_nosse2_same_blocks. */
#include <stdlib.h>
#include <string.h>

#include "block_internal.h"
#include "testutil.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	return tu_xorshift64(&rng);
}

/* c records at rec (64 bytes each, word 3 the ts), their entries below
 * ents + c (entry i at ents[c - 1 - i], as a blockbuf lays them out);
 * bad: the record whose ts word differs from its entry's (c: none). */
static void run(uint32_t c, uint32_t bad)
{
	uint64_t *rec = malloc((size_t)c * 64 + 8);
	struct bb_ent *ents = malloc(((size_t)c + 1) * sizeof(*ents));
	uint64_t *words = malloc((size_t)c * 64 + 64);
	uint64_t wor[8], want_or[8] = { 0 };
	bool ok = true;

	CHECK(rec && ents && words);
	for (uint32_t i = 0; i < c; i++) {
		for (uint32_t w = 0; w < 8; w++)
			rec[(size_t)i * 8 + w] = rnd() >> (w * 7);   /* (columns of other widths) */
		ents[c - 1 - i].ts_ns = rec[(size_t)i * 8 + 3] + (i == bad);
	}
	for (uint32_t w = 0; w < 8; w++)
		wor[w] = 1ull << 63;   /* ORed into, not replaced */
	memset(words, 0xa5, (size_t)c * 64 + 64);
	uint32_t done = cap_tr64_avx2(words, c, (const uint8_t *)rec, &ents[c - 1 + (c == 0)], 3,
				      wor, &ok);
	CHECK_EQ_INT(done, c / 4 * 4);
	for (uint32_t w = 0; w < 8; w++) {
		for (uint32_t i = 0; i < c; i++) {
			uint64_t v = words[(size_t)w * c + i];

			if (i < done) {
				CHECK_EQ_U64(v, rec[(size_t)i * 8 + w]);
				want_or[w] |= v;
			} else {
				CHECK_EQ_U64(v, 0xa5a5a5a5a5a5a5a5ull);   /* the caller's */
			}
		}
		CHECK_EQ_U64(wor[w], want_or[w] | 1ull << 63);
	}
	CHECK_EQ_INT(ok, bad >= done);
	free(rec);
	free(ents);
	free(words);
}

int main(void)
{
	if (!cap_tr64_avx2_ok()) {
		printf("test_block_tr64: skipped: this CPU has no AVX2\n");
		return 77;
	}
	for (uint32_t c = 0; c <= 13; c++) {
		run(c, c);
		for (uint32_t bad = 0; bad < c; bad++)
			run(c, bad);
	}
	run(1001, 1001);
	run(1001, 0);
	run(1001, 500);
	run(1001, 999);
	run(1001, 1000);   /* the remainder: not done, not checked */
	printf("test_block_tr64: ok\n");
	return 0;
}
