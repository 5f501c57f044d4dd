/* test_block_esc - escaped dictionary codes (GRP_ESC, encodings 5 and 6;
 * FORMAT.md "Body").
 *
 * A body built here byte by byte: one stream of 8-byte records, one word
 * coded as a dictionary of 300 values (codes of 2 bytes, escaped), each
 * value used twice: the first uses are "the next value" (code 8), the
 * second ones indexes 9 + i, of which those past 245 are escaped (byte
 * 255, then the low and high bytes of code - 255 in two columns).  It
 * decodes value by value; then hostile variants (the escape count too
 * small, too large, past the record count; truncated escape columns; the
 * flag in an encoding-3 block, without word columns) are refused with
 * their reason.  Then the encoder's own escaped blocks: a column of 2-byte
 * codes makes encoding 7 (5 and ts modes) with the flag set, and decodes to its records.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "testutil.h"
#include "fixtures/blockseal.h"

#define ND 300u            /* dictionary values */
#define NR (2u * ND)       /* records: each value twice */
#define T0 7000000000ull   /* every record's ts */

static uint64_t value(uint32_t k)
{
	return 0x1000u + 7u * k;   /* two byte planes */
}

/* How the body below is bent: the escape count's change, the group
 * flags, the number of escape bytes left out at the end. */
struct bend {
	int nesc_delta;
	uint8_t flags;
	uint32_t cut;
};

/* The body; its length in *len. */
static uint8_t *make_body(const struct bend *bd, size_t *len)
{
	uint8_t *body = malloc(64 + ND * 2 + NR * 3), *p = body;
	uint32_t codes[NR], nesc = 0;

	CHECK(body);
	for (uint32_t i = 0; i < NR; i++) {
		codes[i] = i < ND ? 8 : 9 + (i - ND);   /* DICT_NEXT: next, then index */
		nesc += codes[i] >= 255;
	}
	p = tu_put_varint(p, 1);      /* nstreams */
	p = tu_put_varint(p, 1);      /* stream id */
	p = tu_put_varint(p, NR);     /* count */
	*p++ = bd->flags;
	p = tu_put_varint(p, 0);      /* ts: dmin 0 */
	*p++ = 0;                  /* no ts plane: every delta 0 */
	p = tu_put_varint(p, 1);      /* CPU_RUN: cpu 0 */
	p = tu_put_varint(p, 8);      /* FIXED_LEN: 8 bytes */
	*p++ = 4;                  /* word 0: WORD_DICT */
	p = tu_put_varint(p, ND);
	*p++ = 0x03;               /* the values' planes 0 and 1 */
	for (uint32_t k = 0; k < ND; k++)
		p[k] = (uint8_t)value(k), p[ND + k] = (uint8_t)(value(k) >> 8);
	p += 2 * ND;
	p = tu_put_varint(p, (uint64_t)((int64_t)nesc + bd->nesc_delta));
	uint8_t *lo = p + NR, *hi = lo + nesc;
	uint32_t k = 0;
	for (uint32_t i = 0; i < NR; i++) {
		if (codes[i] < 255) {
			p[i] = (uint8_t)codes[i];
			continue;
		}
		p[i] = 255;
		lo[k] = (uint8_t)(codes[i] - 255);
		hi[k++] = (uint8_t)((codes[i] - 255) >> 8);
	}
	CHECK_EQ_INT(k, nesc);
	CHECK_EQ_INT(nesc, ND - 246);   /* indexes 246 and on */
	*len = (size_t)(hi + nesc - body) - bd->cut;
	return body;
}

#define FLAGS 0xabu   /* ESC | DICT_NEXT | WORDS | FIXED_LEN | CPU_RUN */

/* The bent body in a block of encoding enc: 0 and the records, or the
 * decoder's error, which must name want. */
