/* test_block_tsctx - the ts column's context mode (TS_CTX, encodings 7
 * and 8; FORMAT.md "Body", ts column).
 *
 * A body built here byte by byte: one stream of 8-byte records (each its
 * index), whose deltas come in states (a few fast ones, then slow ones)
 * with some past 254 (escaped): each delta's byte goes to the column of
 * its previous delta's context (2 contexts, bound 50), the escaped ones'
 * rest to 2 planes.  It decodes value by value; then hostile variants
 * (context counts that do not add up, or that add up but do not match
 * the bytes; an escape count one off; no context, 9; bounds that do not
 * ascend from 1; an unknown mode; truncated planes; the same body in an
 * encoding-5 block) are refused with their reason.  Then the encoder's
 * own: deltas in states make a compact block of encoding 7 whose ts
 * column is TS_CTX with 2 contexts or more, smaller than the same records
 * coded TS_PLANES would be (a fast block's ts column is, and its size is
 * what the context mode must beat), and decode to their records; the
 * next block of a chain takes the first's contexts and decodes too.
 *
 *   test_block_tsctx --seed DIR   writes fuzz_block's seeds: the body by
 *                                 hand (tsctx-body-0) and the encoder's
 *                                 block (tsctx-block-0)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "block.h"
#include "testutil.h"
#include "fixtures/blockseal.h"

#define NR 600u
#define T0 9000000000ull
#define DMIN 100u
#define BOUND 50u

/* Record i's delta less DMIN: states of 10 fast and 10 slow records, and
 * every 37th one past a byte (escaped). */
static uint64_t vof(uint32_t i)
{
	if (i % 37 == 36)
		return 255 + 3 * (uint64_t)i;
	return (i / 10) % 2 ? 60 + i % 7 : 3 + i % 5;
}

static uint64_t ts_of(uint32_t i)
{
	uint64_t ts = T0;

	for (uint32_t k = 0; k <= i; k++)
		ts += DMIN + vof(k);
	return ts;
}

/* How the body below is bent. */
struct bend {
	int n0_delta, n1_delta;   /* the contexts' counts */
	int ne_delta;             /* the escape count */
	int nctx;                 /* 0: 2 */
	uint64_t bound;           /* 0: BOUND */
	int mode;                 /* the ts mode byte */
	uint32_t cut;             /* escape plane bytes left out */
	bool zero_bound;          /* a bound of 0 */
};

static uint8_t *make_body(const struct bend *bd, size_t *len)
{
	uint8_t *body = malloc(256 + NR * 12), *p = body;
	uint8_t col[2][NR];
	uint32_t n[2] = { 0, 0 }, ne = 0;
	uint16_t esc[NR];
	uint64_t prev = 0;

	CHECK(body);
	for (uint32_t i = 0; i < NR; i++) {
		uint64_t v = vof(i);
		uint32_t k = prev >= BOUND;

		col[k][n[k]++] = v < 255 ? (uint8_t)v : 255;
		if (v >= 255)
			esc[ne++] = (uint16_t)(v - 255);
		prev = v;
	}
	CHECK(n[0] > 100 && n[1] > 100 && ne >= 10);
	p = tu_put_varint(p, 1);      /* nstreams */
	p = tu_put_varint(p, 1);      /* stream id */
	p = tu_put_varint(p, NR);     /* count */
	*p++ = 0x03;               /* CPU_RUN | FIXED_LEN */
	*p++ = (uint8_t)bd->mode;  /* TS_CTX: 1 */
	p = tu_put_varint(p, (uint64_t)DMIN << 1);   /* zigzag */
	*p++ = (uint8_t)(bd->nctx ? bd->nctx : 2);
	p = tu_put_varint(p, bd->zero_bound ? 0 : bd->bound ? bd->bound : BOUND);
	p = tu_put_varint(p, (uint64_t)((int64_t)n[0] + bd->n0_delta));
	p = tu_put_varint(p, (uint64_t)((int64_t)n[1] + bd->n1_delta));
	p = tu_put_varint(p, (uint64_t)((int64_t)ne + bd->ne_delta));
	memcpy(p, col[0], n[0]);
	p += n[0];
	memcpy(p, col[1], n[1]);
	p += n[1];
	*p++ = 0x03;               /* the escapes' planes 0 and 1 */
	for (uint32_t k = 0; k < ne; k++)
		p[k] = (uint8_t)esc[k], p[ne + k] = (uint8_t)(esc[k] >> 8);
	p += 2 * ne;
	if (bd->cut) {             /* ...and nothing after them */
		*len = (size_t)(p - body) - bd->cut;
		return body;
	}
	p = tu_put_varint(p, 1);      /* CPU_RUN: cpu 0 */
	p = tu_put_varint(p, 8);      /* FIXED_LEN: 8 bytes, transposed */
	for (uint32_t j = 0; j < 8; j++)
		for (uint32_t i = 0; i < NR; i++)
			*p++ = (uint8_t)((uint64_t)i >> (8 * j));
	*len = (size_t)(p - body);
	return body;
}

