/* showline.h - the columns of show's one-line format that can be written
 * straight from the record bytes, and the line's time, without going through
 * evtype__decode, struct pval and the general escaper.
 *
 * show compiles each stream once into a list of columns (a "line plan"): a
 * column whose text is known from its bytes alone -- a whole-byte integer of
 * 1, 2, 4 or 8 bytes with no name to look up, a fixed char array -- gets a
 * fast op; every other column (names, addresses, stacks, bitfields, enums,
 * floats, JSON, trailing arrays, anything a later formatting rule claims)
 * stays on the general path.  A fast op may still decline one record's value
 * (a text that needs quoting or escaping, a negative errno): the caller then
 * prints that value by the general path.  Both paths give the same bytes:
 * the fast one only takes values whose general output it can reproduce.
 */
#ifndef BPFREC_REPLAY_SHOWLINE_H
#define BPFREC_REPLAY_SHOWLINE_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "evtype.h"
#include "timefmt.h"

/* The longest value text (the part after "key=") kept as a column's last. */
#define SHOWLINE_LAST_TEXT 32

enum showline_kind {
	SHOWLINE_GENERAL,   /* the general path, always */
	SHOWLINE_INT,       /* signed, decimal */
	SHOWLINE_UINT,      /* unsigned, decimal */
	SHOWLINE_BOOL,      /* 0 or 1 */
	SHOWLINE_ERRNO,     /* signed; a negative value gets its errno name (errname),
			     * or declines without errname */
	SHOWLINE_TEXT,      /* a char array: up to its last non-NUL byte, as is when
			     * every byte is printable ASCII but '=', '"' and '\\' */
};

struct showline_col {
	enum showline_kind kind;
	uint32_t col;               /* evtype column */
	uint32_t off, size;         /* byte offset and bytes in the record */
	uint32_t sext;              /* 64 - 8 * size for the signed kinds, else 0 */
	/* The integer kinds' read when 8 bytes from off lie within every
	 * record (wide): one load, shifted left by shl = 64 - 8 * size, back
	 * right (arithmetic), masked by mask (the size's bits when unsigned) */
	uint8_t wide;
	uint8_t shl;
	uint64_t mask;
	char *key;                  /* "name=" (a column name: [A-Za-z0-9_], never escaped) */
	uint32_t keylen;
	/* SHOWLINE_ERRNO: the name of errno n > 0, or NULL (the caller's, set
	 * when the general path would print "-N NAME" with nothing around
	 * the name); NULL: negative values go the general way */
	const char *(*errname)(int64_t n);
	/* The caller's, per line plan (cmd_show.c): the widest pair so far,
	 * and whether this column needs more than the fast op (a family's
	 * scope, the record's time member, the general path). */
	int width;
	uint8_t slow;
	/* The last value's text after the key (showline__put_last): a value
	 * seen on the line before is copied, not formatted again.  Only for
	 * what showline__put's output depends on alone: an integer's 64 bits,
	 * or the whole of a char array of 8 or 16 bytes.  A column whose
	 * values seldom repeat (fewer hits than misses over the last
	 * SHOWLINE_LAST_MISSES misses) stops comparing for SHOWLINE_LAST_PAUSE
	 * lines, then tries again. */
	uint8_t last_ok;            /* SHOWLINE_LAST_NEVER, _ON, _PAUSED */
	uint8_t lastlen;            /* bytes in lasttext; 0: none yet;
				     * SHOWLINE_LAST_DECLINED: the value went the
				     * general way */
	uint32_t hits, misses;      /* since the last look at them */
	uint32_t paused;            /* lines left while paused */
	uint64_t last[2];           /* the value: ival, or the array's bytes */
	char lasttext[SHOWLINE_LAST_TEXT];
};

enum { SHOWLINE_LAST_NEVER, SHOWLINE_LAST_ON, SHOWLINE_LAST_PAUSED };
#define SHOWLINE_LAST_DECLINED 255
#define SHOWLINE_LAST_MISSES 256
#define SHOWLINE_LAST_PAUSE 65536

/* Longest errno name the fast path writes (longer: the general way). */
#define SHOWLINE_ERRNAME_MAX 32

