/* thrift.h - the Thrift compact protocol, write side only, as Parquet uses it
 * for its footer (FileMetaData) and page headers (PageHeader).
 *
 * Encoding (the compact protocol's own terms): integers are ULEB128 varints
 * of their zigzag form (i16, i32, i64), a byte is one raw byte, binary is a
 * varint length and the bytes.  A field starts with a header byte: the
 * delta from the previous field id in the high nibble when it is 1..15,
 * else 0 and the id as a zigzag varint after the byte; the low nibble is the
 * field's compact type.  A bool field carries its value in that type
 * (BOOLEAN_TRUE / BOOLEAN_FALSE) and has no body.  A struct ends with a STOP
 * byte (0); each nested struct counts its field ids from 0 again.  A list
 * header is (size << 4 | element type) for sizes under 15, else 0xF0 | type
 * and the size as a varint.  A union is a struct with exactly one field.
 *
 * Errors are sticky: after an allocation failure every call does nothing
 * and thrift__error() returns -ENOMEM; so do nesting deeper than
 * THRIFT_MAX_DEPTH and ending a struct that was not begun (-EINVAL).
 */
#ifndef BPFREC_REPLAY_THRIFT_H
#define BPFREC_REPLAY_THRIFT_H

#include <stddef.h>
#include <stdint.h>

#define THRIFT_MAX_DEPTH 16

enum thrift_ctype {                     /* compact protocol type nibbles */
	THRIFT_STOP = 0,
	THRIFT_BOOLEAN_TRUE = 1,
	THRIFT_BOOLEAN_FALSE = 2,
	THRIFT_BYTE = 3,
	THRIFT_I16 = 4,
	THRIFT_I32 = 5,
	THRIFT_I64 = 6,
	THRIFT_DOUBLE = 7,
	THRIFT_BINARY = 8,
	THRIFT_LIST = 9,
	THRIFT_SET = 10,
	THRIFT_MAP = 11,
	THRIFT_STRUCT = 12,
};

/* A growing byte buffer (also used by the Parquet writer for pages). */
struct bytebuf {
	uint8_t *p;
	size_t len, cap;
	int err;                        /* -ENOMEM once an append failed */
};
int bytebuf__add(struct bytebuf *b, const void *p, size_t n);   /* 0 or -ENOMEM */
int bytebuf__reserve(struct bytebuf *b, size_t more);
void bytebuf__free(struct bytebuf *b);                          /* NULL is fine */
int bytebuf__uleb(struct bytebuf *b, uint64_t v);               /* ULEB128 varint */

struct thrift {
	struct bytebuf *out;            /* not owned */
	int16_t last[THRIFT_MAX_DEPTH]; /* last field id per open struct */
	int depth;                      /* open structs (the outermost is 0) */
	int err;
};

/* Starts writing the outermost struct into out (appends). */
void thrift__init(struct thrift *t, struct bytebuf *out);
/* 0, or the first error (-ENOMEM, -EINVAL). */
int thrift__error(const struct thrift *t);

/* Fields of the current struct, in ascending id order. */
void thrift__i32(struct thrift *t, int16_t id, int32_t v);
void thrift__i64(struct thrift *t, int16_t id, int64_t v);
void thrift__i16(struct thrift *t, int16_t id, int16_t v);
void thrift__byte(struct thrift *t, int16_t id, int8_t v);
void thrift__bool(struct thrift *t, int16_t id, int v);
void thrift__binary(struct thrift *t, int16_t id, const void *p, size_t n);
void thrift__string(struct thrift *t, int16_t id, const char *s);
/* A struct field: its fields follow, then thrift__end(). */
void thrift__begin(struct thrift *t, int16_t id);
/* Ends the struct begun last (STOP byte); at depth 0 ends the outermost. */
void thrift__end(struct thrift *t);
/* A list field of n elements of type elem, written next with the bare
 * element calls below (structs: thrift__elem_begin ... thrift__end). */
void thrift__list(struct thrift *t, int16_t id, enum thrift_ctype elem, uint32_t n);
void thrift__elem_i32(struct thrift *t, int32_t v);
void thrift__elem_i64(struct thrift *t, int64_t v);
void thrift__elem_binary(struct thrift *t, const void *p, size_t n);
void thrift__elem_begin(struct thrift *t);

#endif
