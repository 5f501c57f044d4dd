/* test_capr_stale - capr's fallback when a chained block needs more of its
 * base's dictionaries than a projected read of the base left (-ESTALE):
 * the cursor decodes the chain again leaving every dictionary whole, and
 * the block reads as a whole decode reads it.
 *
 * Today's encoder keeps a column's mode along a chain, so it never writes
 * such a chain: the two blocks are coded here by hand (FORMAT.md "Body",
 * "Chained dictionaries").  One stream of 16-byte records, two words:
 *   block 1 (encoding 3): word 0 DICT {A, B}, word 1 DICT {X, Y}
 *   block 2 (encoding 4, INHERIT): word 0 DICT continuing block 1's,
 *     word 1 KEYED by word 0 (a new column: block 1's was DICT)
 * A read of word 1 alone steps over block 1's word 0 (no keyed column
 * wants it there); block 2's word 1 is keyed by it, so block 2 needs word
 * 0's values and lists: -ESTALE from the decoder, then capr's full chain.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <zstd.h>

#include "block.h"
#include "block_internal.h"
#include "capr.h"
#include "capw.h"
#include "cap_internal.h"
#include "testutil.h"

#define NREC 4
#define T0 1000000000ull
#define T1 2000000000ull

static const uint64_t A = 0x1111, B = 0x2222, X = 10, Y = 20, P = 100, Q = 200;
/* the records' two words, block by block */
static const uint64_t w0[2][NREC] = { { A, B, A, B }, { A, A, B, A } };
static const uint64_t w1[2][NREC] = { { X, X, Y, X }, { P, Q, P, P } };

static uint64_t ts_of(int blk, int i)
{
	return (blk ? T1 : T0) + (uint64_t)i * 1000;
}

/* planes(n) of small values (< 2^16): the mask, then its byte columns. */
static uint8_t *put_planes16(uint8_t *p, const uint64_t *v, int n)
{
	uint8_t mask = 0;

	for (int i = 0; i < n; i++)
		mask |= (v[i] & 0xff ? 1 : 0) | (v[i] >> 8 & 0xff ? 2 : 0);
	*p++ = mask;
	for (int k = 0; k < 2; k++)
		if (mask >> k & 1)
			for (int i = 0; i < n; i++)
				*p++ = (uint8_t)(v[i] >> (8 * k));
	return p;
}

/* Block blk's body (see the top). */
static size_t body_of(int blk, uint32_t sid, uint32_t base_crc, uint8_t *body)
{
	uint8_t *p = body;
	uint64_t dts[NREC];

	if (blk) {
		cap_put_le32(p, base_crc);
		p += 4;
	}
	p = cap_put_varint(p, 1);                      /* nstreams */
	p = cap_put_varint(p, sid);
	p = cap_put_varint(p, NREC);
	/* CPU_RUN | FIXED_LEN | WORDS | DICT_NEXT (| INHERIT) */
	*p++ = (uint8_t)(0x01 | 0x02 | 0x08 | 0x20 | (blk ? 0x40 : 0));
	p = cap_put_varint(p, 0);                      /* dmin */
	for (int i = 0; i < NREC; i++)
		dts[i] = i ? 1000 : 0;
	p = put_planes16(p, dts, NREC);
	p = cap_put_varint(p, 0);                      /* cpu + 1: unknown */
	p = cap_put_varint(p, 16);                     /* L */
	if (!blk) {
		static const uint64_t d0[] = { A, B }, d1[] = { X, Y };
		/* DICT_NEXT codes: 8 "the next value", c < 8 a rank */
		static const uint8_t c0[] = { 8, 8, 1, 1 }, c1[] = { 8, 0, 8, 1 };

		*p++ = WORD_DICT;
		*p++ = WORD_DICT;
		p = cap_put_varint(p, 2);
		p = put_planes16(p, d0, 2);
		memcpy(p, c0, NREC);
		p += NREC;
		p = cap_put_varint(p, 2);
		p = put_planes16(p, d1, 2);
		memcpy(p, c1, NREC);
		p += NREC;
	} else {
		static const uint64_t d1[] = { P, Q };
		/* word 0 continues {A, B}, list [B, A]: no new value */
		static const uint8_t c0[] = { 1, 0, 1, 1 };
		/* word 1 keyed by word 0 (keys A 0, B 1): 16 "the next value",
		 * 8 + r rank r in the column's list, r < 8 in the key's */
		static const uint8_t c1[] = { 16, 16, 9, 1 };

		*p++ = WORD_DICT;
		*p++ = WORD_KEYED + 0;
		p = cap_put_varint(p, 0);
		*p++ = 0;                                  /* planes(0) */
		memcpy(p, c0, NREC);
		p += NREC;
		p = cap_put_varint(p, 2);
		p = put_planes16(p, d1, 2);
		memcpy(p, c1, NREC);
		p += NREC;
	}
	return (size_t)(p - body);
}

