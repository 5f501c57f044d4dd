/* blockts.c - the ts column's context mode (TS_CTX, encodings 7 and 8;
 * FORMAT.md "ts column"): each record's delta (less the group's smallest)
 * as a byte, or 255 and the rest in escape planes, and the bytes split
 * into up to TS_CTX_MAX columns by the previous record's delta.
 *
 * Why: events that come in a loop (the generator's, a busy syscall path)
 * arrive in states, fast for a while and slow for a while (a ring page
 * being touched for the first time, a cache warming up), so a delta says
 * much about the next one.  zstd codes each of its blocks' literals by
 * one order-0 table: split by the previous delta, each column gets a table
 * of its own state.  On 1 M/s captures of the generator: ~0.07
 * bytes/event less, the timestamps ~0.75 -> ~0.69 (BENCHMARKS.md,
 * eleventh session).
 * The writer picks the contexts per group from its own deltas
 * (ts_ctx__plan), or in a chain's later blocks takes those its first
 * block picked for the stream, counted anew (ts_ctx__count: the plan's
 * histogram and search were ~1.5% of the compact encoder's time); the
 * reader only follows them.
 */
#include <math.h>

#include "block_internal.h"

/* The plan's histogram: the previous delta in TS_ROWS rows of TS_ROW_NS
 * (the last one: TS_ROW_NS * (TS_ROWS - 1) and more), this one's byte
 * (255: escaped) in 256 columns.  Rows of 8 ns instead: the same bytes on
 * a 1 M/s capture of the generator, for 4 times the plan's work. */
#define TS_ROWS 16u
#define TS_ROW_NS 16u
_Static_assert(TS_ROW_NS * (TS_ROWS - 1) < 256, "a context of the writer's is one of a byte's");

/* n log2 n, in bits (0 for 0). */
static inline double nlogn(uint32_t n)
{
	return n > 1 ? n * log2((double)n) : 0;
}

/* The bits an order-0 code of the counts h (over the symbols sym[0..ns))
 * takes, n their sum. */
static double code_bits_of(const uint32_t *h, const uint8_t *sym, uint32_t ns, uint32_t n)
{
	double b = nlogn(n);

	for (uint32_t s = 0; s < ns; s++)
		b -= nlogn(h[sym[s]]);
	return b;
}

void ts_ctx__plan(const uint64_t *v, uint32_t c, uint32_t *scratch, struct ts_ctx_plan *pl)
{
	pl->nctx = 1;
	pl->n[0] = c;
	pl->ne = 0;
	if (c < 2 * TS_CTX_MIN_RECORDS) {
		for (uint32_t i = 0; i < c; i++)
			pl->ne += v[i] >= TS_CODE_ESC;
		return;
	}

	/* rows x 256 counts, then a range's running sum */
	uint32_t *hist = scratch, *run = scratch + TS_ROWS * 256, nrow[TS_ROWS] = { 0 };
	uint8_t sym[256], seen[256] = { 0 };
	uint32_t ns = 0, prow = 0;   /* record 0's previous delta: 0 */

	memset(hist, 0, TS_ROWS * 256 * sizeof(*hist));
	for (uint32_t i = 0; i < c; i++) {
		uint32_t b = v[i] < TS_CODE_ESC ? (uint32_t)v[i] : TS_CODE_ESC;
		hist[prow * 256 + b]++;
		prow = b >= TS_ROW_NS * (TS_ROWS - 1) ? TS_ROWS - 1 : b / TS_ROW_NS;
	}
	for (uint32_t r = 0; r < TS_ROWS; r++) {
		for (uint32_t s = 0; s < 256; s++) {
			nrow[r] += hist[r * 256 + s];
			seen[s] |= hist[r * 256 + s] != 0;
		}
		pl->ne += hist[r * 256 + TS_CODE_ESC];
	}
	for (uint32_t s = 0; s < 256; s++)
		if (seen[s])
			sym[ns++] = (uint8_t)s;

	/* cost[a][b]: the bits of rows a..b-1 as one context (INFINITY when
	 * they hold fewer than TS_CTX_MIN_RECORDS: a column that small
	 * shares a zstd block, and its table, with its neighbours) */
	static const double inf = INFINITY;
	double cost[TS_ROWS + 1][TS_ROWS + 1];
	uint32_t cnt[TS_ROWS + 1][TS_ROWS + 1];
	for (uint32_t a = 0; a < TS_ROWS; a++) {
		uint32_t n = 0;

		memset(run, 0, 256 * sizeof(*run));
		for (uint32_t b = a + 1; b <= TS_ROWS; b++) {
			for (uint32_t s = 0; s < ns; s++)
				run[sym[s]] += hist[(b - 1) * 256 + sym[s]];
			n += nrow[b - 1];
			cnt[a][b] = n;
			cost[a][b] = n >= TS_CTX_MIN_RECORDS ? code_bits_of(run, sym, ns, n) : inf;
		}
	}
	/* The best split of the rows into k contiguous ranges, for each k,
	 * each context paying its table (TS_CTX_TABLE_BITS) */
	double best[TS_CTX_WRITE_MAX + 1][TS_ROWS + 1];
	uint8_t from[TS_CTX_WRITE_MAX + 1][TS_ROWS + 1];
	for (uint32_t b = 0; b <= TS_ROWS; b++)
		best[1][b] = b ? cost[0][b] : inf;
	for (uint32_t k = 2; k <= TS_CTX_WRITE_MAX; k++)
		for (uint32_t b = 0; b <= TS_ROWS; b++) {
			best[k][b] = inf;
			for (uint32_t a = k - 1; a < b; a++)
				if (best[k - 1][a] + cost[a][b] < best[k][b]) {
					best[k][b] = best[k - 1][a] + cost[a][b];
					from[k][b] = (uint8_t)a;
				}
		}
	uint32_t k_best = 1;
	for (uint32_t k = 2; k <= TS_CTX_WRITE_MAX; k++)
		if (best[k][TS_ROWS] + k * TS_CTX_TABLE_BITS <
		    best[k_best][TS_ROWS] + k_best * TS_CTX_TABLE_BITS)
			k_best = k;
	pl->nctx = k_best;
	for (uint32_t k = k_best, b = TS_ROWS; k > 0; k--) {
		uint32_t a = k > 1 ? from[k][b] : 0;

		if (k > 1)
			pl->thr[k - 2] = (uint64_t)a * TS_ROW_NS;
		pl->n[k - 1] = cnt[a][b];
		b = a;
	}
}

