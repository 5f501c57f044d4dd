/* test_block_runs - a fast block's frame without zstd's match search
 * (schema/blockrun.c, runz__compress): runs of one byte value become
 * matches, every other byte a stored literal, in one ordinary zstd frame.
 * Bodies of random bytes with runs planted where the scan can slip:
 *  - at the frame's first byte (which has no byte before it), across the
 *    scan's 64-byte chunks, ending exactly at a chunk's end, across zstd's
 *    128 KiB blocks (a match may not span two) and to the frame's end;
 *  - runs one byte too short to count (2^lg - 1 bytes equal to the byte
 *    before) and exactly long enough;
 *  - a body of one value (2 MiB: every zstd block one run), tiny bodies
 *    (1..130 bytes) and lengths that are no multiple of 64.
 * Each frame decompresses (ZSTD_decompress, which checks the content
 * checksum) to the body byte for byte, with its content size set; the
 * planted runs cost what matches cost (the frame is smaller than the
 * body by nearly their bytes) and runs shorter than 2^lg cost their bytes
 * (lg 4 leaves the 8..15-byte runs that lg 3 takes).  The same test runs
 * against the codec built without SSE2 (its scalar scan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "block_internal.h"
#include "testutil.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
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

/* A context with runz__params and the sequences' buffer, as the encoder
 * keeps them. */
struct runz {
	ZSTD_CCtx *cctx;
	void *seq;
	size_t seq_cap;   /* bytes */
};

/* runz__compress of p[0..n) at 2^lg: the frame's size, checked to
 * decompress to p. */
static size_t roundtrip(struct runz *r, const uint8_t *p, size_t n, unsigned lg)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *f = malloc(cap), *back = malloc(n + 1);
	size_t z, d;

	CHECK(f && back);
	z = runz__compress(r->cctx, f, cap, p, n, lg, &r->seq, &r->seq_cap);
	if (ZSTD_isError(z))
		fprintf(stderr, "runz__compress(%zu bytes, lg %u): %s\n", n, lg, ZSTD_getErrorName(z));
	CHECK(!ZSTD_isError(z));
	CHECK_EQ_U64(ZSTD_getFrameContentSize(f, z), n);
	CHECK_EQ_U64(ZSTD_findFrameCompressedSize(f, z), z);
	d = ZSTD_decompress(back, n + 1, f, z);
	CHECK(!ZSTD_isError(d));
	CHECK_EQ_U64(d, n);
	CHECK(!memcmp(back, p, n));
	free(f);
	free(back);
	return z;
}

int main(void)
{
	/* (a sequences' buffer of one byte to start with: it grows) */
	struct runz rz = { ZSTD_createCCtx(), malloc(1), 1 }, *r = &rz;
	const size_t n = 3 * (size_t)ZSTD_BLOCKSIZE_MAX + 1000;   /* 4 zstd blocks */
	uint8_t *p = malloc(n);
	size_t planted = 0, z;

	CHECK(r->cctx && r->seq && p);
	CHECK(!runz__params(r->cctx, BLOCK_FAST_ZSTD_LEVEL));

	/* No runs: every byte a literal, the frame a little larger. */
	fill_random(p, n);
	z = roundtrip(r, p, n, 3);
	CHECK(z >= n && z <= n + 64);

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
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
		planted += plant(p, n, at[k][0], at[k][1]);
	plant(p, n, n - 300, 300);   /* to the frame's end (in the run before) */
	z = roundtrip(r, p, n, 3);
	/* (zstd stores a block that would not save 1/64 of its bytes as it
	 * is: the first block's short runs) */
	CHECK(z < n - planted + n / 64);
	CHECK_EQ_U64(roundtrip(r, p, n, 4) >= z, 1);

	/* Short runs: 9..16 bytes equal (8..15 equal to the byte before).
	 * lg 3 takes them, lg 4 stores them. */
	fill_random(p, n);
	planted = 0;
	for (size_t i = 1000; i + 40 < n; i += 101)
		planted += plant(p, n, i, 8 + (i / 101) % 8);
	z = roundtrip(r, p, n, 3);
	size_t z4 = roundtrip(r, p, n, 4);
	CHECK(z < n - planted / 2);
	CHECK(z4 >= n);

	/* One value throughout: each zstd block one run. */
	uint8_t *same = malloc(2u << 20);
	CHECK(same);
	memset(same, 7, 2u << 20);
	CHECK(roundtrip(r, same, 2u << 20, 3) < 512);
	CHECK(roundtrip(r, same, 2u << 20, 6) < 512);
	free(same);

	/* Tiny bodies and odd lengths, random and with runs. */
	for (size_t len = 1; len <= 130; len++) {
		fill_random(p, len);
		roundtrip(r, p, len, 3);
		if (len > 20)
			plant(p, len, len / 3, len / 2);
		roundtrip(r, p, len, 3);
		memset(p, 1, len);
		roundtrip(r, p, len, 3);
	}
	for (size_t len = 1000; len < 70000; len = len * 3 + 1) {
		fill_random(p, len);
		plant(p, len, len / 2, len / 4);
		roundtrip(r, p, len, 3);
	}
	/* an lg zstd's rules do not allow (a match under 3 bytes) or ours do
	 * not (over 64: the scan's chunk) is refused */
	uint8_t f[64];
	CHECK(ZSTD_isError(runz__compress(r->cctx, f, sizeof(f), p, 10, 1, &r->seq, &r->seq_cap)));
	CHECK(ZSTD_isError(runz__compress(r->cctx, f, sizeof(f), p, 10, 7, &r->seq, &r->seq_cap)));

	/* the experimental API only with the libzstd release built against
	 * (this build's own is) */
	CHECK(runz__supported(ZSTD_VERSION_NUMBER, ZSTD_versionNumber()));
	CHECK(runz__supported(10504, 10504) && runz__supported(10504, 10507));
	CHECK(!runz__supported(10504, 10600) && !runz__supported(10504, 10409));
	CHECK(!runz__supported(10504, 20504));

	ZSTD_freeCCtx(r->cctx);
	free(r->seq);
	free(p);
	printf("test_block_runs: ok\n");
	return 0;
}