/* The op for evtype column k named name, decided from its layout (c),
 * the record's guaranteed bytes (min_size, evtype__min_size) and whether the
 * caller formats it in a special way (special: it has a name hint, is an
 * address or a stack...; errno_hint: its only special rule is the errno
 * name of a negative value).  0, or -ENOMEM. */
int showline__col(struct showline_col *out, size_t k, const struct evcol *c, const char *name,
		  uint32_t min_size, int special, int errno_hint);
void showline__col_free(struct showline_col *c);

/* The key is copied in pieces of this many bytes (its allocation is
 * rounded up): the line needs that much room past the key. */
#define SHOWLINE_KEY_CHUNK 16
/* Spaces written at once before a pair (the alignment pad is at most
 * LINE_COL_MAX, cmd_show.c, plus one). */
#define SHOWLINE_SPACES 48

/* The most bytes showline__put writes for c, slack included. */
static inline size_t showline__max(const struct showline_col *c)
{
	return c->keylen + SHOWLINE_KEY_CHUNK + SHOWLINE_LAST_TEXT +
	       (c->kind == SHOWLINE_TEXT ? c->size : 24) +
	       (c->kind == SHOWLINE_ERRNO ? 1 + SHOWLINE_ERRNAME_MAX : 0);
}

/* The column's integer value as 64 bits (for SHOWLINE_INT, _UINT, _BOOL,
 * _ERRNO: sign-extended for INT and ERRNO).  rec holds at least off + size. */
static inline uint64_t showline__int(const struct showline_col *c, const uint8_t *rec)
{
	const uint8_t *p = rec + c->off;
	uint64_t x;

	if (c->wide) {
		memcpy(&x, p, 8);
		return (uint64_t)((int64_t)(le64toh(x) << c->shl) >> c->shl) & c->mask;
	}
	switch (c->size) {
	case 1:
		x = p[0];
		break;
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		x = le16toh(v);
		break;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		x = le32toh(v);
		break;
	}
	default:
		memcpy(&x, p, 8);
		return le64toh(x);
	}
	/* sign extension by shifts (sext 0: unsigned) */
	return (uint64_t)((int64_t)(x << c->sext) >> c->sext);
}

extern const char showline_digit_pairs[201];
extern const uint8_t showline_plain_byte[256];
extern const uint64_t showline_pow10[20];

/* The 8 digits of v < 10^8 at dst, leading zeros included. */
static inline void showline__8digits(char *dst, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	memcpy(dst, showline_digit_pairs + 2 * (hi / 100), 2);
	memcpy(dst + 2, showline_digit_pairs + 2 * (hi % 100), 2);
	memcpy(dst + 4, showline_digit_pairs + 2 * (lo / 100), 2);
	memcpy(dst + 6, showline_digit_pairs + 2 * (lo % 100), 2);
}

/* Decimal digits of v at dst; returns their count (at most 20). */
static inline __attribute__((always_inline)) size_t showline__u64(char *dst, uint64_t v)
{
	if (v < 10) {
		*dst = (char)('0' + v);
		return 1;
	}
	/* digits from the bit length: log10(2) ~ 1233 / 4096 */
	unsigned t = ((64 - (unsigned)__builtin_clzll(v)) * 1233) >> 12;
	size_t n = t + 1 - (v < showline_pow10[t]);
	char *p = dst + n;

	/* 8 digits at a time in 32-bit arithmetic, then pairs */
	while (v >= 100000000) {
		p -= 8;
		showline__8digits(p, (uint32_t)(v % 100000000));
		v /= 100000000;
	}
	uint32_t x = (uint32_t)v;
	while (x >= 10000) {
		uint32_t r = x % 10000;

		p -= 4;
		x /= 10000;
		memcpy(p, showline_digit_pairs + 2 * (r / 100), 2);
		memcpy(p + 2, showline_digit_pairs + 2 * (r % 100), 2);
	}
	if (x >= 100) {
		p -= 2;
		memcpy(p, showline_digit_pairs + 2 * (x % 100), 2);
		x /= 100;
	}
	if (x >= 10)
		memcpy(p - 2, showline_digit_pairs + 2 * x, 2);
	else
		p[-1] = (char)('0' + x);
	return n;
}

/* Writes "key=value" for the record to dst (showline__max(c) bytes of room)
 * and returns the bytes that make it, which are also its display width
 * (ASCII only); 0 when the value must go the general way.  ival:
 * showline__int's value for the integer kinds (ignored for TEXT).
 * Always inlined: GCC otherwise calls it once per column, and inlined into
 * show's line loop it costs 7% fewer instructions per line. */