void ts_ctx__count(const uint64_t *v, uint32_t c, struct ts_ctx_plan *pl)
{
	/* The bytes' histogram (every record's but the last is a previous
	 * one; record 0's previous, 0, is in context 0), in two halves
	 * whose sums are the same: an increment waits on the one before
	 * when both count one byte, which runs of equal deltas make
	 * common. */
	uint32_t h[2][256] = { { 0 } }, ge = 0, k, b;

	for (uint32_t i = 0; i < c; i++) {
		uint64_t x = v[i];

		h[i & 1][x < TS_CODE_ESC ? x : TS_CODE_ESC]++;
	}
	pl->ne = h[0][TS_CODE_ESC] + h[1][TS_CODE_ESC];
	if (c)   /* the last record's byte is no record's previous */
		h[(c - 1) & 1][v[c - 1] < TS_CODE_ESC ? v[c - 1] : TS_CODE_ESC]--;
	/* from the last context down: the records whose previous byte
	 * reaches its bound */
	for (k = pl->nctx, b = 256; k-- > 1;) {
		uint32_t n = 0;

		for (; b > pl->thr[k - 1]; b--)
			n += h[0][b - 1] + h[1][b - 1];
		pl->n[k] = n;
		ge += n;
	}
	pl->n[0] = c - ge;
}

/* Context of a record whose previous record's value is prev. */
static inline uint32_t ctx_of(const struct ts_ctx_plan *pl, uint64_t prev)
{
	uint32_t k = 0;

	while (k + 1 < pl->nctx && prev >= pl->thr[k])
		k++;
	return k;
}

