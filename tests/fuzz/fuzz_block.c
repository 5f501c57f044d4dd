/* fuzz_block - block decoding (schema/blockdec.c), untrusted bytes.
 *
 * Two kinds of input, told apart by the first four bytes:
 *  - "BRBK...": one encoded block (header + zstd frame) as a segment or a
 *    bundle holds it.  Its two CRCs (header, frame head) are recomputed
 *    first, or nearly every mutation would stop at them; zstd's own content
 *    checksum still guards the frame.
 *  - anything else: a block body (FORMAT.md, "Body") to seal into a valid
 *    block: u32 nrecords, u32 nstreams, u64 min_ts, u64 max_ts (little-
 *    endian), then the raw body, compressed here with a content checksum.
 *    This reaches the body parser with every mutation.
 * Either way the decoder must refuse the block cleanly or decode it; a
 * block that decodes must also decode under a projection (one stream, some
 * payload words: block_decoder__want, which decompresses only the prefix
 * of the body its walk needs, here fed a few bytes at a time; compact or
 * not) to the same records, a block that does not must not make it go out of bounds (under
 * ASan the body past what zstd gave is poisoned), and re-encoded
 * from its records it must decode to the same records (stream, cpu, ts,
 * bytes) in the same order.  And every input is also a recipe for a block
 * of degenerate records built and encoded here (fb_recipe).
 * Seeds: tests/fuzz/corpus/fuzz_block/ (blocks and bodies of real captures;
 * keyed-*: a block with keyed dictionaries, encoding 2, the last block of
 * `test_block_compat --write DIR`; keylo-*: the same by the encoder of
 * encoding 3 keyed by the pid half, KEY_LO; next-*: the same with
 * DICT_NEXT too, tests/data/capture-enc3's; esc-*: the same by the
 * encoder of encoding 5, escaped codes, `test_block_compat --write DIR 0`'s
 * last block; tsctx-*: a body by hand and a block of the encoder's with
 * the ts column's context mode, `test_block_tsctx --seed DIR`; chain-*: a
 * third kind, two blocks of a chain, `test_block_chain --seed FILE`).
 * Bodies are sealed as encoding 5 (6 chained), so that mutations reach the
 * keyed dictionaries, KEY_LO and escaped codes, or with the top bit of
 * their nstreams field as 7 (8 chained): a mode per ts column.
 *  - "BRCH": a chain of two blocks (fb_chain): the second's body mutated
 *    reaches the columns that continue the first's dictionaries.  Then the
 *    same two under a projection (picked from the input, as below): the
 *    first decoded for what it leaves only, the second with that; it
 *    decodes to the full decode's wanted words, or is refused for needing
 *    more than the projection left (-ESTALE), and with chain_full it must
 *    decode whenever the full decode does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "block.h"
#include "fuzzblock.h"

static struct block_decoder *fb_dec, *fb_dec2, *fb_proj;
static volatile uint8_t fb_sink;
static struct block_encoder *fb_enc;
static struct blockbuf *fb_bb;

/* A valid block around a raw body: malloc'ed, *len set; NULL if too big. */
/* base_crc != 0: sealed as encoding 6, the body after that base's CRC. */
static uint8_t *fb_seal(const uint8_t *in, size_t size, size_t *len, uint32_t base_crc)
{
	if (size < 24 || size - 24 > (1u << 20))
		return NULL;
	size_t pre = base_crc ? 4 : 0;
	size_t blen = size - 24 + pre;
	/* In zstd blocks of a few dozen to a thousand bytes (flushed), so that
	 * a projected decode fed a few bytes at a time (fb_proj) meets the end
	 * of what zstd has given it all along its walk; each costs a block
	 * header more than one frame of 128 KiB blocks. */
	size_t every = 32 + blen % 997, bound = ZSTD_compressBound(blen) + (blen / every + 2) * 8;
	uint8_t *b = malloc(CAP_BLOCK_HDR_BYTES + bound), *body = malloc(blen + 4);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	if (!b || !body || !cc)
		abort();
	fuzz_put32(body, base_crc);
	memcpy(body + pre, in + 24, size - 24);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setPledgedSrcSize(cc, blen);
	size_t z;
	ZSTD_outBuffer zo = { b + CAP_BLOCK_HDR_BYTES, bound, 0 };
	for (size_t off = 0; off < blen; off += every) {
		ZSTD_inBuffer zi = { body + off, blen - off < every ? blen - off : every, 0 };
		do
			z = ZSTD_compressStream2(cc, &zo, &zi, ZSTD_e_flush);
		while (!ZSTD_isError(z) && (z || zi.pos < zi.size));
		if (ZSTD_isError(z))
			abort();
	}
	ZSTD_inBuffer zend = { NULL, 0, 0 };
	do
		z = ZSTD_compressStream2(cc, &zo, &zend, ZSTD_e_end);
	while (!ZSTD_isError(z) && z);
	ZSTD_freeCCtx(cc);
	free(body);
	if (ZSTD_isError(z) || zo.pos > bound)
		abort();
	z = zo.pos;
	/* encoding 5 (keyed dictionaries, KEY_LO, escaped codes), or 6 (and
	 * chained): what 3 and 4 read and more; with the top bit of the
	 * input's nstreams, 7 or 8 (and a mode per ts column) */
	uint32_t ns = fuzz_get32(in + 4);
	b[6] = (uint8_t)((ns >> 31 ? 7 : 5) + (base_crc != 0));
	memcpy(b, "BRBK\x01\x00", 6);
	b[7] = 0;
	_Static_assert(CAP_BLOCK_ENCODING == 8, "seal bodies as the newest encodings");
	fuzz_put32(b + 8, (uint32_t)(CAP_BLOCK_HDR_BYTES + z));
	fuzz_put32(b + 12, (uint32_t)blen);
	memcpy(b + 16, in, 24);   /* nrecords, nstreams, min_ts, max_ts */
	fuzz_put32(b + 20, ns & 0x7fffffffu);
	*len = CAP_BLOCK_HDR_BYTES + z;
	fuzz_fix_block_crcs(b, *len);
	return b;
}

