/* thrift.c - the Thrift compact protocol, write side (see thrift.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "thrift.h"

int bytebuf__reserve(struct bytebuf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return b->err = -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int bytebuf__add(struct bytebuf *b, const void *p, size_t n)
{
	if (bytebuf__reserve(b, n))
		return b->err;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int bytebuf__uleb(struct bytebuf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	return bytebuf__add(b, tmp, n);
}

void bytebuf__free(struct bytebuf *b)
{
	if (!b)
		return;
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void thrift__init(struct thrift *t, struct bytebuf *out)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
}

int thrift__error(const struct thrift *t)
{
	return t->err ? t->err : t->out->err;
}

static int failed(struct thrift *t)
{
	return t->err || t->out->err;
}

static void byte(struct thrift *t, uint8_t v)
{
	bytebuf__add(t->out, &v, 1);
}

/* Field header: short form when the id is 1..15 above the previous one. */
static void field(struct thrift *t, int16_t id, enum thrift_ctype type)
{
	int delta;

	if (failed(t))
		return;
	if (t->depth < 0) {             /* after the outermost struct ended */
		t->err = -EINVAL;
		return;
	}
	delta = id - t->last[t->depth];
	if (delta > 0 && delta <= 15) {
		byte(t, (uint8_t)(delta << 4 | type));
	} else {
		byte(t, (uint8_t)type);
		bytebuf__uleb(t->out, zigzag(id));
	}
	t->last[t->depth] = id;
}

void thrift__i32(struct thrift *t, int16_t id, int32_t v)
{
	field(t, id, THRIFT_I32);
	bytebuf__uleb(t->out, zigzag(v));
}

void thrift__i64(struct thrift *t, int16_t id, int64_t v)
{
	field(t, id, THRIFT_I64);
	bytebuf__uleb(t->out, zigzag(v));
}

void thrift__i16(struct thrift *t, int16_t id, int16_t v)
{
	field(t, id, THRIFT_I16);
	bytebuf__uleb(t->out, zigzag(v));
}

void thrift__byte(struct thrift *t, int16_t id, int8_t v)
{
	field(t, id, THRIFT_BYTE);
	byte(t, (uint8_t)v);
}

void thrift__bool(struct thrift *t, int16_t id, int v)
{
	field(t, id, v ? THRIFT_BOOLEAN_TRUE : THRIFT_BOOLEAN_FALSE);
}

void thrift__elem_binary(struct thrift *t, const void *p, size_t n)
{
	bytebuf__uleb(t->out, n);
	bytebuf__add(t->out, p, n);
}

void thrift__binary(struct thrift *t, int16_t id, const void *p, size_t n)
{
	field(t, id, THRIFT_BINARY);
	thrift__elem_binary(t, p, n);
}

void thrift__string(struct thrift *t, int16_t id, const char *s)
{
	thrift__binary(t, id, s, strlen(s));
}

static void push(struct thrift *t)
{
	if (failed(t))
		return;
	if (t->depth + 1 >= THRIFT_MAX_DEPTH) {
		t->err = -EINVAL;
		return;
	}
	t->last[++t->depth] = 0;
}

void thrift__begin(struct thrift *t, int16_t id)
{
	field(t, id, THRIFT_STRUCT);
	push(t);
}

void thrift__elem_begin(struct thrift *t)
{
	push(t);
}

void thrift__end(struct thrift *t)
{
	if (failed(t))
		return;
	if (t->depth < 0) {
		t->err = -EINVAL;
		return;
	}
	byte(t, THRIFT_STOP);
	t->depth--;
}

void thrift__list(struct thrift *t, int16_t id, enum thrift_ctype elem, uint32_t n)
{
	field(t, id, THRIFT_LIST);
	if (n < 15) {
		byte(t, (uint8_t)(n << 4 | elem));
	} else {
		byte(t, (uint8_t)(0xf0 | elem));
		bytebuf__uleb(t->out, n);
	}
}

void thrift__elem_i32(struct thrift *t, int32_t v)
{
	bytebuf__uleb(t->out, zigzag(v));
}

void thrift__elem_i64(struct thrift *t, int64_t v)
{
	bytebuf__uleb(t->out, zigzag(v));
}
