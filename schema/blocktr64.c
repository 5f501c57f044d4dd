/* blocktr64.c - the encoder's transposition of 64-byte records (8 words:
 * the generator's events, and many fixed-layout events) four at a time
 * with AVX2, on CPUs that have it (blockenc.c's transpose_narrow_w takes
 * the records it leaves, and every record elsewhere).
 *
 * Why: the transposition was ~39 instructions an event of a fast block's
 * ~250 (BENCHMARKS.md, issue 18): SSE2 moves two records' words a step.
 * Four records' 4x4 blocks of words take 4 loads, 8 shuffles and 4
 * stores in 256-bit registers.  The words are the same: the blocks are
 * byte for byte those of the SSE2 and scalar paths (unit test
 * block_nosse2_same_blocks compares encbench's blocks with the scalar
 * build's).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "block_internal.h"

#define TR64_AHEAD 32   /* records prefetched ahead, as blockenc.c's passes */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

bool cap_tr64_avx2_ok(void)
{
	return __builtin_cpu_supports("avx2");
}

__attribute__((target("avx2")))
uint32_t cap_tr64_avx2(uint64_t *words, uint32_t c, const uint8_t *first,
		       const struct bb_ent *e0, uint32_t tsw, uint64_t wor[8], bool *ts_ok)
{
	__m256i acc[8];
	uint32_t i = 0;
	int ok = 1;

	for (int w = 0; w < 8; w++)
		acc[w] = _mm256_setzero_si256();
	for (; i + 4 <= c; i += 4) {
		const uint8_t *r = first + (size_t)i * 64;
		const struct bb_ent *e = e0 - i;
		uint64_t *d = words + i;

		if (i + TR64_AHEAD + 3 < c) {
			__builtin_prefetch(r + (size_t)TR64_AHEAD * 64);
			__builtin_prefetch(r + (size_t)(TR64_AHEAD + 2) * 64);
		}
#pragma GCC unroll 2
		for (int h = 0; h < 8; h += 4) {   /* words h..h+3 of records i..i+3 */
			__m256i a0 = _mm256_loadu_si256((const __m256i *)(r + h * 8));
			__m256i a1 = _mm256_loadu_si256((const __m256i *)(r + 64 + h * 8));
			__m256i a2 = _mm256_loadu_si256((const __m256i *)(r + 128 + h * 8));
			__m256i a3 = _mm256_loadu_si256((const __m256i *)(r + 192 + h * 8));
			/* [r0 r1 | r0 r1] of words (h, h + 2) and (h + 1, h + 3),
			 * the same of r2 and r3; then the 128-bit halves paired */
			__m256i t0 = _mm256_unpacklo_epi64(a0, a1), t1 = _mm256_unpackhi_epi64(a0, a1);
			__m256i t2 = _mm256_unpacklo_epi64(a2, a3), t3 = _mm256_unpackhi_epi64(a2, a3);
			__m256i c0 = _mm256_permute2x128_si256(t0, t2, 0x20);
			__m256i c1 = _mm256_permute2x128_si256(t1, t3, 0x20);
			__m256i c2 = _mm256_permute2x128_si256(t0, t2, 0x31);
			__m256i c3 = _mm256_permute2x128_si256(t1, t3, 0x31);

			_mm256_storeu_si256((__m256i *)(d + (size_t)h * c), c0);
			_mm256_storeu_si256((__m256i *)(d + (size_t)(h + 1) * c), c1);
			_mm256_storeu_si256((__m256i *)(d + (size_t)(h + 2) * c), c2);
			_mm256_storeu_si256((__m256i *)(d + (size_t)(h + 3) * c), c3);
			acc[h] = _mm256_or_si256(acc[h], c0);
			acc[h + 1] = _mm256_or_si256(acc[h + 1], c1);
			acc[h + 2] = _mm256_or_si256(acc[h + 2], c2);
			acc[h + 3] = _mm256_or_si256(acc[h + 3], c3);
		}
		/* the ts word read again: its lines are at hand */
		for (int k = 0; k < 4; k++) {
			uint64_t v;

			memcpy(&v, r + (size_t)k * 64 + (size_t)tsw * 8, 8);
			ok &= v == (e - k)->ts_ns;
		}
	}
	for (int w = 0; w < 8; w++) {
		uint64_t l[4];

		_mm256_storeu_si256((__m256i *)l, acc[w]);
		wor[w] |= l[0] | l[1] | l[2] | l[3];
	}
	*ts_ok = *ts_ok && ok;
	return i;
}
#else
bool cap_tr64_avx2_ok(void)
{
	return false;
}

uint32_t cap_tr64_avx2(uint64_t *words, uint32_t c, const uint8_t *first,
		       const struct bb_ent *e0, uint32_t tsw, uint64_t wor[8], bool *ts_ok)
{
	(void)words, (void)c, (void)first, (void)e0, (void)tsw, (void)wor, (void)ts_ok;
	return 0;
}
#endif