/* The encoder side: the input's first 8 bytes are a recipe for a block of
 * degenerate records (constant, all-zero, all-0xff, one stream, one record,
 * empty, a ts inside the payload or not; a fast or a compact block), which
 * must encode and decode to the same records.  A recorder must never write what its reader refuses;
 * these shapes are rare among decodable bodies, so the decode path above
 * reaches them only after minutes (issue 19: 40 constant records). */
static uint8_t fb_rec_byte(const uint8_t *r, uint32_t i, uint32_t j)
{
	switch (r[4] % 4) {
	case 0: return r[5];                    /* one constant byte */
	case 1: return 0;
	case 2: return 0xff;
	default: return (uint8_t)(r[5] ^ (i % (1u + r[7] % 4)) ^ j);   /* few distinct records */
	}
}

static uint64_t fb_rec_ts(const uint8_t *r, uint32_t i)
{
	switch (r[6] % 4) {
	case 0: return 0;
	case 1: return UINT64_MAX;
	default: return 1000000000ull + (uint64_t)i * r[7];
	}
}

static void fb_recipe(const uint8_t *r, size_t size)
{
	if (size < 8)
		return;
	uint32_t nrec = 1 + (uint32_t)(r[0] | r[1] << 8) % 3000, ns = 1 + r[2] % 4;
	uint32_t len = r[3] % 72, ts_at = len >= 8 && (r[6] & 4) ? r[7] % (len - 7) : UINT32_MAX;
	uint32_t cpu = r[5] & 1 ? CAP_CPU_UNKNOWN : r[5] % 4;
	uint8_t buf[80];
	const struct cap_rec *recs;
	const uint8_t *out;
	size_t len_out;
	uint32_t n, next[4] = { 0 };
	char err[256];

	blockbuf__reset(fb_bb);
	for (uint32_t i = 0; i < nrec; i++) {
		uint64_t ts = fb_rec_ts(r, i);
		for (uint32_t j = 0; j < len; j++)
			buf[j] = fb_rec_byte(r, i, j);
		if (ts_at != UINT32_MAX)
			memcpy(buf + ts_at, &ts, 8);   /* the event's own ts field */
		if (blockbuf__add(fb_bb, 1 + 7 * (i % ns), cpu, ts, buf, len))
			abort();
	}
	/* a fast block (the recorder's while its writers are behind) or a
	 * compact one; the input's re-encoding below takes the same */
	if (block_encoder__fast(fb_enc, (r[6] & 8) != 0))
		abort();
	if (block_encoder__encode(fb_enc, fb_bb, &out, &len_out, NULL)) {
		fprintf(stderr, "fuzz_block: the encoder refuses a block of degenerate records\n");
		abort();
	}
	if (block_decoder__decode(fb_dec2, out, len_out, &recs, &n, err, sizeof(err))) {
		fprintf(stderr, "fuzz_block: a block of degenerate records does not decode: %s\n", err);
		abort();
	}
	if (n != nrec)
		abort();
	/* Streams ascending, each in append order: record k of stream s is
	 * record s + k * ns of the recipe. */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = (recs[i].stream - 1) / 7;
		if (recs[i].stream % 7 != 1 || s >= ns)
			abort();
		uint32_t at = s + next[s]++ * ns;
		uint64_t ts = fb_rec_ts(r, at);
		if (at >= nrec || recs[i].ts_ns != ts || recs[i].cpu != cpu || recs[i].len != len)
			abort();
		for (uint32_t j = 0; j < len; j++) {
			uint8_t want = ts_at != UINT32_MAX && j >= ts_at && j < ts_at + 8 ?
					       (uint8_t)(ts >> (8 * (j - ts_at))) : fb_rec_byte(r, at, j);
			if (recs[i].data[j] != want)
				abort();
		}
	}
}