/* The bent body in a block of encoding enc: 0 and the records, or the
 * decoder's error, which must name want (NULL: any). */
static void expect(struct block_decoder *d, const struct bend *bd, unsigned enc, bool ok,
		   const char *want)
{
	size_t raw, len;
	uint8_t *body = make_body(bd, &raw);
	uint8_t hdr[BLOCKSEAL_HDR];

	blockseal_header(hdr, enc, NR, 1, T0, ts_of(NR - 1));
	uint8_t *blk = blockseal(hdr, body, raw, 0, &len);
	const struct cap_rec *recs;
	uint32_t n;
	char err[256] = "";
	int rc = block_decoder__decode(d, blk, len, &recs, &n, err, sizeof(err));

	if (ok) {
		if (rc)
			fprintf(stderr, "%s\n", err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(n, NR);
		uint64_t ts = T0;
		for (uint32_t i = 0; i < NR; i++) {
			uint64_t v;

			ts += DMIN + vof(i);
			CHECK_EQ_U64(recs[i].ts_ns, ts);
			CHECK_EQ_INT(recs[i].len, 8);
			memcpy(&v, recs[i].data, 8);
			CHECK_EQ_U64(v, i);
		}
	} else {
		if (want && !strstr(err, want))
			fprintf(stderr, "want \"%s\", got %d \"%s\"\n", want, rc, err);
		CHECK_EQ_INT(rc, -EBADMSG);
		CHECK(!want || strstr(err, want));
	}
	free(body);
	free(blk);
}

/* The ts mode and the context count of the first group of an encoded
 * block (its body decompressed). */
static void ts_mode_of(const uint8_t *blk, size_t len, unsigned *mode, unsigned *nctx)
{
	uint32_t raw = blk[12] | blk[13] << 8 | (uint32_t)blk[14] << 16 | (uint32_t)blk[15] << 24;
	uint8_t *body = malloc(raw);

	CHECK(body);
	CHECK_EQ_U64(ZSTD_decompress(body, raw, blk + 48, len - 48), raw);
	const uint8_t *p = body + (blk[6] == 8 ? 4 : 0);
	for (int v = 0; v < 3; v++)   /* nstreams, stream, count */
		while (*p++ & 0x80)
			;
	p++;                          /* flags */
	*mode = *p++;
	while (*p++ & 0x80)           /* dmin */
		;
	*nctx = *mode == 1 ? *p : 0;
	free(body);
}

static void write_file(const char *dir, const char *name, const uint8_t *a, size_t alen,
		       const uint8_t *b, size_t blen)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f);
	CHECK(fwrite(a, 1, alen, f) == alen && fwrite(b, 1, blen, f) == blen);
	CHECK(!fclose(f));
}

/* The encoder: deltas in states (fast, slow, a spike now and then); with
 * seeds non-NULL, its block is written there. */
static void test_encoder(struct block_decoder *d, const char *seeds)
{
	enum { N = 20000 };
	struct blockbuf *b = blockbuf__new(4u << 20);
	struct block_encoder *e = block_encoder__new(1), *f = block_encoder__new(1);
	static uint64_t ts[N];
	uint64_t rng = 11, t = T0;
	const uint8_t *out;
	const struct cap_rec *recs;
	size_t len, flen;
	uint32_t n;
	unsigned mode, nctx;
	char err[256];

	CHECK(b && e && f);
	CHECK_EQ_INT(block_encoder__fast(f, true), 0);
	for (uint32_t i = 0; i < N; i++) {
		uint64_t r = test_rand(&rng);
		uint32_t at = i % 57;   /* a ring page's records: slow after its start */

		t += at == 0 ? 300 + r % 40 : at < 9 ? 140 + r % 32 : 60 + r % 16;
		ts[i] = t;
		CHECK_EQ_INT(blockbuf__add(b, 3, 1, t, &i, sizeof(i)), 0);
	}
	CHECK_EQ_INT(block_encoder__encode(f, b, &out, &flen, NULL), 0);
	CHECK_EQ_INT(out[6], 1);   /* fast: TS_PLANES, no mode byte */
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &len, NULL), 0);
	CHECK_EQ_INT(out[6], 7);
	if (seeds)
		write_file(seeds, "tsctx-block-0", out, len, NULL, 0);
	ts_mode_of(out, len, &mode, &nctx);
	CHECK_EQ_INT(mode, 1);
	CHECK(nctx >= 2);
	/* a fast block's other columns are no smaller than a compact one's
	 * here (the record index: one delta), so the gap is the ts column's:
	 * ~6 bits a record as planes, ~3.5 by contexts */
	if (!(len * 10 < flen * 8))
		fprintf(stderr, "compact %zu bytes, fast %zu\n", len, flen);
	CHECK(len * 10 < flen * 8);
	CHECK_EQ_INT(block_decoder__decode(d, out, len, &recs, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, N);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t v;

		CHECK_EQ_U64(recs[i].ts_ns, ts[i]);
		memcpy(&v, recs[i].data, 4);
		CHECK_EQ_INT(v, i);
	}
	block_encoder__free(e);
	block_encoder__free(f);
	blockbuf__free(b);
}