/* The whole block: header and one zstd frame (content size, checksum). */
static size_t block_of(int blk, uint32_t sid, uint32_t base_crc, uint8_t *out, size_t cap,
		       struct cap_block_meta *m)
{
	uint8_t body[512];
	size_t n = body_of(blk, sid, base_crc, body);
	ZSTD_CCtx *z = ZSTD_createCCtx();

	CHECK(z);
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 1);
	size_t f = ZSTD_compress2(z, out + CAP_BLOCK_HDR_BYTES, cap - CAP_BLOCK_HDR_BYTES, body, n);
	CHECK(!ZSTD_isError(f));
	ZSTD_freeCCtx(z);
	*m = (struct cap_block_meta){ .nrecords = NREC, .raw_bytes = (uint32_t)n,
				      .enc_bytes = (uint32_t)(CAP_BLOCK_HDR_BYTES + f),
				      .min_ts_ns = ts_of(blk, 0), .max_ts_ns = ts_of(blk, NREC - 1) };
	cap_block_fill_header(out, m, 1, blk ? 4 : 3);
	return m->enc_bytes;
}

static void check_recs(int blk, const struct cap_rec *recs, uint32_t n, bool word0)
{
	CHECK_EQ_INT(n, NREC);
	for (int i = 0; i < NREC; i++) {
		uint64_t v;

		CHECK_EQ_U64(recs[i].ts_ns, ts_of(blk, i));
		CHECK_EQ_INT(recs[i].len, 16);
		memcpy(&v, recs[i].data + 8, 8);
		CHECK_EQ_U64(v, w1[blk][i]);
		if (word0) {
			memcpy(&v, recs[i].data, 8);
			CHECK_EQ_U64(v, w0[blk][i]);
		}
	}
}

