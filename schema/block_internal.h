/* block_internal.h - what the block sources share (blockbuf.c, blockhdr.c,
 * blockenc.c, blockdec.c; not for the rest of schema/, nor for recorder/ or
 * replay/): the body's group flags and word modes, the dictionary's recency
 * list, the blockbuf's layout (the encoder reads it directly), and the
 * helpers on the hot paths, kept static inline so that the split into files
 * costs the encoder and decoder no calls.  Layout: schema/FORMAT.md, "Block".
 */
#ifndef BPFREC_SCHEMA_BLOCK_INTERNAL_H
#define BPFREC_SCHEMA_BLOCK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "block.h"
#include "cap_internal.h"

#define GRP_CPU_RUN   0x01u   /* one cpu value for the whole group */
#define GRP_FIXED_LEN 0x02u   /* one length; payload transposed */
#define GRP_TS_AT     0x04u   /* (fixed length only) every payload holds its
			       * record's ts as a u64 at one offset: those 8
			       * byte columns are left out and rebuilt */
#define GRP_WORDS     0x08u   /* (fixed length only, not with TS_AT) the
			       * payload as 8-byte words, each column coded
			       * by its own mode (WORD_*), then the tail */
#define GRP_KEY_LO    0x10u   /* (encoding 3, WORDS only) the keyed
			       * columns' recency lists are per value of the
			       * LOW 32 bits of the key word (a task's pid:
			       * its threads share their comm and files) */
#define GRP_DICT_NEXT 0x20u   /* (encoding 3, WORDS only) in every DICT and
			       * KEYED column, the first miss code means "the
			       * next dictionary value not used yet": a value's
			       * first use costs one repeated symbol, not its
			       * index */
#define GRP_INHERIT   0x40u   /* (encoding 4, WORDS and DICT_NEXT only) the
			       * group's DICT and KEYED columns continue the
			       * base block's same columns: its dictionary
			       * values and recency lists (blockdicts.c) */
#define GRP_ESC       0x80u   /* (encoding 5, WORDS only) the DICT and KEYED
			       * columns whose codes take 2 bytes write them
			       * escaped: a byte each, 255 for a code of 255
			       * or more, whose rest (code - 255) goes in two
			       * byte columns of those records only.  zstd
			       * codes each byte column alone: a high byte
			       * plane of mostly zeros cost ~0.5 bit a record */
#define GRP_FLAGS     (GRP_CPU_RUN | GRP_FIXED_LEN | GRP_TS_AT | GRP_WORDS | GRP_KEY_LO | \
		       GRP_DICT_NEXT | GRP_INHERIT | GRP_ESC)
/* The escape byte of GRP_ESC's code columns. */
#define CODE_ESC      255u
/* The ts column's modes (encodings 7 and 8: a mode byte first; FORMAT.md
 * "ts column") and the context mode's limits (blockts.c). */
#define TS_PLANES     0u      /* dmin, then byte planes of the deltas less dmin */
#define TS_CTX        1u      /* dmin, then a byte per delta less dmin in
			       * columns by the previous one's (blockts.c) */
#define TS_NMODES     2u
#define TS_CODE_ESC   255u    /* a TS_CTX byte: the value is 255 + the next
			       * of the escape planes */
#define TS_CTX_MAX    8u      /* contexts a reader takes */
#define TS_CTX_WRITE_MAX 4u   /* contexts the writer makes */
#define TS_CTX_MIN_RECORDS 2048u   /* the writer's smallest context (a zstd
				    * block of its own: CUT_MIN_BYTES) */
