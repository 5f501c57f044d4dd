/* blockenc.c - block_encoder (writer side): a blockbuf to one block, its
 * body grouped by stream and coded by columns, compressed as one zstd frame.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_c_stableInBuffer, ZSTD_c_stableOutBuffer */
#include <zstd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
/* AVX-512 recency lists (vmru_use_512), chosen at run time (mru512) */
#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_MRU512 1
#endif

#include "block_internal.h"


/* The encoder's side of the same list, searched by value: a value among the
 * recent ones needs no dictionary look-up.  Values and dictionary indexes
 * correspond one to one, so ranks are those mru_use gives the decoder. */
struct vmru {
	uint64_t v[DICT_MRU];
	uint32_t n;            /* slots in use */
};

/* Rank of v, or -1, and v moves to the front: one pass that shifts the
 * entries ahead of it while it searches (the list's hottest loop). */
static inline int vmru_use(struct vmru *m, uint64_t v)
{
	uint64_t carry = v;

	for (uint32_t r = 0; r < m->n; r++) {
		uint64_t x = m->v[r];

		m->v[r] = carry;
		if (x == v)
			return (int)r;
		carry = x;
	}
	if (m->n < DICT_MRU)
		m->v[m->n++] = carry;   /* else the oldest falls out */
	return -1;
}

/* Chained dictionaries (encoding 4): what a block leaves to the next block
 * of its chain, the encoder's kind of block_dicts (its lists hold values). */
struct ecol {
	uint32_t stream, L, w;
	uint8_t mode;          /* WORD_DICT or WORD_KEYED + k */
	uint32_t nvals;
	uint64_t *vals;
	struct vmru mru;       /* the column's list */
	uint32_t nkeys;        /* KEYED: a list per key class, */
	uint8_t *kpack;        /* packed: for each key its list's length (a
				* byte) and values; most keys' lists hold a
				* value or two, and a vmru takes 72 bytes */
	size_t kpack_cap;      /* bytes */
};

struct estate {
	bool valid;
	bool too_big;          /* the reader's copy would pass CAP_CHAIN_STATE_MAX */
	uint32_t crc, depth;
	uint32_t n, cap;
	struct ecol *cols;
	size_t bytes;          /* as the reader counts them (blockdicts.c) */
};

/* Worst-case body bytes: per record ts (10) + cpu (5) + len (5); per group
 * stream (5) + count (5) + flags (1) + cpu run (5) + fixed len (5) + ts
 * offset (5). */
/* Byte columns shorter than this are not worth a zstd block of their own
 * (cut_columns): 8192 lost 0.04 bytes/event of the generator's mix. */
#define CUT_MIN_BYTES 2048u
#define REC_BODY_MAX 20u
/* Fast blocks' runs (runz__frame): of 2^FAST_RUN_LG bytes or more; at
 * BLOCK_FASTER_ZSTD_LEVEL or below, of 2^FAST_RUN_LG_FASTER (fewer
 * blocks, more bytes). */
#define FAST_RUN_LG 3
#define FAST_RUN_LG_FASTER 4
#define GRP_BODY_MAX (26u + 2u + TS_CTX_HEAD_MAX)

struct block_encoder {
	ZSTD_CCtx *cctx;
	uint8_t *raw;          /* body being built */
	size_t raw_cap;
	uint8_t *out;          /* header + frame */
	size_t out_cap;
	uint32_t *order;       /* entry indexes grouped by stream */
	size_t order_cap;
	uint32_t sorted[CAP_BLOCK_MAX_STREAMS];   /* slots by ascending stream id */
	uint32_t pos[CAP_BLOCK_MAX_STREAMS];      /* per slot: next index in order */
	uint64_t *col;         /* one word column, coded */
	size_t col_cap;
	uint64_t *words;       /* the group's payloads transposed: word w of
				* record i at words[w * c + i], then the
				* tail bytes (L % 8), byte k at tailb[k * c + i] */
	size_t words_cap;
	uint64_t *dict;        /* a dictionary's values, in first-seen order */
	size_t dict_cap;
	uint64_t *dict2;       /* another (DICT_MAX_VALUES), and codes (col2_cap */
	uint64_t *col2;        /* bytes): the second of two codings of a column;
				* in a fast block (which codes a column once)
				* its dictionary codes, 2 bytes each
				* (dict_codes_fast) */
	size_t col2_cap;
	uint64_t *wor;         /* per word of the group: its values OR'ed (0: an
				* all-zero column, e.g. a string slot's tail) */
	size_t wor_cap;        /* bytes */
	uint32_t *live;        /* transpose_wide: the words not all zero */
	size_t live_cap;       /* bytes */
	struct dict_slot *htab;   /* open addressing, DICT_HTAB_SLOTS slots */
	uint32_t hgen;         /* slots of another generation are empty */
	uint32_t hmask;        /* slots in use - 1: sized to the dictionary's
				* limit, so a small one stays in cache */
	uint32_t *keyix;       /* the group's key word (keyed dictionaries): each
				* record's index in that word's dictionary */
	size_t keyix_cap;      /* bytes */
	struct vmru *kmru;     /* a keyed dictionary's recency lists, by key index */
	size_t kmru_cap;       /* bytes */
	bool keyed;            /* the block has a keyed dictionary or DICT_NEXT:
				* encoding 3 */
	bool dict_next;        /* the group has a dictionary (GRP_DICT_NEXT) */
	bool esc;              /* the group escapes 2-byte codes (GRP_ESC) */
	uint32_t *cuts;        /* body offsets where a zstd block ends */
	uint32_t ncuts, cuts_cap;
	bool block_esc;        /* some group of the block does: encoding 5 or 6 */
	/* Which dictionary words of a stream were worth keying when last
	 * measured: measuring codes each such column twice more, so it is
	 * done every KEYED_REMEASURE blocks of the stream (by slot), at a
	 * group that starts afresh (not a chain's continued one). */
	struct keyed_memo {
		uint32_t stream, L;
		uint32_t age;          /* blocks since measured; 0: measure */
		uint64_t words;        /* bit w: word w keyed */
		uint64_t ixwords;      /* bit w: word w's codes are indexes */
	} memo[16];
	/* Fast blocks: the modes a stream's group of L-byte records picked
	 * (words below 64), taken again by its next FAST_REPICK - 1 fast
	 * blocks instead of sampling each word's first records anew. */
	struct fast_memo {
		uint32_t stream, L;
		uint32_t age;          /* blocks since picked; 0: pick */
		uint64_t have;         /* bit w: mode[w] picked (a word that was
					* all zero then picks when it is not) */
		uint8_t mode[64];      /* pick_word_mode's answer per word */
	} fmemo[16];
	/* A compact block's ts contexts per stream, as its chain's first
	 * block planned them (put_ts_ctx). */
	struct ts_memo {
		uint32_t stream;
		bool valid;
		struct ts_ctx_plan plan;
	} tsmemo[16];
	struct block_decoder *check;   /* BPFREC_BLOCK_SELFCHECK: decodes each block */
	struct block_dicts *check_st[2];   /* its chain: [0] the last block's */
	/* Chained dictionaries: chain_k blocks at most (0, 1: off); st[0] what
	 * the last block left, st[1] the block being encoded's; base: st[0]
	 * when this block continues it. */
	unsigned chain_k;
	struct estate st[2];
	const struct estate *base;
	bool group_inh;        /* the group being encoded continues the base's */
	bool key_cont;         /* its key word continued the base's column */
	/* block_encoder__fast: a fast block's choices (dictionary codes with
	 * no recency lists, no keys, no DICT_NEXT; zstd at
	 * BLOCK_FAST_ZSTD_LEVEL); level: the compact blocks' zstd level. */
	bool fast;
	int level;
	int fast_level;        /* block_encoder__fast_level */
	bool tr64_avx2;        /* cap_tr64_avx2_ok() */
	bool mru512;           /* mru512_ok(): dict_codes' AVX-512 lists */
};

static bool mru512_ok(void);

struct dict_slot {
	uint64_t key;
	uint32_t idx;
	uint32_t gen;
};

struct block_encoder *block_encoder__new(int level)
{
	struct block_encoder *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->cctx = ZSTD_createCCtx();
	if (!e->cctx)
		goto fail;
	if (level == 0)
		level = 1;
	e->level = level;
	e->fast_level = BLOCK_FAST_ZSTD_LEVEL;
	e->tr64_avx2 = cap_tr64_avx2_ok();
	e->mru512 = mru512_ok();
	if (ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_contentSizeFlag, 1))) {
		ZSTD_freeCCtx(e->cctx);
		free(e);
		errno = EINVAL;
		return NULL;
	}
	return e;
fail:
	free(e);
	errno = ENOMEM;
	return NULL;
}

void block_encoder__free(struct block_encoder *e)
{
	if (!e)
		return;
	ZSTD_freeCCtx(e->cctx);
	free(e->raw);
	free(e->out);
	free(e->order);
	free(e->cuts);
	free(e->col);
	free(e->words);
	free(e->dict);
	free(e->dict2);
	free(e->col2);
	free(e->wor);
	free(e->live);
	free(e->htab);
	free(e->keyix);
	free(e->kmru);
	block_decoder__free(e->check);
	block_dicts__free(e->check_st[0]);
	block_dicts__free(e->check_st[1]);
	for (int k = 0; k < 2; k++) {
		for (uint32_t i = 0; i < e->st[k].cap; i++) {
			free(e->st[k].cols[i].vals);
			free(e->st[k].cols[i].kpack);
		}
		free(e->st[k].cols);
	}
	free(e);
}

static int cmp_slot_stream(const void *a, const void *b, void *ctx)
{
	const struct blockbuf *bb = ctx;
	uint32_t x = bb->slots[*(const uint32_t *)a].stream;
	uint32_t y = bb->slots[*(const uint32_t *)b].stream;

	return x < y ? -1 : x > y;
}

/* Sorts slot indexes by stream id: insertion sort for the usual handful of
 * streams, qsort_r beyond that. */
static void sort_slots(const struct blockbuf *b, uint32_t *s, uint32_t n)
{
	if (n > 32) {
		qsort_r(s, n, sizeof(*s), cmp_slot_stream, (void *)b);
		return;
	}
	for (uint32_t i = 1; i < n; i++) {
		uint32_t v = s[i], j = i;
		while (j && b->slots[s[j - 1]].stream > b->slots[v].stream) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = v;
	}
}

static inline uint64_t word_at(const uint8_t *rec, uint32_t w)
{
	uint64_t v;

	memcpy(&v, rec + (size_t)w * 8, 8);
	return v;
}

/* Passes over a group's records prefetch the record PREFETCH_AHEAD on: the
 * hardware's stream prefetchers give up at every page boundary (measured:
 * the loads were 15% of the encoder's time). */
#define PREFETCH_AHEAD 32
/* dict_codes: a keyed column's records whose key's list is prefetched
 * this many ahead */
#define KEYED_AHEAD 16

/* The byte planes present in n values: bit k set if some value has a
 * non-zero byte k.  Absent planes are all zeros and are not stored. */
static unsigned bytes_mask(uint64_t any)   /* any: the values OR'ed */
{
	unsigned m = 0;

	for (int k = 0; k < 8; k++)
		m |= ((any >> (8 * k)) & 0xff) ? 1u << k : 0;
	return m;
}

static unsigned plane_mask(const uint64_t *v, uint32_t n)
{
	uint64_t any = 0;

	for (uint32_t i = 0; i < n; i++)
		any |= v[i];
	return bytes_mask(any);
}

static inline uint64_t delta32(uint64_t v, uint64_t prev)
{
	uint32_t lo = (uint32_t)v - (uint32_t)prev, hi = (uint32_t)(v >> 32) - (uint32_t)(prev >> 32);

	return (uint64_t)(((uint32_t)lo << 1) ^ (uint32_t)((int32_t)lo >> 31)) |
	       (uint64_t)(((uint32_t)hi << 1) ^ (uint32_t)((int32_t)hi >> 31)) << 32;
}

static inline uint64_t code_word(enum word_mode m, uint64_t v, uint64_t prev)
{
	switch (m) {
	case WORD_XOR: return v ^ prev;
	case WORD_DELTA: return cap_zigzag((int64_t)(v - prev));
	case WORD_DELTA32: return delta32(v, prev);
	default: return v;
	}
}

