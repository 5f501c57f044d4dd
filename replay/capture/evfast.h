/* evfast.h - the columns whose value a record's bytes give without
 * evtype__decode: whole-byte integers of 1, 2, 4 or 8 bytes (and _Bool)
 * and char arrays, read in place.  For the per-row paths (the virtual
 * tables' xColumn): a plan per column made once, then a load per row.
 * The values are evtype__decode's exactly; a char array holding a NUL
 * before its last non-NUL byte (evtype escapes it) is left to evtype. */
#ifndef BPFREC_REPLAY_EVFAST_H
#define BPFREC_REPLAY_EVFAST_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "evtype.h"

enum evfast_kind {
	EVFAST_NONE,        /* evtype__decode */
	EVFAST_INT,         /* INT (sign-extended) or UINT (zero-extended): the 64 bits */
	EVFAST_BOOL,        /* 0 or 1 */
	EVFAST_TEXT,        /* up to the last non-NUL byte */
};

struct evfast {
	uint8_t kind;           /* enum evfast_kind */
	uint8_t size;           /* bytes (INT, BOOL); TEXT: see len */
	uint8_t sign;           /* INT: sign-extend */
	uint32_t off;           /* byte offset in the record */
	uint32_t len;           /* TEXT: the array's bytes */
};

/* The plan of column c of a type whose records hold at least min_size bytes
 * (evtype__min_size: checked per record before any read). */
static inline void evfast__plan(struct evfast *f, const struct evcol *c, uint32_t min_size)
{
	uint32_t off = c->bit_offset / 8;
	int whole = c->bit_offset % 8 == 0 && c->bit_size == c->byte_size * 8 && !c->trailing &&
		    (uint64_t)off + c->byte_size <= min_size;
	int intsize = c->byte_size == 1 || c->byte_size == 2 || c->byte_size == 4 ||
		      c->byte_size == 8;

	memset(f, 0, sizeof(*f));
	f->off = off;
	f->size = (uint8_t)(intsize ? c->byte_size : 0);
	f->len = c->byte_size;
	if (!whole)
		return;
	if ((c->kind == EVCOL_INT || c->kind == EVCOL_UINT) && intsize) {
		f->kind = EVFAST_INT;
		f->sign = c->kind == EVCOL_INT;
	} else if (c->kind == EVCOL_BOOL && intsize) {
		f->kind = EVFAST_BOOL;
	} else if (c->kind == EVCOL_TEXT && c->byte_size) {
		f->kind = EVFAST_TEXT;
	}
}

/* INT, BOOL: the value's 64 bits (BOOL: nonzero is not yet 1). */
static inline uint64_t evfast__bits(const struct evfast *f, const uint8_t *rec)
{
	const uint8_t *p = rec + f->off;

	switch (f->size) {
	case 1:
		return f->sign ? (uint64_t)(int64_t)(int8_t)p[0] : p[0];
	case 2: {
		uint16_t x;
		memcpy(&x, p, 2);
		x = le16toh(x);
		return f->sign ? (uint64_t)(int64_t)(int16_t)x : x;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, p, 4);
		x = le32toh(x);
		return f->sign ? (uint64_t)(int64_t)(int32_t)x : x;
	}
	default: {
		uint64_t x;
		memcpy(&x, p, 8);
		return le64toh(x);
	}
	}
}

/* TEXT: 0 and the bytes in place, or -1 when evtype must escape a NUL.
 * Eight bytes at a time: the trailing NULs from the last nonzero word's
 * leading zero bits (little-endian: the last byte is the high one), then a
 * NUL inside by the classic has-zero-byte test. */
static inline int evfast__text(const struct evfast *f, const uint8_t *rec, const char **s,
			       size_t *n)
{
	const uint8_t *p = rec + f->off;
	size_t len = f->len, i;
	uint64_t x;

	while (len >= 8) {
		memcpy(&x, p + len - 8, 8);
		x = le64toh(x);
		if (x) {
			len -= (size_t)__builtin_clzll(x) / 8;
			break;
		}
		len -= 8;
	}
	if (len < 8)
		while (len && !p[len - 1])
			len--;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&x, p + i, 8);
		if ((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull)
			return -1;
	}
	for (; i < len; i++)
		if (!p[i])
			return -1;
	*s = (const char *)p;
	*n = len;
	return 0;
}

#endif