static void expect(struct block_decoder *d, const struct bend *bd, unsigned enc, const char *want)
{
	size_t raw, len;
	uint8_t *body = make_body(bd, &raw);
	uint8_t hdr[BLOCKSEAL_HDR];

	blockseal_header(hdr, enc, NR, 1, T0, T0);
	uint8_t *blk = blockseal(hdr, body, raw, 0, &len);
	const struct cap_rec *recs;
	uint32_t n;
	char err[256] = "";
	int rc = block_decoder__decode(d, blk, len, &recs, &n, err, sizeof(err));

	if (!want) {
		if (rc)
			fprintf(stderr, "%s\n", err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(n, NR);
		for (uint32_t i = 0; i < NR; i++) {
			uint64_t v;

			CHECK_EQ_INT(recs[i].len, 8);
			CHECK_EQ_U64(recs[i].ts_ns, T0);
			memcpy(&v, recs[i].data, 8);
			CHECK_EQ_U64(v, value(i % ND));
		}
	} else {
		if (!strstr(err, want))
			fprintf(stderr, "want \"%s\", got %d \"%s\"\n", want, rc, err);
		CHECK_EQ_INT(rc, -EBADMSG);
		CHECK(strstr(err, want));
	}
	free(body);
	free(blk);
}

/* The encoder: a word of 2-byte codes makes an escaped group. */
static void test_encoder(struct block_decoder *d)
{
	struct blockbuf *b = blockbuf__new(1u << 20);
	struct block_encoder *e = block_encoder__new(1);
	const struct cap_rec *recs;
	const uint8_t *out;
	size_t len;
	uint32_t n;
	uint64_t rng = 5, vals[4000][2];
	char err[256];

	CHECK(b && e);
	for (uint32_t i = 0; i < 4000; i++) {
		uint64_t r = test_rand(&rng);
		/* 400 hashes, each 4 times in a row: a dictionary (of more
		 * than 240 values: 2-byte codes) */
		vals[i][0] = i % 4 ? vals[i - 1][0] : (1 + r % 400) * 0x9E3779B97F4A7C15ull;
		vals[i][1] = i;
		CHECK_EQ_INT(blockbuf__add(b, 2, 0, T0 + i, vals[i], 16), 0);
	}
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &len, NULL), 0);
	CHECK_EQ_INT(out[6], 7);   /* 5 with a mode per ts column */
	CHECK_EQ_INT(block_decoder__decode(d, out, len, &recs, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, 4000);
	for (uint32_t i = 0; i < n; i++) {
		CHECK_EQ_U64(recs[i].ts_ns, T0 + i);
		CHECK(recs[i].len == 16 && !memcmp(recs[i].data, vals[i], 16));
	}
	/* the same records in a fast block: 2-byte codes as two planes,
	 * encoding 1 */
	CHECK_EQ_INT(block_encoder__fast(e, true), 0);
	CHECK_EQ_INT(block_encoder__encode(e, b, &out, &len, NULL), 0);
	CHECK_EQ_INT(out[6], 1);
	CHECK_EQ_INT(block_decoder__decode(d, out, len, &recs, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, 4000);
	for (uint32_t i = 0; i < n; i++)
		CHECK(recs[i].len == 16 && !memcmp(recs[i].data, vals[i], 16));
	block_encoder__free(e);
	blockbuf__free(b);
}

int main(void)
{
	struct block_decoder *d = block_decoder__new(CAP_BLOCK_MAX_RAW);

	CHECK(d);
	expect(d, &(struct bend){ 0, FLAGS, 0 }, 5, NULL);
	expect(d, &(struct bend){ -1, FLAGS, 0 }, 5, "escaped codes, the codes say otherwise");
	expect(d, &(struct bend){ 1, FLAGS, 0 }, 5, "dictionary overruns the block");
	expect(d, &(struct bend){ (int)NR + 1, FLAGS, 0 }, 5, "bad escaped code count");
	expect(d, &(struct bend){ 0, FLAGS, 1 }, 5, "dictionary overruns the block");
	expect(d, &(struct bend){ 0, FLAGS, 0 }, 3, "escaped dictionary codes in an encoding-3 block");
	expect(d, &(struct bend){ 0, 0x83u, 0 }, 5, "escaped dictionary codes without word columns");
	test_encoder(d);
	block_decoder__free(d);
	printf("ok: escaped dictionary codes decode value by value; 6 hostile variants refused\n");
	return 0;
}