/* out[i]: col[i] coded in mode m against the value before (prev for
 * col[0]); returns the codes OR'ed.  One loop per mode (the mode's switch
 * per value, inside the loop, cost ~7 instructions an event). */
static inline __attribute__((always_inline)) uint64_t
code_column_m(uint64_t *out, const uint64_t *col, uint32_t c, enum word_mode m, uint64_t prev)
{
	uint64_t any = 0;

	for (uint32_t i = 0; i < c; i++) {
		uint64_t v = col[i], x = code_word(m, v, prev);

		out[i] = x;
		any |= x;
		prev = v;
	}
	return any;
}

static uint64_t code_column(uint64_t *out, const uint64_t *col, uint32_t c, enum word_mode m,
			    uint64_t prev)
{
	switch (m) {
	case WORD_XOR: return code_column_m(out, col, c, WORD_XOR, prev);
	case WORD_DELTA: return code_column_m(out, col, c, WORD_DELTA, prev);
	case WORD_DELTA32: return code_column_m(out, col, c, WORD_DELTA32, prev);
	default: return code_column_m(out, col, c, WORD_RAW, prev);
	}
}

static inline uint32_t dict_hash(uint64_t key)
{
	/* The high half folded in first: a product's bits 40 on hear
	 * nothing of a key's top bytes, so keys that differ there (a
	 * pid|tid word's tid, a comm's last letters) shared slots, and a
	 * quarter of the fast dictionaries' look-ups of those words went on
	 * past their first slot. */
	key ^= key >> 32;
	key *= 0x9E3779B97F4A7C15ull;
	return (uint32_t)(key >> 40);
}

/* key at index idx, in the first free slot from its hash. */
static void dict_put(struct block_encoder *e, uint64_t key, uint32_t idx)
{
	uint32_t h = dict_hash(key) & e->hmask;

	while (e->htab[h].gen == e->hgen)
		h = (h + 1) & e->hmask;
	e->htab[h] = (struct dict_slot){ .key = key, .idx = idx, .gen = e->hgen };
}

/* Starts a new generation (every slot empty), once in 2^32 a real clear. */
static void dict_new_gen(struct block_encoder *e)
{
	if (++e->hgen == 0) {
		memset(e->htab, 0, DICT_HTAB_SLOTS * sizeof(*e->htab));
		e->hgen = 1;
	}
}

/* dict_index's miss: key goes in at index *nvals (the slot h found empty),
 * the table doubling first when it would pass half full. */
static __attribute__((noinline)) int64_t dict_add(struct block_encoder *e, uint64_t key,
						  uint32_t h, uint32_t *nvals, uint32_t max)
{
	if (*nvals >= max)
		return -1;
	e->dict[*nvals] = key;
	/* The table grows with the dictionary, so a small one stays in
	 * cache: most dictionaries hold a few thousand values.  Load <= 1/4
	 * (1/2 once the table is DICT_HTAB_SLOTS): at 1/2 a probe in four
	 * went on to the next slot, a branch mispredicted. */
	if (4 * (*nvals + 1) > e->hmask + 1 && e->hmask + 1 < DICT_HTAB_SLOTS) {
		e->hmask = 2 * (e->hmask + 1) - 1;
		dict_new_gen(e);
		for (uint32_t i = 0; i < *nvals; i++)
			dict_put(e, e->dict[i], i);
		dict_put(e, key, *nvals);
	} else {
		e->htab[h] = (struct dict_slot){ .key = key, .idx = *nvals, .gen = e->hgen };
	}
	return (*nvals)++;
}

/* The index of key in the encoder's current dictionary, adding it; -1 when
 * the dictionary is full.  Inline: a hit (most calls) costs a probe or two,
 * not a call. */
static inline int64_t dict_index(struct block_encoder *e, uint64_t key, uint32_t *nvals,
				 uint32_t max)
{
	uint32_t h = dict_hash(key) & e->hmask;

	for (;; h = (h + 1) & e->hmask) {
		const struct dict_slot *s = &e->htab[h];

		if (s->gen != e->hgen)
			return dict_add(e, key, h, nvals, max);
		if (s->key == key)
			return s->idx;
	}
}

/* Empties the dictionary. */
static void dict_reset(struct block_encoder *e)
{
	e->hmask = 1024 - 1;
	dict_new_gen(e);
}

/* Empties the dictionary, then puts in the n distinct values v (a base's
 * column, whose values a chained block's codes go on from) at indexes
 * 0..n, the table sized for them first: grown as they came, it doubled
 * and put every value again on the way, ~17k values a block of the
 * generator's mix. */
static void dict_seed(struct block_encoder *e, const uint64_t *v, uint32_t n)
{
	uint32_t slots = 1024;

	while (4 * (n + 1) > slots && slots < DICT_HTAB_SLOTS)
		slots *= 2;
	e->hmask = slots - 1;
	dict_new_gen(e);
	if (n)   /* (v may be NULL) */
		memcpy(e->dict, v, (size_t)n * 8);
	for (uint32_t i = 0; i < n; i++)
		dict_put(e, v[i], i);
}

void block_encoder__chain(struct block_encoder *e, unsigned k)
{
	e->chain_k = k > CAP_CHAIN_MAX ? CAP_CHAIN_MAX : k;
	e->st[0].valid = false;
}

int block_encoder__fast(struct block_encoder *e, bool on)
{
	if (on == e->fast)
		return 0;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_compressionLevel,
						on ? e->fast_level : e->level)))
		return -EINVAL;
	e->fast = on;
	return 0;
}

int block_encoder__fast_level(struct block_encoder *e, int level)
{
	if (level == e->fast_level)
		return 0;
	if (e->fast && ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_compressionLevel,
							    level)))
		return -EINVAL;
	e->fast_level = level;
	return 0;
}

void block_encoder__chain_break(struct block_encoder *e)
{
	e->st[0].valid = false;
}

uint32_t block_encoder__base_crc(const struct block_encoder *e)
{
	return e->base ? e->base->crc : 0;
}

static const struct ecol *estate_find(const struct estate *s, uint32_t stream, uint32_t L,
				      uint32_t w)
{
	for (uint32_t i = 0; s && i < s->n; i++)
		if (s->cols[i].stream == stream && s->cols[i].L == L && s->cols[i].w == w)
			return &s->cols[i];
	return NULL;
}

/* Records column w's dictionary (e->dict[0..nvals)), its list and (keyed)
 * its keys' lists (e->kmru[0..nkeys)) as what the block leaves; past the
 * reader's cap, the block leaves nothing (the next one starts anew). */
