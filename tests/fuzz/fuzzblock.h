/* fuzzblock.h - what the fuzz targets that build or edit encoded blocks
 * share: little-endian fields and the two CRCs of a block's header
 * (FORMAT.md, "Block"), made anew after an edit so that the input reaches
 * what lies behind them.  Header-only (static inline functions). */
#ifndef BPFREC_FUZZBLOCK_H
#define BPFREC_FUZZBLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "block.h"

static inline uint32_t fuzz_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void fuzz_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Header CRC and frame-head CRC of the encoded block b of len bytes. */
static inline void fuzz_fix_block_crcs(uint8_t *b, size_t len)
{
	if (len < CAP_BLOCK_HDR_BYTES)
		return;
	size_t flen = len - CAP_BLOCK_HDR_BYTES;
	fuzz_put32(b + 40, (uint32_t)crc32(0, b + CAP_BLOCK_HDR_BYTES, flen < 18 ? (uInt)flen : 18));
	fuzz_put32(b + 44, (uint32_t)crc32(0, b, 44));
}

#endif
