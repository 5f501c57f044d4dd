/* block.c - blockbuf (drain side), block_encoder (writer side) and
 * block_decoder (reader side, untrusted input).  Layout: schema/FORMAT.md,
 * "Block".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "block.h"
#include "cap_internal.h"

static const uint8_t block_magic[4] = { 'B', 'R', 'B', 'K' };
static const uint8_t seg_magic[8] = { 'B', 'P', 'F', 'R', 'E', 'C', 'S', 'G' };

#define GRP_CPU_RUN   0x01u   /* one cpu value for the whole group */
#define GRP_FIXED_LEN 0x02u   /* one length; payload transposed */
#define GRP_TS_AT     0x04u   /* (fixed length only) every payload holds its
			       * record's ts as a u64 at one offset: those 8
			       * byte columns are left out and rebuilt */
#define GRP_WORDS     0x08u   /* (fixed length only, not with TS_AT) the
			       * payload as 8-byte words, each column coded
			       * by its own mode (WORD_*), then the tail */
#define GRP_FLAGS     (GRP_CPU_RUN | GRP_FIXED_LEN | GRP_TS_AT | GRP_WORDS)
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
	WORD_NMODES
};
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

/* Worst-case body bytes: per record ts (10) + cpu (5) + len (5); per group
 * stream (5) + count (5) + flags (1) + cpu run (5) + fixed len (5) + ts
 * offset (5). */
#define REC_BODY_MAX 20u
#define GRP_BODY_MAX 26u

/* ------------------------------------------------------------------ */
/* blockbuf                                                            */

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

static inline uint32_t bb_hash(uint32_t stream)
{
	return (stream * 0x9E3779B1u) >> (32 - 11);
}
_Static_assert(BB_HASH_SIZE == 1u << 11, "bb_hash bits");

struct blockbuf *blockbuf__new(size_t cap_bytes)
{
	struct blockbuf *b;

	cap_bytes &= ~(size_t)7;
	if (cap_bytes < sizeof(struct bb_ent) || cap_bytes > CAP_BLOCKBUF_MAX_BYTES) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->arena = malloc(cap_bytes);
	if (!b->arena) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	b->cap = cap_bytes;
	blockbuf__reset(b);
	return b;
}

void blockbuf__free(struct blockbuf *b)
{
	if (!b)
		return;
	free(b->arena);
	free(b);
}

void blockbuf__reset(struct blockbuf *b)
{
	b->used = 0;
	b->n = 0;
	b->nslots = 0;
	b->last_slot = UINT32_MAX;
	b->min_ts = UINT64_MAX;
	b->max_ts = 0;
	memset(b->hash, 0, sizeof(b->hash));
}

/* Slot of stream, adding it; UINT32_MAX when the block has no room for
 * another stream. */
static uint32_t bb_slot_of(struct blockbuf *b, uint32_t stream)
{
	uint32_t h = bb_hash(stream);

	for (;;) {
		uint16_t v = b->hash[h];
		if (!v)
			break;
		if (b->slots[v - 1].stream == stream)
			return v - 1;
		h = (h + 1) & (BB_HASH_SIZE - 1);
	}
	if (b->nslots == CAP_BLOCK_MAX_STREAMS)
		return UINT32_MAX;
	uint32_t s = b->nslots++;
	b->slots[s] = (struct bb_slot){ .stream = stream, .min_ts = UINT64_MAX };
	b->hash[h] = (uint16_t)(s + 1);
	return s;
}

int blockbuf__add(struct blockbuf *b, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		  const void *data, uint32_t len)
{
	size_t need = b->used + len + ((size_t)b->n + 1) * sizeof(struct bb_ent);
	uint32_t slot;

	if (need > b->cap)
		return (size_t)len + sizeof(struct bb_ent) > b->cap ? -E2BIG : -ENOSPC;
	if (b->last_slot != UINT32_MAX && b->last_stream == stream) {
		slot = b->last_slot;
	} else {
		slot = bb_slot_of(b, stream);
		if (slot == UINT32_MAX)
			return -ENOSPC;  /* too many streams: cannot happen on an empty block */
		b->last_stream = stream;
		b->last_slot = slot;
	}

	struct bb_ent *e = bb_ent(b, b->n++);
	e->ts_ns = ts_ns;
	e->cpu = cpu;
	e->len = len;
	e->off = (uint32_t)b->used;
	e->slot = slot;
	if (len)
		memcpy(b->arena + b->used, data, len);
	b->used += len;

	struct bb_slot *s = &b->slots[slot];
	s->count++;
	if (ts_ns < s->min_ts)
		s->min_ts = ts_ns;
	if (ts_ns > s->max_ts)
		s->max_ts = ts_ns;
	if (ts_ns < b->min_ts)
		b->min_ts = ts_ns;
	if (ts_ns > b->max_ts)
		b->max_ts = ts_ns;
	return 0;
}

uint32_t blockbuf__count(const struct blockbuf *b)
{
	return b->n;
}

size_t blockbuf__bytes(const struct blockbuf *b)
{
	return b->used + (size_t)b->n * sizeof(struct bb_ent);
}

void blockbuf__for_each_stream(const struct blockbuf *b,
			       void (*fn)(uint32_t stream, uint32_t count, uint64_t min_ts,
					  uint64_t max_ts, void *ctx),
			       void *ctx)
{
	for (uint32_t i = 0; i < b->nslots; i++)
		fn(b->slots[i].stream, b->slots[i].count, b->slots[i].min_ts,
		   b->slots[i].max_ts, ctx);
}

/* ------------------------------------------------------------------ */
/* block header                                                        */

size_t block__max_enc_bytes(size_t max_raw_bytes)
{
	return CAP_BLOCK_HDR_BYTES + ZSTD_compressBound(max_raw_bytes);
}

/* zstd ignores some frame header bits (the "unused" FHD bit, a larger window
 * descriptor still decodes), so the block header carries a CRC32 of the
 * frame's first bytes: the whole frame header (at most 18 bytes) and the
 * start of its first block. */