static int estate_add(struct block_encoder *e, uint32_t stream, uint32_t L, uint32_t w,
		      uint8_t mode, uint32_t nvals, const struct vmru *mru, uint32_t nkeys)
{
	struct estate *s = &e->st[1];
	size_t need = (size_t)nvals * 8 + (size_t)nkeys * sizeof(struct mru);
	struct ecol *c;

	if (s->too_big || need > CAP_CHAIN_STATE_MAX - s->bytes) {
		s->too_big = true;
		return 0;
	}
	if (s->n == s->cap) {
		uint32_t ncap = s->cap ? 2 * s->cap : 16;
		struct ecol *nc = realloc(s->cols, ncap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		memset(nc + s->cap, 0, (ncap - s->cap) * sizeof(*nc));
		s->cols = nc;
		s->cap = ncap;
	}
	c = &s->cols[s->n];
	uint64_t *v = realloc(c->vals, nvals ? (size_t)nvals * 8 : 8);
	if (!v)
		return -ENOMEM;
	c->vals = v;
	if (nkeys) {
		size_t packed = nkeys;
		for (uint32_t k = 0; k < nkeys; k++)
			packed += (size_t)e->kmru[k].n * 8;
		/* (room for a whole list past the last: each is copied in
		 * and out as its 8 slots, not by a call to memcpy of its
		 * length) */
		if (grow((void **)&c->kpack, &c->kpack_cap, packed + sizeof(e->kmru[0].v)))
			return -ENOMEM;
		uint8_t *o = c->kpack;
		for (uint32_t k = 0; k < nkeys; k++) {
			*o++ = (uint8_t)e->kmru[k].n;
			memcpy(o, e->kmru[k].v, sizeof(e->kmru[k].v));
			o += (size_t)e->kmru[k].n * 8;
		}
	}
	memcpy(v, e->dict, (size_t)nvals * 8);
	c->stream = stream;
	c->L = L;
	c->w = w;
	c->mode = mode;
	c->nvals = nvals;
	c->mru = *mru;
	c->nkeys = nkeys;
	s->bytes += need;
	s->n++;
	return 0;
}

/* Bits to tell apart d distinct byte values: the cost model's unit. */
static uint32_t distinct_bits(const uint64_t bm[4])
{
	uint32_t d = (uint32_t)(__builtin_popcountll(bm[0]) + __builtin_popcountll(bm[1]) +
				__builtin_popcountll(bm[2]) + __builtin_popcountll(bm[3]));

	return d <= 1 ? 0 : 32 - (uint32_t)__builtin_clz(d - 1);   /* ceil(log2 d) */
}

/* Picks a word column's mode from the first records.  The cost of a mode is
 * what zstd roughly pays for a byte-transposed column: per byte position,
 * log2 of the number of distinct byte values seen, per record; a dictionary
 * adds its values (64 bits each). */
static enum word_mode pick_word_mode(struct block_encoder *e, uint32_t c, uint32_t w)
{
	uint32_t S = c < 256 ? c : 256, nvals = 0, i, k;
	uint64_t bm[WORD_DICT + 1][8][4], cost[WORD_DICT + 1] = { 0 }, prev = 0;
	enum word_mode best = WORD_RAW;
	struct mru mru = { .n = 0 };
	int m;

	memset(bm, 0, sizeof(bm));
	dict_reset(e);
	for (i = 0; i < S; i++) {
		uint64_t v = e->words[(size_t)w * c + i], ix;

		for (m = WORD_RAW; m <= WORD_DELTA32; m++) {
			uint64_t x = code_word(m, v, prev);

			for (k = 0; k < 8; k++, x >>= 8)
				bm[m][k][(x >> 6) & 3] |= 1ull << (x & 63);
		}
		if (c >= DICT_MIN_RECORDS) {
			int rank;

			if (i && v == prev) {
				ix = 0;
			} else {
				ix = (uint64_t)dict_index(e, v, &nvals, DICT_MAX_VALUES);
				rank = mru_use(&mru, (uint32_t)ix);
				ix = rank >= 0 ? (uint64_t)rank : DICT_MRU + ix;
			}
			bm[WORD_DICT][0][(ix >> 6) & 3] |= 1ull << (ix & 63);
			bm[WORD_DICT][1][(ix >> 14) & 3] |= 1ull << ((ix >> 8) & 63);
		}
		prev = v;
	}
	for (m = WORD_RAW; m <= WORD_DICT; m++)
		for (k = 0; k < 8; k++)
			cost[m] += (uint64_t)S * distinct_bits(bm[m][k]);
	/* The dictionary is paid once per group, not per sample: a sample's
	 * nvals grows to about nvals * sqrt(c / S) values over the group (at
	 * most c / 2), whose share for S records is the cost that counts. */
	if (c >= DICT_MIN_RECORDS && nvals <= S / 2) {
		double d = nvals * sqrt((double)c / S);

		if (d > c / 2.0)
			d = c / 2.0;
		cost[WORD_DICT] += (uint64_t)(64.0 * d * S / c);
	} else {
		cost[WORD_DICT] = UINT64_MAX;
	}
	/* Ties go to the simpler mode, in this order. */
	for (m = WORD_DELTA; m <= WORD_DICT; m++)
		if (cost[m] < cost[best])
			best = m;
	if (cost[WORD_XOR] < cost[best])
		best = WORD_XOR;
	return best;
}

/* tr8 of the 8 values at v into x: byte k of v[i] to byte i of x[k].  With
 * SSE2 (every x86-64) three rounds of byte, word and dword interleaves of
 * the values in pairs, ~20 instructions where tr8's 12 swaps of 64-bit
 * halves take ~70 (put_planes' hottest part: every coded word column). */
static inline void tr8_from(uint64_t x[8], const uint64_t *v)
{
#if defined(__SSE2__)
	__m128i a[4], b[4], c[4];
	int k;

	for (k = 0; k < 4; k++) {   /* a[k]: v[2k] and v[2k + 1]'s bytes, paired */
		__m128i t = _mm_loadu_si128((const __m128i *)(v + 2 * k));

		a[k] = _mm_unpacklo_epi8(t, _mm_srli_si128(t, 8));
	}
	/* b[0]: bytes 0-3 of v[0..3] as 4-byte runs, b[1]: bytes 4-7; b[2],
	 * b[3] the same of v[4..7] */
	b[0] = _mm_unpacklo_epi16(a[0], a[1]);
	b[1] = _mm_unpackhi_epi16(a[0], a[1]);
	b[2] = _mm_unpacklo_epi16(a[2], a[3]);
	b[3] = _mm_unpackhi_epi16(a[2], a[3]);
	/* c[k]: planes 2k and 2k + 1, 8 bytes each */
	c[0] = _mm_unpacklo_epi32(b[0], b[2]);
	c[1] = _mm_unpackhi_epi32(b[0], b[2]);
	c[2] = _mm_unpacklo_epi32(b[1], b[3]);
	c[3] = _mm_unpackhi_epi32(b[1], b[3]);
	for (k = 0; k < 4; k++)
		_mm_storeu_si128((__m128i *)(x + 2 * k), c[k]);
#else
	memcpy(x, v, 64);
	tr8(x);
#endif
}

/* Writes the byte planes of n values that mask names (bit k: byte k), in
 * order: byte k of value i at p[r * n + i], r the rank of k in mask. */
static uint8_t *put_planes(uint8_t *p, const uint64_t *v, uint32_t n, unsigned mask)
{
	uint8_t *dst[8];
	int plane[8], np = 0, j;
	uint32_t i = 0;

	for (int k = 0; k < 8; k++)
		if (mask & (1u << k)) {
			dst[np] = p + (size_t)np * n;
			plane[np++] = k;
		}
	if (!np)   /* all zero (a string slot's unused words): nothing to write */
		return p;
	if (np == 1 && plane[0] == 0) {   /* small values: dictionary codes */
#if defined(__SSE2__)
		const __m128i lo = _mm_set1_epi64x(0xff);

		for (; i + 8 <= n; i += 8) {   /* low bytes, packed 3 times */
			__m128i t[4];

			for (j = 0; j < 4; j++)
				t[j] = _mm_and_si128(lo, _mm_loadu_si128((const __m128i *)(v + i + 2 * j)));
			t[0] = _mm_packus_epi16(t[0], t[1]);
			t[2] = _mm_packus_epi16(t[2], t[3]);
			t[0] = _mm_packus_epi16(t[0], t[2]);
			_mm_storel_epi64((__m128i *)(dst[0] + i), _mm_packus_epi16(t[0], t[0]));
		}
#endif
		for (; i < n; i++)
			dst[0][i] = (uint8_t)v[i];
		return p + n;
	}
	/* The low planes only (2-byte codes, a counter's low bytes: the usual
	 * masks): their stores unrolled, with no look-up of which plane goes
	 * where. */
	if (mask == 3u || mask == 7u) {
		for (; i + 8 <= n; i += 8) {
			uint64_t x[8];

			tr8_from(x, v + i);
			memcpy(dst[0] + i, &x[0], 8);
			memcpy(dst[1] + i, &x[1], 8);
			if (mask == 7u)
				memcpy(dst[2] + i, &x[2], 8);
		}
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t x[8];

		tr8_from(x, v + i);
		for (j = 0; j < np; j++)
			memcpy(dst[j] + i, &x[plane[j]], 8);
	}
	for (; i < n; i++)
		for (j = 0; j < np; j++)
			dst[j][i] = (uint8_t)(v[i] >> (8 * plane[j]));
	return p + (size_t)np * n;
}

/* A compact block's zstd blocks end where each of the n byte columns of
 * len bytes from p on ends.  zstd codes the literals of each of its blocks
 * (up to 128 KiB) by one Huffman table: a block that spans the end of one
 * column and the start of the next (a time's low byte, then its high
 * bytes; a dictionary code's bytes) codes both by their mixed statistics.
 * Ended at each column, every table fits one column: 4.94 -> 4.74
 * bytes/event of the generator's mix (encbench, chains of 8), for one
 * block header (3 bytes) and one table a column more.  Fast blocks are
 * left as they are (their zstd level gains nothing from it). */
static void cut_columns(struct block_encoder *e, const uint8_t *p, uint32_t n, uint32_t len)
{
	if (e->fast || len < CUT_MIN_BYTES)
		return;
	if (e->ncuts + n > e->cuts_cap) {
		uint32_t cap = (e->ncuts + n) * 2 + 64;
		uint32_t *c = realloc(e->cuts, cap * sizeof(*c));
		if (!c)
			return;   /* (cuts are only a hint) */
		e->cuts = c;
		e->cuts_cap = cap;
	}
	for (uint32_t k = 1; k <= n; k++)
		e->cuts[e->ncuts++] = (uint32_t)(p - e->raw) + k * len;
}

/* A dictionary column's codes as GRP_ESC writes them, made so by
 * dict_codes: a byte per record (the code, or CODE_ESC for a code of
 * CODE_ESC or more), and the rests (code - CODE_ESC) of those records in
 * turn.  Codes below CODE_ESC (every one, in a column of at most 256) are
 * their byte alone: the column as a plain plane.  A byte a code, not 8
 * bytes written by dict_codes and read again here. */
struct codes {
	uint8_t *b;        /* c bytes */
	uint16_t *esc;     /* ne rests */
	uint32_t ne;
};

/* The codes of c records in buf (at least CODES_BYTES(c) bytes). */
#define CODES_BYTES(c) (((size_t)(c) + 8) / 8 * 8 + (size_t)(c) * 2)
static inline struct codes codes_in(uint64_t *buf, uint32_t c)
{
	return (struct codes){ .b = (uint8_t *)buf, .esc = (uint16_t *)(buf + (c + 8) / 8), .ne = 0 };
}

/* Record i's code x into b and esc (*ne rests so far). */
static inline __attribute__((always_inline)) void
code_put(uint8_t *b, uint16_t *esc, uint32_t *ne, uint32_t i, uint64_t x)
{
	if (x < CODE_ESC) {
		b[i] = (uint8_t)x;
		return;
	}
	b[i] = CODE_ESC;
	esc[(*ne)++] = (uint16_t)(x - CODE_ESC);
}

/* GRP_ESC's codes (each < CODE_ESC + 2^16): the number of codes of
 * CODE_ESC or more, a byte per code (the code, or CODE_ESC), then the low
 * and the high bytes of code - CODE_ESC of those records.  zstd codes each
 * byte column alone, so the high byte of 2-byte codes cost each record
 * the entropy of "zero or not" again: ~0.5 bit a record of the generator's
 * mix in each of three columns. */
static uint8_t *put_escaped(struct block_encoder *e, uint8_t *p, const struct codes *x, uint32_t c)
{
	uint32_t ne = x->ne;

	p = cap_put_varint(p, ne);
	cut_columns(e, p, 1, c);
	cut_columns(e, p + c, 2, ne);
	memcpy(p, x->b, c);
	uint8_t *lo = p + c, *hi = lo + ne;
	for (uint32_t k = 0; k < ne; k++) {
		lo[k] = (uint8_t)x->esc[k];
		hi[k] = (uint8_t)(x->esc[k] >> 8);
	}
	return hi + ne;
}

/* vmru_use that also moves ix[], the values' dictionary indexes, the same
 * way: the key word's path, which needs every record's index. */
static inline int vmru_use_ix(struct vmru *m, uint32_t ix[DICT_MRU], uint64_t v)
{
	uint64_t carry = v;
	uint32_t icarry = 0;

	for (uint32_t r = 0; r < m->n; r++) {
		uint64_t x = m->v[r];
		uint32_t xi = ix[r];

		m->v[r] = carry;
		ix[r] = icarry;
		if (x == v) {
			ix[0] = xi;
			return (int)r;
		}
		carry = x;
		icarry = xi;
	}
	if (m->n < DICT_MRU) {
		ix[m->n] = icarry;
		m->v[m->n++] = carry;
	}
	return -1;
}

#ifdef HAVE_MRU512
/* vmru_use and vmru_use_ix with the list's 8 values in one 512-bit
 * register, where the CPU has AVX-512 (F and VL): the rank is the lowest
 * of the values equal to v among the n in use (the scalar loop's first
 * match, duplicates or not), and the list moves as the loop moves it, the
 * slots 1..s taking the ones before them (s: the rank, else the slot a
 * miss fills, n or the last).  The scalar loop's exit, at a rank that
 * varies from record to record, was a branch mispredicted; here there is
 * none.  The same lists, so the same codes and blocks (unit test
 * block_nosse2_same_blocks compares them with the scalar build's). */
__attribute__((target("avx512f,avx512vl")))
static inline uint32_t mru512_move(struct vmru *m, uint64_t v, unsigned *k)
{
	__m512i a = _mm512_loadu_si512(m->v), bv = _mm512_set1_epi64((long long)v);
	unsigned n = m->n;

	*k = _mm512_mask_cmpeq_epu64_mask((__mmask8)((1u << n) - 1), a, bv);
	uint32_t s = *k ? (uint32_t)__builtin_ctz(*k) : n < DICT_MRU ? n : DICT_MRU - 1;

	m->n = n + (!*k && n < DICT_MRU);
	/* [v, a0, .., a6]: every value one slot down, v in front */
	_mm512_storeu_si512(m->v, _mm512_mask_blend_epi64((__mmask8)((2u << s) - 1), a,
							  _mm512_alignr_epi64(a, bv, 7)));
	return s;
}

__attribute__((target("avx512f,avx512vl")))
static inline int vmru_use_512(struct vmru *m, uint64_t v)
{
	unsigned k;
	uint32_t s = mru512_move(m, v, &k);

	return k ? (int)s : -1;
}

__attribute__((target("avx512f,avx512vl")))
static inline int vmru_use_ix_512(struct vmru *m, uint32_t ix[DICT_MRU], uint64_t v)
{
	unsigned k;
	uint32_t s = mru512_move(m, v, &k);
	__m256i a = _mm256_loadu_si256((const __m256i *)ix);
	/* in front: the value's index when found, else 0 (the caller's) */
	__m256i f = _mm256_set1_epi32(k ? (int)ix[s] : 0);

	_mm256_storeu_si256((__m256i *)ix, _mm256_mask_blend_epi32((__mmask8)((2u << s) - 1), a,
								   _mm256_alignr_epi32(a, f, 7)));
	return k ? (int)s : -1;
}

static bool mru512_ok(void)
{
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}
#define VMRU_USE(simd, m, v) ((simd) ? vmru_use_512(m, v) : vmru_use(m, v))
#define VMRU_USE_IX(simd, m, ix, v) ((simd) ? vmru_use_ix_512(m, ix, v) : vmru_use_ix(m, ix, v))
#else
static bool mru512_ok(void)
{
	return false;
}
#define VMRU_USE(simd, m, v) ((void)(simd), vmru_use(m, v))
#define VMRU_USE_IX(simd, m, ix, v) ((void)(simd), vmru_use_ix(m, ix, v))
#endif

/* The code of a list miss, as GRP_DICT_NEXT writes it: base for a value
 * new to the dictionary ("the next one": the dictionary is in the order of
 * first use, and every value before it has been used), else base + 1 + its
 * index; -1: the dictionary is full.  Coded here, not renumbered in a pass
 * of its own over the codes afterwards. */
static inline __attribute__((always_inline)) int64_t
miss_code(struct block_encoder *e, uint64_t v, uint32_t *nvals, uint32_t max, uint64_t base)
{
	uint32_t n0 = *nvals;
	int64_t ix = dict_index(e, v, nvals, max);

	return ix < 0 ? -1 : ix == n0 ? (int64_t)base : (int64_t)base + 1 + ix;
}

/* Code of record i's value v in a dictionary column: its rank among the
 * recent values of its list m (prev: record i - 1's value in the same
 * list, its rank 0), or a miss code from DICT_MRU; -1: the dictionary is
 * full.  simd: a constant, the lists' AVX-512 path (dict_codes). */
static inline __attribute__((always_inline)) int64_t
dict_code(struct block_encoder *e, struct vmru *m, uint64_t v, uint32_t *nvals, uint32_t max,
	  bool simd)
{
	int rank = VMRU_USE(simd, m, v);

	if (rank >= 0)
		return rank;
	return miss_code(e, v, nvals, max, DICT_MRU);
}

/* Code of v in a keyed dictionary: its rank in its key's recency list km,
 * else DICT_MRU + its rank in the column's list gm, else a miss code from
 * 2 * DICT_MRU; km gets v in front, and gm when km did not hold it (so a key's
 * hit, the common case, costs one list).  -1: the dictionary is full. */
static inline __attribute__((always_inline)) int64_t
keyed_code(struct block_encoder *e, struct vmru *km, struct vmru *gm, uint64_t v, uint32_t *nvals,
	   uint32_t max, bool simd)
{
	int kr = VMRU_USE(simd, km, v), gr;

	if (kr >= 0)
		return kr;
	gr = VMRU_USE(simd, gm, v);
	if (gr >= 0)
		return DICT_MRU + gr;
	return miss_code(e, v, nvals, max, 2 * DICT_MRU);
}

/* A dictionary column's codes into out: with one recency list for the
 * column, or (keyed) one per key (the group's key word's index, e->keyix)
 * and the column's; is_key: also each record's index into e->keyix (the
 * column becomes the group's key word).  Misses are coded as GRP_DICT_NEXT
 * writes them (miss_code).  The dictionary is left in e->dict.  Its size,
 * or -1 once it would pass max values. */
static inline __attribute__((always_inline)) int64_t
dict_codes_with(struct block_encoder *e, const uint64_t *col, uint32_t c, uint32_t max, bool keyed,
		bool is_key, struct codes *out, const struct ecol *from, struct vmru *mru_out, bool simd)
{
	struct vmru mru = { .n = 0 };
	uint32_t nvals = 0, i, mru_ix[DICT_MRU], ne = 0;
	uint64_t prev = 0;
	/* (locals: the codes' byte stores could alias any field, which
	 * would then be loaded again per record) */
	uint8_t *ob = out->b;
	uint16_t *oe = out->esc;
	uint32_t *keyix = e->keyix;
	struct vmru *kmru = e->kmru;

	dict_seed(e, from ? from->vals : NULL, from ? from->nvals : 0);
	if (from) {   /* the base's column goes on: its values, its list */
		nvals = from->nvals;
		mru = from->mru;
		for (i = 0; i < mru.n; i++)
			mru_ix[i] = (uint32_t)dict_index(e, mru.v[i], &nvals, DICT_MAX_VALUES);
	}
	for (i = 0; i < c; i++) {
		uint64_t v = col[i];
		int64_t x;

		if (keyed) {
			uint32_t key = keyix[i];

			/* a key's list is one of thousands (~270 KiB of them
			 * for the generator's tasks): fetched ahead, not
			 * waited for */
			if (i + KEYED_AHEAD < c) {
				const char *l = (const char *)&kmru[keyix[i + KEYED_AHEAD]];

				__builtin_prefetch(l);
				__builtin_prefetch(l + sizeof(struct vmru) - 1);
			}
			if (i && v == prev && key == keyix[i - 1]) {
				ob[i] = 0;   /* its key's front (and the column's) */
				continue;
			}
			prev = v;
			if ((x = keyed_code(e, &kmru[key], &mru, v, &nvals, max, simd)) < 0)
				return -1;
			code_put(ob, oe, &ne, i, (uint64_t)x);
			continue;
		}
		if (i && v == prev) {   /* rank 0: the last value again */
			ob[i] = 0;
			if (is_key)
				keyix[i] = keyix[i - 1];
			continue;
		}
		prev = v;
		if (is_key) {
			/* the index of every record's value, not only of those
			 * the recency list misses */
			int rank = VMRU_USE_IX(simd, &mru, mru_ix, v);
			int64_t ix;

			if (rank >= 0) {
				keyix[i] = mru_ix[0];
				ob[i] = (uint8_t)rank;
				continue;
			}
			uint32_t n0 = nvals;

			if ((ix = dict_index(e, v, &nvals, max)) < 0)
				return -1;
			mru_ix[0] = (uint32_t)ix;
			keyix[i] = (uint32_t)ix;
			code_put(ob, oe, &ne, i, ix == n0 ? DICT_MRU : DICT_MRU + 1 + (uint64_t)ix);
			continue;
		}
		if ((x = dict_code(e, &mru, v, &nvals, max, simd)) < 0)
			return -1;
		code_put(ob, oe, &ne, i, (uint64_t)x);
	}
	out->ne = ne;
	if (mru_out)
		*mru_out = mru;
	return nvals;
}

#ifdef HAVE_MRU512
__attribute__((target("avx512f,avx512vl")))
static int64_t dict_codes_512(struct block_encoder *e, const uint64_t *col, uint32_t c, uint32_t max,
			      bool keyed, bool is_key, struct codes *out, const struct ecol *from,
			      struct vmru *mru_out)
{
	/* one loop per kind of column, keyed and is_key constants in each */
	if (keyed)
		return dict_codes_with(e, col, c, max, true, false, out, from, mru_out, true);
	if (is_key)
		return dict_codes_with(e, col, c, max, false, true, out, from, mru_out, true);
	return dict_codes_with(e, col, c, max, false, false, out, from, mru_out, true);
}
#endif

/* dict_codes_with with the lists' AVX-512 path where the CPU has it
 * (e->mru512), else the scalar one. */
static int64_t dict_codes(struct block_encoder *e, const uint64_t *col, uint32_t c, uint32_t max,
			  bool keyed, bool is_key, struct codes *out, const struct ecol *from,
			  struct vmru *mru_out)
{
#ifdef HAVE_MRU512
	if (e->mru512)
		return dict_codes_512(e, col, c, max, keyed, is_key, out, from, mru_out);
#endif
	if (keyed)
		return dict_codes_with(e, col, c, max, true, false, out, from, mru_out, false);
	if (is_key)
		return dict_codes_with(e, col, c, max, false, true, out, from, mru_out, false);
	return dict_codes_with(e, col, c, max, false, false, out, from, mru_out, false);
}

/* A fast block's dictionary codes: each record's value as its index (a
 * miss for the reader, which then puts the value in front of its list;
 * duplicates are what mru_push keeps), never a rank, so no list need be
 * kept here.  A repeat of the record before is coded like any other value,
 * by its index: a test for it first was a branch mispredicted on columns
 * that change at random (op|ret, a path's hash), ~8% of the fast encoder's
 * time, and a run of one value still makes a run of one code for the
 * frame's RLE blocks.  The codes take more bytes than compact ones, for a
 * fraction of the work.  The dictionary is left in e->dict; its size, or
 * -1 past max values. */
static int64_t dict_codes_fast(struct block_encoder *e, const uint64_t *col, uint32_t c,
			       uint32_t max, uint16_t *out)
{
	_Static_assert(DICT_MAX_VALUES + DICT_MRU <= 65536, "a fast code fits 16 bits");
	uint32_t nvals = 0;

	dict_reset(e);
	/* (the table's fields in locals: dict_index's miss path, the only
	 * one that changes them, is where they are loaded again) */
	const struct dict_slot *ht = e->htab;
	uint32_t mask = e->hmask, gen = e->hgen;

	for (uint32_t i = 0; i < c; i++) {
		uint64_t v = col[i];
		const struct dict_slot *s = &ht[dict_hash(v) & mask];
		uint32_t ix;

		if (__builtin_expect(s->key == v && s->gen == gen, 1)) {
			ix = s->idx;
		} else {
			int64_t x = dict_index(e, v, &nvals, max);

			if (x < 0)
				return -1;
			ix = (uint32_t)x;
			mask = e->hmask;
			gen = e->hgen;
		}
		out[i] = (uint16_t)(DICT_MRU + ix);
	}
	return nvals;
}

/* A dictionary column's codes as indexes only (miss codes from DICT_MRU,
 * never a rank in the recency list), continuing from's column when given: each
 * value then has one code throughout, which an entropy coder pays less
 * for than ranks when the values come independently of the ones before
 * (an operation and its result: 0.09 bytes/event of the generator's mix).
 * The reader's list takes every record's value in front (mru_push), so it
 * ends as the last DICT_MRU values (*mru_out, duplicates kept, as the
 * reader's).  The dictionary, in the order of first use as dict_codes
 * makes it, is left in e->dict; its size, or -1 past max values. */
#define IX_AHEAD 8
static int64_t dict_codes_ix(struct block_encoder *e, const uint64_t *col, uint32_t c,
			     uint32_t max, const struct ecol *from, struct codes *out,
			     struct vmru *mru_out)
{
	uint32_t nvals = 0, i, ne = 0;
	struct vmru m = { .n = 0 };
	uint8_t *ob = out->b;
	uint16_t *oe = out->esc;

	dict_seed(e, from ? from->vals : NULL, from ? from->nvals : 0);
	nvals = from ? from->nvals : 0;
	for (i = 0; i < c; i++) {
		/* every record a look-up in a table of hundreds of KiB (an
		 * operation's results): its slot fetched a few records
		 * ahead (its share of encbench's samples -10%) */
		if (i + IX_AHEAD < c)
			__builtin_prefetch(&e->htab[dict_hash(col[i + IX_AHEAD]) & e->hmask]);
		int64_t x = miss_code(e, col[i], &nvals, max, DICT_MRU);

		if (x < 0)
			return -1;
		code_put(ob, oe, &ne, i, (uint64_t)x);
	}
	out->ne = ne;
	for (i = c; i-- > 0 && m.n < DICT_MRU;)
		m.v[m.n++] = col[i];
	for (i = 0; from && i < from->mru.n && m.n < DICT_MRU; i++)
		m.v[m.n++] = from->mru.v[i];
	*mru_out = m;
	return nvals;
}

/* The measures' histograms of codes are HIST_WAYS, records in turn, added
 * up after: an increment in memory waits on the one before it when both
 * count one symbol, and most codes are 0 (these passes were ~1.9% of
 * encbench's samples, for one block in KEYED_REMEASURE). */
#define HIST_WAYS 4

/* h[0..n) = the sum of the ways histograms of n counts at q, n apart. */
static void hist_sum(uint32_t *h, const uint32_t *q, uint32_t n, uint32_t ways)
{
	for (uint32_t s = 0; s < n; s++) {
		uint32_t t = 0;

		for (uint32_t w = 0; w < ways; w++)
			t += q[(size_t)w * n + s];
		h[s] = t;
	}
}

static double hist_bits(const uint32_t *h, uint32_t n)
{
	double bits = 0;

	for (int k = 0; k < 256; k++)
		if (h[k])
			bits -= h[k] * log2((double)h[k] / n);
	return bits;
}

/* What zstd's entropy coder roughly pays for a plain dictionary column's
 * codes as the block writes them: escaped (GRP_ESC).  The empirical
 * entropy of each byte column, bits. */
static double dict_code_bits(const struct codes *x, uint32_t c)
{
	uint32_t h[3][256] = { { 0 } }, q[HIST_WAYS][256] = { { 0 } }, ne = x->ne;

	for (uint32_t i = 0; i < c; i++)
		q[i % HIST_WAYS][x->b[i]]++;
	hist_sum(h[0], q[0], 256, HIST_WAYS);
	for (uint32_t k = 0; k < ne; k++) {
		h[1][x->esc[k] & 0xff]++;
		h[2][x->esc[k] >> 8]++;
	}
	return hist_bits(h[0], c) + (ne ? hist_bits(h[1], ne) + hist_bits(h[2], ne) : 0);
}

/* A fast block's codes (dict_codes_fast's) as the byte columns put_planes
 * writes of them: the low bytes, then with two the high bytes.  From
 * 2-byte codes 16 at a time, not from 8-byte ones 8 at a time through the
 * 8x8 transposition. */
static uint8_t *put_codes16(uint8_t *p, const uint16_t *x, uint32_t n, bool two)
{
	uint32_t i = 0;

#if defined(__SSE2__)
	const __m128i lo = _mm_set1_epi16(0xff);

	for (; i + 16 <= n; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(x + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(x + i + 8));

		_mm_storeu_si128((__m128i *)(p + i),
				 _mm_packus_epi16(_mm_and_si128(a, lo), _mm_and_si128(b, lo)));
		if (two)
			_mm_storeu_si128((__m128i *)(p + n + i),
					 _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8)));
	}
