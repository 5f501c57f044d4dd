/* cap_internal.h - helpers shared by the schema/ sources only (not installed,
 * not for recorder/ or replay/): little-endian access, LEB128 varints, and
 * the two error channels (a warnx line for the writer, an err buffer for the
 * reader). */
#ifndef BPFREC_SCHEMA_CAP_INTERNAL_H
#define BPFREC_SCHEMA_CAP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "block.h"

static inline void cap_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void cap_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void cap_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline uint16_t cap_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t cap_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t cap_get_le64(const uint8_t *p)
{
	return (uint64_t)cap_get_le32(p) | (uint64_t)cap_get_le32(p + 4) << 32;
}

/* Unsigned LEB128: 7 bits a byte, low first, high bit = more.  At most 10
 * bytes for 64 bits.  The caller guarantees 10 bytes of room. */
static inline uint8_t *cap_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Reads one varint from [*pp, end).  0 on success (advances *pp); -1 on an
 * overrun, more than 10 bytes, or bits beyond 64. */
static inline int cap_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;

	for (int shift = 0; shift < 70; shift += 7) {
		if (p >= end)
			return -1;
		uint8_t c = *p++;
		if (shift == 63 && (c & 0x7e))
			return -1;      /* bits past 64, or a continuation */
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return -1;
}

static inline uint64_t cap_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t cap_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Formats a one-line reason into err (NULL or errlen 0: dropped). */
__attribute__((format(printf, 3, 4)))
void cap_seterr(char *err, size_t errlen, const char *fmt, ...);
/* The writer's error channel: one warnx-style line on stderr. */
__attribute__((format(printf, 1, 2)))
void cap_warn(const char *fmt, ...);

/* Block header parse with a reason (blockhdr.c); *nstreams (may be NULL)
 * gets the header's stream count.  0 or -EBADMSG. */
int cap_block_parse_header(const void *buf, size_t len, struct cap_block_meta *meta,
			   uint32_t *nstreams, char *err, size_t errlen);

/* cap_segment__scan_fd starting at offset start (capr.c). */
int cap_segment_scan_fd_from(int fd, const char *path, uint64_t start,
			     int (*fn)(uint64_t offset, const struct cap_block_meta *meta, void *ctx),
			     void *ctx, uint64_t *end_off, char *err, size_t errlen);

/* Runs fmt (SQL with two %s, both the table's name) for each index table
 * that catalog.db copies: meta, sessions, objects, streams, then the stack
 * tables (stack_traces ... lines) and the names (users, groups) with
 * stack_fmt if not NULL, and only
 * those that schema src has with at least one row (src NULL: all).
 * capw_catalog.c writes the catalog with it, recover.c reads it back
 * (FORMAT.md, "Recovery").  0, or -EIO / -ENOMEM with the statement's
 * error left in db. */
struct sqlite3;
int cap_catalog_exec(struct sqlite3 *db, const char *fmt, const char *stack_fmt,
		     const char *src);

/* The tables a bundle adds to schema/index.sql (capb.c). */
extern const char cap_bundle_sql[];

#endif
