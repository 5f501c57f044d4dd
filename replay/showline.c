/* showline.c - see showline.h. */
#include "showline.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int showline__col(struct showline_col *out, size_t k, const struct evcol *c, const char *name,
		  uint32_t min_size, int special, int errno_hint)
{
	size_t nlen = strlen(name);
	uint32_t off = c->bit_offset / 8;
	int whole = c->bit_offset % 8 == 0 && c->bit_size == c->byte_size * 8 &&
		    !c->trailing && (uint64_t)off + c->byte_size <= min_size;
	int intsize = c->byte_size == 1 || c->byte_size == 2 || c->byte_size == 4 ||
		      c->byte_size == 8;

	memset(out, 0, sizeof(*out));
	out->col = (uint32_t)k;
	out->off = off;
	out->size = c->byte_size;
	/* room to copy the key in whole SHOWLINE_KEY_CHUNK pieces */
	out->key = calloc(1, (nlen + 1 + SHOWLINE_KEY_CHUNK) / SHOWLINE_KEY_CHUNK * SHOWLINE_KEY_CHUNK);
	if (!out->key)
		return -ENOMEM;
	memcpy(out->key, name, nlen);
	memcpy(out->key + nlen, "=", 2);
	out->keylen = (uint32_t)nlen + 1;
	out->kind = SHOWLINE_GENERAL;
	out->shl = (uint8_t)(64 - 8 * (c->byte_size && c->byte_size <= 8 ? c->byte_size : 8));
	out->wide = (uint64_t)off + 8 <= min_size && c->byte_size && c->byte_size <= 8;
	out->mask = c->kind == EVCOL_INT ? ~0ull : ~0ull >> out->shl;
	if (!whole || (special && !errno_hint))
		return 0;
	switch (c->kind) {
	case EVCOL_INT:
		if (intsize) {
			out->kind = errno_hint ? SHOWLINE_ERRNO : SHOWLINE_INT;
			out->sext = 64 - 8 * c->byte_size;
		}
		break;
	case EVCOL_UINT:
		/* an unsigned errno column never names: u64 above INT64_MAX
		 * prints unsigned, the rest is not negative */
		if (intsize)
			out->kind = SHOWLINE_UINT;
		break;
	case EVCOL_BOOL:
		if (intsize && !errno_hint)
			out->kind = SHOWLINE_BOOL;
		break;
	case EVCOL_TEXT:
		if (!errno_hint && c->byte_size)
			out->kind = SHOWLINE_TEXT;
		break;
	default:
		break;
	}
	/* a repeated value's text is worth keeping when formatting it costs
	 * more than comparing it: integers (not a bool's one digit), comm-like
	 * arrays compared in one or two words */
	out->last_ok = (out->kind == SHOWLINE_INT || out->kind == SHOWLINE_UINT ||
		       out->kind == SHOWLINE_ERRNO ||
		       (out->kind == SHOWLINE_TEXT && (c->byte_size == 8 || c->byte_size == 16))) ?
		       SHOWLINE_LAST_ON : SHOWLINE_LAST_NEVER;
	return 0;
}

void showline__col_free(struct showline_col *c)
{
	if (c) {
		free(c->key);
		c->key = NULL;
	}
}

const uint64_t showline_pow10[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

const char showline_digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Bytes a logfmt value shows as they are, unquoted and unescaped: printable
 * ASCII but '=', '"' (quoted by print__logfmt_pair) and '\\' (escaped). */
const uint8_t showline_plain_byte[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['('] = 1,
	[')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['>'] = 1,
	['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
	['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
	['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1,
	['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
	['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1,
};

const char showline_spaces[SHOWLINE_SPACES] = "                                                ";
_Static_assert(SHOWLINE_COL_MAX + 1 <= SHOWLINE_SPACES, "a pair's pad fits the spaces");

char *showline__run(struct showline_col **opp, const struct showline_col *end,
		    const uint8_t *rec, char *p, size_t *padp)
{
	struct showline_col *op = *opp;
	size_t pad = *padp;

	for (; op < end && !op->slow; op++) {
		size_t n, w;

		/* mostly a pad of a few spaces: 16 bytes do */
		memcpy(p, showline_spaces, 16);
		if (pad >= 16)
			memcpy(p, showline_spaces, SHOWLINE_SPACES);
		n = showline__put_last(op, rec, op->kind == SHOWLINE_TEXT ? 0 : showline__int(op, rec),
				       p + 1 + pad);
		if (!n)
			break;
		p += 1 + pad + n;
		/* ASCII: the bytes are the width */
		w = n < SHOWLINE_COL_MAX ? n : SHOWLINE_COL_MAX;
		if (w > (size_t)op->width)
			op->width = (int)w;
		pad = (size_t)op->width - w;
	}
	*opp = op;
	*padp = pad;
	return p;
}

#define NS_PER_S 1000000000LL

size_t showline__time_slow(struct showline_time *t, int64_t wall_ns, char *dst)
{
	int64_t sns = wall_ns % NS_PER_S;
	char buf[TIMEFMT_LEN + 1];
	uint64_t ns;
	size_t n;

	if (sns < 0)
		sns += NS_PER_S;
	timefmt__iso(wall_ns, buf, sizeof(buf));
	n = strlen(buf);
	/* only the canonical form (years 0000-9999) is cached; its second's
	 * start (sec * 10^9) is far within int64 */
	t->have = n == TIMEFMT_LEN && buf[19] == '.' && buf[29] == 'Z' && buf[0] >= '0' &&
		  buf[0] <= '9';
	if (!t->have) {
		memcpy(dst, buf, n);
		return n;
	}
	t->sec_ns = wall_ns - sns;
	t->hi_ns = SHOWLINE_HI_NONE;
	ns = (uint64_t)sns;
	memcpy(t->head, buf, sizeof(t->head));
	memcpy(dst, t->head, sizeof(t->head));
	/* nine digits of ns, then Z */
	dst[20] = (char)('0' + ns / 100000000);
	showline__8digits(dst + 21, (uint32_t)(ns % 100000000));
	dst[29] = 'Z';
	return TIMEFMT_LEN;
}

size_t showline__rel(char *dst, int64_t d)
{
	char *p = dst;

	if (d < 0) {
		/* never for events in time order after the first; as it was */
		int n = snprintf(dst, 48, "%s%lld.%09lld", "-", (long long)-d / 1000000000,
				 (long long)-d % 1000000000);
		return n < 0 ? 0 : (size_t)n < 48 ? (size_t)n : 47;
	}
	*p++ = '+';
	p += showline__u64(p, (uint64_t)d / NS_PER_S);
	*p++ = '.';
	uint32_t v = (uint32_t)((uint64_t)d % NS_PER_S);
	p[8] = (char)('0' + v % 10);
	v /= 10;
	for (int k = 6; k >= 0; k -= 2, v /= 100)
		memcpy(p + k, showline_digit_pairs + 2 * (v % 100), 2);
	return (size_t)(p + 9 - dst);
}