#endif
	for (; i < n; i++) {
		p[i] = (uint8_t)x[i];
		if (two)
			p[n + i] = (uint8_t)(x[i] >> 8);
	}
	return p + (size_t)n * (two ? 2 : 1);
}

/* What zstd's entropy coder roughly pays for c codes of at most 2 bytes:
 * the empirical entropy of each byte column, bits.  Of the codes as they
 * were before GRP_DICT_NEXT (from miss_code's: base + index for every
 * miss, first uses too, their indexes counted up from 0), which is what
 * the keyed/plain choice was tuned on. */
static double code_bits(const struct codes *x, uint32_t c, uint64_t base)
{
	uint32_t h[2][256], q[HIST_WAYS][2][256] = { { { 0 } } }, next = 0, k = 0;
	double bits = 0;

	for (uint32_t i = 0; i < c; i++) {
		uint64_t v = x->b[i] < CODE_ESC ? x->b[i] : CODE_ESC + (uint64_t)x->esc[k++];

		if (v >= base)
			v = v == base ? base + next++ : v - 1;
		q[i % HIST_WAYS][0][v & 0xff]++;
		q[i % HIST_WAYS][1][(v >> 8) & 0xff]++;
	}
	hist_sum(h[0], q[0][0], 2 * 256, HIST_WAYS);
	for (int b = 0; b < 2; b++)
		for (int k = 0; k < 256; k++)
			if (h[b][k])
				bits -= h[b][k] * log2((double)h[b][k] / c);
	return bits;
}