uint8_t *ts_ctx__put(uint8_t *p, const uint64_t *v, uint32_t c, const struct ts_ctx_plan *pl,
		     uint64_t *esc, struct ts_ctx_cols *cols)
{
	uint32_t ne = 0, k;
	uint64_t any = 0;
	uint8_t ctx[256], *at[TS_CTX_MAX] = { NULL };

	/* the plan's bounds are below 256: a byte's context is any larger
	 * value's */
	for (uint32_t x = 0; x < 256; x++)
		ctx[x] = (uint8_t)ctx_of(pl, x);
	*p++ = (uint8_t)pl->nctx;
	for (k = 0; k + 1 < pl->nctx; k++)
		p = cap_put_varint(p, pl->thr[k]);
	for (k = 0; k < pl->nctx; k++)
		p = cap_put_varint(p, pl->n[k]);
	p = cap_put_varint(p, pl->ne);
	cols->n = 0;
	for (k = 0; k < pl->nctx; k++) {
		at[k] = p;
		cols->at[cols->n] = p;
		cols->len[cols->n++] = pl->n[k];
		p += pl->n[k];
	}
	uint32_t prev = 0;
	/* The writer's contexts' positions in registers (at most
	 * TS_CTX_WRITE_MAX; more, in at[]): kept in at[] alone, each
	 * record's store waited on the increment in memory of the one
	 * before it of its context, most records being of the context
	 * before.  1.95% -> 1.18% of encbench's samples. */
	uint8_t *a0 = at[0], *a1 = at[1], *a2 = at[2], *a3 = at[3];
	for (uint32_t i = 0; i < c; i++) {
		uint64_t x = v[i];
		uint32_t b = x < TS_CODE_ESC ? (uint32_t)x : TS_CODE_ESC;

		switch (ctx[prev]) {
		case 0: *a0++ = (uint8_t)b; break;
		case 1: *a1++ = (uint8_t)b; break;
		case 2: *a2++ = (uint8_t)b; break;
		case 3: *a3++ = (uint8_t)b; break;
		default: *at[ctx[prev]]++ = (uint8_t)b; break;
		}
		if (__builtin_expect(b == TS_CODE_ESC, 0)) {
			esc[ne] = x - TS_CODE_ESC;
			any |= esc[ne++];
		}
		prev = b;
	}
	unsigned mask = 0;
	for (int b = 0; b < 8; b++)
		mask |= ((any >> (8 * b)) & 0xff) ? 1u << b : 0;
	*p++ = (uint8_t)mask;
	for (int b = 0; b < 8; b++) {
		if (!(mask & (1u << b)))
			continue;
		cols->at[cols->n] = p;
		cols->len[cols->n++] = ne;
		for (uint32_t i = 0; i < ne; i++)
			*p++ = (uint8_t)(esc[i] >> (8 * b));
	}
	return p;
}

int ts_ctx__head(const uint8_t **pp, const uint8_t *end, uint32_t c, struct ts_ctx_head *h,
		 const char **why)
{
	const uint8_t *p = *pp;
	uint64_t x, sum = 0;

	if (p >= end || !(h->plan.nctx = *p++) || h->plan.nctx > TS_CTX_MAX) {
		*why = "a context count not 1 to 8";
		return -1;
	}
	for (uint32_t k = 0; k + 1 < h->plan.nctx; k++) {
		if (cap_get_varint(&p, end, &h->plan.thr[k]) || !h->plan.thr[k] ||
		    (k && h->plan.thr[k] <= h->plan.thr[k - 1])) {
			*why = "context bounds not ascending from 1";
			return -1;
		}
	}
	for (uint32_t k = 0; k < h->plan.nctx; k++) {
		if (cap_get_varint(&p, end, &x) || x > c) {
			*why = "a context's count past the group's";
			return -1;
		}
		h->n[k] = (uint32_t)x;
		sum += x;
	}
	if (sum != c) {
		*why = "contexts' counts that do not add up to the group's";
		return -1;
	}
	if (cap_get_varint(&p, end, &x) || x > c) {
		*why = "an escape count past the group's";
		return -1;
	}
	h->ne = (uint32_t)x;
	*pp = p;
	return 0;
}

int ts_ctx__values(const uint8_t *p, const struct ts_ctx_head *h, uint32_t c, uint64_t *v)
{
	const struct ts_ctx_plan *pl = &h->plan;
	const uint8_t *col[TS_CTX_MAX], *lim[TS_CTX_MAX], *plane[8];
	uint32_t np = 0, e = 0, k;
	uint64_t prev = 0;
	uint8_t ctx[256];

	for (k = 0; k < pl->nctx; k++) {
		col[k] = p;
		p += h->n[k];
		lim[k] = p;
	}
	int shift[8];
	p++;   /* the escape planes' mask (h->mask) */
	for (int b = 0; b < 8; b++)
		if (h->mask & (1u << b)) {
			plane[np] = p + (size_t)np * h->ne;
			shift[np++] = 8 * b;
		}
	for (uint32_t x = 0; x < 256; x++)
		ctx[x] = (uint8_t)ctx_of(pl, x);
	for (uint32_t i = 0; i < c; i++) {
		k = prev < 256 ? ctx[prev] : ctx_of(pl, prev);
		if (col[k] == lim[k])
			return -1;   /* a context's column runs out */
		uint64_t x = *col[k]++;
		if (x == TS_CODE_ESC) {
			if (e == h->ne)
				return -1;
			uint64_t y = 0;
			for (uint32_t j = 0; j < np; j++)
				y |= (uint64_t)plane[j][e] << shift[j];
			e++;
			x += y;   /* wrapping, as written */
		}
		v[i] = x;
		prev = x;
	}
	/* (the counts add up to c: no column has bytes left) */
	return e == h->ne ? 0 : -1;
}