static inline __attribute__((always_inline)) size_t
showline__put(const struct showline_col *c, const uint8_t *rec, uint64_t ival, char *dst)
{
	char *p = dst;

	memcpy(p, c->key, SHOWLINE_KEY_CHUNK);
	for (uint32_t i = SHOWLINE_KEY_CHUNK; i < c->keylen; i += SHOWLINE_KEY_CHUNK)
		memcpy(p + i, c->key + i, SHOWLINE_KEY_CHUNK);
	p += c->keylen;
	switch (c->kind) {
	case SHOWLINE_ERRNO:
		if ((int64_t)ival < 0) {
			/* "-N NAME", as pair_general writes it without colour */
			const char *name;
			size_t len;

			if (!c->errname)
				return 0;
			*p++ = '-';
			p += showline__u64(p, 0 - ival);
			name = c->errname((int64_t)(0 - ival));
			if (name) {
				if ((len = strlen(name)) > SHOWLINE_ERRNAME_MAX)
					return 0;
				*p++ = ' ';
				memcpy(p, name, len);
				p += len;
			}
			break;
		}
		p += showline__u64(p, ival);
		break;
	case SHOWLINE_INT:
		if ((int64_t)ival < 0) {
			*p++ = '-';
			ival = -ival;
		}
		/* fall through */
	case SHOWLINE_UINT:
		p += showline__u64(p, ival);
		break;
	case SHOWLINE_BOOL:
		*p++ = ival ? '1' : '0';
		break;
	case SHOWLINE_TEXT: {
		const uint8_t *s = rec + c->off;
		size_t n = c->size, i;

		/* the last non-NUL byte: whole words of NULs first */
		while (n >= 8) {
			uint64_t w;

			memcpy(&w, s + n - 8, 8);
			if (w)
				break;
			n -= 8;
		}
		while (n && !s[n - 1])
			n--;
		if (!n) {
			/* empty: quoted, as print__logfmt_pair does */
			memcpy(p, "\"\"", 2);
			p += 2;
			break;
		}
		for (i = 0; i < n; i++)
			if (!showline_plain_byte[s[i]])
				return 0;
		memcpy(p, s, n);
		p += n;
		break;
	}
	default:
		return 0;
	}
	return (size_t)(p - dst);
}

/* showline__put, remembering the column's last value (c->last_ok): a value
 * whose bytes equal the last one's gets the last text, copied.  The same
 * bytes and return as showline__put (which is a function of the value's
 * bytes alone; a declined value is remembered as declined).  The
 * memory is one value per column: a capture cannot make it grow. */
static inline __attribute__((always_inline)) size_t
showline__put_last(struct showline_col *c, const uint8_t *rec, uint64_t ival, char *dst)
{
	uint64_t v0 = ival, v1 = 0;
	size_t n;

	if (c->last_ok != SHOWLINE_LAST_ON) {
		if (c->last_ok == SHOWLINE_LAST_PAUSED && !--c->paused) {
			c->last_ok = SHOWLINE_LAST_ON;
			c->lastlen = 0;
		}
		return showline__put(c, rec, ival, dst);
	}
	if (c->kind == SHOWLINE_TEXT) {
		/* last_ok: 8 or 16 bytes, within the record */
		memcpy(&v0, rec + c->off, 8);
		if (c->size == 16)
			memcpy(&v1, rec + c->off + 8, 8);
	}
	if (c->lastlen && v0 == c->last[0] && v1 == c->last[1]) {
		c->hits++;
		if (c->lastlen == SHOWLINE_LAST_DECLINED)
			return 0;
		memcpy(dst, c->key, SHOWLINE_KEY_CHUNK);
		for (uint32_t i = SHOWLINE_KEY_CHUNK; i < c->keylen; i += SHOWLINE_KEY_CHUNK)
			memcpy(dst + i, c->key + i, SHOWLINE_KEY_CHUNK);
		memcpy(dst + c->keylen, c->lasttext, SHOWLINE_LAST_TEXT);
		return c->keylen + c->lastlen;
	}
	if (++c->misses == SHOWLINE_LAST_MISSES) {
		if (c->hits < c->misses) {
			c->last_ok = SHOWLINE_LAST_PAUSED;
			c->paused = SHOWLINE_LAST_PAUSE;
		}
		c->hits = c->misses = 0;
	}
	n = showline__put(c, rec, ival, dst);
	if (!n || n - c->keylen <= SHOWLINE_LAST_TEXT) {
		/* showline__max leaves SHOWLINE_LAST_TEXT bytes of room past the key */
		c->last[0] = v0;
		c->last[1] = v1;
		memcpy(c->lasttext, dst + c->keylen, SHOWLINE_LAST_TEXT);
		c->lastlen = n ? (uint8_t)(n - c->keylen) : SHOWLINE_LAST_DECLINED;
	}
	return n;
}