#define KEYED_REMEASURE 16
#define FAST_REPICK 16

/* The fast memo of stream's groups of L-byte records, emptied every
 * FAST_REPICK blocks (the words then pick their modes anew). */
static struct fast_memo *fast_memo(struct block_encoder *e, uint32_t stream, uint32_t L)
{
	struct fast_memo *m = &e->fmemo[stream % 16];

	if (m->stream != stream || m->L != L || m->age >= FAST_REPICK)
		*m = (struct fast_memo){ .stream = stream, .L = L };
	m->age++;
	return m;
}

/* The memo of stream's groups of L-byte records; *measure: whether this
 * block measures anew. */
static struct keyed_memo *keyed_memo(struct block_encoder *e, uint32_t stream, uint32_t L,
				     bool *measure)
{
	struct keyed_memo *m = &e->memo[stream % 16];

	/* Only a group that starts afresh measures: one that continues its
	 * base's keys the base's columns and no other, so it would find no
	 * keyed column, and the chains of the next KEYED_REMEASURE - 1
	 * blocks would key none (a chain out of step with the count, as when
	 * a block goes to another encoder: 5.16 bytes/event instead of 4.53
	 * on a recorder capture re-encoded). */
	if (m->stream != stream || m->L != L || (m->age >= KEYED_REMEASURE && !e->group_inh))
		*m = (struct keyed_memo){ .stream = stream, .L = L };
	*measure = m->age++ == 0;
	if (*measure)
		m->words = m->ixwords = 0;
	return m;
}

/* Records of at least this many words are transposed in two passes
 * (transpose_wide); narrower ones in one. */
#define WIDE_WORDS 16

/* encode_words' transposition for wide records (W >= WIDE_WORDS), whose
 * words are mostly zero in every record (a 640-byte --syscalls record: its
 * string slots' unused bytes): first each word's OR over the group, a
 * pass over each record's contiguous words into a small array (the
 * compiler vectorizes it), then only the words not zero throughout (and
 * the tail bytes) are transposed.  The one-pass loop stored every word at
 * its column's stride and ORed it into memory: ~90% of the encoder's time
 * on such records.  A column left out holds nothing: encode_words zeroes
 * one it must still read (wide_zero).  Returns ts_word, or -1 if that
 * word is not every record's ts; -2 out of memory. */
static int64_t transpose_wide(struct block_encoder *e, const struct blockbuf *b,
			      const uint32_t *ord, uint32_t c, uint32_t W, uint32_t tail,
			      int64_t ts_word)
{
	const struct bb_ent *top = bb_ent(b, 0);
	const uint8_t *arena = b->arena;
	uint8_t *tailb = (uint8_t *)(e->words + (size_t)W * c);
	uint64_t *wor = e->wor;
	uint32_t i, j, w, n = 0;

	if (grow((void **)&e->live, &e->live_cap, (size_t)W * sizeof(*e->live)))
		return -2;
	/* The ORs 16 words at a time, in registers, over every record: each
	 * record's cache lines are still read once in all (a pass reads two
	 * of them), and a word costs half an instruction, not five. */
	w = 0;
#if defined(__SSE2__)
	for (; w + 16 <= W; w += 16) {
		__m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
		__m128i a4 = a0, a5 = a0, a6 = a0, a7 = a0;

		for (i = 0; i < c; i++) {
			const __m128i *r = (const __m128i *)(arena + (top - ord[i])->off + (size_t)w * 8);

			a0 = _mm_or_si128(a0, _mm_loadu_si128(r));
			a1 = _mm_or_si128(a1, _mm_loadu_si128(r + 1));
			a2 = _mm_or_si128(a2, _mm_loadu_si128(r + 2));
			a3 = _mm_or_si128(a3, _mm_loadu_si128(r + 3));
			a4 = _mm_or_si128(a4, _mm_loadu_si128(r + 4));
			a5 = _mm_or_si128(a5, _mm_loadu_si128(r + 5));
			a6 = _mm_or_si128(a6, _mm_loadu_si128(r + 6));
			a7 = _mm_or_si128(a7, _mm_loadu_si128(r + 7));
		}
		_mm_storeu_si128((__m128i *)(wor + w), a0);
		_mm_storeu_si128((__m128i *)(wor + w + 2), a1);
		_mm_storeu_si128((__m128i *)(wor + w + 4), a2);
		_mm_storeu_si128((__m128i *)(wor + w + 6), a3);
		_mm_storeu_si128((__m128i *)(wor + w + 8), a4);
		_mm_storeu_si128((__m128i *)(wor + w + 10), a5);
		_mm_storeu_si128((__m128i *)(wor + w + 12), a6);
		_mm_storeu_si128((__m128i *)(wor + w + 14), a7);
	}
#endif
	for (; w < W; w += 4) {   /* the rest, 4 words a pass */
		uint64_t o[4] = { 0, 0, 0, 0 };
		uint32_t nw = W - w < 4 ? W - w : 4;

		for (i = 0; i < c; i++) {
			const uint8_t *r = arena + (top - ord[i])->off;

			for (j = 0; j < nw; j++)
				o[j] |= word_at(r, w + j);
		}
		for (j = 0; j < nw; j++)
			wor[w + j] = o[j];
	}
	for (w = 0; w < W; w++)
		if (wor[w])
			e->live[n++] = w;
	for (i = 0; i < c; i++) {
		const struct bb_ent *ent = top - ord[i];
		const uint8_t *r = arena + ent->off;

		if (i + PREFETCH_AHEAD < c)
			__builtin_prefetch(arena + (top - ord[i + PREFETCH_AHEAD])->off);
		for (j = 0; j < n; j++)
			e->words[(size_t)e->live[j] * c + i] = word_at(r, e->live[j]);
		for (uint32_t k = 0; k < tail; k++)
			tailb[(size_t)k * c + i] = r[(size_t)W * 8 + k];
		if (ts_word >= 0 && (!wor[ts_word] ? ent->ts_ns != 0 :
				     e->words[(size_t)ts_word * c + i] != ent->ts_ns))
			ts_word = -1;
	}
	return ts_word;
}

/* encode_words' transposition for narrower records: one pass over the
 * records, each read once, instead of one per word column (a new cache
 * line per record and column, out of cache for a block of several MiB):
 * the column passes run over contiguous arrays.  Each word's OR over the
 * group (e->wor) is taken on the way.  Returns ts_word, or -1 if that word
 * is not every record's ts.  Inlined with a constant W (transpose_narrow
 * below) the word loop unrolls and the ORs stay in registers: in memory,
 * each was a load and a store per word of every record. */
static inline __attribute__((always_inline)) int64_t
transpose_narrow_w(struct block_encoder *e, const struct blockbuf *b, const uint32_t *ord,
		   uint32_t c, uint32_t W, uint32_t tail, int64_t ts_word, bool contig)
{
	uint8_t *tailb = (uint8_t *)(e->words + (size_t)W * c);
	/* (locals: the stores below could alias b's fields, which the
	 * compiler would then load again per record) */
	const struct bb_ent *top = bb_ent(b, 0);
	const uint8_t *arena = b->arena;
	uint64_t wor[WIDE_WORDS];
	uint32_t tsw = ts_word >= 0 ? (uint32_t)ts_word : 0;
	bool ts_ok = true;
	uint32_t i = 0, w;

	for (w = 0; w < W; w++)
		wor[w] = 0;
#if defined(__SSE2__)
	__m128i acc[WIDE_WORDS];
	/* contig: the group's records are entries ord[0], ord[0] + 1, ...,
	 * so their payloads lie one after the other from the first one's */
	const uint8_t *first = arena + (top - ord[0])->off;
	const uint32_t L = W * 8 + tail;

	for (w = 0; w < W; w++)
		acc[w] = _mm_setzero_si128();
	/* 64-byte records four a step, where the CPU has AVX2 (blocktr64.c) */
	if (W == 8 && contig && !tail && e->tr64_avx2)
		i = cap_tr64_avx2(e->words, c, first, top - ord[0], tsw, wor, &ts_ok);
	/* Two records a step: word w of both in one register, stored in one
	 * move to column w (two words of a record loaded at once, split by
	 * the interleaves), and ORed into that column's two lanes. */
	for (; i + 2 <= c; i += 2) {
		const struct bb_ent *e0, *e1;
		const uint8_t *r0, *r1;
		uint64_t *d = e->words + i;

		if (contig) {   /* (the records one after the other: no look-ups) */
			e0 = top - ord[0] - i;
			e1 = e0 - 1;
			r0 = first + (size_t)i * L;
			r1 = r0 + L;
			if (i + PREFETCH_AHEAD + 1 < c)
				__builtin_prefetch(r0 + (size_t)PREFETCH_AHEAD * L);
		} else {
			e0 = top - ord[i];
			e1 = top - ord[i + 1];
			r0 = arena + e0->off;
			r1 = arena + e1->off;
			if (i + PREFETCH_AHEAD + 1 < c) {
				__builtin_prefetch(arena + (top - ord[i + PREFETCH_AHEAD])->off);
				__builtin_prefetch(arena + (top - ord[i + PREFETCH_AHEAD + 1])->off);
			}
		}
		/* (unrolled: W is a constant here, and the loop's own steps cost
		 * as much as its body) */
#pragma GCC unroll 8
		for (w = 0; w + 2 <= W; w += 2, d += 2 * (size_t)c) {
			__m128i a = _mm_loadu_si128((const __m128i *)(r0 + (size_t)w * 8));
			__m128i x = _mm_loadu_si128((const __m128i *)(r1 + (size_t)w * 8));
			__m128i lo = _mm_unpacklo_epi64(a, x), hi = _mm_unpackhi_epi64(a, x);

			_mm_storeu_si128((__m128i *)d, lo);
			_mm_storeu_si128((__m128i *)(d + c), hi);
			acc[w] = _mm_or_si128(acc[w], lo);
			acc[w + 1] = _mm_or_si128(acc[w + 1], hi);
		}
		if (w < W) {   /* an odd number of words: the last one alone */
			__m128i v = _mm_unpacklo_epi64(
				_mm_loadl_epi64((const __m128i *)(r0 + (size_t)w * 8)),
				_mm_loadl_epi64((const __m128i *)(r1 + (size_t)w * 8)));

			_mm_storeu_si128((__m128i *)d, v);
			acc[w] = _mm_or_si128(acc[w], v);
		}
		/* the ts word read again: its line is at hand, e->words' not */
		ts_ok &= (int)(word_at(r0, tsw) == e0->ts_ns) & (int)(word_at(r1, tsw) == e1->ts_ns);
	}
	for (w = 0; w < W; w++) {
		uint64_t l[2];

		_mm_storeu_si128((__m128i *)l, acc[w]);
		wor[w] |= l[0] | l[1];
	}
#else
	(void)contig;   /* (the loop below looks each record up) */
#endif
	/* The records left: an odd last one after the pairs, or (without
	 * SSE2) every one. */
	for (; i < c; i++) {
		const struct bb_ent *ent = top - ord[i];
		const uint8_t *r = arena + ent->off;

		if (i + PREFETCH_AHEAD < c)
			__builtin_prefetch(arena + (top - ord[i + PREFETCH_AHEAD])->off);
		for (w = 0; w < W; w++) {
			uint64_t v = word_at(r, w);

			e->words[(size_t)w * c + i] = v;
			wor[w] |= v;
		}
		ts_ok &= word_at(r, tsw) == ent->ts_ns;
	}
	/* a length not a multiple of 8 (rare): the tail bytes in a pass of
	 * their own, none for the rest */
	for (i = 0; tail && i < c; i++) {
		const uint8_t *r = arena + (top - ord[i])->off;

		for (uint32_t k = 0; k < tail; k++)
			tailb[(size_t)k * c + i] = r[(size_t)W * 8 + k];
	}
	for (w = 0; w < W; w++)
		e->wor[w] = wor[w];
	/* not the ts in every record: a word like the others */
	return ts_word >= 0 && ts_ok ? ts_word : -1;
}

