/* blockrun.c - a fast block's zstd frame (block_encoder__fast) without
 * zstd's match search: the body's runs of one byte value go to zstd as
 * matches found here, every other byte as a literal stored as it is.
 *
 * Why: a fast block's body is byte columns (FORMAT.md, "Block"), and what
 * zstd at its fastest levels finds in them is almost all runs: planes of
 * one value (a counter's delta, a constant field), the zero codes of
 * records that repeat the one before.  Its search costs ~10 instructions
 * a body byte, about half of a fast block's encoder (BENCHMARKS.md, issue
 * 18); a run scan 64 bytes at a time costs ~1.5, and zstd then only codes
 * the sequences (ZSTD_compressSequences).  Literals are not entropy coded:
 * zstd's negative levels do not code them either.  The frame is an
 * ordinary zstd frame with its content size and checksum: nothing changes
 * for a reader.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_compressSequences and its parameters */
#include <zstd.h>
#include <zstd_errors.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "block_internal.h"

/* zstd's largest block: a match must not span two (the frame's blocks are
 * delimited here, ZSTD_sf_explicitBlockDelimiters). */
#define RUNZ_BLOCK ((size_t)ZSTD_BLOCKSIZE_MAX)

/* The sequences being found: zstd's array of them in the caller's buffer
 * (the encoder's scratch, which no other part of a fast block uses by
 * then: no array of a fast block's own, ~1 MiB per writer at 8 MiB
 * blocks). */
struct runs {
	ZSTD_Sequence *seq;
	size_t nseq, seq_cap;   /* (seq_cap: sequences) */
	void **buf;             /* the caller's buffer and its bytes, grown */
	size_t *buf_cap;
};

/* ZSTD_compressSequences, ZSTD_Sequence and the parameters set below are
 * zstd's experimental API (ZSTD_STATIC_LINKING_ONLY), promised only for
 * the zstd they were compiled against; a libzstd of another minor
 * release may lay ZSTD_Sequence out or read the parameters otherwise, and
 * a frame it then writes wrong would be found by no release build. */
bool runz__supported(unsigned built, unsigned running)
{
	return built / 100 == running / 100;
}

size_t runz__params(ZSTD_CCtx *cctx, int level)
{
	size_t z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);

	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_blockDelimiters,
					   ZSTD_sf_explicitBlockDelimiters);
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_literalCompressionMode, ZSTD_ps_disable);
	/* (a sequence that breaks zstd's rules fails the block, rather than
	 * write what no reader reads) */
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_validateSequences, 1);
	/* none of what zstd allocates for a search or for streaming, neither
	 * of which runs here: the context takes 0.5 MiB at 8 MiB blocks, not
	 * 1.3 (the recorder's memory target) */
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, ZSTD_HASHLOG_MIN);
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_chainLog, ZSTD_CHAINLOG_MIN);
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_stableInBuffer, 1);
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(cctx, ZSTD_c_stableOutBuffer, 1);
	return ZSTD_isError(z) ? z : 0;
}

/* Appends a sequence: lit literals, then a match of ml bytes at offset
 * off (0, 0: the end of a zstd block).  -ENOMEM. */
static inline int put_seq(struct runs *r, unsigned off, size_t lit, size_t ml)
{
	if (r->nseq == r->seq_cap) {
		if (grow(r->buf, r->buf_cap, (r->nseq + 4096) * sizeof(*r->seq)))
			return -ENOMEM;
		r->seq = *r->buf;
		r->seq_cap = *r->buf_cap / sizeof(*r->seq);
	}
	r->seq[r->nseq++] = (ZSTD_Sequence){ .offset = off, .litLength = (unsigned)lit,
					     .matchLength = (unsigned)ml };
	return 0;
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

/* The sequences of src[0..n): each run of at least 2^lg bytes equal to the
 * byte before a match at offset 1, cut where zstd's blocks end.  Inlined
 * with lg a constant (find_runs below): its loop of lg steps unrolled was
 * a third of the scan's instructions. */
static inline __attribute__((always_inline)) int
find_runs_lg(struct runs *r, const uint8_t *p, size_t n, unsigned lg)
{
	size_t lit0 = 0;   /* the first byte not yet in a sequence */
	const size_t minrun = (size_t)1 << lg;

	r->nseq = 0;
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
					if (put_seq(r, 1, st - lit0, len))
						return -ENOMEM;
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

				if (put_seq(r, 1, st - lit0, ones))
					return -ENOMEM;
				lit0 = st + ones;
				m &= ~0ull << (j + ones);   /* (j + ones < 64 here) */
			}
		}
		if (cur >= minrun) {   /* a run to the block's end */
			if (put_seq(r, 1, be - cur - lit0, cur))
				return -ENOMEM;
			lit0 = be;
		}
		if (put_seq(r, 0, be - lit0, 0))   /* the block's last literals */
			return -ENOMEM;
		lit0 = be;
	}
	return 0;
}

static int find_runs(struct runs *r, const uint8_t *p, size_t n, unsigned lg)
{
	switch (lg) {
	case 3: return find_runs_lg(r, p, n, 3);
	case 4: return find_runs_lg(r, p, n, 4);
	case 5: return find_runs_lg(r, p, n, 5);
	default: return find_runs_lg(r, p, n, 6);
	}
}

size_t runz__compress(ZSTD_CCtx *cctx, void *dst, size_t cap, const uint8_t *src, size_t n,
		      unsigned lg, void **seq_buf, size_t *seq_buf_cap)
{
	struct runs r = { .buf = seq_buf, .buf_cap = seq_buf_cap };

	if (lg < 3 || lg > 6)
		return (size_t)-ZSTD_error_parameter_outOfBound;
	r.seq = *seq_buf;
	r.seq_cap = *seq_buf_cap / sizeof(*r.seq);
	if (find_runs(&r, src, n, lg))
		return (size_t)-ZSTD_error_memory_allocation;
	return ZSTD_compressSequences(cctx, dst, cap, r.seq, r.nseq, src, n);
}