int main(void)
{
	const char *tmp = test_tmpdir("capr_stale");
	char dir[4096], err[256];
	uint8_t blk[2][1024];
	size_t len[2];
	struct cap_block_meta m[2];
	uint32_t obj, sid;

	/* The capture: the two blocks appended as coded. */
	snprintf(dir, sizeof(dir), "%s/cap", tmp);
	struct capw_opts o = { 0 };
	struct capw *w = capw__create(dir, &o);
	struct cap_session sess = { "host", "6.18", "boot", "test", "test", 1, 2, 3 };
	CHECK(w);
	CHECK(!capw__set_session(w, &sess));
	CHECK(!capw__add_object(w, "stale", NULL, NULL, 0, &obj));
	struct cap_stream_desc d = { "events", "ringbuf", obj, "events", NULL, 0, 0 };
	CHECK(!capw__add_stream(w, &d, &sid));
	for (int b = 0; b < 2; b++) {
		struct blockbuf *bb = blockbuf__new(4096);
		uint8_t rec[16];

		CHECK(bb);
		len[b] = block_of(b, sid, b ? cap_get_le32(blk[0] + 44) : 0, blk[b], sizeof(blk[b]),
				  &m[b]);
		for (int i = 0; i < NREC; i++) {
			memcpy(rec, &w0[b][i], 8);
			memcpy(rec + 8, &w1[b][i], 8);
			CHECK_EQ_INT(blockbuf__add(bb, sid, CAP_CPU_UNKNOWN, ts_of(b, i), rec, 16), 0);
		}
		CHECK_EQ_INT(capw__append_encoded(w, bb, blk[b], len[b], &m[b]), 0);
		blockbuf__free(bb);
	}
	CHECK(!capw__close(w, T1 + 10000));

	/* The blocks as coded: whole decodes read them, and the decoder
	 * refuses block 2 after a projected read of block 1 (the case). */
	uint64_t word1 = 1u << 1;
	struct block_want want = { .stream = sid, .words = &word1, .nwords = 3 };
	struct block_decoder *dec = block_decoder__new(CAP_BLOCK_MAX_RAW);
	struct block_dicts *st = block_dicts__new();
	const struct cap_rec *recs;
	uint32_t n;

	CHECK(dec && st);
	CHECK_EQ_INT(block_decoder__decode_chain(dec, blk[0], len[0], NULL, st, NULL, &recs, &n, err,
						 sizeof(err)), 0);
	check_recs(0, recs, n, true);
	if (block_decoder__decode_chain(dec, blk[1], len[1], st, NULL, NULL, &recs, &n, err,
					sizeof(err)))
		fprintf(stderr, "block 2, whole: %s\n", err);
	check_recs(1, recs, n, true);
	block_decoder__want(dec, &want);
	CHECK_EQ_INT(block_decoder__decode_chain(dec, blk[0], len[0], NULL, st, NULL, &recs, &n, err,
						 sizeof(err)), 0);
	CHECK(!block_dicts__whole(st));
	CHECK_EQ_INT(block_decoder__decode_chain(dec, blk[1], len[1], st, NULL, NULL, &recs, &n, err,
						 sizeof(err)), -ESTALE);
	block_dicts__free(st);
	block_decoder__free(dec);

	/* capr: block 2 alone under the same projection.  Its base is decoded
	 * for that projection, block 2 refuses it, and the cursor decodes the
	 * chain again whole: 3 decodes (base, base again, block), the values
	 * as written. */
	struct capr *r = capr__open(dir, err, sizeof(err));
	const struct cap_block_info *bl;
	size_t nb;

	if (!r)
		fprintf(stderr, "open: %s\n", err);
	CHECK(r);
	CHECK_EQ_INT(capr__blocks(r, &bl, &nb), 0);
	CHECK_EQ_INT(nb, 2);
	CHECK_EQ_U64(bl[1].meta.min_ts_ns, T1);
	struct capr_cursor *c = capr__cursor_new(r);
	CHECK(c);
	capr__cursor_want(c, &want);
	int rc = capr__cursor_read(c, &bl[1], &recs, &n, err, sizeof(err));
	if (rc)
		fprintf(stderr, "read: %s\n", err);
	CHECK_EQ_INT(rc, 0);
	check_recs(1, recs, n, false);
	CHECK_EQ_U64(capr__blocks_decoded(r), 3);
	/* the cursor keeps whole dictionaries now: both blocks read again,
	 * in order, without another refusal */
	CHECK_EQ_INT(capr__cursor_read(c, &bl[0], &recs, &n, err, sizeof(err)), 0);
	check_recs(0, recs, n, false);
	CHECK_EQ_INT(capr__cursor_read(c, &bl[1], &recs, &n, err, sizeof(err)), 0);
	check_recs(1, recs, n, false);
	CHECK_EQ_U64(capr__blocks_decoded(r), 5);
	/* a new projection starts projected again, and falls back again */
	capr__cursor_free(c);
	c = capr__cursor_new(r);
	CHECK(c);
	capr__cursor_want(c, &want);
	CHECK_EQ_INT(capr__cursor_read(c, &bl[1], &recs, &n, err, sizeof(err)), 0);
	check_recs(1, recs, n, false);
	/* and a whole read of block 2 alone needs no fallback */
	capr__cursor_want(c, NULL);
	uint64_t before = capr__blocks_decoded(r);
	CHECK_EQ_INT(capr__cursor_read(c, &bl[1], &recs, &n, err, sizeof(err)), 0);
	check_recs(1, recs, n, true);
	CHECK(capr__blocks_decoded(r) - before <= 2);
	capr__cursor_free(c);
	capr__close(r);
	printf("test_capr_stale: ok\n");
	return 0;
}