/* The chain a (a chain's first, which decodes) and b under a projection
 * from the input's last bytes: a for what it leaves only, then b with
 * that.  recs/n: b's full decode (NULL: it failed). */
static void fb_chain_projected(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
			       const struct cap_rec *recs, uint32_t n, const uint8_t *data,
			       size_t size)
{
	static struct block_dicts *pst;
	const struct cap_rec *pr;
	uint32_t pn, k = 0;
	uint64_t words = 0;
	char err[256];

	if (!pst && !(pst = block_dicts__new()))
		abort();
	for (size_t i = 0; i < 8 && i < size; i++)
		words = words << 8 | data[size - 1 - i];
	struct block_want want = {
		.stream = (words & 1) ? (uint32_t)(words >> 1) % 8 : CAP_STREAM_ALL,
		.words = &words,
		.nwords = (uint32_t)(words >> 58),
	};
	bool full = (words >> 38) & 1;
	block_decoder__want(fb_proj, &want);
	block_decoder__step(fb_proj, 1 + (size_t)(words >> 40) % 48);
	block_decoder__chain_full(fb_proj, full);
	int rc = block_decoder__decode_chain(fb_proj, a, alen, NULL, pst, NULL, NULL, NULL, err,
					     sizeof(err));
	if (rc) {
		fprintf(stderr, "fuzz_block: a projection refuses a chain's first block that "
			"decodes: %s\n", err);
		abort();
	}
	rc = block_decoder__decode_chain(fb_proj, b, blen, pst, NULL, NULL, &pr, &pn, err,
					 sizeof(err));
	block_decoder__chain_full(fb_proj, false);
	if (!recs || (rc == -ESTALE && !full))   /* whole dictionaries serve any block */
		return;
	if (rc) {
		fprintf(stderr, "fuzz_block: a projection refuses a chained block that decodes: "
			"%s\n", err);
		abort();
	}
	for (uint32_t i = 0; i < n; i++) {
		if (want.stream != CAP_STREAM_ALL && recs[i].stream != want.stream)
			continue;
		if (k >= pn || pr[k].stream != recs[i].stream || pr[k].ts_ns != recs[i].ts_ns ||
		    pr[k].len != recs[i].len)
			abort();
		for (uint32_t j = 0; j < recs[i].len; j++)
			if (pr[k].data[j] != recs[i].data[j] && pr[k].data[j])
				abort();   /* a word not wanted reads 0 */
		k++;
	}
	if (k != pn)
		abort();
}