/* One function per usual event size, 16 to 64 bytes (as cases of one
 * switch calling the function with W, the compiler merged them into one
 * call with W unknown). */
#define TRANSPOSE_NARROW(N)                                                              \
	static int64_t transpose_narrow_##N(struct block_encoder *e, const struct blockbuf *b, \
					    const uint32_t *ord, uint32_t c, uint32_t tail,     \
					    int64_t ts_word, bool contig)                       \
	{                                                                                \
		return contig ? transpose_narrow_w(e, b, ord, c, N, tail, ts_word, true) :     \
				transpose_narrow_w(e, b, ord, c, N, tail, ts_word, false);     \
	}
TRANSPOSE_NARROW(2)
TRANSPOSE_NARROW(3)
TRANSPOSE_NARROW(4)
TRANSPOSE_NARROW(5)
TRANSPOSE_NARROW(6)
TRANSPOSE_NARROW(7)
TRANSPOSE_NARROW(8)

static int64_t transpose_narrow(struct block_encoder *e, const struct blockbuf *b,
				const uint32_t *ord, uint32_t c, uint32_t W, uint32_t tail,
				int64_t ts_word)
{
	static int64_t (*const fixed[9])(struct block_encoder *, const struct blockbuf *,
					 const uint32_t *, uint32_t, uint32_t, int64_t, bool) = {
		NULL, NULL, transpose_narrow_2, transpose_narrow_3, transpose_narrow_4,
		transpose_narrow_5, transpose_narrow_6, transpose_narrow_7, transpose_narrow_8,
	};
	/* The group's entries one after the other (ord rises: a group of
	 * the block's only stream, the usual case), so are their payloads:
	 * fixed-length records appended in turn. */
	bool contig = ord[c - 1] - ord[0] == c - 1;

	if (W < 9 && fixed[W])
		return fixed[W](e, b, ord, c, tail, ts_word, contig);
	return transpose_narrow_w(e, b, ord, c, W, tail, ts_word, false);
}

/* The payloads of a fixed-length group as coded word columns (GRP_WORDS). */
static uint8_t *encode_words(struct block_encoder *e, const struct blockbuf *b,
			     const uint32_t *ord, uint32_t c, uint32_t L, int64_t ts_word,
			     uint32_t stream, uint8_t *p)
{
	uint32_t W = L / 8, tail = L % 8, i, w;
	uint8_t *modes = p;
	uint64_t *col;

	if (grow((void **)&e->keyix, &e->keyix_cap, (size_t)c * sizeof(*e->keyix)) ||
	    grow((void **)&e->col2, &e->col2_cap, (size_t)c * 8 + CODES_BYTES(c)) ||
	    grow((void **)&e->col, &e->col_cap, (size_t)c * 8 + CODES_BYTES(c)) ||
	    grow((void **)&e->wor, &e->wor_cap, ((size_t)W + 1) * 8))
		return NULL;
	memset(e->wor, 0, ((size_t)W + 1) * 8);
	e->key_cont = false;

	ts_word = W >= WIDE_WORDS ? transpose_wide(e, b, ord, c, W, tail, ts_word) :
				    transpose_narrow(e, b, ord, c, W, tail, ts_word);
	if (ts_word == -2)
		return NULL;
	p += W;
	/* The key of keyed dictionaries: the group's first dictionary word
	 * (a task's pid and tid, usually), the number of its values. */
	int64_t key_word = -1;
	uint32_t nkeys = 0;
	bool measure = false;
	/* (fast blocks key nothing: the memo waits for the next compact one) */
	struct keyed_memo *memo = e->fast ? NULL : keyed_memo(e, stream, L, &measure);
	/* (fast blocks of groups that sample as many records: the modes of
	 * the stream's fast block before) */
	struct fast_memo *fmemo = e->fast && c >= 256 ? fast_memo(e, stream, L) : NULL;
	for (w = 0; w < W; w++) {
		/* A group that continues its base's: the base's dictionary
		 * columns keep their modes, and no other word becomes one (its
		 * key word stays the first dictionary). */
		const struct ecol *bc = e->group_inh ? estate_find(e->base, stream, L, w) : NULL;
		enum word_mode m;
		uint64_t prev = 0;

		/* An all-zero column: RAW with no plane, what pick_word_mode and
		 * the passes below would make of it, without them (a 640-byte
		 * --syscalls record is mostly such columns). */
		if (!e->wor[w] && w != ts_word && !bc) {
			modes[w] = WORD_RAW;
			*p++ = 0;
			continue;
		}
		col = e->words + (size_t)w * c;
		if (W >= WIDE_WORDS && !e->wor[w])   /* left out by transpose_wide, read below */
			memset(col, 0, (size_t)c * 8);
		/* A word measured worth keying is a dictionary again: a
		 * block's first records alone could say otherwise by chance,
		 * for the whole chain the block starts. */
		if (w == ts_word)
			m = WORD_TS;
		else if (bc)
			m = WORD_DICT;
		else if (memo && !measure && key_word >= 0 && w < 64 && (memo->words >> w & 1))
			m = WORD_DICT;
		else if (fmemo && w < 64 && (fmemo->have >> w & 1))
			m = (enum word_mode)fmemo->mode[w];
		else
			m = pick_word_mode(e, c, w);
		/* (only what pick_word_mode says goes in the memo: never TS,
		 * which holds for this group's records only) */
		if (fmemo && w < 64 && w != ts_word && !(fmemo->have >> w & 1)) {
			fmemo->mode[w] = (uint8_t)m;
			fmemo->have |= 1ull << w;
		}

		if (m == WORD_DICT && e->group_inh && !bc)
			m = WORD_XOR;
		if (m == WORD_DICT) {
			bool is_key = !e->fast && key_word < 0 && w <= KEYED_MAX_KEY;
			bool keyed = !e->fast && key_word >= 0 && w < 64 &&
				     (measure || (memo->words >> w & 1));
			struct vmru colmru;
			int64_t nd;
			/* the codes, in e->col's memory (and e->col2's, the
			 * other of two codings: swapped with it when chosen) */
			struct codes cd = codes_in(e->col, c), cd2 = codes_in(e->col2, c);

			if (bc && bc->mode >= WORD_KEYED) {
				/* keyed as before, by the same key, continued */
				keyed = key_word >= 0 && e->key_cont &&
					bc->mode == WORD_KEYED + key_word;
				if (!keyed)
					bc = NULL;
			} else if (bc) {
				keyed = false;
			}
			uint32_t nseed = bc ? bc->nvals : 0;
			/* codes as indexes, as measured (a plain dictionary only) */
			bool ixcodes = !measure && memo && !keyed && !is_key && w < 64 &&
				       (memo->ixwords >> w & 1);
			/* The whole group's dictionary, while it stays worth it. */
			/* (one code less than the format's limits: GRP_DICT_NEXT's) */
			uint32_t max = nseed + c / 2 < DICT_MAX_VALUES - 1 ? nseed + c / 2 :
				       DICT_MAX_VALUES - 1;

			if (e->fast) {
				nd = dict_codes_fast(e, col, c, max, (uint16_t *)e->col2);
			} else if (bc && keyed) {
				if (grow((void **)&e->kmru, &e->kmru_cap,
					 (size_t)nkeys * sizeof(*e->kmru) + 1))
					return NULL;
				const uint8_t *kp = bc->kpack;
				/* (a list's 8 slots copied whole, not a call to
				 * memcpy of its length: kpack has the room) */
				for (uint32_t k = 0; k < nkeys; k++) {
					e->kmru[k].n = k < bc->nkeys ? *kp++ : 0;
					if (k < bc->nkeys)
						memcpy(e->kmru[k].v, kp, sizeof(e->kmru[k].v));
					kp += (size_t)e->kmru[k].n * 8;
				}
				nd = dict_codes(e, col, c, max < KEYED_MAX_VALUES - 1 ? max :
						KEYED_MAX_VALUES - 1, true, false, &cd, bc, &colmru);
			} else if (bc && ixcodes) {
				nd = dict_codes_ix(e, col, c, max, bc, &cd, &colmru);
			} else if (bc) {
				nd = dict_codes(e, col, c, max, false, is_key, &cd, bc, &colmru);
			} else if (keyed && measure) {
				/* Both codes over the whole group (a task's next
				 * burst may come thousands of records later, so the
				 * first records undervalue the key's lists): keyed
				 * if its codes' entropy is under 0.95 of the plain
				 * ones'.  The plain dictionary is kept aside. */
				nd = dict_codes(e, col, c, max, false, false, &cd, NULL, &colmru);
				if (nd >= 0) {
					double plain = code_bits(&cd, (uint32_t)c, DICT_MRU);
					int64_t nk;

					memcpy(e->dict2, e->dict, (size_t)nd * 8);
					for (uint32_t k = 0; k < nkeys; k++)
						e->kmru[k].n = 0;
					struct vmru kmru;

					nk = dict_codes(e, col, c, max < KEYED_MAX_VALUES - 1 ? max :
							KEYED_MAX_VALUES - 1, true, false, &cd2,
							NULL, &kmru);
					if (nk >= 0 && code_bits(&cd2, c, 2 * DICT_MRU) < 0.95 * plain) {
						uint64_t *t = e->col;
						size_t tc = e->col_cap;

						nd = nk;
						struct codes tcd = cd;

						cd = cd2;
						cd2 = tcd;
						e->col = e->col2;   /* the keyed codes */
						e->col_cap = e->col2_cap;
						e->col2 = t;
						e->col2_cap = tc;
						colmru = kmru;
						memo->words |= 1ull << w;
					} else {
						keyed = false;
						memcpy(e->dict, e->dict2, (size_t)nd * 8);
					}
				}
			} else if (keyed) {
				for (uint32_t k = 0; k < nkeys; k++)
					e->kmru[k].n = 0;
				nd = dict_codes(e, col, c, max < KEYED_MAX_VALUES - 1 ? max :
						KEYED_MAX_VALUES - 1, true, false, &cd, NULL, &colmru);
			} else if (ixcodes) {
				nd = dict_codes_ix(e, col, c, max, NULL, &cd, &colmru);
			} else {
				nd = dict_codes(e, col, c, max, false, is_key, &cd, NULL, &colmru);
			}
			/* A plain dictionary of a block that measures: indexes
			 * instead of ranks if they cost less (remembered for the
			 * stream's next KEYED_REMEASURE - 1 blocks). */
			if (measure && nd >= 0 && !keyed && !is_key && w < 64) {
				double rank_bits = dict_code_bits(&cd, c);
				struct vmru ixmru;
				int64_t ni = dict_codes_ix(e, col, c, max, bc, &cd2, &ixmru);

				if (ni == nd && dict_code_bits(&cd2, c) < rank_bits) {
					uint64_t *t = e->col;
					size_t tc = e->col_cap;

					struct codes tcd = cd;

					cd = cd2;
					cd2 = tcd;
					e->col = e->col2;   /* the index codes */
					e->col_cap = e->col2_cap;
					e->col2 = t;
					e->col2_cap = tc;
					colmru = ixmru;
					memo->ixwords |= 1ull << w;
				}
			}
			i = nd < 0 ? 0 : c;
			uint32_t nvals = nd < 0 ? 0 : (uint32_t)nd;
			if (i < c) {
				m = WORD_XOR;
				prev = 0;
				/* (the memo's dictionary no longer fits the
				 * stream: the next fast block picks anew) */
				if (fmemo && w < 64)
					fmemo->have &= ~(1ull << w);
			} else {
				unsigned dm = plane_mask(e->dict, nvals);

				if (is_key) {
					key_word = w;
					nkeys = nvals;
					e->key_cont = bc != NULL;
					if (grow((void **)&e->kmru, &e->kmru_cap,
						 (size_t)nkeys * sizeof(*e->kmru) + 1) ||
					    grow((void **)&e->col2, &e->col2_cap, (size_t)nvals * 12))
						return NULL;
					/* GRP_KEY_LO: a key per low half (the pid
					 * of a pid|tid word): threads share their
					 * task's lists.  Scratch: col2 holds
					 * nvals u64s, then nvals u32s. */
					uint32_t *cls = (uint32_t *)(e->col2 + nvals);

					cap_key_classes(e->dict, nvals, e->col2, cls);
					for (i = 0; i < c; i++)
						e->keyix[i] = cls[e->keyix[i]];
				}
				e->keyed |= keyed;
				modes[w] = keyed ? (uint8_t)(WORD_KEYED + key_word) : WORD_DICT;
				/* GRP_DICT_NEXT: the codes as miss_code made them
				 * (a fast block: none, it stays encoding 1, and a
				 * first use costs its index) */
				uint64_t base = (keyed ? 2 : 1) * DICT_MRU;
				bool next_code = !e->fast;

				e->dict_next |= next_code;
				/* (continued: only the values new in this block) */
				dm = plane_mask(e->dict + nseed, nvals - nseed);
				p = cap_put_varint(p, nvals - nseed);
				*p++ = (uint8_t)dm;
				cut_columns(e, p, (uint32_t)__builtin_popcount(dm), nvals - nseed);
				p = put_planes(p, e->dict + nseed, nvals - nseed, dm);
				if (nvals + base + next_code <= 256) {
					cut_columns(e, p, 1, c);
					if (e->fast) {
						p = put_codes16(p, (uint16_t *)e->col2, c, false);
					} else {
						memcpy(p, cd.b, c);
						p += c;
					}
				} else if (e->fast) {   /* (encoding 1) */
					cut_columns(e, p, 2, c);
					p = put_codes16(p, (uint16_t *)e->col2, c, true);
				} else {
					p = put_escaped(e, p, &cd, c);
					e->esc = true;
				}
				if (e->chain_k > 1 && !e->fast &&
				    estate_add(e, stream, L, w, modes[w], nvals, &colmru,
					       keyed ? nkeys : 0))
					return NULL;
				continue;
			}
		}
		modes[w] = (uint8_t)m;
		if (m == WORD_TS)
			continue;
		/* A RAW column's planes straight from the transposed words,
		 * whose OR the transposition took (no copy to code) */
		bool raw = m == WORD_RAW;
		uint64_t any = raw ? e->wor[w] : code_column(e->col, col, c, (enum word_mode)m, prev);
		/* Planes that are all zero (a counter's high bytes) are left out. */
		unsigned pm = bytes_mask(any);

		*p++ = (uint8_t)pm;
		cut_columns(e, p, (uint32_t)__builtin_popcount(pm), c);
		p = put_planes(p, raw ? col : e->col, c, pm);
	}
	memcpy(p, e->words + (size_t)W * c, (size_t)tail * c);   /* the tail bytes' columns */
	return p + (size_t)tail * c;
}

