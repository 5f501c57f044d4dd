/* test_block_wide - records of many words, most of them zero in every
 * record (a --syscalls record's unused string bytes): the encoder
 * transposes only the words that are not zero throughout (transpose_wide).
 * Every block decodes value by value: the time word, dictionaries, a
 * string whose length varies, a word non-zero in one record only, a
 * dictionary word that is zero throughout a block continuing a chain, the
 * tail bytes; compact and fast blocks, chained and not. */
#include <errno.h>
#include <stdint.h>

#include "block.h"
#include "testutil.h"

#define L 323u          /* 40 words and a 3-byte tail */
#define NBLK 6u
#define BLOCK_BYTES (64u * 1024u)

struct blk {
	uint8_t *buf;
	size_t len;
	uint8_t *recs;       /* the records appended, L bytes each, in order */
	uint64_t *ts;
	uint32_t n;
};

static void make_record(uint8_t *r, uint64_t ts, uint32_t b, uint32_t i, uint64_t *rng)
{
	static const char comms[4][16] = { "bash", "nginx", "postgres", "kworker/0:1" };
	uint64_t x = test_rand(rng), v;
	uint32_t slen = (uint32_t)(x % 100);   /* the string's bytes: 0 to 99 */

	memset(r, 0, L);
	memcpy(r, &ts, 8);                                    /* word 0: the time */
	v = (uint64_t)(1000 + (x >> 8) % 7) << 32 | (1000 + (x >> 8) % 7);
	memcpy(r + 8, &v, 8);                                 /* word 1: pid|tid */
	v = (uint64_t)b * 100000 + i;
	memcpy(r + 16, &v, 8);                                /* word 2: a counter */
	if (b != 3)                                           /* words 3-4: a comm, */
		memcpy(r + 24, comms[(x >> 16) & 3], 16);     /* none in block 3 */
	for (uint32_t k = 0; k < slen; k++)                   /* words 5-17: a string */
		r[40 + k] = (uint8_t)('a' + (x >> (k % 50)) % 26);
	if (b == 2 && i == 77)                                /* word 30: one record */
		memset(r + 240, 0xee, 8);
	v = test_rand(rng);
	memcpy(r + 312, &v, 8);                               /* word 39: noise */
	r[320] = (uint8_t)x;                                  /* the tail */
	r[321] = 0;
	r[322] = (uint8_t)(x >> 40);
}

static void make_blocks(unsigned chain, int fast, struct blk *out)
{
	struct blockbuf *bb = blockbuf__new(BLOCK_BYTES);
	struct block_encoder *e = block_encoder__new(1);
	uint64_t rng = 7, now = 5000000;
	uint8_t r[L];

	CHECK(bb && e);
	block_encoder__chain(e, chain);
	CHECK_EQ_INT(block_encoder__fast(e, fast), 0);
	for (uint32_t b = 0; b < NBLK; b++) {
		struct blk *o = &out[b];

		o->recs = malloc((size_t)(BLOCK_BYTES / L + 1) * L);
		o->ts = malloc((BLOCK_BYTES / L + 1) * sizeof(*o->ts));
		CHECK(o->recs && o->ts);
		o->n = 0;
		for (;;) {
			now += 1 + test_rand(&rng) % 500;
			make_record(r, now, b, o->n, &rng);
			int rc = blockbuf__add(bb, 4, 1, now, r, L);
			if (rc == -ENOSPC)
				break;
			CHECK_EQ_INT(rc, 0);
			memcpy(o->recs + (size_t)o->n * L, r, L);
			o->ts[o->n++] = now;
		}
		CHECK(o->n > 100);
		const uint8_t *enc;
		struct cap_block_meta m;

		CHECK_EQ_INT(block_encoder__encode(e, bb, &enc, &o->len, &m), 0);
		CHECK_EQ_INT(m.nrecords, o->n);
		o->buf = malloc(o->len);
		CHECK(o->buf);
		memcpy(o->buf, enc, o->len);
		blockbuf__reset(bb);
	}
	blockbuf__free(bb);
	block_encoder__free(e);
}

static void check_blocks(const struct blk *blks, const char *what)
{
	struct block_decoder *d = block_decoder__new(64u << 20);
	struct block_dicts *dicts[2] = { block_dicts__new(), block_dicts__new() };
	size_t bytes = 0, n = 0;
	char err[256];

	CHECK(d && dicts[0] && dicts[1]);
	for (uint32_t b = 0; b < NBLK; b++) {
		const struct blk *o = &blks[b];
		const struct cap_rec *recs;
		uint32_t nrecs, need = 0;
		int rc = block_decoder__decode_chain(d, o->buf, o->len, b ? dicts[(b + 1) % 2] : NULL,
						     dicts[b % 2], &need, &recs, &nrecs, err,
						     sizeof(err));
		if (rc)
			fprintf(stderr, "%s: block %u: %s\n", what, b, err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(nrecs, o->n);
		for (uint32_t i = 0; i < nrecs; i++) {
			CHECK_EQ_INT(recs[i].len, L);
			CHECK_EQ_U64(recs[i].ts_ns, o->ts[i]);
			if (memcmp(recs[i].data, o->recs + (size_t)i * L, L)) {
				fprintf(stderr, "%s: block %u, record %u differs\n", what, b, i);
				exit(1);
			}
		}
		bytes += o->len;
		n += nrecs;
	}
	printf("%s: %zu records of %u bytes in %u blocks, %.2f bytes each, value by value\n",
	       what, n, L, NBLK, (double)bytes / (double)n);
	block_dicts__free(dicts[0]);
	block_dicts__free(dicts[1]);
	block_decoder__free(d);
}

static void free_blocks(struct blk *blks)
{
	for (uint32_t b = 0; b < NBLK; b++) {
		free(blks[b].buf);
		free(blks[b].recs);
		free(blks[b].ts);
	}
}

int main(void)
{
	static const struct { unsigned chain; int fast; const char *what; } runs[] = {
		{ 1, 0, "compact" }, { 4, 0, "compact, chains of 4" }, { 1, 1, "fast" },
	};

	for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
		struct blk blks[NBLK];

		make_blocks(runs[k].chain, runs[k].fast, blks);
		check_blocks(blks, runs[k].what);
		free_blocks(blks);
	}
	printf("test_block_wide: ok\n");
	return 0;
}