#define FRAME_HEAD_CRC_BYTES 18

static uint32_t frame_head_crc(const uint8_t *f, size_t flen)
{
	return (uint32_t)crc32(0, f, flen < FRAME_HEAD_CRC_BYTES ? (uInt)flen : FRAME_HEAD_CRC_BYTES);
}

/* The frame follows the header in h. */
static void block_fill_header(uint8_t *h, const struct cap_block_meta *m, uint32_t nstreams)
{
	memcpy(h, block_magic, 4);
	cap_put_le16(h + 4, CAP_FORMAT_VERSION);
	cap_put_le16(h + 6, CAP_BLOCK_ENCODING);
	cap_put_le32(h + 8, m->enc_bytes);
	cap_put_le32(h + 12, m->raw_bytes);
	cap_put_le32(h + 16, m->nrecords);
	cap_put_le32(h + 20, nstreams);
	cap_put_le64(h + 24, m->min_ts_ns);
	cap_put_le64(h + 32, m->max_ts_ns);
	cap_put_le32(h + 40, frame_head_crc(h + CAP_BLOCK_HDR_BYTES, m->enc_bytes - CAP_BLOCK_HDR_BYTES));
	cap_put_le32(h + 44, (uint32_t)crc32(0, h, 44));
}

/* Also returns the stream count through *nstreams (may be NULL). */
static int block_parse_header(const uint8_t *h, size_t len, struct cap_block_meta *m,
			      uint32_t *nstreams, char *err, size_t errlen)
{
	if (len < CAP_BLOCK_HDR_BYTES) {
		cap_seterr(err, errlen, "truncated block header (%zu of %d bytes)", len,
			   CAP_BLOCK_HDR_BYTES);
		return -EBADMSG;
	}
	if (memcmp(h, block_magic, 4)) {
		cap_seterr(err, errlen, "bad block magic %02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
		return -EBADMSG;
	}
	uint32_t crc = (uint32_t)crc32(0, h, 44);
	if (cap_get_le32(h + 44) != crc) {
		cap_seterr(err, errlen, "block header CRC mismatch (stored %08x, computed %08x)",
			   cap_get_le32(h + 44), crc);
		return -EBADMSG;
	}
	if (cap_get_le16(h + 4) != CAP_FORMAT_VERSION || cap_get_le16(h + 6) != CAP_BLOCK_ENCODING) {
		cap_seterr(err, errlen, "unsupported block version %u encoding %u (this build reads %d/%d)",
			   cap_get_le16(h + 4), cap_get_le16(h + 6), CAP_FORMAT_VERSION,
			   CAP_BLOCK_ENCODING);
		return -EBADMSG;
	}
	struct cap_block_meta mm = {
		.enc_bytes = cap_get_le32(h + 8),
		.raw_bytes = cap_get_le32(h + 12),
		.nrecords = cap_get_le32(h + 16),
		.min_ts_ns = cap_get_le64(h + 24),
		.max_ts_ns = cap_get_le64(h + 32),
	};
	uint32_t ns = cap_get_le32(h + 20);
	if (mm.enc_bytes < CAP_BLOCK_HDR_BYTES) {
		cap_seterr(err, errlen, "block size %u smaller than its header", mm.enc_bytes);
		return -EBADMSG;
	}
	if (mm.nrecords > CAP_BLOCK_MAX_RECORDS) {
		cap_seterr(err, errlen, "block header claims %u records (at most %u)", mm.nrecords,
			   (unsigned)CAP_BLOCK_MAX_RECORDS);
		return -EBADMSG;
	}
	/* A record may cost no body byte at all (constant fixed-layout events:
	 * empty planes, a run cpu, one length), so records are not bounded by
	 * raw_bytes; groups are: each takes at least GRP_BODY_MIN bytes. */
	if (ns > mm.nrecords || (mm.nrecords && !ns) ||
	    1 + (uint64_t)ns * GRP_BODY_MIN > mm.raw_bytes ||
	    (mm.nrecords && mm.min_ts_ns > mm.max_ts_ns)) {
		cap_seterr(err, errlen, "inconsistent block header (%u records, %u streams, %u raw bytes)",
			   mm.nrecords, ns, mm.raw_bytes);
		return -EBADMSG;
	}
	if (m)
		*m = mm;
	if (nstreams)
		*nstreams = ns;
	return 0;
}

int cap_block_parse_header(const void *buf, size_t len, struct cap_block_meta *meta,
			   char *err, size_t errlen)
{
	return block_parse_header(buf, len, meta, NULL, err, errlen);
}

int block__parse_header(const void *buf, size_t len, uint32_t *enc_bytes,
			struct cap_block_meta *meta)
{
	struct cap_block_meta m;
	int rc = block_parse_header(buf, len, &m, NULL, NULL, 0);

	if (rc)
		return rc;
	if (enc_bytes)
		*enc_bytes = m.enc_bytes;
	if (meta)
		*meta = m;
	return 0;
}

/* ------------------------------------------------------------------ */
/* segment header                                                      */

void cap_segment__fill_header(uint8_t out[CAP_SEG_HDR_BYTES])
{
	memcpy(out, seg_magic, 8);
	cap_put_le32(out + 8, CAP_FORMAT_VERSION);
	cap_put_le32(out + 12, CAP_SEG_HDR_BYTES);
}

int cap_segment__parse_header(const void *buf, size_t len, char *err, size_t errlen)
{
	const uint8_t *p = buf;

	if (len < CAP_SEG_HDR_BYTES) {
		cap_seterr(err, errlen, "truncated segment header (%zu of %d bytes)", len,
			   CAP_SEG_HDR_BYTES);
		return -EBADMSG;
	}
	if (memcmp(p, seg_magic, 8)) {
		cap_seterr(err, errlen, "not a bpfrec segment (bad magic)");
		return -EBADMSG;
	}
	if (cap_get_le32(p + 8) != CAP_FORMAT_VERSION) {
		cap_seterr(err, errlen, "segment format version %u not supported (this build reads %d)",
			   cap_get_le32(p + 8), CAP_FORMAT_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (cap_get_le32(p + 12) != CAP_SEG_HDR_BYTES) {
		cap_seterr(err, errlen, "segment header size %u, expected %d",
			   cap_get_le32(p + 12), CAP_SEG_HDR_BYTES);
		return -EBADMSG;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* encoder                                                             */

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
	struct dict_slot *htab;   /* open addressing, DICT_HTAB_SLOTS slots */
	uint32_t hgen;         /* slots of another generation are empty */
	uint32_t hmask;        /* slots in use - 1: sized to the dictionary's
				* limit, so a small one stays in cache */
	struct block_decoder *check;   /* BPFREC_BLOCK_SELFCHECK: decodes each block */
};

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
	free(e->col);
	free(e->words);
	free(e->dict);
	free(e->htab);
	block_decoder__free(e->check);
	free(e);
}

static int grow(void **buf, size_t *cap, size_t need)
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

#define TILE 64   /* records per transposition tile: keeps source lines in cache */

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

static inline uint64_t undelta32(uint64_t z, uint64_t prev)
{
	uint32_t zl = (uint32_t)z, zh = (uint32_t)(z >> 32);
	uint32_t lo = (zl >> 1) ^ -(zl & 1), hi = (zh >> 1) ^ -(zh & 1);

	return (uint64_t)((uint32_t)prev + lo) | (uint64_t)((uint32_t)(prev >> 32) + hi) << 32;
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

static inline uint32_t dict_hash(uint64_t key)
{
	key *= 0x9E3779B97F4A7C15ull;
	return (uint32_t)(key >> 40);
}

/* The index of key in the encoder's current dictionary, adding it; -1 when
 * the dictionary is full. */
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

static int64_t dict_index(struct block_encoder *e, uint64_t key, uint32_t *nvals, uint32_t max)
{
	uint32_t h = dict_hash(key) & e->hmask;

	for (;; h = (h + 1) & e->hmask) {
		struct dict_slot *s = &e->htab[h];

		if (s->gen != e->hgen)
			break;
		if (s->key == key)
			return s->idx;
	}
	if (*nvals >= max)
		return -1;
	e->dict[*nvals] = key;
	/* The table grows with the dictionary (load <= 1/2), so a small one
	 * stays in cache: most dictionaries hold a few thousand values. */
	if (2 * (*nvals + 1) > e->hmask + 1 && e->hmask + 1 < DICT_HTAB_SLOTS) {
		e->hmask = 2 * (e->hmask + 1) - 1;
		dict_new_gen(e);
		for (uint32_t i = 0; i < *nvals; i++)
			dict_put(e, e->dict[i], i);
	}
	dict_put(e, key, *nvals);
	return (*nvals)++;
}

/* Empties the dictionary. */
static void dict_reset(struct block_encoder *e)
{
	e->hmask = 1024 - 1;
	dict_new_gen(e);
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
	if (np == 1 && plane[0] == 0) {   /* small values: dictionary codes */
		for (; i < n; i++)
			dst[0][i] = (uint8_t)v[i];
		return p + n;
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t x[8];

		for (j = 0; j < 8; j++)
			x[j] = v[i + j];
		tr8(x);
		for (j = 0; j < np; j++)
			memcpy(dst[j] + i, &x[plane[j]], 8);
	}
	for (; i < n; i++)
		for (j = 0; j < np; j++)
			dst[j][i] = (uint8_t)(v[i] >> (8 * plane[j]));
	return p + (size_t)np * n;
}

/* The inverse: n values from the planes in mask at p (absent planes: 0). */
static void get_planes(const uint8_t *p, uint32_t n, unsigned mask, uint64_t *v)
{
	const uint8_t *src[8];
	int plane[8], np = 0, j;
	uint32_t i = 0;

	for (int k = 0; k < 8; k++)
		if (mask & (1u << k)) {
			src[np] = p + (size_t)np * n;
			plane[np++] = k;
		}
	if (np == 1 && plane[0] == 0) {
		for (; i < n; i++)
			v[i] = src[0][i];
		return;
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t x[8] = { 0 };

		for (j = 0; j < np; j++)
			memcpy(&x[plane[j]], src[j] + i, 8);
		tr8(x);
		for (j = 0; j < 8; j++)
			v[i + j] = x[j];
	}
	for (; i < n; i++) {
		v[i] = 0;
		for (j = 0; j < np; j++)
			v[i] |= (uint64_t)src[j][i] << (8 * plane[j]);
	}
}

/* The payloads of a fixed-length group as coded word columns (GRP_WORDS). */
static uint8_t *encode_words(struct block_encoder *e, const struct blockbuf *b,
			     const uint32_t *ord, uint32_t c, uint32_t L, int64_t ts_word,
			     uint8_t *p)
{
	uint32_t W = L / 8, tail = L % 8, i, w;
	uint8_t *modes = p;
	uint64_t *col;
	uint8_t *tailb = (uint8_t *)(e->words + (size_t)W * c);

	/* One pass over the records, each read once, instead of one per word
	 * column (a new cache line per record and column, out of cache for a
	 * block of several MiB): the column passes below run over contiguous
	 * arrays. */
	bool ts_ok = true;
	for (i = 0; i < c; i++) {
		const struct bb_ent *ent = bb_ent(b, ord[i]);
		const uint8_t *r = b->arena + ent->off;

		if (i + PREFETCH_AHEAD < c)
			__builtin_prefetch(b->arena + bb_ent(b, ord[i + PREFETCH_AHEAD])->off);
		for (w = 0; w < W; w++)
			e->words[(size_t)w * c + i] = word_at(r, w);
		for (uint32_t k = 0; k < tail; k++)
			tailb[(size_t)k * c + i] = r[(size_t)W * 8 + k];
		if (ts_word >= 0)
			ts_ok &= e->words[(size_t)ts_word * c + i] == ent->ts_ns;
	}
	if (!ts_ok)   /* not the ts in every record: a word like the others */
		ts_word = -1;
	p += W;
	for (w = 0; w < W; w++) {
		enum word_mode m = w == ts_word ? WORD_TS : pick_word_mode(e, c, w);
		uint64_t prev = 0;

		col = e->words + (size_t)w * c;
		if (m == WORD_DICT) {
			/* The whole group's dictionary, while it stays worth it. */
			uint32_t nvals = 0, max = c / 2 < DICT_MAX_VALUES ? c / 2 : DICT_MAX_VALUES;
			struct vmru mru = { .n = 0 };

			dict_reset(e);
			for (i = 0; i < c; i++) {
				uint64_t v = col[i];
				int64_t ix = 0;
				int rank;

				if (i && v == prev) {   /* rank 0: the last value again */
					e->col[i] = 0;
					continue;
				}
				prev = v;
				rank = vmru_use(&mru, v);
				if (rank < 0) {
					ix = dict_index(e, v, &nvals, max);
					if (ix < 0)
						break;
				}
				e->col[i] = rank >= 0 ? (uint64_t)rank : DICT_MRU + (uint64_t)ix;
			}
			if (i < c) {
				m = WORD_XOR;
				prev = 0;
			} else {
				unsigned dm = plane_mask(e->dict, nvals);

				modes[w] = WORD_DICT;
				p = cap_put_varint(p, nvals);
				*p++ = (uint8_t)dm;
				p = put_planes(p, e->dict, nvals, dm);
				p = put_planes(p, e->col, c, nvals + DICT_MRU <= 256 ? 1 : 3);
				continue;
			}
		}
		modes[w] = (uint8_t)m;
		if (m == WORD_TS)
			continue;
		uint64_t any = 0;
		for (i = 0; i < c; i++) {
			uint64_t v = col[i], x = code_word(m, v, prev);

			e->col[i] = x;
			any |= x;
			prev = v;
		}
		/* Planes that are all zero (a counter's high bytes) are left out. */
		unsigned pm = bytes_mask(any);

		*p++ = (uint8_t)pm;
		p = put_planes(p, e->col, c, pm);
	}
	memcpy(p, tailb, (size_t)tail * c);
	return p + (size_t)tail * c;
}

/* The offset at which every payload of a fixed-length group holds its
 * record's ts as a little-endian u64, or -1. */
static int64_t find_ts_offset(const struct blockbuf *b, const uint32_t *ord, uint32_t c,
			      uint32_t from)
{
	const struct bb_ent *e0 = bb_ent(b, ord[0]);
	const uint8_t *p0 = b->arena + e0->off;

	for (uint32_t o = from; e0->len >= 8 && o <= e0->len - 8; o++) {
		uint64_t v;
		uint32_t i;

		memcpy(&v, p0 + o, 8);
		if (v != e0->ts_ns)
			continue;
		for (i = 1; i < c; i++) {
			const struct bb_ent *ei = bb_ent(b, ord[i]);

			if (i + PREFETCH_AHEAD < c)
				__builtin_prefetch(b->arena + bb_ent(b, ord[i + PREFETCH_AHEAD])->off + o);
			memcpy(&v, b->arena + ei->off + o, 8);
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
	int rc = block_parse_header(e->out, enc_bytes, &m, NULL, err, sizeof(err));

	if (!rc && m.nrecords != b->n) {
		snprintf(err, sizeof(err), "its header says %u records", m.nrecords);
		rc = -EPROTO;
	}
#ifdef BPFREC_BLOCK_SELFCHECK
	const struct cap_rec *recs;
	uint32_t nrecs;

	if (!rc && !e->check && !(e->check = block_decoder__new(CAP_BLOCK_MAX_RAW)))
		return -ENOMEM;
	if (!rc)
		rc = block_decoder__decode(e->check, e->out, enc_bytes, &recs, &nrecs, err,
					   sizeof(err));
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

int block_encoder__encode(struct block_encoder *e, const struct blockbuf *b,
			  const uint8_t **out, size_t *out_len, struct cap_block_meta *meta)
{
	uint32_t n = b->n, k = b->nslots;
	/* GRP_WORDS adds a mode byte per word and at most 3 varint bytes per
	 * dictionary (a dictionary is used only while it saves bytes). */
	size_t bound = b->used + b->used / 2 + (size_t)n * REC_BODY_MAX +
		       (size_t)k * GRP_BODY_MAX + 10;

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
	for (uint32_t i = 0; i < n; i++)
		e->order[e->pos[bb_ent(b, i)->slot]++] = i;

	uint64_t base_ts = n ? b->min_ts : 0;
	uint8_t *p = e->raw;
	const uint32_t *ord = e->order;

	p = cap_put_varint(p, k);
	for (uint32_t g = 0; g < k; g++) {
		const struct bb_slot *s = &b->slots[e->sorted[g]];
		uint32_t c = s->count;
		const struct bb_ent *e0 = bb_ent(b, ord[0]);
		bool cpu_run = true, fixed = true;

		for (uint32_t i = 1; i < c && (cpu_run || fixed); i++) {
			const struct bb_ent *ei = bb_ent(b, ord[i]);
			cpu_run &= ei->cpu == e0->cpu;
			fixed &= ei->len == e0->len;
		}
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
			if (!e->htab || !e->dict)
				return -ENOMEM;
		}
		p = cap_put_varint(p, s->stream);
		p = cap_put_varint(p, c);
		*p++ = (cpu_run ? GRP_CPU_RUN : 0) | (fixed ? GRP_FIXED_LEN : 0) |
		       (words ? GRP_WORDS : ts_at >= 0 ? GRP_TS_AT : 0);

		/* ts deltas as byte planes: the empty high planes cost nothing and
		 * zstd sees the low ones without varint continuation bits. */
		uint64_t prev = base_ts;
		int64_t dmin = INT64_MAX;
		if (grow((void **)&e->col, &e->col_cap, (size_t)c * 8))
			return -ENOMEM;
		for (uint32_t i = 0; i < c; i++) {
			uint64_t ts = bb_ent(b, ord[i])->ts_ns;
			int64_t dlt = (int64_t)(ts - prev);
			e->col[i] = ts - prev;
			if (dlt < dmin)
				dmin = dlt;
			prev = ts;
		}
		/* Relative to the smallest delta: regular arrivals (100-160 ns
		 * apart) then fit one plane with no bias bits. */
		uint64_t any = 0;
		for (uint32_t i = 0; i < c; i++) {
			e->col[i] -= (uint64_t)dmin;
			any |= e->col[i];
		}
		p = cap_put_varint(p, cap_zigzag(dmin));
		unsigned tmask = bytes_mask(any);
		*p++ = (uint8_t)tmask;
		p = put_planes(p, e->col, c, tmask);
		if (cpu_run) {
			p = cap_put_varint(p, (uint32_t)(e0->cpu + 1));
		} else {
			for (uint32_t i = 0; i < c; i++)
				p = cap_put_varint(p, (uint32_t)(bb_ent(b, ord[i])->cpu + 1));
		}
		if (words) {
			p = cap_put_varint(p, e0->len);
			p = encode_words(e, b, ord, c, e0->len, ts_at >= 0 ? ts_at / 8 : -1, p);
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
					src[i] = b->arena + bb_ent(b, ord[i0 + i])->off;
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
				p = cap_put_varint(p, bb_ent(b, ord[i])->len);
			for (uint32_t i = 0; i < c; i++) {
				const struct bb_ent *ei = bb_ent(b, ord[i]);
				memcpy(p, b->arena + ei->off, ei->len);
				p += ei->len;
			}
		}
		ord += c;
	}

	size_t raw_len = (size_t)(p - e->raw);
	size_t obound = CAP_BLOCK_HDR_BYTES + ZSTD_compressBound(raw_len);
	if (grow((void **)&e->out, &e->out_cap, obound))
		return -ENOMEM;
	size_t z = ZSTD_compress2(e->cctx, e->out + CAP_BLOCK_HDR_BYTES,
				  e->out_cap - CAP_BLOCK_HDR_BYTES, e->raw, raw_len);
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
	block_fill_header(e->out, &m, k);
	int rc = block_encoder_check(e, b, m.enc_bytes);
	if (rc)
		return rc;
	*out = e->out;
	*out_len = m.enc_bytes;
	if (meta)
		*meta = m;
	return 0;
}

/* ------------------------------------------------------------------ */
/* decoder                                                             */

struct block_decoder {
	ZSTD_DCtx *dctx;
	size_t max_raw;
	uint8_t *raw;          /* decompressed body */
	size_t raw_cap;
	uint8_t *pay;          /* rebuilt fixed-length payloads */
	size_t pay_cap;
	uint32_t *pay_at;      /* per record: its offset in pay, while pay grows */
	size_t pay_at_cap;     /* bytes */
	uint64_t *dict;        /* a GRP_WORDS dictionary */
	size_t dict_cap;       /* bytes */
	uint64_t *col;         /* one GRP_WORDS column */
	size_t col_cap;        /* bytes */
	uint32_t want_stream;  /* CAP_STREAM_ALL: every stream */
	uint64_t *want_words;  /* NULL: every word */
	uint32_t want_nwords;  /* bits in want_words */
	/* Where pay is known to hold zeros in every word a projection does not
	 * decode: the one group of the last block that wrote into pay (so at
	 * its start), decoded with words skipped.  The next block's group of
	 * the same length, under the same projection (block_decoder__want
	 * clears this), then needs no memset of its payloads: a narrow query
	 * would otherwise zero every byte of every record. */
	struct {
		bool valid;
		uint64_t L;
		uint32_t c;        /* records' worth of clean payload bytes */
	} clean;
	uint32_t nout;         /* records handed out by the last decode */
	struct cap_rec *recs;
	size_t recs_cap;       /* bytes */
};

void block_decoder__want(struct block_decoder *d, const struct block_want *w)
{
	free(d->want_words);
	d->want_words = NULL;
	d->want_nwords = 0;
	d->want_stream = w ? w->stream : CAP_STREAM_ALL;
	d->clean.valid = false;
	if (w && w->words) {
		size_t n = (w->nwords + 63) / 64;

		d->want_words = malloc(n * sizeof(uint64_t));
		if (d->want_words) {   /* out of memory: decode every word */
			memcpy(d->want_words, w->words, n * sizeof(uint64_t));
			d->want_nwords = w->nwords;
		}
	}
}

static inline int word_wanted(const struct block_decoder *d, uint32_t w)
{
	return !d->want_words ||
	       (w < d->want_nwords && (d->want_words[w / 64] >> (w % 64) & 1));
}

struct block_decoder *block_decoder__new(size_t max_raw_bytes)
{
	struct block_decoder *d;

	if (!max_raw_bytes || max_raw_bytes > UINT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->dctx = ZSTD_createDCtx();
	if (!d->dctx) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	/* The frame is decoded in one shot into a buffer of the declared size,
	 * so no window buffer is allocated; still refuse windows larger than
	 * a block could need. */
	int wlog = 10;
	while (wlog < 31 && ((size_t)1 << wlog) < max_raw_bytes)
		wlog++;
	ZSTD_DCtx_setParameter(d->dctx, ZSTD_d_windowLogMax, wlog);
	d->max_raw = max_raw_bytes;
	d->want_stream = CAP_STREAM_ALL;
	return d;
}

void block_decoder__free(struct block_decoder *d)
{
	if (!d)
		return;
	ZSTD_freeDCtx(d->dctx);
	free(d->raw);
	free(d->pay);
	free(d->pay_at);
	free(d->dict);
	free(d->col);
	free(d->want_words);
	free(d->recs);
	free(d);
}

#define BAD(...) do { cap_seterr(err, errlen, __VA_ARGS__); return -EBADMSG; } while (0)

static inline uint64_t decode_word(enum word_mode m, uint64_t x, uint64_t prev)
{
	switch (m) {
	case WORD_XOR: return x ^ prev;
	case WORD_DELTA: return prev + (uint64_t)cap_unzigzag(x);
	case WORD_DELTA32: return undelta32(x, prev);
	default: return x;
	}
}

/* Rebuilds the payloads of a GRP_WORDS group into dst (c records of L
 * bytes).  *pp advances over the group's columns.  dst NULL: the group is
 * not wanted, only stepped over (sizes checked).  clean_c: records at dst
 * whose words not decoded are known to be 0 already.  *skipped: set when
 * some words were not decoded. */
static int decode_words(struct block_decoder *d, const uint8_t **pp, const uint8_t *end,
			struct cap_rec *r, uint32_t c, uint32_t L, uint8_t *dst, uint64_t stream,
			uint32_t clean_c, bool *skipped, char *err, size_t errlen)
{
	const uint8_t *p = *pp, *modes = p;
	uint32_t W = L / 8, tail = L % 8, i, w;
	int some_skipped = 0;
	uint64_t *col;

	if ((size_t)(end - p) < W)
		BAD("stream %" PRIu64 ": truncated word modes", stream);
	for (w = 0; dst && w < W; w++)
		some_skipped |= !word_wanted(d, w);
	if (dst && tail)       /* the tail is "word" W: unwanted, it must read 0 too */
		some_skipped |= !word_wanted(d, W);
	*skipped = some_skipped;
	if (some_skipped && c > clean_c)   /* words not decoded read as 0 */
		memset(dst + (size_t)clean_c * L, 0, (size_t)(c - clean_c) * L);
	if (grow((void **)&d->col, &d->col_cap, (size_t)c * 8)) {
		cap_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	col = d->col;
	p += W;
	for (w = 0; w < W; w++) {
		enum word_mode m = modes[w];
		uint8_t *out = dst ? dst + (size_t)w * 8 : NULL;   /* NULL + n is UB */
		uint64_t prev = 0, nd;
		unsigned mask;

		int want = dst && word_wanted(d, w);

		if (m >= WORD_NMODES)
			BAD("stream %" PRIu64 ": word %u: unknown mode %u", stream, w, m);
		if (m == WORD_TS) {
			for (i = 0; want && i < c; i++)
				memcpy(out + (size_t)i * L, &r[i].ts_ns, 8);
			continue;
		}
		if (m == WORD_DICT) {
			struct mru mru = { .n = 0 };
			uint32_t width;

			if (cap_get_varint(&p, end, &nd) || nd == 0 || nd > c || nd > DICT_MAX_VALUES)
				BAD("stream %" PRIu64 ": word %u: bad dictionary size", stream, w);
			if (p >= end)
				BAD("stream %" PRIu64 ": word %u: truncated dictionary", stream, w);
			mask = *p++;
			width = nd + DICT_MRU <= 256 ? 1 : 2;
			if ((uint64_t)(end - p) <
			    nd * (uint64_t)__builtin_popcount(mask) + (uint64_t)c * width)
				BAD("stream %" PRIu64 ": word %u: dictionary overruns the block", stream, w);
			if (!want) {
				p += nd * (uint64_t)__builtin_popcount(mask) + (size_t)c * width;
				continue;
			}
			if (grow((void **)&d->dict, &d->dict_cap, nd * 8)) {
				cap_seterr(err, errlen, "out of memory");
				return -ENOMEM;
			}
			get_planes(p, (uint32_t)nd, mask, d->dict);
			p += nd * (uint64_t)__builtin_popcount(mask);
			get_planes(p, c, width == 1 ? 1 : 3, col);
			p += (size_t)c * width;
			for (i = 0; i < c; i++) {
				uint64_t x = col[i];

				if (x < DICT_MRU) {
					if (x >= mru.n)
						BAD("stream %" PRIu64 ": word %u: recency %" PRIu64
						    " of %u values used so far", stream, w, x, mru.n);
					x = mru.ix[x];
				} else if ((x -= DICT_MRU) >= nd) {
					BAD("stream %" PRIu64 ": word %u: index %" PRIu64 " past its "
					    "dictionary of %" PRIu64, stream, w, x, nd);
				}
				if (col[i])
					mru_use(&mru, (uint32_t)x);
				memcpy(out + (size_t)i * L, &d->dict[x], 8);
			}
			continue;
		}
		if (p >= end)
			BAD("stream %" PRIu64 ": word %u: truncated plane mask", stream, w);
		mask = *p++;
		if ((uint64_t)(end - p) < (uint64_t)c * __builtin_popcount(mask))
			BAD("stream %" PRIu64 ": word %u overruns the block", stream, w);
		if (!want) {
			p += (size_t)c * __builtin_popcount(mask);
			continue;
		}
		get_planes(p, c, mask, col);
		p += (size_t)c * __builtin_popcount(mask);
		for (i = 0; i < c; i++) {
			prev = decode_word(m, col[i], prev);
			memcpy(out + (size_t)i * L, &prev, 8);
		}
	}
	if ((uint64_t)(end - p) < (uint64_t)c * tail)
		BAD("stream %" PRIu64 ": payload tail overruns the block", stream);
	for (uint32_t k = 0; dst && word_wanted(d, W) && k < tail; k++)
		for (i = 0; i < c; i++)
			dst[(size_t)i * L + (size_t)W * 8 + k] = p[(size_t)k * c + i];
	p += (size_t)c * tail;
	*pp = p;
	return 0;
}

static int decode_body(struct block_decoder *d, const struct cap_block_meta *m,
		       uint32_t nstreams_hdr, char *err, size_t errlen)
{
	const uint8_t *p = d->raw, *end = d->raw + m->raw_bytes;
	struct cap_rec *recs = d->recs;
	uint64_t nstreams, v;
	uint32_t total = 0, nout = 0;   /* records in the body, handed out */
	size_t pay_off = 0;
	int64_t prev_stream = -1;
	/* What the last block left clean in pay, and whether this one, too,
	 * writes into pay from one projected group only (decode_words). */
	uint32_t pay_groups = 0;
	__typeof__(d->clean) was = d->clean;

	d->clean.valid = false;

	if (cap_get_varint(&p, end, &nstreams))
		BAD("body: stream count varint overrun");
	if (nstreams != nstreams_hdr)
		BAD("body: %" PRIu64 " streams, header says %u", nstreams, nstreams_hdr);

	for (uint64_t g = 0; g < nstreams; g++) {
		uint64_t stream, count;

		if (cap_get_varint(&p, end, &stream) || stream > UINT32_MAX)
			BAD("stream group %" PRIu64 ": bad stream id", g);
		if ((int64_t)stream <= prev_stream)
			BAD("stream group %" PRIu64 ": stream %" PRIu64 " out of order", g, stream);
		prev_stream = (int64_t)stream;
		if (cap_get_varint(&p, end, &count) || count == 0 || count > m->nrecords - total)
			BAD("stream %" PRIu64 ": bad record count", stream);
		if (p >= end)
			BAD("stream %" PRIu64 ": truncated group flags", stream);
		uint8_t flags = *p++;
		if (flags & ~GRP_FLAGS)
			BAD("stream %" PRIu64 ": unknown group flags 0x%02x", stream, flags);

		uint32_t c = (uint32_t)count;
		/* A group of another stream than the one wanted is parsed (its
		 * sizes checked) into the same slots and not handed out. */
		int want = d->want_stream == CAP_STREAM_ALL || stream == d->want_stream;
		struct cap_rec *r = recs + nout;
		uint64_t prev = m->min_ts_ns, dmin;
		if (cap_get_varint(&p, end, &dmin))
			BAD("stream %" PRIu64 ": bad smallest timestamp delta", stream);
		dmin = (uint64_t)cap_unzigzag(dmin);
		if (p >= end)
			BAD("stream %" PRIu64 ": truncated timestamp planes", stream);
		unsigned tmask = *p++;
		if ((uint64_t)(end - p) < (uint64_t)c * __builtin_popcount(tmask))
			BAD("stream %" PRIu64 ": timestamps overrun the block", stream);
		if (grow((void **)&d->col, &d->col_cap, (size_t)c * 8)) {
			cap_seterr(err, errlen, "out of memory");
			return -ENOMEM;
		}
		get_planes(p, c, tmask, d->col);
		p += (size_t)c * __builtin_popcount(tmask);
		for (uint32_t i = 0; i < c; i++) {
			uint64_t ts = prev + dmin + d->col[i];   /* wrapping, as written */
			if (ts < m->min_ts_ns || ts > m->max_ts_ns)
				BAD("stream %" PRIu64 ": timestamp %" PRIu64 " outside the block's [%" PRIu64
				    ", %" PRIu64 "]", stream, ts, m->min_ts_ns, m->max_ts_ns);
			r[i].stream = (uint32_t)stream;
			r[i].ts_ns = ts;
			prev = ts;
		}
		if (flags & GRP_CPU_RUN) {
			if (cap_get_varint(&p, end, &v) || v > UINT32_MAX)
				BAD("stream %" PRIu64 ": bad cpu", stream);
			for (uint32_t i = 0; i < c; i++)
				r[i].cpu = (uint32_t)v - 1;
		} else {
			for (uint32_t i = 0; i < c; i++) {
				if (cap_get_varint(&p, end, &v) || v > UINT32_MAX)
					BAD("stream %" PRIu64 ": bad cpu", stream);
				r[i].cpu = (uint32_t)v - 1;
			}
		}
		if ((flags & (GRP_TS_AT | GRP_WORDS)) && !(flags & GRP_FIXED_LEN))
			BAD("stream %" PRIu64 ": ts-in-payload or words flag without a fixed length",
			    stream);
		if ((flags & GRP_TS_AT) && (flags & GRP_WORDS))
			BAD("stream %" PRIu64 ": both ts-in-payload and words flags", stream);
		if (flags & GRP_FIXED_LEN) {
			uint64_t L, ts_at = 0, kept;
			if (cap_get_varint(&p, end, &L) || L > UINT32_MAX)
				BAD("stream %" PRIu64 ": bad record length", stream);
			if ((flags & GRP_TS_AT) &&
			    (cap_get_varint(&p, end, &ts_at) || L < 8 || ts_at > L - 8))
				BAD("stream %" PRIu64 ": bad timestamp offset", stream);
			if ((flags & GRP_WORDS) && L < 8)
				BAD("stream %" PRIu64 ": words flag on %" PRIu64 "-byte records", stream, L);
			/* Rebuilt payloads may be larger than the body that codes
			 * them (dictionaries, ts): bounded by what a writer's block
			 * can hold.  pay may move as it grows: offsets until the end. */
			if (pay_off + L * c > CAP_BLOCKBUF_MAX_BYTES)
				BAD("stream %" PRIu64 ": payloads larger than a block can hold", stream);
			if (want && grow((void **)&d->pay, &d->pay_cap, pay_off + L * c + 1)) {
				cap_seterr(err, errlen, "out of memory");
				return -ENOMEM;
			}
			uint8_t *dst = want ? d->pay + pay_off : NULL;
			pay_groups += want;
			if (pay_groups > 1)   /* its records may overlap the clean region next time */
				d->clean.valid = false;
			if (flags & GRP_WORDS) {
				/* pay_groups == 1: the first group written, at pay's start. */
				bool reuse = want && pay_groups == 1 && was.valid && was.L == L;
				bool skipped = false;
				int rc = decode_words(d, &p, end, r, c, (uint32_t)L, dst, stream,
						      reuse ? was.c : 0, &skipped, err, errlen);
				if (rc)
					return rc;
				if (want && skipped && pay_groups == 1) {
					d->clean.valid = true;
					d->clean.L = L;
					d->clean.c = reuse && was.c > c ? was.c : c;
				}
			} else if (!want) {
				kept = flags & GRP_TS_AT ? L - 8 : L;
				if (kept * c > (uint64_t)(end - p))
					BAD("stream %" PRIu64 ": %u records of %" PRIu64
					    " bytes overrun the block", stream, c, L);
				p += kept * c;
			} else {
				kept = flags & GRP_TS_AT ? L - 8 : L;
				uint64_t bytes = kept * c;   /* both < 2^32: no overflow */
				if (bytes > (uint64_t)(end - p))
					BAD("stream %" PRIu64 ": %u records of %" PRIu64
					    " bytes overrun the block", stream, c, L);
				for (uint32_t i0 = 0; i0 < c && L; i0 += TILE) {
					uint32_t t = c - i0 < TILE ? c - i0 : TILE;
					for (uint64_t j = 0, jk = 0; j < L; j++) {
						if ((flags & GRP_TS_AT) && j >= ts_at && j < ts_at + 8)
							continue;
						const uint8_t *src = p + jk++ * c + i0;
						for (uint32_t i = 0; i < t; i++)
							dst[(i0 + i) * L + j] = src[i];
					}
				}
				if (flags & GRP_TS_AT)
					for (uint32_t i = 0; i < c; i++)
						memcpy(dst + (size_t)i * L + ts_at, &r[i].ts_ns, 8);
				p += bytes;
			}
			for (uint32_t i = 0; want && i < c; i++) {
				r[i].len = (uint32_t)L;
				r[i].data = NULL;   /* set from pay_at once pay stops moving */
				d->pay_at[nout + i] = (uint32_t)(pay_off + (size_t)i * L);
			}
			if (want)
				pay_off += L * c;
		} else {
			uint64_t sum = 0;
			for (uint32_t i = 0; i < c; i++) {
				if (cap_get_varint(&p, end, &v) || v > UINT32_MAX)
					BAD("stream %" PRIu64 ": bad record length", stream);
				r[i].len = (uint32_t)v;
				sum += v;   /* < 2^32 * 2^32: no overflow */
			}
			if (sum > (uint64_t)(end - p))
				BAD("stream %" PRIu64 ": record lengths (%" PRIu64
				    " bytes) overrun the block", stream, sum);
			for (uint32_t i = 0; i < c; i++) {
				r[i].data = p;
				p += r[i].len;
			}
		}
		total += c;
		if (want)
			nout += c;
	}
	if (total != m->nrecords)
		BAD("body holds %u records, header says %u", total, m->nrecords);
	if (p != end)
		BAD("%zu trailing bytes after the last stream group", (size_t)(end - p));
	for (uint32_t i = 0; i < nout; i++)
		if (!recs[i].data)
			recs[i].data = d->pay + d->pay_at[i];
	d->nout = nout;
	return 0;
}

int block_decoder__decode(struct block_decoder *d, const void *buf, size_t len,
			  const struct cap_rec **recs, uint32_t *nrecs,
			  char *err, size_t errlen)
{
	const uint8_t *h = buf;
	struct cap_block_meta m;
	uint32_t nstreams;
	int rc;

	rc = block_parse_header(h, len, &m, &nstreams, err, errlen);
	if (rc)
		return rc;
	if (m.enc_bytes != len)
		BAD("block size %u in header, %zu bytes given", m.enc_bytes, len);
	if (m.raw_bytes > d->max_raw)
		BAD("decoded size %u exceeds the cap of %zu bytes", m.raw_bytes, d->max_raw);

	const uint8_t *f = h + CAP_BLOCK_HDR_BYTES;
	size_t flen = len - CAP_BLOCK_HDR_BYTES;
	if (frame_head_crc(f, flen) != cap_get_le32(h + 40))
		BAD("zstd frame header damaged (CRC mismatch)");
	/* One zstd frame, with a content checksum and the exact content size. */
	if (flen < 6 || cap_get_le32(f) != ZSTD_MAGICNUMBER)
		BAD("not a zstd frame");
	if (!(f[4] & 0x04))
		BAD("zstd frame has no content checksum");
	unsigned long long csize = ZSTD_getFrameContentSize(f, flen);
	if (csize == ZSTD_CONTENTSIZE_ERROR || csize == ZSTD_CONTENTSIZE_UNKNOWN)
		BAD("zstd frame header is damaged or has no content size");
	if (csize != m.raw_bytes)
		BAD("zstd frame content size %llu, header says %u", csize, m.raw_bytes);
	size_t fsize = ZSTD_findFrameCompressedSize(f, flen);
	if (ZSTD_isError(fsize))
		BAD("zstd: %s", ZSTD_getErrorName(fsize));
	if (fsize != flen)
		BAD("zstd frame is %zu bytes, block holds %zu", fsize, flen);

	if (grow((void **)&d->raw, &d->raw_cap, (size_t)m.raw_bytes + 1) ||
	    grow((void **)&d->pay_at, &d->pay_at_cap, ((size_t)m.nrecords + 1) * sizeof(uint32_t)) ||
	    grow((void **)&d->recs, &d->recs_cap, ((size_t)m.nrecords + 1) * sizeof(struct cap_rec))) {
		cap_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	size_t z = ZSTD_decompressDCtx(d->dctx, d->raw, m.raw_bytes, f, flen);
	if (ZSTD_isError(z)) {
		ZSTD_DCtx_reset(d->dctx, ZSTD_reset_session_only);
		BAD("zstd: %s", ZSTD_getErrorName(z));
	}
	if (z != m.raw_bytes)
		BAD("zstd frame decoded to %zu bytes, header says %u", z, m.raw_bytes);

	rc = decode_body(d, &m, nstreams, err, errlen);
	if (rc)
		return rc;
	*recs = d->recs;
	*nrecs = d->nout;
	return 0;
}