/* The offset at which every payload of a fixed-length group holds its
 * record's ts as a little-endian u64, or -1. */
static int64_t find_ts_offset(const struct blockbuf *b, const uint32_t *ord, uint32_t c,
			      uint32_t from)
{
	const struct bb_ent *top = bb_ent(b, 0);
	const uint8_t *arena = b->arena;
	const struct bb_ent *e0 = top - ord[0];
	const uint8_t *p0 = arena + e0->off;

	for (uint32_t o = from; e0->len >= 8 && o <= e0->len - 8; o++) {
		uint64_t v;
		uint32_t i;

		memcpy(&v, p0 + o, 8);
		if (v != e0->ts_ns)
			continue;
		for (i = 1; i < c; i++) {
			const struct bb_ent *ei = top - ord[i];

			if (i + PREFETCH_AHEAD < c)
				__builtin_prefetch(arena + (top - ord[i + PREFETCH_AHEAD])->off + o);
			memcpy(&v, arena + ei->off + o, 8);
			if (v != ei->ts_ns)
				break;
		}
		if (i == c)
			return o;
	}
	return -1;
}

/* A recorder must never write what its own reader refuses.  Always: the
 * header of the block just encoded passes the reader's header checks (the
 * cheap invariants: counts, sizes, times).  In debug, sanitizer and fuzz
 * builds (BPFREC_BLOCK_SELFCHECK), also the reader's full decode, record by
 * record against b, in the encoder's group order.  -EPROTO with a message
 * naming the first difference: the caller then counts the block's records
 * as lost instead of writing them. */
static int block_encoder_check(struct block_encoder *e, const struct blockbuf *b,
			       uint32_t enc_bytes)
{
	char err[256];
	struct cap_block_meta m;
	int rc = cap_block_parse_header(e->out, enc_bytes, &m, NULL, err, sizeof(err));

	if (!rc && m.nrecords != b->n) {
		snprintf(err, sizeof(err), "its header says %u records", m.nrecords);
		rc = -EPROTO;
	}
#ifdef BPFREC_BLOCK_SELFCHECK
	const struct cap_rec *recs;
	uint32_t nrecs;

	if (!rc && !e->check && !(e->check = block_decoder__new(CAP_BLOCK_MAX_RAW)))
		return -ENOMEM;
	bool chained = e->chain_k > 1;
	if (!rc && chained && !e->check_st[0] &&
	    (!(e->check_st[0] = block_dicts__new()) || !(e->check_st[1] = block_dicts__new())))
		return -ENOMEM;
	if (!rc)
		rc = block_decoder__decode_chain(e->check, e->out, enc_bytes,
						 chained && e->base ? e->check_st[0] : NULL,
						 chained ? e->check_st[1] : NULL, NULL, &recs,
						 &nrecs, err, sizeof(err));
	if (!rc && chained) {   /* what this block leaves: the next one's base */
		struct block_dicts *t = e->check_st[0];

		e->check_st[0] = e->check_st[1];
		e->check_st[1] = t;
	}
	if (!rc && nrecs != b->n) {
		snprintf(err, sizeof(err), "it decodes to %u records", nrecs);
		rc = -EPROTO;
	}
	for (uint32_t i = 0; !rc && i < nrecs; i++) {
		const struct bb_ent *ei = bb_ent(b, e->order[i]);
		if (recs[i].stream != b->slots[ei->slot].stream || recs[i].cpu != ei->cpu ||
		    recs[i].ts_ns != ei->ts_ns || recs[i].len != ei->len ||
		    (ei->len && memcmp(recs[i].data, b->arena + ei->off, ei->len))) {
			snprintf(err, sizeof(err), "record %u decodes differently", i);
			rc = -EPROTO;
		}
	}
#endif
	if (!rc)
		return 0;
	cap_warn("block encoder: a block of %u records would not read back (%s): "
		 "not written, counted as lost", b->n, err);
	return -EPROTO;
}

static int encode_block(struct block_encoder *e, const struct blockbuf *b,
			const uint8_t **out, size_t *out_len, struct cap_block_meta *meta);

/* Whether the group of stream and L-byte records continues the base's. */
static bool estate_has_group(const struct estate *s, uint32_t stream, uint32_t L)
{
	for (uint32_t i = 0; s && i < s->n; i++)
		if (s->cols[i].stream == stream && s->cols[i].L == L)
			return true;
	return false;
}

int block_encoder__encode(struct block_encoder *e, const struct blockbuf *b,
			  const uint8_t **out, size_t *out_len, struct cap_block_meta *meta)
{
	struct estate *cur = &e->st[1];
	int rc;

	/* The last block's dictionaries go on, up to chain_k blocks. */
	e->base = NULL;
	if (e->chain_k > 1 && !e->fast && e->st[0].valid && !e->st[0].too_big && e->st[0].crc &&
	    e->st[0].depth < e->chain_k)
		e->base = &e->st[0];
	cur->n = 0;
	cur->bytes = 0;
	cur->too_big = false;
	cur->valid = false;
	rc = encode_block(e, b, out, out_len, meta);
	if (rc || e->chain_k <= 1 || e->fast) {
		e->st[0].valid = false;
		e->base = NULL;
		return rc;
	}
	cur->valid = true;
	cur->crc = cap_get_le32(*out + 44);
	cur->depth = e->base ? e->base->depth + 1 : 1;
	struct estate t = e->st[0];   /* cur becomes the next block's base */
	e->st[0] = *cur;
	*cur = t;
	if (e->base)
		e->base = &e->st[1];   /* (its old state: for block_encoder__base_crc) */
	return 0;
}

/* A compact block's frame, into e->out past the header, its zstd blocks
 * ended at e->cuts (cut_columns).  A chained block's first 4 bytes (the
 * base's CRC) end a zstd block of their own, so that a reader learns the
 * base (block__base_crc) by decompressing 4 bytes, not the frame's first
 * zstd block of up to 128 KiB (~1 M instructions, for every chained block
 * a reader meets: issue 18).  The buffers are zstd's to read and write in
 * place (stable), as ZSTD_compress2's are: streaming into buffers of its
 * own would cost each encoder ~5 MiB more.  zstd's size or error code. */
static size_t compress_cut(struct block_encoder *e, size_t raw_len)
{
	ZSTD_outBuffer o = { e->out + CAP_BLOCK_HDR_BYTES, e->out_cap - CAP_BLOCK_HDR_BYTES, 0 };
	ZSTD_inBuffer in = { e->raw, e->base ? 4 : 0, 0 };
	size_t z = ZSTD_CCtx_setPledgedSrcSize(e->cctx, raw_len);   /* the content size */

	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_stableInBuffer, 1);
	if (!ZSTD_isError(z))
		z = ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_stableOutBuffer, 1);
	if (in.size)
		while (!ZSTD_isError(z) && (z = ZSTD_compressStream2(e->cctx, &o, &in, ZSTD_e_flush)))
			;
	for (uint32_t k = 0; k < e->ncuts; k++) {
		if (e->cuts[k] <= in.size || e->cuts[k] >= raw_len)
			continue;
		in.size = e->cuts[k];
		while (!ZSTD_isError(z) && (z = ZSTD_compressStream2(e->cctx, &o, &in, ZSTD_e_flush)))
			;
	}
	in.size = raw_len;   /* the same buffer, grown: what stableInBuffer allows */
	while (!ZSTD_isError(z) && (z = ZSTD_compressStream2(e->cctx, &o, &in, ZSTD_e_end)))
		;
	if (ZSTD_isError(z))
		ZSTD_CCtx_reset(e->cctx, ZSTD_reset_session_only);
	/* the frame ended (or was reset): back to ZSTD_compress2's defaults */
	ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_stableInBuffer, 0);
	ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_stableOutBuffer, 0);
	return ZSTD_isError(z) ? z : o.pos;
}

/* A compact block's ts column in the context mode (blockts.c): the c
 * deltas less dmin in e->col.  Returns its end, NULL out of memory. */
static uint8_t *put_ts_ctx(struct block_encoder *e, uint8_t *p, uint32_t c, int64_t dmin,
			   uint32_t stream)
{
	struct ts_memo *tm = &e->tsmemo[stream % 16];
	struct ts_ctx_plan plan;
	struct ts_ctx_cols cols;
	size_t scratch = (size_t)c * 8 > TS_PLAN_SCRATCH ? (size_t)c * 8 : TS_PLAN_SCRATCH;

	if (grow((void **)&e->col2, &e->col2_cap, scratch))
		return NULL;
	*p++ = TS_CTX;
	p = cap_put_varint(p, cap_zigzag(dmin));
	/* A block that continues its chain takes the contexts its base
	 * chose for the stream (counted anew), not a plan of its own: the
	 * same events, a few milliseconds on. */
	if (e->base && tm->valid && tm->stream == stream && c >= 2 * TS_CTX_MIN_RECORDS) {
		plan = tm->plan;
		ts_ctx__count(e->col, c, &plan);
	} else {
		ts_ctx__plan(e->col, c, (uint32_t *)e->col2, &plan);
		*tm = (struct ts_memo){ .stream = stream, .valid = true, .plan = plan };
	}
	p = ts_ctx__put(p, e->col, c, &plan, e->col2, &cols);
	for (uint32_t k = 0; k < cols.n; k++)
		cut_columns(e, cols.at[k], 1, cols.len[k]);
	return p;
}