/* show's alignment (the line format): a pair is padded to the widest of its
 * column so far, counted up to this many columns, so that a long path does
 * not push every later line right. */
#define SHOWLINE_COL_MAX 40
extern const char showline_spaces[SHOWLINE_SPACES];

/* The pairs of the columns from *opp on that need nothing but their fast
 * op (slow not set), up to end, at p: each " ", the pad owed (*pad), then
 * showline__put_last's "key=value"; each column's width and *pad follow
 * show's alignment.  Stops at end, at the first slow column, or at a
 * column whose value must go the general way (the pad before it still
 * owed): *opp says which.  Returns where the line goes on.  Room: at p,
 * SHOWLINE_SPACES + showline__max bytes per column.  A function of its own:
 * inlined into show's loop, its values lived on the stack. */
char *showline__run(struct showline_col **opp, const struct showline_col *end,
		    const uint8_t *rec, char *p, size_t *pad);

/* The canonical wall time (timefmt__iso) of successive events: the
 * date-and-second part is formatted once per second, the first five digits
 * of the ns once per 10 us (events a few us apart share them). */
struct showline_time {
	int64_t sec_ns;             /* wall ns at the start of head's second, valid if have */
	int have;
	char head[20];              /* "YYYY-MM-DDTHH:MM:SS." */
	uint32_t hi_ns;             /* the ns within the second of hi_text: a multiple
				     * of 10^4, or SHOWLINE_HI_NONE */
	char hi_text[8];            /* its first five digits */
};
#define SHOWLINE_HI_NONE 0x80000000u    /* above any ns within a second */
/* showline__time's new second (or a time outside years 0000-9999). */
size_t showline__time_slow(struct showline_time *t, int64_t wall_ns, char *dst);

/* Writes timefmt__iso(wall_ns)'s text to dst (TIMEFMT_LEN bytes of room,
 * no NUL) and returns its length. */
static inline size_t showline__time(struct showline_time *t, int64_t wall_ns, char *dst)
{
	/* within the cached second: one subtraction, no 64-bit division */
	uint64_t ns = (uint64_t)wall_ns - (uint64_t)t->sec_ns;
	uint32_t lo;

	if (!t->have || ns >= 1000000000u)
		return showline__time_slow(t, wall_ns, dst);
	memcpy(dst, t->head, sizeof(t->head));
	/* the last four digits; the five before them as the line before's
	 * when within the same 10 us (unsigned: also when the time went back) */
	lo = (uint32_t)ns - t->hi_ns;
	if (lo >= 10000) {
		uint32_t hi = (uint32_t)ns / 10000;

		t->hi_ns = hi * 10000;
		lo = (uint32_t)ns - t->hi_ns;
		t->hi_text[0] = (char)('0' + hi / 10000);
		memcpy(t->hi_text + 1, showline_digit_pairs + 2 * (hi / 100 % 100), 2);
		memcpy(t->hi_text + 3, showline_digit_pairs + 2 * (hi % 100), 2);
	}
	memcpy(dst + 20, t->hi_text, 8);
	memcpy(dst + 25, showline_digit_pairs + 2 * (lo / 100), 2);
	memcpy(dst + 27, showline_digit_pairs + 2 * (lo % 100), 2);
	dst[29] = 'Z';
	return TIMEFMT_LEN;
}

/* -r's time: "+S.NNNNNNNNN" (or '-' before the first event's) of d ns, as
 * show has always printed it; returns the bytes written at dst (at most 48). */
size_t showline__rel(char *dst, int64_t d);

#endif