/* A chain's next block takes its first block's contexts, counted anew
 * over its own deltas (another mix of the same states: more slow ones):
 * both decode to their records, the second with the first's context
 * count. */
static void test_chain_contexts(struct block_decoder *d)
{
	enum { N = 20000 };
	struct blockbuf *b = blockbuf__new(4u << 20);
	struct block_encoder *e = block_encoder__new(1);
	struct block_dicts *st[2] = { block_dicts__new(), block_dicts__new() };
	static uint64_t ts[N];
	uint64_t rng = 5, t = T0;
	const struct cap_rec *recs;
	const uint8_t *out;
	unsigned mode, nctx[2];
	char err[256];
	size_t len;
	uint32_t n;

	CHECK(b && e && st[0] && st[1]);
	block_encoder__chain(e, 4);
	for (int k = 0; k < 2; k++) {
		blockbuf__reset(b);
		for (uint32_t i = 0; i < N; i++) {
			uint64_t r = test_rand(&rng);
			uint32_t at = i % (k ? 23 : 57);

			t += at == 0 ? 300 + r % 40 : at < (k ? 15u : 9u) ? 140 + r % 32 : 60 + r % 16;
			ts[i] = t;
			CHECK_EQ_INT(blockbuf__add(b, 3, 1, t, &i, sizeof(i)), 0);
		}
		CHECK_EQ_INT(block_encoder__encode(e, b, &out, &len, NULL), 0);
		CHECK_EQ_INT(out[6], k ? 8 : 7);
		ts_mode_of(out, len, &mode, &nctx[k]);
		CHECK_EQ_INT(mode, 1);
		int rc = block_decoder__decode_chain(d, out, len, k ? st[0] : NULL, st[k], NULL,
						     &recs, &n, err, sizeof(err));
		if (rc)
			fprintf(stderr, "block %d: %s\n", k, err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(n, N);
		for (uint32_t i = 0; i < N; i++)
			CHECK_EQ_U64(recs[i].ts_ns, ts[i]);
	}
	CHECK(nctx[0] >= 2);
	CHECK_EQ_INT(nctx[1], nctx[0]);
	block_dicts__free(st[0]);
	block_dicts__free(st[1]);
	block_encoder__free(e);
	blockbuf__free(b);
}

int main(int argc, char **argv)
{
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);

	CHECK(d);
	if (argc == 3 && !strcmp(argv[1], "--seed")) {
		/* fuzz_block's body input: nrecords, nstreams (its top bit:
		 * sealed as encoding 7), min_ts, max_ts, then the body */
		uint8_t hdr[24];
		size_t raw;
		uint8_t *body = make_body(&(struct bend){ .mode = 1 }, &raw);

		tu_put_le32(hdr, NR);
		tu_put_le32(hdr + 4, 1u | 1u << 31);
		tu_put_le64(hdr + 8, T0);
		tu_put_le64(hdr + 16, ts_of(NR - 1));
		write_file(argv[2], "tsctx-body-0", hdr, sizeof(hdr), body, raw);
		free(body);
		test_encoder(d, argv[2]);
		block_decoder__free(d);
		return 0;
	}
	expect(d, &(struct bend){ .mode = 1 }, 7, true, NULL);
	expect(d, &(struct bend){ .mode = 1, .n0_delta = 1 }, 7, false,
	       "counts that do not add up");
	expect(d, &(struct bend){ .mode = 1, .n0_delta = 1, .n1_delta = -1 }, 7, false,
	       "do not match their counts");
	expect(d, &(struct bend){ .mode = 1, .n0_delta = -1, .n1_delta = 1 }, 7, false,
	       "do not match their counts");
	expect(d, &(struct bend){ .mode = 1, .ne_delta = 1 }, 7, false, NULL);
	expect(d, &(struct bend){ .mode = 1, .ne_delta = -1 }, 7, false, NULL);
	expect(d, &(struct bend){ .mode = 1, .nctx = 255 }, 7, false, "context count not 1 to 8");
	expect(d, &(struct bend){ .mode = 1, .nctx = 9 }, 7, false, "context count not 1 to 8");
	expect(d, &(struct bend){ .mode = 1, .zero_bound = true }, 7, false,
	       "bounds not ascending from 1");
	/* a bound no delta reaches: every byte in context 0, counted in 1 */
	expect(d, &(struct bend){ .mode = 1, .bound = 1u << 20 }, 7, false,
	       "do not match their counts");
	expect(d, &(struct bend){ .mode = 2 }, 7, false, "unknown timestamp mode 2");
	expect(d, &(struct bend){ .mode = 1, .cut = 5 }, 7, false, "overrun");
	expect(d, &(struct bend){ .mode = 1 }, 5, false, NULL);   /* no mode byte in 5 */
	test_encoder(d, NULL);
	test_chain_contexts(d);
	block_decoder__free(d);
	printf("ok: a TS_CTX body by hand, %u records value by value, 12 hostile variants "
	       "refused; the encoder's contexts, a chain's next block's taken again\n", NR);
	return 0;
}