/* encode_block's first pass over a group's entries (top - ord[i], or with
 * ord NULL top - i): each record's ts delta from the one before (prev: the
 * block's base for the first) into col, whether they have one cpu and one
 * length (*cpu_run, *fixed); the smallest delta.  Each entry's cpu and
 * length are compared as one 8-byte word with the first entry's, then
 * apart only when some differ. */
static inline __attribute__((always_inline)) int64_t
ts_pass(uint64_t *col, const struct bb_ent *top, const uint32_t *ord, uint32_t c,
	uint64_t prev, bool *cpu_run, bool *fixed)
{
	const struct bb_ent *e0 = ord ? top - ord[0] : top;
	int64_t dmin = INT64_MAX;
	uint64_t cl0, cl, diff = 0;
	uint32_t i;

	_Static_assert(offsetof(struct bb_ent, len) == offsetof(struct bb_ent, cpu) + 4,
		       "bb_ent: cpu and len side by side");
	memcpy(&cl0, &e0->cpu, 8);
	for (i = 0; i < c; i++) {
		const struct bb_ent *ei = ord ? top - ord[i] : top - i;
		uint64_t ts = ei->ts_ns;
		int64_t dlt = (int64_t)(ts - prev);

		col[i] = ts - prev;
		dmin = dlt < dmin ? dlt : dmin;
		prev = ts;
		memcpy(&cl, &ei->cpu, 8);
		diff |= cl ^ cl0;
	}
	*cpu_run = *fixed = true;
	for (i = 0; diff && (*cpu_run || *fixed) && i < c; i++) {
		const struct bb_ent *ei = ord ? top - ord[i] : top - i;

		*cpu_run &= ei->cpu == e0->cpu;
		*fixed &= ei->len == e0->len;
	}
	return dmin;
}

static int encode_block(struct block_encoder *e, const struct blockbuf *b,
			const uint8_t **out, size_t *out_len, struct cap_block_meta *meta)
{
	uint32_t n = b->n, k = b->nslots;
	/* GRP_WORDS adds a mode byte per word and at most 3 varint bytes per
	 * dictionary (a dictionary is used only while it saves bytes); a
	 * chained block its base's CRC. */
	size_t bound = b->used + b->used / 2 + (size_t)n * REC_BODY_MAX +
		       (size_t)k * GRP_BODY_MAX + 14;
	/* (locals: the stores below could alias b's fields, which the
	 * compiler would then load again per record) */
	const struct bb_ent *top = bb_ent(b, 0);
	const uint8_t *arena = b->arena;

	if (bound > CAP_BLOCK_MAX_RAW)
		return -E2BIG;   /* cannot happen with cap <= CAP_BLOCKBUF_MAX_BYTES */
	if (grow((void **)&e->raw, &e->raw_cap, bound) ||
	    grow((void **)&e->order, &e->order_cap, ((size_t)n + 1) * sizeof(uint32_t)))
		return -ENOMEM;

	/* Group entry indexes by stream, stable: a counting sort over slots. */
	for (uint32_t i = 0; i < k; i++)
		e->sorted[i] = i;
	sort_slots(b, e->sorted, k);
	uint32_t at = 0;
	for (uint32_t i = 0; i < k; i++) {
		e->pos[e->sorted[i]] = at;
		at += b->slots[e->sorted[i]].count;
	}
	if (k == 1) {   /* one stream (the usual block): the entries in order */
		for (uint32_t i = 0; i < n; i++)
			e->order[i] = i;
	} else {
		for (uint32_t i = 0; i < n; i++)
			e->order[e->pos[(top - i)->slot]++] = i;
	}

	uint64_t base_ts = n ? b->min_ts : 0;
	uint8_t *p = e->raw;
	const uint32_t *ord = e->order;

	e->keyed = false;
	e->block_esc = false;
	e->ncuts = 0;

	if (e->base) {   /* encoding 4: the block whose dictionaries go on */
		cap_put_le32(p, e->base->crc);
		p += 4;
	}
	p = cap_put_varint(p, k);
	for (uint32_t g = 0; g < k; g++) {
		const struct bb_slot *s = &b->slots[e->sorted[g]];
		uint32_t c = s->count;
		const struct bb_ent *e0 = top - ord[0];
		bool cpu_run, fixed;

		/* ts deltas (as byte planes below: the empty high planes cost
		 * nothing and zstd sees the low ones without varint
		 * continuation bits), and in the same pass over the entries
		 * whether the group has one cpu and one length. */
		int64_t dmin;
		if (grow((void **)&e->col, &e->col_cap, (size_t)c * 8))
			return -ENOMEM;
		/* (a group of the block's only stream: its entries in turn) */
		if (ord[c - 1] - ord[0] == c - 1)
			dmin = ts_pass(e->col, e0, NULL, c, base_ts, &cpu_run, &fixed);
		else
			dmin = ts_pass(e->col, top, ord, c, base_ts, &cpu_run, &fixed);
		/* An event's own timestamp is usually the record's ts (the
		 * recorder took it from there): store it once, not twice. */
		int64_t ts_at = -1;
		if (fixed) {
			/* The first offset holding record 0's ts: when it is a
			 * word's, encode_words checks the other records as it
			 * reads them (and codes the word as any other if one
			 * differs) instead of a pass of its own here. */
			ts_at = find_ts_offset(b, ord, 1, 0);
			if (ts_at >= 0 && ts_at % 8)
				ts_at = find_ts_offset(b, ord, c, (uint32_t)ts_at);
		}
		/* Fixed-layout events: per-word coding, unless the ts sits at an
		 * unaligned offset (a packed struct): then TS_AT alone. */
		bool words = fixed && e0->len >= 8 && (ts_at < 0 || ts_at % 8 == 0);

		if (words && grow((void **)&e->words, &e->words_cap, (size_t)c * e0->len + 8))
			return -ENOMEM;
		if (words && !e->htab) {
			e->htab = calloc(DICT_HTAB_SLOTS, sizeof(*e->htab));
			e->dict = malloc(DICT_MAX_VALUES * sizeof(*e->dict));
			e->dict2 = malloc(DICT_MAX_VALUES * sizeof(*e->dict2));
			if (!e->htab || !e->dict || !e->dict2)
				return -ENOMEM;
		}
		p = cap_put_varint(p, s->stream);
		p = cap_put_varint(p, c);
		uint8_t *flags = p;
		*p++ = (cpu_run ? GRP_CPU_RUN : 0) | (fixed ? GRP_FIXED_LEN : 0) |
		       (words ? GRP_WORDS : ts_at >= 0 ? GRP_TS_AT : 0);

		/* The ts deltas relative to the smallest delta: regular arrivals (100-160 ns
		 * apart) then fit one plane with no bias bits. */
		uint64_t any = 0;
		for (uint32_t i = 0; i < c; i++) {
			e->col[i] -= (uint64_t)dmin;
			any |= e->col[i];
		}
		if (!e->fast && c >= TS_CTX_MIN_GROUP) {   /* encodings 7 and 8 */
			if (!(p = put_ts_ctx(e, p, c, dmin, s->stream)))
				return -ENOMEM;
		} else {
			if (!e->fast)
				*p++ = TS_PLANES;
			p = cap_put_varint(p, cap_zigzag(dmin));
			unsigned tmask = bytes_mask(any);
			*p++ = (uint8_t)tmask;
			cut_columns(e, p, (uint32_t)__builtin_popcount(tmask), c);
			p = put_planes(p, e->col, c, tmask);
		}
		if (cpu_run) {
			p = cap_put_varint(p, (uint32_t)(e0->cpu + 1));
		} else {
			for (uint32_t i = 0; i < c; i++)
				p = cap_put_varint(p, (uint32_t)((top - ord[i])->cpu + 1));
		}
		if (words) {
			bool keyed = e->keyed;

			e->keyed = false;
			e->dict_next = false;
			e->esc = false;
			e->group_inh = estate_has_group(e->base, s->stream, e0->len);
			p = cap_put_varint(p, e0->len);
			p = encode_words(e, b, ord, c, e0->len, ts_at >= 0 ? ts_at / 8 : -1, s->stream,
					 p);
			if (!p)
				return -ENOMEM;
			if (e->keyed)   /* its keyed columns key by the low half */
				*flags |= GRP_KEY_LO;
			if (e->dict_next)
				*flags |= GRP_DICT_NEXT;
			if (e->dict_next && e->group_inh)
				*flags |= GRP_INHERIT;
			if (e->esc)
				*flags |= GRP_ESC;
			e->block_esc |= e->esc;
			e->keyed |= keyed || e->dict_next;   /* either: encoding 3 */
		} else if (fixed) {
			uint32_t L = e0->len;
			p = cap_put_varint(p, L);
			if (ts_at >= 0)
				p = cap_put_varint(p, (uint64_t)ts_at);
			/* Transposed: byte j of record i at p[j' * c + i], where j'
			 * counts the columns kept (the ts columns are not). */
			const uint8_t *src[TILE];
			for (uint32_t i0 = 0; i0 < c && L; i0 += TILE) {
				uint32_t t = c - i0 < TILE ? c - i0 : TILE;
				for (uint32_t i = 0; i < t; i++)
					src[i] = arena + (top - ord[i0 + i])->off;
				for (uint32_t j = 0, jk = 0; j < L; j++) {
					if (ts_at >= 0 && j >= (uint64_t)ts_at && j < (uint64_t)ts_at + 8)
						continue;
					uint8_t *dst = p + (size_t)jk++ * c + i0;
					for (uint32_t i = 0; i < t; i++)
						dst[i] = src[i][j];
				}
			}
			p += (size_t)(ts_at >= 0 ? L - 8 : L) * c;
		} else {
			for (uint32_t i = 0; i < c; i++)
				p = cap_put_varint(p, (top - ord[i])->len);
			for (uint32_t i = 0; i < c; i++) {
				const struct bb_ent *ei = top - ord[i];
				memcpy(p, arena + ei->off, ei->len);
				p += ei->len;
			}
		}
		ord += c;
	}

	size_t raw_len = (size_t)(p - e->raw);
	size_t obound = CAP_BLOCK_HDR_BYTES + ZSTD_compressBound(raw_len);
	if (grow((void **)&e->out, &e->out_cap, obound))
		return -ENOMEM;
	size_t z;
	if (e->fast) {
		/* zstd's compressor is most of a fast block's encoder: a
		 * frame of the body's runs instead (blockrun.c) */
		if (runz__frame(e->out + CAP_BLOCK_HDR_BYTES, e->out_cap - CAP_BLOCK_HDR_BYTES,
				e->raw, raw_len, e->fast_level <= BLOCK_FASTER_ZSTD_LEVEL ?
				FAST_RUN_LG_FASTER : FAST_RUN_LG, &z))
		{
			/* (cannot happen: obound holds any such frame) */
			cap_warn("block encoder: a fast block's frame does not fit %zu bytes",
				 e->out_cap - CAP_BLOCK_HDR_BYTES);
			return -EIO;
		}
	} else {
		z = e->base || e->ncuts ? compress_cut(e, raw_len) :
		    ZSTD_compress2(e->cctx, e->out + CAP_BLOCK_HDR_BYTES,
				   e->out_cap - CAP_BLOCK_HDR_BYTES, e->raw, raw_len);
	}
	if (ZSTD_isError(z)) {
		cap_warn("block encoder: zstd: %s", ZSTD_getErrorName(z));
		return -EIO;
	}

	struct cap_block_meta m = {
		.nrecords = n,
		.raw_bytes = (uint32_t)raw_len,
		.enc_bytes = (uint32_t)(CAP_BLOCK_HDR_BYTES + z),
		.min_ts_ns = base_ts,
		.max_ts_ns = n ? b->max_ts : 0,
	};
	/* Encoding 1 where it suffices (fast blocks): older readers then read
	 * the block.  A compact block's ts columns start with their mode. */
	cap_block_fill_header(e->out, &m, k, !e->fast ? (e->base ? 8 : 7) :
					     e->base ? (e->block_esc ? 6 : 4) :
					     e->block_esc ? 5 : e->keyed ? 3 : 1);
	int rc = block_encoder_check(e, b, m.enc_bytes);
	if (rc)
		return rc;
	*out = e->out;
	*out_len = m.enc_bytes;
	if (meta)
		*meta = m;
	return 0;
}