/* "BRCH", u32 alen, a block of alen bytes (CRCs fixed: a chain's first),
 * then a body as fb_seal takes it, sealed as encoding 6 naming that block as
 * its base: the second is decoded with what the first left (INHERIT). */
static void fb_chain(const uint8_t *data, size_t size, uint32_t alen)
{
	static struct block_dicts *st;
	const struct cap_rec *recs;
	uint32_t n, need;
	char err[256];
	size_t blen;

	if (!st && !(st = block_dicts__new()))
		abort();
	if (alen < CAP_BLOCK_HDR_BYTES || alen > size)
		return;
	uint8_t *a = malloc(alen), *b;
	if (!a)
		abort();
	memcpy(a, data, alen);
	fuzz_fix_block_crcs(a, alen);
	int rc = block_decoder__decode_chain(fb_dec, a, alen, NULL, st, NULL, &recs, &n, err,
					     sizeof(err));
	uint32_t crc = (uint32_t)a[44] | (uint32_t)a[45] << 8 | (uint32_t)a[46] << 16 |
		       (uint32_t)a[47] << 24;
	if (rc || !crc || !(b = fb_seal(data + alen, size - alen, &blen, crc))) {
		free(a);
		return;
	}
	rc = block_decoder__decode_chain(fb_dec, b, blen, st, NULL, &need, &recs, &n, err,
					 sizeof(err));
	if (rc == -ENOENT && need != crc) {
		fprintf(stderr, "fuzz_block: a chained block names another base: %s\n", err);
		abort();
	}
	if (!rc) {   /* every byte handed out is readable (ASan) */
		uint8_t x = 0;
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = 0; j < recs[i].len; j++)
				x ^= recs[i].data[j];
		__asm__ volatile("" : : "r"(x));
	}
	uint32_t named;   /* the base CRC read alone agrees with the decode */
	if (!block__base_crc(b, blen, &named) && !rc && named != crc)
		abort();
	fb_chain_projected(a, alen, b, blen, rc ? NULL : recs, n, data, size);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cap_rec *recs, *recs2;
	uint32_t n, n2;
	struct cap_block_meta m;
	char err[256];
	uint8_t *blk;
	size_t len;

	if (!fb_dec) {
		fb_dec = block_decoder__new(CAP_BLOCK_MAX_RAW);
		fb_dec2 = block_decoder__new(CAP_BLOCK_MAX_RAW);
		fb_proj = block_decoder__new(CAP_BLOCK_MAX_RAW);
		fb_enc = block_encoder__new(1);
		fb_bb = blockbuf__new(CAP_BLOCKBUF_MAX_BYTES);
		if (!fb_dec || !fb_dec2 || !fb_proj || !fb_enc || !fb_bb)
			abort();
	}
	fb_recipe(data, size);
	if (size >= 8 && !memcmp(data, "BRCH", 4)) {
		fb_chain(data + 8, size - 8, (uint32_t)data[4] | (uint32_t)data[5] << 8 |
					       (uint32_t)data[6] << 16 | (uint32_t)data[7] << 24);
		return 0;
	}
	if (size >= 4 && !memcmp(data, "BRBK", 4)) {
		blk = malloc(size);
		if (!blk)
			abort();
		memcpy(blk, data, size);
		len = size;
		fuzz_fix_block_crcs(blk, len);
	} else if (!(blk = fb_seal(data, size, &len, 0))) {
		return 0;
	}
	block__parse_header(blk, len, NULL, &m);
	int rc = block_decoder__decode(fb_dec, blk, len, &recs, &n, err, sizeof(err));

	/* A projection (one stream, some payload words, picked from the input)
	 * decodes the same block to that stream's records, each byte equal to
	 * the full decode's, or 0 where its word was not wanted.  It
	 * decompresses only what its walk needs, fed a few bytes of the frame
	 * at a time (under ASan the rest of the body is poisoned): on a block
	 * the full decode refuses it must stay in bounds too. */
	uint64_t words = 0;
	for (size_t i = 0; i < 8 && i < size; i++)
		words = words << 8 | data[size - 1 - i];
	struct block_want want = {
		.stream = !rc && n && (words & 1) ? recs[(words >> 1) % n].stream :
			  rc && (words & 1) ? (uint32_t)(words >> 1) % 4 : CAP_STREAM_ALL,
		.words = &words,
		.nwords = (uint32_t)(words >> 58),
		.compact = (words >> 39) & 1,   /* words not wanted: unspecified */
	};
	const struct cap_rec *pr;
	uint32_t pn, k = 0;
	block_decoder__want(fb_proj, &want);
	block_decoder__step(fb_proj, 1 + (size_t)(words >> 40) % 48);
	if (rc) {
		(void)block_decoder__decode(fb_proj, blk, len, &pr, &pn, err, sizeof(err));
		free(blk);
		return 0;
	}
	if (block_decoder__decode(fb_proj, blk, len, &pr, &pn, err, sizeof(err))) {
		fprintf(stderr, "fuzz_block: a projection refuses a block that decodes: %s\n", err);
		abort();
	}
	for (uint32_t i = 0; i < n; i++) {
		if (want.stream != CAP_STREAM_ALL && recs[i].stream != want.stream)
			continue;
		if (k >= pn || pr[k].stream != recs[i].stream || pr[k].ts_ns != recs[i].ts_ns ||
		    pr[k].cpu != recs[i].cpu || pr[k].len != recs[i].len)
			abort();
		for (uint32_t j = 0; j < recs[i].len; j++) {
			uint32_t w = j / 8 < recs[i].len / 8 ? j / 8 : recs[i].len / 8;
			int wanted = w < want.nwords && (words >> w & 1);

			fb_sink ^= pr[k].data[j];   /* in bounds, wanted or not (ASan) */

			if (want.compact ? wanted && pr[k].data[j] != recs[i].data[j] :
			    pr[k].data[j] != recs[i].data[j] && pr[k].data[j])
				abort();
		}
		k++;
	}
	if (k != pn)
		abort();
	free(blk);

	/* Round trip: what decodes re-encodes to the same records. */
	blockbuf__reset(fb_bb);
	for (uint32_t i = 0; i < n; i++)
		if (blockbuf__add(fb_bb, recs[i].stream, recs[i].cpu, recs[i].ts_ns, recs[i].data,
				  recs[i].len))
			return 0;   /* more than a blockbuf holds: no writer made it */
	const uint8_t *out;
	if (block_encoder__encode(fb_enc, fb_bb, &out, &len, NULL))
		return 0;
	if (block_decoder__decode(fb_dec2, out, len, &recs2, &n2, err, sizeof(err))) {
		fprintf(stderr, "fuzz_block: the re-encoded block does not decode: %s\n", err);
		abort();
	}
	if (n2 != n)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		if (recs[i].stream != recs2[i].stream || recs[i].cpu != recs2[i].cpu ||
		    recs[i].ts_ns != recs2[i].ts_ns || recs[i].len != recs2[i].len ||
		    (recs[i].len && memcmp(recs[i].data, recs2[i].data, recs[i].len))) {
			fprintf(stderr, "fuzz_block: record %u differs after a round trip\n", i);
			abort();
		}
	}
	return 0;
}
