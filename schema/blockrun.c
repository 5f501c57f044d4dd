/* blockrun.c - a fast block's zstd frame (block_encoder__fast) made here,
 * without zstd's compressor: the body's runs of one byte value are RLE
 * blocks, the bytes between them raw blocks.
 *
 * Why: a fast block's body is byte columns (FORMAT.md, "Block"), and what
 * zstd at its fastest levels finds in them is almost all runs: planes of
 * one value (a counter's delta, a constant field), the zero codes of
 * records that repeat the one before.  Its search costs ~10 instructions
 * a body byte; its coding of the runs found here as sequences
 * (ZSTD_compressSequences, the tenth session's fast blocks) still cost ~55
 * instructions an event of the generator's mix, more than the rest of the
 * frame's work together: it copies the literals twice and codes each
 * sequence with FSE tables it builds per block.  An RLE block costs 4
 * bytes and a raw block 3 more than its bytes, so a run of 8 or more pays
 * for itself; the frame takes ~12% more bytes than the sequences' (fast
 * blocks exist for writers that are behind: BENCHMARKS.md, issue 18).
 * It is an ordinary zstd frame with its content size and XXH64 content
 * checksum (computed here): nothing changes for a reader, and no part of
 * zstd's experimental API is needed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "block_internal.h"

/* zstd's largest block (RFC 8878 "Block_Maximum_Size"). */
#define RUNZ_BLOCK ((size_t)128 << 10)
#define ZSTD_FRAME_MAGIC 0xFD2FB528u
#define BT_RAW 0u   /* Block_Type */
#define BT_RLE 1u

/* The frame being written: o .. end, and where the last block's header is
 * (its Last_Block bit is set when the frame ends). */
struct rw {
	uint8_t *o, *end;
	uint8_t *last;
};

/* A block of type bt: size bytes of src (raw), or src[0] size times (RLE).
 * -ENOSPC when dst is full. */
static inline int put_block(struct rw *r, unsigned bt, const uint8_t *src, size_t size)
{
	size_t body = bt == BT_RLE ? 1 : size;
	uint32_t h = (uint32_t)(size << 3 | bt << 1);

	if ((size_t)(r->end - r->o) < 3 + body)
		return -ENOSPC;
	r->last = r->o;
	r->o[0] = (uint8_t)h;
	r->o[1] = (uint8_t)(h >> 8);
	r->o[2] = (uint8_t)(h >> 16);
	memcpy(r->o + 3, src, body);
	r->o += 3 + body;
	return 0;
}

/* The bytes [lit0, st) as a raw block, if any, then the run of len bytes
 * from st as an RLE block.  -ENOSPC. */
static inline int put_run(struct rw *r, const uint8_t *p, size_t lit0, size_t st, size_t len)
{
	if (st > lit0 && put_block(r, BT_RAW, p + lit0, st - lit0))
		return -ENOSPC;
	return put_block(r, BT_RLE, p + st, len);
}

/* Bit k: byte i + k equals the byte before it, for the bytes of [i, end)
 * among the 64 from i (byte 0 of the frame has none before it). */
static inline uint64_t eq_mask(const uint8_t *p, size_t i, size_t end)
{
	uint64_t m = 0;

#if defined(__SSE2__)
	if (i && end - i >= 64) {
#pragma GCC unroll 4
		for (int k = 0; k < 4; k++) {
			__m128i a = _mm_loadu_si128((const __m128i *)(p + i + 16 * k));
			__m128i b = _mm_loadu_si128((const __m128i *)(p + i + 16 * k - 1));

			m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, b)) << (16 * k);
		}
		return m;
	}
#endif
	for (size_t k = i ? 0 : 1; k < 64 && i + k < end; k++)
		m |= (uint64_t)(p[i + k] == p[i + k - 1]) << k;
	return m;
}

/* The blocks of src[0..n): each run of at least 2^lg bytes equal to the
 * byte before an RLE block, the bytes between raw blocks, none past 128
 * KiB (the scan restarts at each such chunk).  Inlined with lg a constant
 * (find_runs below): its loop of lg steps unrolled was a third of the
 * scan's instructions. */
static inline __attribute__((always_inline)) int
find_runs_lg(struct rw *r, const uint8_t *p, size_t n, unsigned lg)
{
	size_t lit0 = 0;   /* the first byte not yet in a block */
	const size_t minrun = (size_t)1 << lg;

	for (size_t bs = 0; bs < n; bs += RUNZ_BLOCK) {
		size_t be = n - bs < RUNZ_BLOCK ? n : bs + RUNZ_BLOCK;
		size_t cur = 0;   /* the run that reaches the chunk's start: its bytes */

		for (size_t i = bs; i < be; i += 64) {
			uint64_t m = eq_mask(p, i, be);

			if (cur) {   /* the run from the chunk before goes on */
				if (m == ~0ull) {
					cur += 64;
					continue;
				}
				unsigned ones = (unsigned)__builtin_ctzll(~m);
				size_t len = cur + ones, st = i - cur;

				if (len >= minrun) {
					if (put_run(r, p, lit0, st, len))
						return -ENOSPC;
					lit0 = st + len;
				}
				cur = 0;
				m &= ones < 64 ? ~0ull << ones : 0;
			}
			while (m) {
				/* bit j of x: bits j .. j + minrun - 1 of m set,
				 * counting those past the chunk's top as set (a
				 * run may go on in the next chunk) */
				uint64_t x = m;

#pragma GCC unroll 6
				for (unsigned s = 0; s < lg; s++)
					x &= (x >> (1u << s)) | ~(~0ull >> (1u << s));
				if (!x)
					break;
				unsigned j = (unsigned)__builtin_ctzll(x);
				uint64_t from = m >> j;

				if (from == ~0ull >> j) {   /* to the chunk's top */
					cur = 64 - j;
					break;
				}
				unsigned ones = (unsigned)__builtin_ctzll(~from);
				size_t st = i + j;

				if (put_run(r, p, lit0, st, ones))
					return -ENOSPC;
				lit0 = st + ones;
				m &= ~0ull << (j + ones);   /* (j + ones < 64 here) */
			}
		}
		if (cur >= minrun) {   /* a run to the block's end */
			if (put_run(r, p, lit0, be - cur, cur))
				return -ENOSPC;
			lit0 = be;
		}
		if (be > lit0 && put_block(r, 0, p + lit0, be - lit0))   /* the chunk's last bytes */
			return -ENOSPC;
		lit0 = be;
	}
	return 0;
}

