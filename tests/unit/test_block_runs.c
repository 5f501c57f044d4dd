/* test_block_runs - a fast block's frame made without zstd's compressor
 * (schema/blockrun.c, runz__frame): runs of one byte value become RLE
 * blocks, the bytes between them raw blocks, in one ordinary zstd frame
 * with its content size and XXH64 checksum (cap_xxh64, checked against
 * zstd's own checksums).
 * Bodies of random bytes with runs planted where the scan can slip:
 *  - at the frame's first byte (which has no byte before it), across the
 *    scan's 64-byte chunks, ending exactly at a chunk's end, across zstd's
 *    128 KiB blocks (no block may be larger) and to the frame's end;
 *  - runs one byte too short to count (2^lg - 1 bytes equal to the byte
 *    before) and exactly long enough;
 *  - a body of one value (2 MiB: every zstd block one run), tiny bodies
 *    (1..130 bytes) and lengths that are no multiple of 64.
 * Each frame decompresses (ZSTD_decompress, which checks the content
 * checksum) to the body byte for byte, with its content size set (in
 * each of its widths); the planted runs cost what RLE blocks cost (at
 * most 7 bytes each) and runs shorter than 2^lg cost their bytes (lg 4
 * leaves the 8..15-byte runs that lg 3 takes); a buffer too small is
 * refused, not overrun.  The same test runs against the codec built
 * without SSE2 (its scalar scan). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "block_internal.h"
#include "testutil.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd8(void)
{
	return (uint8_t)(tu_xorshift64(&rng) >> 24);
}

/* Random bytes with no two neighbours equal: runs are only the planted ones. */
static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = rnd8();
		while (i && p[i] == p[i - 1])
			p[i] = rnd8();
	}
}

/* A run of len bytes equal to p[at - 1] (or a value of its own at 0),
 * and a different byte after it. */
static size_t plant(uint8_t *p, size_t n, size_t at, size_t len)
{
	uint8_t v = at ? p[at - 1] : 0x5a;

	if (at + len > n)
		len = n - at;
	memset(p + at, v, len);
	if (at + len < n && p[at + len] == v)
		p[at + len] = (uint8_t)(v + 1);
	if (at + len + 1 < n && p[at + len + 1] == p[at + len])
		p[at + len + 1] = (uint8_t)(p[at + len] + 1);
	return len;
}

/* runz__frame of p[0..n) at 2^lg: the frame's size, checked to
 * decompress to p (ZSTD_decompress checks the content checksum). */
static size_t roundtrip(const uint8_t *p, size_t n, unsigned lg)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *f = malloc(cap), *back = malloc(n + 1);
	size_t z = 0, d;

	CHECK(f && back);
	CHECK_EQ_INT(runz__frame(f, cap, p, n, lg, &z), 0);
	CHECK_EQ_U64(ZSTD_getFrameContentSize(f, z), n);
	CHECK_EQ_U64(ZSTD_findFrameCompressedSize(f, z), z);
	d = ZSTD_decompress(back, n + 1, f, z);
	if (ZSTD_isError(d))
		fprintf(stderr, "runz__frame(%zu bytes, lg %u): %s\n", n, lg, ZSTD_getErrorName(d));
	CHECK(!ZSTD_isError(d));
	CHECK_EQ_U64(d, n);
	CHECK(!memcmp(back, p, n));
	free(f);
	free(back);
	return z;
}

/* Each byte of dst[0..cap) that runz__frame may write, for every cap
 * short of the frame's size: -ENOSPC, and nothing written past cap (a
 * buffer of exactly cap bytes, which ASan bounds). */
static void short_caps(const uint8_t *p, size_t n)
{
	size_t z = roundtrip(p, n, 3), got;

	for (size_t cap = 0; cap < z; cap++) {
		uint8_t *f = malloc(cap ? cap : 1);

		CHECK(f);
		CHECK_EQ_INT(runz__frame(f, cap, p, n, 3, &got), -ENOSPC);
		free(f);
	}
}

/* XXH64 of p[0..n) against zstd's own: the last 4 bytes of its frame with
 * a content checksum are the hash's low 32 bits. */
static void xxh64_vs_zstd(ZSTD_CCtx *cc, const uint8_t *p, size_t n)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *f = malloc(cap);

	CHECK(f);
	size_t z = ZSTD_compress2(cc, f, cap, p, n);
	CHECK(!ZSTD_isError(z) && z >= 4);
	CHECK_EQ_U64(cap_get_le32(f + z - 4), (uint32_t)cap_xxh64(p, n, 0));
	free(f);
}