#define TS_CTX_TABLE_BITS 512.0    /* what a context's own zstd block and
				    * table cost, roughly (the plan's price) */
/* Groups smaller than this keep TS_PLANES (the context mode's few bytes of
 * counts cost more than they save). */
#define TS_CTX_MIN_GROUP 64u
/* A TS_CTX column's head: at most nctx, 7 bounds, 8 counts, ne. */
#define TS_CTX_HEAD_MAX (1u + 7u * 10u + 8u * 5u + 5u)

struct ts_ctx_plan {
	uint32_t nctx;                  /* 1..TS_CTX_MAX */
	uint64_t thr[TS_CTX_MAX - 1];   /* ascending, from 1: a record's context
					 * is how many of them its previous
					 * record's value reaches (record 0's
					 * previous: 0) */
	uint32_t n[TS_CTX_MAX];         /* (the writer's) records per context */
	uint32_t ne;                    /* (the writer's) escaped records */
};
struct ts_ctx_head {
	struct ts_ctx_plan plan;
	uint32_t n[TS_CTX_MAX];   /* records per context: they add up to c */
	uint32_t ne;              /* escaped records */
	unsigned mask;            /* their escape planes (after the c bytes
				   * of the contexts' columns: the caller
				   * reads it) */
};
/* Where ts_ctx__put wrote its byte columns (for the writer's zstd block
 * ends): the contexts' columns, then the escape planes. */
struct ts_ctx_cols {
	uint32_t n;
	uint8_t *at[TS_CTX_MAX + 8];
	uint32_t len[TS_CTX_MAX + 8];
};
/* The writer's contexts for the c values v (deltas less dmin); scratch:
 * TS_PLAN_SCRATCH bytes when c >= 2 * TS_CTX_MIN_RECORDS (else unused:
 * one context). */
#define TS_PLAN_SCRATCH ((16u * 256u + 256u) * 4u)
void ts_ctx__plan(const uint64_t *v, uint32_t c, uint32_t *scratch, struct ts_ctx_plan *pl);
/* pl's counts (n, ne) for the c values v under its contexts (nctx, thr):
 * an earlier plan's contexts taken again. */
void ts_ctx__count(const uint64_t *v, uint32_t c, struct ts_ctx_plan *pl);
/* Writes the column after dmin at p (at most TS_CTX_HEAD_MAX + 1 + 9 * c
 * bytes); esc: scratch for pl->ne values.  Returns the end. */
uint8_t *ts_ctx__put(uint8_t *p, const uint64_t *v, uint32_t c, const struct ts_ctx_plan *pl,
		     uint64_t *esc, struct ts_ctx_cols *cols);
/* Reads the head of a column (after dmin) of c records from *pp (before
 * end), checked: contexts, ascending bounds, counts that add up to c, the
 * escapes' (not the mask after the columns).  0 and *pp past it, or -1
 * with *why set. */
int ts_ctx__head(const uint8_t **pp, const uint8_t *end, uint32_t c, struct ts_ctx_head *h,
		 const char **why);
/* The c values of the columns at p (c bytes, the mask, ne bytes per
 * plane of h->mask: present): 0, or -1
 * when a context's column or the escapes run out or are left over. */
int ts_ctx__values(const uint8_t *p, const struct ts_ctx_head *h, uint32_t c, uint64_t *v);

/* Fewest body bytes a group takes: stream id, count, flags, dmin, ts plane
 * mask, one cpu and one length varint of one byte each. */
#define GRP_BODY_MIN  7u

/* How one 8-byte word column of a GRP_WORDS group is coded.  Every coded
 * column is stored transposed by byte, like plain payloads. */
enum word_mode {
	WORD_RAW = 0,      /* the value */
	WORD_XOR = 1,      /* value ^ previous value (0 when it repeats) */
	WORD_DELTA = 2,    /* zigzag(value - previous): counters, sizes */
	WORD_DELTA32 = 3,  /* the same on each 32-bit half: pid|tid pairs */
	WORD_DICT = 4,     /* index into the group's dictionary of values */
	WORD_TS = 5,       /* the record's ts: not stored */
	WORD_NMODES,
	/* Encoding 2: mode WORD_KEYED + k, a dictionary whose recency lists
	 * are kept per value of word k (k < the column's word, coded
	 * WORD_DICT; one key word per group): a task's comm and its recent
	 * files cost a few bits, however tasks interleave. */
	WORD_KEYED = 8
};
#define KEYED_MAX_KEY (255 - WORD_KEYED)   /* the mode is a byte */
#define KEYED_MAX_VALUES (65536 - 2 * DICT_MRU)   /* codes fit in 2 bytes */
#define DICT_MIN_RECORDS 16      /* smaller groups: no dictionaries */
#define DICT_MRU 8               /* recently used values coded by recency */
#define DICT_MAX_VALUES (65536 - DICT_MRU)   /* codes fit in 2 bytes */
#define DICT_HTAB_SLOTS (2 * 65536)          /* a power of 2 >= 2 * DICT_MAX_VALUES */

/* Dictionary codes: a value among the DICT_MRU most recently used ones is
 * coded by its rank there (0 = same as the last), any other one by
 * DICT_MRU + its index.  Bursts of the same few values (one task's pid, its
 * files) then cost a few bits, not the log2 of the dictionary. */
struct mru {
	uint32_t ix[DICT_MRU];
	uint32_t n;
};

/* Rank of ix in m, or -1 if absent; either way ix moves to the front. */
static inline int mru_use(struct mru *m, uint32_t ix)
{
	uint32_t r;
	int found;

	for (r = 0; r < m->n && m->ix[r] != ix; r++)
		;
	found = r < m->n;
	if (!found) {
		if (m->n < DICT_MRU)
			m->n++;
		r = m->n - 1;   /* the oldest one falls out (or an empty slot) */
	}
	for (; r > 0; r--)   /* r < DICT_MRU: a loop beats a call to memmove */
		m->ix[r] = m->ix[r - 1];
	m->ix[0] = ix;
	return found ? (int)r : -1;
}

/* The decoder's side of mru_use, where the code already says the rank:
 * the value at rank r (< m->n) moves to the front... */
static inline void mru_front(struct mru *m, uint32_t r)
{
	uint32_t ix = m->ix[r];

#ifdef __SSE2__
	/* The list as 2 x 4 lanes, each from its left neighbour up to rank r
	 * and kept past it: no loop of r steps (which GCC made a call to
	 * memmove, per dictionary code), whatever r. */
	_Static_assert(DICT_MRU == 8, "mru_front's lanes");
	__m128i a0 = _mm_loadu_si128((const __m128i *)m->ix);         /* 0..3 */
	__m128i a1 = _mm_loadu_si128((const __m128i *)(m->ix + 1));   /* 1..4 */
	__m128i b0 = _mm_loadu_si128((const __m128i *)(m->ix + 3));   /* 3..6 */
	__m128i b1 = _mm_loadu_si128((const __m128i *)(m->ix + 4));   /* 4..7 */
	__m128i rr = _mm_set1_epi32((int)r);
	__m128i ka = _mm_cmpgt_epi32(_mm_setr_epi32(1, 2, 3, 4), rr);  /* past r: kept */
	__m128i kb = _mm_cmpgt_epi32(_mm_setr_epi32(4, 5, 6, 7), rr);

	_mm_storeu_si128((__m128i *)(m->ix + 1),
			 _mm_or_si128(_mm_and_si128(ka, a1), _mm_andnot_si128(ka, a0)));
	_mm_storeu_si128((__m128i *)(m->ix + 4),
			 _mm_or_si128(_mm_and_si128(kb, b1), _mm_andnot_si128(kb, b0)));
#else
	for (; r > 0; r--)
		m->ix[r] = m->ix[r - 1];
#endif
	m->ix[0] = ix;
}

/* ...and a value coded as absent from the list goes in front, the oldest
 * one falling out.  For what the encoder writes, the same lists as
 * mru_use's without its search; a hostile block can only put a value in a
 * list twice, whose ranks stay within n. */
static inline void mru_push(struct mru *m, uint32_t ix)
{
	uint32_t older[DICT_MRU - 1];

	if (m->n < DICT_MRU)
		m->n++;
	/* every slot one down, a fixed-size copy (a loop of n steps was a
	 * call to memmove): slots at or past n are never read */
	memcpy(older, m->ix, sizeof(older));
	memcpy(m->ix + 1, older, sizeof(older));
	m->ix[0] = ix;
}

/* What a block leaves to the blocks of its chain (encoding 4, FORMAT.md
 * "Chained dictionaries"): per dictionary column of a WORDS group, its
 * values and its recency lists as they stand after its last record.  The
 * decoder fills it (block_decoder__decode_chain); the encoder keeps its own
 * kind (values, not indexes, in its lists: blockenc.c). */
struct bd_col {
	uint32_t stream, L, w;
	uint8_t mode;          /* WORD_DICT or WORD_KEYED + k */
	uint8_t key_lo;        /* the group's GRP_KEY_LO */
	bool vals_ok;          /* vals and the lists were rebuilt; false: only
				* the column's shape (mode, nvals, nkeys) is
				* known, enough to step over the next block's
				* column but not to decode it */
	uint32_t nvals;
	uint64_t *vals;
	struct mru mru;        /* the column's list */
	uint32_t nkeys;        /* KEYED: a list per key class, klists[0..nkeys) */
	struct mru *klists;
};

/* A projected decode (block_decoder__want) leaves a partial state: the
 * dictionary columns it decoded whole, the shape of those it stepped over,
 * and nothing past where its walk stopped.  The next block of the chain,
 * decoded under the same projection, needs no more; a decode that needs
 * more fails with -ESTALE (bd_lookup) rather than guess. */
struct block_dicts {
	uint32_t crc;          /* hdr_crc of the block that left it */
	uint32_t depth;        /* blocks in its chain: 1 for a block with no base */
	bool valid;            /* filled by a successful decode */
	bool too_big;          /* over CAP_CHAIN_STATE_MAX: no block may inherit */
	bool partial;          /* some column shape only (!vals_ok), or stopped */
	bool stopped;          /* the walk stopped before the body's end: known
				* are the groups of streams below reach_stream
				* and, of the group (reach_stream, reach_L),
				* the words below reach_w */
	uint64_t reach_stream;
	uint32_t reach_L, reach_w;
	uint32_t n, cap;
	struct bd_col *cols;
	size_t bytes;          /* values and lists held (or, shape only, that
				* a whole decode would hold: the cap is the
				* same however the block is decoded) */
};

/* blockdicts.c: empties s (keeps its memory); the column of (stream, L, w)
 * or NULL; a new column appended, with vals and klists to fill when
 * vals_ok, its shape alone otherwise (NULL: out of memory or over the cap,
 * which sets too_big). */
void bd_clear(struct block_dicts *s);
const struct bd_col *bd_find(const struct block_dicts *s, uint32_t stream, uint32_t L, uint32_t w);
struct bd_col *bd_add(struct block_dicts *s, uint32_t stream, uint32_t L, uint32_t w,
		      uint32_t nvals, uint32_t nkeys, bool vals_ok);
/* What s says of the column (stream, L, w): 0 with *c the column, or NULL
 * when the block that left s had none; -ESTALE when s does not say (a
 * projected decode's walk stopped before it). */
int bd_lookup(const struct block_dicts *s, uint32_t stream, uint32_t L, uint32_t w,
	      const struct bd_col **c);

/* One appended record.  Entries live at the top of the arena, growing
 * down; payload bytes at the bottom, growing up: one allocation, and the
 * capacity bounds both. */
struct bb_ent {
	uint64_t ts_ns;
	uint32_t cpu;
	uint32_t len;
	uint32_t off;          /* payload offset in the arena */
	uint32_t slot;         /* index into blockbuf.slots */
};
_Static_assert(sizeof(struct bb_ent) == 24, "bb_ent layout");
_Static_assert(CAP_BLOCK_MAX_RECORDS == CAP_BLOCKBUF_MAX_BYTES / sizeof(struct bb_ent),
	       "a full blockbuf holds at most CAP_BLOCK_MAX_RECORDS records");

/* blocktr64.c: whether this CPU runs cap_tr64_avx2, which transposes the
 * words of records first + 64 * i (64-byte records one after the other,
 * entry e0 - i each) into words[w * c + i], four at a time, ORs each word
 * column into wor[w], clears *ts_ok unless word tsw of each is its
 * entry's ts_ns, and returns how many it did (c rounded down to 4). */
bool cap_tr64_avx2_ok(void);
uint32_t cap_tr64_avx2(uint64_t *words, uint32_t c, const uint8_t *first,
		       const struct bb_ent *e0, uint32_t tsw, uint64_t wor[8], bool *ts_ok);

struct bb_slot {
	uint32_t stream;
	uint32_t count;
	uint64_t min_ts, max_ts;
};

#define BB_HASH_SIZE (2 * CAP_BLOCK_MAX_STREAMS)   /* power of 2, load <= 1/2 */

struct blockbuf {
	uint8_t *arena;
	size_t cap;            /* arena bytes, multiple of 8 */
	size_t used;           /* payload bytes */
	uint32_t n;            /* records */
	uint32_t nslots;
	uint32_t last_stream;  /* one-entry cache for the common run of one stream */
	uint32_t last_slot;    /* UINT32_MAX: cache empty */
	uint64_t min_ts, max_ts;
	struct bb_slot slots[CAP_BLOCK_MAX_STREAMS];
	uint16_t hash[BB_HASH_SIZE];   /* slot + 1, 0: empty */
};

static inline struct bb_ent *bb_ent(const struct blockbuf *b, uint32_t i)
{
	return (struct bb_ent *)(b->arena + b->cap) - 1 - i;
}

static inline int grow(void **buf, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	void *p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

#define TILE 64   /* records per transposition tile: keeps source lines in cache */

/* Transposes an 8x8 byte matrix held as 8 little-endian rows: byte k of
 * x[i] trades places with byte i of x[k].  Its own inverse. */
static inline __attribute__((always_inline)) void tr8(uint64_t x[8])
{
	uint64_t t;

#define TR_SWAP(a, b, shift, mask) \
	(t = ((x[a] >> (shift)) ^ x[b]) & (mask), x[a] ^= t << (shift), x[b] ^= t)
	TR_SWAP(0, 4, 32, 0x00000000FFFFFFFFull);
	TR_SWAP(1, 5, 32, 0x00000000FFFFFFFFull);
	TR_SWAP(2, 6, 32, 0x00000000FFFFFFFFull);
	TR_SWAP(3, 7, 32, 0x00000000FFFFFFFFull);
	TR_SWAP(0, 2, 16, 0x0000FFFF0000FFFFull);
	TR_SWAP(1, 3, 16, 0x0000FFFF0000FFFFull);
	TR_SWAP(4, 6, 16, 0x0000FFFF0000FFFFull);
	TR_SWAP(5, 7, 16, 0x0000FFFF0000FFFFull);
	TR_SWAP(0, 1, 8, 0x00FF00FF00FF00FFull);
	TR_SWAP(2, 3, 8, 0x00FF00FF00FF00FFull);
	TR_SWAP(4, 5, 8, 0x00FF00FF00FF00FFull);
	TR_SWAP(6, 7, 8, 0x00FF00FF00FF00FFull);
#undef TR_SWAP
}

/* blockrun.c: a fast block's zstd frame, made without zstd's compressor:
 * src[0..n) as one zstd frame (content size and checksum set, as every
 * block's) into dst[0..cap), each run of at least 2^lg (3..6) bytes equal
 * to the byte before an RLE block, the bytes between raw blocks.  0 with
 * its size in *frame_len; -EINVAL (lg), -ENOSPC (cap too small: at most
 * 3 bytes more per 128 KiB of src and 17 in all suffice).
 * cap_xxh64: xxHash's XXH64 of buf[0..n) (the low 32 bits are a zstd
 * frame's content checksum). */
int runz__frame(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, unsigned lg,
		size_t *frame_len);
uint64_t cap_xxh64(const void *buf, size_t n, uint64_t seed);

/* Block header (blockhdr.c; its parse is cap_internal.h's
 * cap_block_parse_header, which accepts encodings CAP_BLOCK_ENCODING_MIN ..
 * CAP_BLOCK_ENCODING).  cap_block_frame_crc: the CRC of the frame's head
 * that the header carries. */
uint32_t cap_block_frame_crc(const uint8_t *f, size_t flen);
/* GRP_KEY_LO: each value of the key word's dictionary (nd values) gets
 * the class of the smallest index whose value has the same low 32 bits,
 * in cls[0..nd) (each < nd); tmp holds nd u64s of scratch.  Writer and
 * reader compute it the same way from the dictionary alone. */
void cap_key_classes(const uint64_t *dict, uint32_t nd, uint64_t *tmp, uint32_t *cls);

void cap_block_fill_header(uint8_t *h, const struct cap_block_meta *m, uint32_t nstreams,
			   unsigned encoding);
/* The body's encoding of a header cap_block_parse_header accepted. */
static inline unsigned cap_block_encoding(const uint8_t *h)
{
	return cap_get_le16(h + 6);
}

#endif