static int find_runs(struct rw *r, const uint8_t *p, size_t n, unsigned lg)
{
	switch (lg) {
	case 3: return find_runs_lg(r, p, n, 3);
	case 4: return find_runs_lg(r, p, n, 4);
	case 5: return find_runs_lg(r, p, n, 5);
	default: return find_runs_lg(r, p, n, 6);
	}
}

int runz__frame(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, unsigned lg,
		size_t *frame_len)
{
	struct rw r = { dst, dst + cap, NULL };
	uint8_t *fhd;

	if (lg < 3 || lg > 6)
		return -EINVAL;
	if (cap < 4 + 1 + 8 + 3 + 4)
		return -ENOSPC;
	/* Frame header: magic, descriptor (single segment: the window is the
	 * content, no window descriptor; a content checksum; no dictionary),
	 * the content size in the fewest bytes that hold it. */
	cap_put_le32(r.o, ZSTD_FRAME_MAGIC);
	fhd = r.o + 4;
	r.o += 5;
	if (n < 256) {
		*fhd = 0x24;   /* size flag 0, single segment: 1 byte */
		*r.o++ = (uint8_t)n;
	} else if (n < 65536 + 256) {
		*fhd = 0x64;   /* 2 bytes, less 256 */
		cap_put_le16(r.o, (uint16_t)(n - 256));
		r.o += 2;
	} else if (n <= UINT32_MAX) {
		*fhd = 0xa4;
		cap_put_le32(r.o, (uint32_t)n);
		r.o += 4;
	} else {
		*fhd = 0xe4;
		cap_put_le64(r.o, n);
		r.o += 8;
	}
	if (find_runs(&r, src, n, lg))
		return -ENOSPC;
	if (!r.last && put_block(&r, BT_RAW, src, 0))   /* (no content: one empty block) */
		return -ENOSPC;
	r.last[0] |= 1;   /* Last_Block */
	if (r.end - r.o < 4)
		return -ENOSPC;
	cap_put_le32(r.o, (uint32_t)cap_xxh64(src, n, 0));   /* its low 32 bits */
	*frame_len = (size_t)(r.o + 4 - dst);
	return 0;
}

/* XXH64 (xxHash's 64-bit hash, as zstd's content checksum takes it). */
#define XXP1 0x9E3779B185EBCA87ull
#define XXP2 0xC2B2AE3D27D4EB4Full
#define XXP3 0x165667B19E3779F9ull
#define XXP4 0x85EBCA77C2B2AE63ull
#define XXP5 0x27D4EB2F165667C5ull

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return x << r | x >> (64 - r);
}

static inline uint64_t xx_round(uint64_t acc, uint64_t in)
{
	return rotl64(acc + in * XXP2, 31) * XXP1;
}

static inline uint64_t xx_merge(uint64_t h, uint64_t acc)
{
	return (h ^ xx_round(0, acc)) * XXP1 + XXP4;
}

uint64_t cap_xxh64(const void *buf, size_t n, uint64_t seed)
{
	const uint8_t *p = buf, *end = p + n;
	uint64_t h;

	if (n >= 32) {
		uint64_t v1 = seed + XXP1 + XXP2, v2 = seed + XXP2, v3 = seed, v4 = seed - XXP1;

		do {
			v1 = xx_round(v1, cap_get_le64(p));
			v2 = xx_round(v2, cap_get_le64(p + 8));
			v3 = xx_round(v3, cap_get_le64(p + 16));
			v4 = xx_round(v4, cap_get_le64(p + 24));
			p += 32;
		} while (end - p >= 32);
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xx_merge(h, v1);
		h = xx_merge(h, v2);
		h = xx_merge(h, v3);
		h = xx_merge(h, v4);
	} else {
		h = seed + XXP5;
	}
	h += n;
	for (; end - p >= 8; p += 8)
		h = rotl64(h ^ xx_round(0, cap_get_le64(p)), 27) * XXP1 + XXP4;
	if (end - p >= 4) {
		h = rotl64(h ^ cap_get_le32(p) * XXP1, 23) * XXP2 + XXP3;
		p += 4;
	}
	for (; p < end; p++)
		h = rotl64(h ^ *p * XXP5, 11) * XXP1;
	h ^= h >> 33;
	h *= XXP2;
	h ^= h >> 29;
	h *= XXP3;
	return h ^ h >> 32;
}