int main(void)
{
	const size_t n = 3 * (size_t)ZSTD_BLOCKSIZE_MAX + 1000;   /* 4 zstd blocks */
	uint8_t *p = malloc(n);
	size_t planted = 0, nplanted = 0, z;

	CHECK(p);

	/* No runs: every byte a literal, a raw block per 128 KiB. */
	fill_random(p, n);
	z = roundtrip(p, n, 3);
	CHECK(z >= n && z <= n + 4 * 3 + 17);

	/* Runs where the scan can slip. */
	static const size_t at[][2] = {
		{ 0, 40 },                            /* the frame's first bytes */
		{ 100, 7 }, { 130, 8 },               /* 7 and 8 equal to the byte before */
		{ 190, 100 },                         /* across a 64-byte chunk */
		{ 449, 63 },                          /* to a chunk's end (512) */
		{ 640, 64 }, { 767, 129 },
		{ ZSTD_BLOCKSIZE_MAX - 50, 100 },     /* across a zstd block */
		{ 2 * ZSTD_BLOCKSIZE_MAX - 30, 30 },  /* to a block's end */
		{ 2 * ZSTD_BLOCKSIZE_MAX, 17 },       /* from a block's start */
		{ 2 * ZSTD_BLOCKSIZE_MAX + 5000, 200000 },   /* over a whole block */
	};
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++, nplanted++)
		planted += plant(p, n, at[k][0], at[k][1]);
	plant(p, n, n - 300, 300);   /* to the frame's end (in the run before) */
	z = roundtrip(p, n, 3);
	/* a run costs at most an RLE block (4 bytes) and a raw block's
	 * header (3): split where zstd's blocks end, one more each */
	CHECK(z <= n - planted + 7 * (nplanted + 4) + 17);
	CHECK(z < n - planted / 2);
	CHECK_EQ_U64(roundtrip(p, n, 4) >= z, 1);

	/* Short runs: 9..16 bytes equal (8..15 equal to the byte before).
	 * lg 3 takes them, lg 4 stores them. */
	fill_random(p, n);
	planted = nplanted = 0;
	for (size_t i = 1000; i + 40 < n; i += 101, nplanted++)
		planted += plant(p, n, i, 8 + (i / 101) % 8);
	z = roundtrip(p, n, 3);
	size_t z4 = roundtrip(p, n, 4);
	CHECK(z <= n - planted + 7 * nplanted + 4 * 3 + 17);
	CHECK(z < n - planted / 4);
	CHECK(z4 >= n);

	/* One value throughout: each zstd block one run. */
	uint8_t *same = malloc(2u << 20);
	CHECK(same);
	memset(same, 7, 2u << 20);
	CHECK(roundtrip(same, 2u << 20, 3) < 512);
	CHECK(roundtrip(same, 2u << 20, 6) < 512);
	free(same);

	/* Tiny bodies and odd lengths, random and with runs; the content
	 * size's widths (1, 2 and 4 bytes) at their edges. */
	CHECK(roundtrip(p, 0, 3) <= 17);
	for (size_t len = 1; len <= 130; len++) {
		fill_random(p, len);
		roundtrip(p, len, 3);
		if (len > 20)
			plant(p, len, len / 3, len / 2);
		roundtrip(p, len, 3);
		memset(p, 1, len);
		roundtrip(p, len, 3);
	}
	for (size_t len = 1000; len < 70000; len = len * 3 + 1) {
		fill_random(p, len);
		plant(p, len, len / 2, len / 4);
		roundtrip(p, len, 3);
	}
	static const size_t edges[] = { 255, 256, 257, 65535 + 256, 65536 + 256, 65537 + 256 };
	for (size_t k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
		fill_random(p, edges[k]);
		plant(p, edges[k], edges[k] / 2, 20);
		roundtrip(p, edges[k], 3);
	}

	/* A frame that does not fit is refused, with nothing written past
	 * the buffer; an lg zstd's rules do not allow (a match under 3
	 * bytes) or the scan does not (over 64: its chunk) is refused. */
	fill_random(p, 300);
	plant(p, 300, 50, 40);
	short_caps(p, 300);
	uint8_t f[64];
	CHECK_EQ_INT(runz__frame(f, sizeof(f), p, 10, 2, &z), -EINVAL);
	CHECK_EQ_INT(runz__frame(f, sizeof(f), p, 10, 7, &z), -EINVAL);

	/* XXH64: the known hash of nothing, and zstd's checksums of every
	 * tail length (n % 32: the stripes, 8-, 4- and 1-byte steps). */
	CHECK_EQ_U64(cap_xxh64("", 0, 0), 0xEF46DB3751D8E999ull);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	CHECK(cc && !ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
	fill_random(p, n);
	for (size_t len = 0; len <= 100; len++)
		xxh64_vs_zstd(cc, p + 3, len);
	xxh64_vs_zstd(cc, p, n);
	ZSTD_freeCCtx(cc);

	free(p);
	printf("test_block_runs: ok\n");
	return 0;
}
