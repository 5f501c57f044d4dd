/* blockdec.c - block_decoder (reader side, untrusted input): one block
 * checked and decompressed, its body parsed back to records.
 */
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_d_stableOutBuffer */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "block_internal.h"

/* A projected decode reads the body only as far as it has decompressed it:
 * under ASan the rest is poisoned, so a walk that reads past it fails. */
#if defined(__SANITIZE_ADDRESS__)
#define BD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BD_ASAN 1
#endif
#endif
#ifdef BD_ASAN
#include <sanitizer/asan_interface.h>
#define RAW_POISON(a, n) ASAN_POISON_MEMORY_REGION(a, n)
#define RAW_UNPOISON(a, n) ASAN_UNPOISON_MEMORY_REGION(a, n)
#else
#define RAW_POISON(a, n) ((void)(a), (void)(n))
#define RAW_UNPOISON(a, n) ((void)(a), (void)(n))
#endif

/* A projected decode gives zstd this much more of the frame at a time. */
#define PART_IN_STEP (16u << 10)

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
	uint32_t *keyix;       /* the group's key word: each record's dictionary index */
	size_t keyix_cap;      /* bytes */
	struct mru *kmru;      /* a keyed dictionary's recency lists, by key index */
	size_t kmru_cap;       /* bytes */
	uint64_t *kcls;        /* GRP_KEY_LO: the key classes' scratch (nd u64s
				* then each index's class, nd u32s) */
	size_t kcls_cap;       /* bytes */
	uint32_t want_stream;  /* CAP_STREAM_ALL: every stream */
	uint64_t *want_words;  /* NULL: every word */
	uint32_t want_nwords;  /* bits in want_words */
	bool want_compact;     /* block_want.compact (with want_words) */
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
	/* Chained dictionaries (encoding 4): what the block's base left, and
	 * where this block's own go (NULL: not wanted; then dictionary columns
	 * a projection skips are not rebuilt). */
	const struct block_dicts *base;
	struct block_dicts *out;
	bool chain_full;       /* block_decoder__chain_full */
	bool all_dicts;        /* this decode rebuilds every dictionary column
				* (out, and no projection or chain_full) */
	bool state_only;       /* this decode hands out no records (decode_chain
				* with recs NULL): only what it leaves */
	uint32_t stop_w;       /* where decode_words stopped, words walked */
	/* A projected decode (a projection set; with dictionaries to leave,
	 * not chain_full) decompresses the frame as the body walk reaches it
	 * (body_more) and stops after the last part the projection needs: the
	 * rest of the frame is never decompressed, nor its checksum checked. */
	bool part;             /* this decode is one */
	bool zdone;            /* its frame ended: all of it decompressed, checksum checked */
	size_t have;           /* bytes of raw decompressed so far (all of it for a full decode) */
	size_t raw_bytes;      /* the body's size */
	ZSTD_inBuffer zin;     /* zin.size: how much of the frame zstd may read yet */
	size_t zin_end;        /* the frame's size */
	ZSTD_outBuffer zout;
	size_t in_step;        /* frame bytes given to zstd at a time */
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
	d->want_compact = false;
	d->clean.valid = false;
	if (w && w->words) {
		size_t n = (w->nwords + 63) / 64;

		d->want_words = malloc(n * sizeof(uint64_t));
		if (d->want_words) {   /* out of memory: decode every word */
			memcpy(d->want_words, w->words, n * sizeof(uint64_t));
			d->want_nwords = w->nwords;
			d->want_compact = w->compact;
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
	/* A projected decode streams into the body's buffer itself (no window
	 * buffer, no copy); a zstd without the option buffers and copies. */
	ZSTD_DCtx_setParameter(d->dctx, ZSTD_d_stableOutBuffer, 1);
	d->max_raw = max_raw_bytes;
	d->in_step = PART_IN_STEP;
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
	free(d->keyix);
	free(d->kcls);
	free(d->kmru);
	free(d->want_words);
	free(d->recs);
	free(d);
}

void block_decoder__chain_full(struct block_decoder *d, bool on)
{
	d->chain_full = on;
}

void block_decoder__step(struct block_decoder *d, size_t in_bytes)
{
	d->in_step = in_bytes ? in_bytes : PART_IN_STEP;
}

size_t block_decoder__raw_read(const struct block_decoder *d)
{
	return d->have;
}

#define BAD(...) do { cap_seterr(err, errlen, __VA_ARGS__); return -EBADMSG; } while (0)
/* The base's dictionaries were left by a projected decode that did not
 * rebuild what this decode needs (block_decoder__chain_full). */
#define STALE(...) do { cap_seterr(err, errlen, __VA_ARGS__); return -ESTALE; } while (0)

/* A projected decode: continues the frame until the body's first need
 * bytes (at most all of it) are decompressed, or with to_end until the
 * frame ends (its checksum checked).  zstd decodes whole blocks of the
 * frame (up to 128 KiB), so it runs ahead of the walk by up to one. */
static int body_run(struct block_decoder *d, size_t need, bool to_end, char *err, size_t errlen)
{
	if (need > d->raw_bytes)
		need = d->raw_bytes;
	if (need <= d->have && (!to_end || d->zdone || !d->part))
		return 0;
	if (!d->part)   /* a full decode has it all */
		BAD("body walk past its decompressed bytes");
	RAW_UNPOISON(d->raw + d->have, d->raw_bytes - d->have);
	while ((to_end || d->zout.pos < need) && !d->zdone) {
		size_t in0 = d->zin.pos, out0 = d->zout.pos, size0 = d->zin.size;

		if (d->zin.pos == d->zin.size && d->zin.size < d->zin_end)
			d->zin.size = d->zin_end - d->zin.size > d->in_step ?
				      d->zin.size + d->in_step : d->zin_end;
		size_t z = ZSTD_decompressStream(d->dctx, &d->zout, &d->zin);
		if (ZSTD_isError(z)) {
			d->have = d->zout.pos;
			RAW_POISON(d->raw + d->have, d->raw_bytes - d->have);
			BAD("zstd: %s", ZSTD_getErrorName(z));
		}
		d->zdone = z == 0;
		/* Every round consumes input, makes output or gives zstd more:
		 * at most about frame + body rounds. */
		if (d->zin.pos == in0 && d->zout.pos == out0 && d->zin.size == size0 && !d->zdone)
			break;
	}
	d->have = d->zout.pos;
	RAW_POISON(d->raw + d->have, d->raw_bytes - d->have);
	if (d->have < need)
		BAD("zstd frame decoded to %zu bytes, the body needs %zu", d->have, need);
	if (to_end && !d->zdone)
		BAD("zstd frame does not end");
	return 0;
}

static int body_more(struct block_decoder *d, size_t need, char *err, size_t errlen)
{
	return body_run(d, need, false, err, errlen);
}

/* The body up to p + n is decompressed (n checked against the body's end
 * first, or small: a varint's 10 bytes).  A full decode has it all. */
#define NEED(p, n) do { \
		size_t need_ = (size_t)((p) - d->raw) + (size_t)(n); \
		if (need_ > d->have) { \
			int rc_ = body_more(d, need_, err, errlen); \
			if (rc_) \
				return rc_; \
		} \
	} while (0)
/* GRP_ESC's codes: n bytes at p, each the code or CODE_ESC, then the low
 * and high bytes of (code - CODE_ESC) of the nesc escaped ones; -1 unless
 * exactly nesc bytes say CODE_ESC. */
static int get_escaped(const uint8_t *p, uint32_t n, uint32_t nesc, uint64_t *v)
{
	const uint8_t *lo = p + n, *hi = lo + nesc;
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t b = p[i];

		if (b == CODE_ESC) {
			if (k == nesc)
				return -1;
			b += lo[k] | (uint64_t)hi[k] << 8;
			k++;
		}
		v[i] = b;
	}
	return k == nesc ? 0 : -1;
}

static inline uint64_t undelta32(uint64_t z, uint64_t prev)
{
	uint32_t zl = (uint32_t)z, zh = (uint32_t)(z >> 32);
	uint32_t lo = (zl >> 1) ^ -(zl & 1), hi = (zh >> 1) ^ -(zh & 1);

	return (uint64_t)((uint32_t)prev + lo) | (uint64_t)((uint32_t)(prev >> 32) + hi) << 32;
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
	if (!np) {   /* every value 0 */
		memset(v, 0, (size_t)n * sizeof(*v));
		return;
	}
	if (np == 1 && plane[0] == 0) {   /* small values: dictionary codes */
#if defined(__SSE2__)
		const __m128i z = _mm_setzero_si128();

		for (; i + 16 <= n; i += 16) {   /* 16 bytes widened 3 times */
			__m128i b = _mm_loadu_si128((const __m128i *)(src[0] + i));
			__m128i w[2] = { _mm_unpacklo_epi8(b, z), _mm_unpackhi_epi8(b, z) };

			for (j = 0; j < 2; j++) {
				__m128i lo = _mm_unpacklo_epi16(w[j], z), hi = _mm_unpackhi_epi16(w[j], z);
				uint64_t *o = v + i + 8 * j;

				_mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi32(lo, z));
				_mm_storeu_si128((__m128i *)(o + 2), _mm_unpackhi_epi32(lo, z));
				_mm_storeu_si128((__m128i *)(o + 4), _mm_unpacklo_epi32(hi, z));
				_mm_storeu_si128((__m128i *)(o + 6), _mm_unpackhi_epi32(hi, z));
			}
		}
#endif
		for (; i < n; i++)
			v[i] = src[0][i];
		return;
	}
#if defined(__SSE2__)
	/* tr8 by interleaves, straight from the planes: a[k] pairs planes 2k
	 * and 2k + 1 byte by byte, b[] makes each value's 4-byte halves, c[]
	 * its 8 bytes (~25 instructions per 8 values where tr8 and the copy
	 * took ~100: the reader's hottest part after zstd) */
	for (; i + 8 <= n; i += 8) {
		__m128i r[8], a[4], b[4];

		for (j = 0; j < 8; j++)
			r[j] = _mm_setzero_si128();
		for (j = 0; j < np; j++)
			r[plane[j]] = _mm_loadl_epi64((const __m128i *)(src[j] + i));
		for (j = 0; j < 4; j++)
			a[j] = _mm_unpacklo_epi8(r[2 * j], r[2 * j + 1]);
		b[0] = _mm_unpacklo_epi16(a[0], a[1]);   /* values 0-3, bytes 0-3 */
		b[1] = _mm_unpackhi_epi16(a[0], a[1]);   /* values 4-7, bytes 0-3 */
		b[2] = _mm_unpacklo_epi16(a[2], a[3]);   /* values 0-3, bytes 4-7 */
		b[3] = _mm_unpackhi_epi16(a[2], a[3]);   /* values 4-7, bytes 4-7 */
		_mm_storeu_si128((__m128i *)(v + i), _mm_unpacklo_epi32(b[0], b[2]));
		_mm_storeu_si128((__m128i *)(v + i + 2), _mm_unpackhi_epi32(b[0], b[2]));
		_mm_storeu_si128((__m128i *)(v + i + 4), _mm_unpacklo_epi32(b[1], b[3]));
		_mm_storeu_si128((__m128i *)(v + i + 6), _mm_unpackhi_epi32(b[1], b[3]));
	}
#else
	for (; i + 8 <= n; i += 8) {
		uint64_t x[8] = { 0 };

		for (j = 0; j < np; j++)
			memcpy(&x[plane[j]], src[j] + i, 8);
		tr8(x);
		for (j = 0; j < 8; j++)
			v[i + j] = x[j];
	}
#endif
	for (; i < n; i++) {
		v[i] = 0;
		for (j = 0; j < np; j++)
			v[i] |= (uint64_t)src[j][i] << (8 * plane[j]);
	}
}

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
 * bytes, S apart: L, or less for a compact projection, whose words not
 * wanted are left as they are).  *pp advances over the group's columns.
 * grp_want: the group is wanted (its wanted words' dictionaries are
 * rebuilt, and left to out); dst NULL: no payload is written (the group
 * is not wanted, only stepped over with its sizes checked, or only what it
 * leaves to its chain is).  clean_c: records at dst
 * whose words not decoded are known to be 0 already.  *skipped: set when
 * some words were not decoded.  *stopped: on the way in, whether a projected
 * decode may stop in this group (its last need is here); on the way out,
 * whether it did, before the group's end (*pp then points there). */
static int decode_words(struct block_decoder *d, const uint8_t **pp, const uint8_t *end,
			struct cap_rec *r, uint32_t c, uint32_t L, uint32_t S, bool grp_want,
			uint8_t *dst, uint64_t stream, uint32_t clean_c, bool *skipped, bool *stopped,
			unsigned encoding, uint8_t flags, char *err, size_t errlen)
{
	const uint8_t *p = *pp, *modes = p;
	uint32_t W = L / 8, tail = L % 8, i, w, nkeys = 0;
	int some_skipped = 0;
	int64_t key_word = -1;   /* the group's key word (keyed dictionaries) */
	bool need_key = false;   /* some keyed column is decoded */
	bool key_cont = false;   /* the key word continued its base's column */
	uint64_t key_nall = 0;   /* the key word's dictionary size (its keys) */
	uint64_t *col;

	if ((size_t)(end - p) < W)
		BAD("stream %" PRIu64 ": truncated word modes", stream);
	NEED(p, W);
	/* Keyed dictionaries (encoding 2): all name one key word, before them,
	 * coded as a dictionary; its indexes are kept while it is decoded (even
	 * when a projection does not want its values). */
	for (w = 0; w < W; w++) {
		uint32_t k = (uint32_t)modes[w] - WORD_KEYED;

		if (modes[w] < WORD_KEYED)
			continue;
		if (encoding < 2)
			BAD("stream %" PRIu64 ": word %u: keyed dictionary in an encoding-%u block",
			    stream, w, encoding);
		if (k >= w || modes[k] != WORD_DICT || (key_word >= 0 && k != key_word))
			BAD("stream %" PRIu64 ": word %u: bad dictionary key word %u", stream, w, k);
		key_word = k;
		need_key |= (grp_want && word_wanted(d, w)) || d->all_dicts;
	}
	for (w = 0; dst && w < W; w++)
		some_skipped |= !word_wanted(d, w);
	if (dst && tail)       /* the tail is "word" W: unwanted, it must read 0 too */
		some_skipped |= !word_wanted(d, W);
	*skipped = some_skipped;
	/* A projected decode whose last needed part is in this group stops
	 * after its last wanted word (the key word comes before the columns
	 * keyed by it); with the tail wanted it reads the group to its end. */
	int64_t stop_at = INT64_MAX;
	if (*stopped) {
		stop_at = -1;
		for (w = 0; w < W; w++)
			if (word_wanted(d, w))
				stop_at = w;
		if (tail && word_wanted(d, W))
			stop_at = INT64_MAX;
	}
	*stopped = false;
	if (some_skipped && c > clean_c && S == L)   /* words not decoded read as 0 */
		memset(dst + (size_t)clean_c * L, 0, (size_t)(c - clean_c) * L);
	if (grow((void **)&d->col, &d->col_cap, (size_t)c * 8)) {
		cap_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	col = d->col;
	p += W;
	for (w = 0; w < W; w++) {
		if ((int64_t)w > stop_at) {
			*stopped = true;
			d->stop_w = w;
			*pp = p;
			return 0;
		}
		enum word_mode m = modes[w];
		uint8_t *out = dst ? dst + (size_t)w * 8 : NULL;   /* NULL + n is UB */
		uint64_t prev = 0, nd;
		unsigned mask;

		int want = grp_want && word_wanted(d, w);   /* decoded */
		int emit = want && dst;                     /* and written out */
		bool is_key = need_key && w == key_word, keyed = m >= WORD_KEYED;

		if (m >= WORD_NMODES && !keyed)
			BAD("stream %" PRIu64 ": word %u: unknown mode %u", stream, w, m);
		if (m == WORD_TS) {
			for (i = 0; emit && i < c; i++)
				memcpy(out + (size_t)i * S, &r[i].ts_ns, 8);
			continue;
		}
		if (m == WORD_DICT || keyed) {
			struct mru mru = { .n = 0 };
			uint32_t width;

			uint32_t lists = keyed ? 2 : 1;   /* recency lists: the key's, the column's */
			uint32_t next = !!(flags & GRP_DICT_NEXT);   /* the "next value" code */
			uint64_t nnew = 0;                          /* values used so far */
			/* GRP_INHERIT: the base's same column, when it had the
			 * same mode (and a keyed one's key word continued too),
			 * goes on: its values first, its lists as they stood. */
			const struct bd_col *bc = NULL;
			if ((flags & GRP_INHERIT) && bd_lookup(d->base, (uint32_t)stream, L, w, &bc))
				STALE("stream %" PRIu64 ": word %u: the dictionaries its base block "
				      "left were rebuilt for a projection that stopped before it",
				      stream, w);
			if (bc && (bc->mode != m ||
				   (keyed && (bc->key_lo != !!(flags & GRP_KEY_LO) || !key_cont))))
				bc = NULL;
			/* decoded: wanted, the key of a column that is, or all */
			bool rebuild = want || is_key || d->all_dicts;
			if (bc && rebuild && !bc->vals_ok)
				STALE("stream %" PRIu64 ": word %u: the dictionaries its base block "
				      "left were rebuilt for a projection without this word", stream, w);
			uint64_t ninh = bc ? bc->nvals : 0;

			NEED(p, 11);   /* nd, the mask */
			if (cap_get_varint(&p, end, &nd) || (nd == 0 && !ninh) || nd > c ||
			    ninh + nd > (keyed ? KEYED_MAX_VALUES : DICT_MAX_VALUES) - next)
				BAD("stream %" PRIu64 ": word %u: bad dictionary size", stream, w);
			if (p >= end)
				BAD("stream %" PRIu64 ": word %u: truncated dictionary", stream, w);
			mask = *p++;
			width = ninh + nd + lists * DICT_MRU + next <= 256 ? 1 : 2;
			/* the values' planes, then the codes: c * width bytes,
			 * or escaped (GRP_ESC) a byte each and 2 for each of
			 * the nesc records whose byte says CODE_ESC */
			uint64_t vbytes = nd * (uint64_t)__builtin_popcount(mask), nesc = 0;
			bool esc = width == 2 && (flags & GRP_ESC);
			unsigned nesc_len = 0;   /* the varint's bytes */
			if (esc) {
				if ((uint64_t)(end - p) < vbytes)
					BAD("stream %" PRIu64 ": word %u: dictionary overruns the block",
					    stream, w);
				const uint8_t *q = p + vbytes;
				NEED(q, 10);
				if (cap_get_varint(&q, end, &nesc) || nesc > c)
					BAD("stream %" PRIu64 ": word %u: bad escaped code count", stream,
					    w);
				nesc_len = (unsigned)(q - (p + vbytes));
			}
			uint64_t cbytes = esc ? (uint64_t)nesc_len + c + 2 * nesc :
					        (uint64_t)c * width;
			if ((uint64_t)(end - p) < vbytes + cbytes)
				BAD("stream %" PRIu64 ": word %u: dictionary overruns the block", stream, w);
			if (w == key_word) {   /* known whether or not it is decoded */
				key_nall = ninh + nd;
				key_cont = bc != NULL;
			}
			if (!rebuild) {
				p += vbytes + cbytes;
				/* what a whole decode would leave, but the values
				 * and lists: the next block steps over its column */
				if (d->out) {
					struct bd_col *o = bd_add(d->out, (uint32_t)stream, L, w,
								  (uint32_t)(ninh + nd),
								  keyed ? (uint32_t)key_nall : 0, false);
					if (o) {
						o->mode = (uint8_t)m;
						o->key_lo = !!(flags & GRP_KEY_LO);
					} else if (!d->out->too_big) {
						cap_seterr(err, errlen, "out of memory");
						return -ENOMEM;
					}
				}
				continue;
			}
			NEED(p, vbytes + cbytes);
			uint64_t nall = ninh + nd;
			if (grow((void **)&d->dict, &d->dict_cap, nall * 8) ||
			    (is_key && grow((void **)&d->keyix, &d->keyix_cap, (size_t)c * 4)) ||
			    (is_key && grow((void **)&d->kmru, &d->kmru_cap, nall * sizeof(*d->kmru)))) {
				cap_seterr(err, errlen, "out of memory");
				return -ENOMEM;
			}
			if (is_key)
				nkeys = (uint32_t)nall;
			if (keyed)   /* each key's list starts empty, or as the base left it */
				for (uint32_t k = 0; k < nkeys; k++)
					d->kmru[k] = bc && k < bc->nkeys ? bc->klists[k] :
						     (struct mru){ .n = 0 };
			if (bc) {
				memcpy(d->dict, bc->vals, ninh * 8);
				mru = bc->mru;
				nnew = ninh;
			}
			get_planes(p, (uint32_t)nd, mask, d->dict + ninh);
			nd = nall;
			p += (nd - ninh) * (uint64_t)__builtin_popcount(mask);
			if (esc) {
				p += nesc_len;
				if (get_escaped(p, c, (uint32_t)nesc, col))
					BAD("stream %" PRIu64 ": word %u: %" PRIu64 " escaped codes, "
					    "the codes say otherwise", stream, w, nesc);
			} else {
				get_planes(p, c, width == 1 ? 1 : 3, col);
			}
			p += esc ? c + 2 * nesc : (size_t)c * width;
			for (i = 0; i < c; i++) {
				/* the record's list: its key's (< nkeys, the key
				 * word's indexes) or the column's */
				struct mru *ml = keyed ? &d->kmru[d->keyix[i]] : &mru;
				uint64_t x = col[i];

				if (x < DICT_MRU) {
					if (x >= ml->n)
						BAD("stream %" PRIu64 ": word %u: recency %" PRIu64
						    " of %u values used so far", stream, w, x, ml->n);
					x = ml->ix[x];
				} else if (keyed && x < 2 * DICT_MRU) {
					if (x - DICT_MRU >= mru.n)
						BAD("stream %" PRIu64 ": word %u: recency %" PRIu64
						    " of %u values used so far", stream, w, x, mru.n);
					x = mru.ix[x - DICT_MRU];
				} else if (next) {
					/* first uses in dictionary order */
					if ((x -= lists * DICT_MRU) == 0 && nnew >= nd)
						BAD("stream %" PRIu64 ": word %u: a new value past its "
						    "dictionary of %" PRIu64, stream, w, nd);
					if (x == 0)
						x = nnew++;
					else if (--x >= nnew)
						BAD("stream %" PRIu64 ": word %u: index %" PRIu64 " of a "
						    "value not used yet (%" PRIu64 " used)", stream, w, x,
						    nnew);
				} else if ((x -= lists * DICT_MRU) >= nd) {
					BAD("stream %" PRIu64 ": word %u: index %" PRIu64 " past its "
					    "dictionary of %" PRIu64, stream, w, x, nd);
				}
				/* the lists move as the encoder's did (mru_use),
				 * the rank taken from the code: 0 leaves the list
				 * as it is */
				if (col[i] >= DICT_MRU)
					mru_push(ml, (uint32_t)x);
				else if (col[i])
					mru_front(ml, (uint32_t)col[i]);
				if (keyed && col[i] >= DICT_MRU) {   /* a key's miss: the column's list */
					if (col[i] < 2 * DICT_MRU)
						mru_front(&mru, (uint32_t)(col[i] - DICT_MRU));
					else
						mru_push(&mru, (uint32_t)x);
				}
				if (is_key)
					d->keyix[i] = (uint32_t)x;
				if (emit)
					memcpy(out + (size_t)i * S, &d->dict[x], 8);
			}
			if (d->out) {   /* what this column leaves */
				struct bd_col *o = bd_add(d->out, (uint32_t)stream, L, w, (uint32_t)nd,
							  keyed ? nkeys : 0, true);
				if (o) {
					memcpy(o->vals, d->dict, nd * 8);
					o->mode = (uint8_t)m;
					o->key_lo = !!(flags & GRP_KEY_LO);
					o->mru = mru;
					if (keyed)
						memcpy(o->klists, d->kmru, (size_t)nkeys * sizeof(*d->kmru));
				} else if (!d->out->too_big) {
					cap_seterr(err, errlen, "out of memory");
					return -ENOMEM;
				}
			}
			if (is_key && (flags & GRP_KEY_LO)) {   /* a list per low half of the key */
				if (grow((void **)&d->kcls, &d->kcls_cap, nd * 12)) {
					cap_seterr(err, errlen, "out of memory");
					return -ENOMEM;
				}
				uint32_t *cls = (uint32_t *)(d->kcls + nd);

				cap_key_classes(d->dict, (uint32_t)nd, d->kcls, cls);
				for (i = 0; i < c; i++)
					d->keyix[i] = cls[d->keyix[i]];
			}
			continue;
		}
		if (p >= end)
			BAD("stream %" PRIu64 ": word %u: truncated plane mask", stream, w);
		NEED(p, 1);
		mask = *p++;
		if ((uint64_t)(end - p) < (uint64_t)c * __builtin_popcount(mask))
			BAD("stream %" PRIu64 ": word %u overruns the block", stream, w);
		if (!emit) {
			p += (size_t)c * __builtin_popcount(mask);
			continue;
		}
		if (!mask) {   /* no plane: every value 0, in every mode (prev stays 0) */
			for (i = 0; i < c; i++)
				memset(out + (size_t)i * S, 0, 8);
			continue;
		}
		NEED(p, (size_t)c * __builtin_popcount(mask));
		get_planes(p, c, mask, col);
		p += (size_t)c * __builtin_popcount(mask);
		for (i = 0; i < c; i++) {
			prev = decode_word(m, col[i], prev);
			memcpy(out + (size_t)i * S, &prev, 8);
		}
	}
	if (tail && stop_at != INT64_MAX) {   /* the tail is not wanted */
		*stopped = true;
		d->stop_w = W;
		*pp = p;
		return 0;
	}
	if ((uint64_t)(end - p) < (uint64_t)c * tail)
		BAD("stream %" PRIu64 ": payload tail overruns the block", stream);
	if (dst && word_wanted(d, W))
		NEED(p, (size_t)c * tail);
	for (uint32_t k = 0; dst && word_wanted(d, W) && k < tail; k++)
		for (i = 0; i < c; i++)
			dst[(size_t)i * S + (size_t)W * 8 + k] = p[(size_t)k * c + i];
	p += (size_t)c * tail;
	*pp = p;
	return 0;
}

static int decode_body(struct block_decoder *d, const struct cap_block_meta *m,
		       uint32_t nstreams_hdr, unsigned encoding, char *err, size_t errlen)
{
	/* encodings 4 and 6: the base's hdr_crc comes first (decode_chain) */
	const uint8_t *p = d->raw + (cap_block_encoding_chained(encoding) ? 4 : 0), *end = d->raw + m->raw_bytes;
	struct cap_rec *recs = d->recs;
	uint64_t nstreams, v;
	uint32_t total = 0, nout = 0;   /* records in the body, handed out */
	size_t pay_off = 0;
	int64_t prev_stream = -1;
	/* What the last block left clean in pay, and whether this one, too,
	 * writes into pay from one projected group only (decode_words). */
	uint32_t pay_groups = 0;
	__typeof__(d->clean) was = d->clean;
	bool stopped = false;   /* a projected decode stopped before the body's end */

	d->clean.valid = false;

	NEED(p, 10);
	if (cap_get_varint(&p, end, &nstreams))
		BAD("body: stream count varint overrun");
	if (nstreams != nstreams_hdr)
		BAD("body: %" PRIu64 " streams, header says %u", nstreams, nstreams_hdr);

	for (uint64_t g = 0; g < nstreams; g++) {
		uint64_t stream, count;

		NEED(p, 32);   /* stream, count, flags, dmin, the ts planes' mask */
		if (cap_get_varint(&p, end, &stream) || stream > UINT32_MAX)
			BAD("stream group %" PRIu64 ": bad stream id", g);
		if ((int64_t)stream <= prev_stream)
			BAD("stream group %" PRIu64 ": stream %" PRIu64 " out of order", g, stream);
		prev_stream = (int64_t)stream;
		/* Groups are in stream order: past the one stream wanted, a
		 * projected decode needs nothing more. */
		if (d->part && d->want_stream != CAP_STREAM_ALL && stream > d->want_stream) {
			stopped = true;
			if (d->out) {   /* known: the streams before this one */
				d->out->reach_stream = stream;
				d->out->reach_w = 0;
			}
			break;
		}
		if (cap_get_varint(&p, end, &count) || count == 0 || count > m->nrecords - total)
			BAD("stream %" PRIu64 ": bad record count", stream);
		if (p >= end)
			BAD("stream %" PRIu64 ": truncated group flags", stream);
		uint8_t flags = *p++;
		if (flags & ~GRP_FLAGS)
			BAD("stream %" PRIu64 ": unknown group flags 0x%02x", stream, flags);
		if ((flags & GRP_KEY_LO) && encoding < 3)
			BAD("stream %" PRIu64 ": keyed by the low half in an encoding-%u block",
			    stream, encoding);
		if ((flags & GRP_KEY_LO) && !(flags & GRP_WORDS))
			BAD("stream %" PRIu64 ": keyed by the low half without word columns", stream);
		if ((flags & GRP_DICT_NEXT) && encoding < 3)
			BAD("stream %" PRIu64 ": next-value dictionary codes in an encoding-%u block",
			    stream, encoding);
		if ((flags & GRP_DICT_NEXT) && !(flags & GRP_WORDS))
			BAD("stream %" PRIu64 ": next-value dictionary codes without word columns",
			    stream);
		if ((flags & GRP_INHERIT) && !cap_block_encoding_chained(encoding))
			BAD("stream %" PRIu64 ": inherited dictionaries in an encoding-%u block",
			    stream, encoding);
		if ((flags & GRP_INHERIT) && !(flags & GRP_DICT_NEXT))
			BAD("stream %" PRIu64 ": inherited dictionaries without next-value codes",
			    stream);
		if ((flags & GRP_INHERIT) && !d->base)
			BAD("stream %" PRIu64 ": inherited dictionaries in a block with no base",
			    stream);
		if ((flags & GRP_ESC) && encoding < 5)
			BAD("stream %" PRIu64 ": escaped dictionary codes in an encoding-%u block",
			    stream, encoding);
		if ((flags & GRP_ESC) && !(flags & GRP_WORDS))
			BAD("stream %" PRIu64 ": escaped dictionary codes without word columns",
			    stream);

		uint32_t c = (uint32_t)count;
		/* A group of another stream than the one wanted is parsed (its
		 * sizes checked) into the same slots and not handed out; nor is
		 * a wanted one when only what the block leaves is wanted (emit). */
		bool grp_want = d->want_stream == CAP_STREAM_ALL || stream == d->want_stream;
		int want = grp_want && !d->state_only;
		/* the last group a projected decode needs */
		bool last = d->part && (d->want_stream == CAP_STREAM_ALL ? g + 1 == nstreams : grp_want);
		struct cap_rec *r = recs + nout;
		uint64_t prev = m->min_ts_ns, dmin;
		/* encodings 7 and 8: the column's mode first */
		if (encoding >= 7 && p >= end)
			BAD("stream %" PRIu64 ": truncated timestamp mode", stream);
		unsigned ts_mode = encoding >= 7 ? *p++ : TS_PLANES;
		if (ts_mode >= TS_NMODES)
			BAD("stream %" PRIu64 ": unknown timestamp mode %u", stream, ts_mode);
		if (cap_get_varint(&p, end, &dmin))
			BAD("stream %" PRIu64 ": bad smallest timestamp delta", stream);
		dmin = (uint64_t)cap_unzigzag(dmin);
		if (p >= end)
			BAD("stream %" PRIu64 ": truncated timestamp planes", stream);
		struct ts_ctx_head th;
		uint64_t tbytes;
		if (ts_mode == TS_CTX) {
			const char *why;

			NEED(p, TS_CTX_HEAD_MAX);
			if (ts_ctx__head(&p, end, c, &th, &why))
				BAD("stream %" PRIu64 ": timestamps: %s", stream, why);
			if ((uint64_t)(end - p) <= c)
				BAD("stream %" PRIu64 ": timestamps overrun the block", stream);
			NEED(p, (size_t)c + 1);
			th.mask = p[c];   /* the escapes' planes, after the columns */
			tbytes = (uint64_t)c + 1 + (uint64_t)th.ne * __builtin_popcount(th.mask);
		} else {
			th.mask = *p++;
			tbytes = (uint64_t)c * __builtin_popcount(th.mask);
		}
		if ((uint64_t)(end - p) < tbytes)
			BAD("stream %" PRIu64 ": timestamps overrun the block", stream);
		NEED(p, tbytes + 10);   /* and a cpu varint */
		if (grow((void **)&d->col, &d->col_cap, (size_t)c * 8)) {
			cap_seterr(err, errlen, "out of memory");
			return -ENOMEM;
		}
		if (d->state_only)   /* no record is handed out: nor its time */
			;
		else if (ts_mode == TS_PLANES)
			get_planes(p, c, th.mask, d->col);
		else if (ts_ctx__values(p, &th, c, d->col))
			BAD("stream %" PRIu64 ": timestamps: a context's bytes or the escapes "
			    "do not match their counts", stream);
		p += tbytes;
		for (uint32_t i = 0; i < c && !d->state_only; i++) {
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
				NEED(p, 10);
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
			NEED(p, 20);
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
			/* A compact projection lays a WORDS group's records out S
			 * apart, S the span from the first to the last wanted byte:
			 * each record's span is its own, its other bytes overlap its
			 * neighbours' (and the last record's L bytes end the group). */
			uint64_t S = L, span = L * c;
			if (want && d->want_compact && (flags & GRP_WORDS)) {
				uint64_t lo = L, hi = 0;
				for (uint64_t w = 0; w <= L / 8; w++)
					if (word_wanted(d, (uint32_t)w) && w * 8 < L) {
						lo = lo < w * 8 ? lo : w * 8;
						hi = w * 8 + 8 < L ? w * 8 + 8 : L;
					}
				S = hi > lo ? hi - lo : 0;
				span = S * (c - 1) + L;
			}
			if (want && grow((void **)&d->pay, &d->pay_cap, pay_off + span + 1)) {
				cap_seterr(err, errlen, "out of memory");
				return -ENOMEM;
			}
			uint8_t *dst = want ? d->pay + pay_off : NULL;
			pay_groups += want;
			if (pay_groups > 1)   /* its records may overlap the clean region next time */
				d->clean.valid = false;
			if (flags & GRP_WORDS) {
				/* pay_groups == 1: the first group written, at pay's start. */
				bool reuse = want && pay_groups == 1 && was.valid && was.L == L && S == L;
				bool skipped = false;
				stopped = last && grp_want;
				int rc = decode_words(d, &p, end, r, c, (uint32_t)L, (uint32_t)S, grp_want,
						      dst, stream, reuse ? was.c : 0, &skipped, &stopped,
						      encoding, flags, err, errlen);
				if (rc)
					return rc;
				if (stopped && d->out) {   /* what it leaves ends there */
					d->out->reach_stream = stream;
					d->out->reach_L = (uint32_t)L;
					d->out->reach_w = d->stop_w;
				}
				if (want && skipped && pay_groups == 1 && S == L) {
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
				NEED(p, bytes);
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
				d->pay_at[nout + i] = (uint32_t)(pay_off + (size_t)i * S);
			}
			if (want)
				pay_off += span;
		} else {
			uint64_t sum = 0;
			for (uint32_t i = 0; i < c; i++) {
				NEED(p, 10);
				if (cap_get_varint(&p, end, &v) || v > UINT32_MAX)
					BAD("stream %" PRIu64 ": bad record length", stream);
				r[i].len = (uint32_t)v;
				sum += v;   /* < 2^32 * 2^32: no overflow */
			}
			if (sum > (uint64_t)(end - p))
				BAD("stream %" PRIu64 ": record lengths (%" PRIu64
				    " bytes) overrun the block", stream, sum);
			if (want)
				NEED(p, sum);
			for (uint32_t i = 0; i < c; i++) {
				r[i].data = p;
				p += r[i].len;
			}
		}
		total += c;
		if (want)
			nout += c;
		if (last) {   /* the rest of the body is not needed */
			if (g + 1 < nstreams && !stopped && d->out) {   /* known: up to this stream */
				d->out->reach_stream = stream + 1;
				d->out->reach_w = 0;
			}
			stopped = g + 1 < nstreams || stopped;
			if (stopped)
				break;
		}
	}
	/* What needs the whole body: a projected decode that read it all
	 * finishes the frame, so zstd checks its content checksum. */
	if (!stopped && d->part) {
		int rc = body_run(d, d->raw_bytes, true, err, errlen);
		if (rc)
			return rc;
	}
	if (!stopped && total != m->nrecords)
		BAD("body holds %u records, header says %u", total, m->nrecords);
	if (!stopped && p != end)
		BAD("%zu trailing bytes after the last stream group", (size_t)(end - p));
	if (stopped && d->out)
		d->out->partial = d->out->stopped = true;
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
	return block_decoder__decode_chain(d, buf, len, NULL, NULL, NULL, recs, nrecs, err,
					   errlen);
}

static int decode_parts(struct block_decoder *d, const uint8_t *h, const struct cap_block_meta *mp,
			uint32_t nstreams, unsigned encoding, const struct block_dicts *base,
			struct block_dicts *out, uint32_t *need_base, char *err, size_t errlen);

int block_decoder__decode_chain(struct block_decoder *d, const void *buf, size_t len,
				const struct block_dicts *base, struct block_dicts *out,
				uint32_t *need_base, const struct cap_rec **recs, uint32_t *nrecs,
				char *err, size_t errlen)
{
	const uint8_t *h = buf;
	struct cap_block_meta m;
	uint32_t nstreams;
	unsigned encoding;
	int rc;

	d->have = 0;
	rc = cap_block_parse_header(h, len, &m, &nstreams, err, errlen);
	if (rc)
		return rc;
	encoding = cap_block_encoding(h);
	if (m.enc_bytes != len)
		BAD("block size %u in header, %zu bytes given", m.enc_bytes, len);
	if (m.raw_bytes > d->max_raw)
		BAD("decoded size %u exceeds the cap of %zu bytes", m.raw_bytes, d->max_raw);

	const uint8_t *f = h + CAP_BLOCK_HDR_BYTES;
	size_t flen = len - CAP_BLOCK_HDR_BYTES;
	if (cap_block_frame_crc(f, flen) != cap_get_le32(h + 40))
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
	if (out && out == base) {
		cap_seterr(err, errlen, "a block's dictionaries cannot replace its base's in place");
		return -EINVAL;
	}
	if (!recs && !out) {
		cap_seterr(err, errlen, "a decode that wants neither records nor dictionaries");
		return -EINVAL;
	}
	/* A projection decompresses only the prefix of the body its walk
	 * reaches (body_more), and leaves (out) the dictionaries of that
	 * prefix: whole for the columns it decodes, the shape of the others.
	 * chain_full: every dictionary column whole, so the whole body. */
	d->part = (d->want_words || d->want_stream != CAP_STREAM_ALL) && !(out && d->chain_full);
	d->all_dicts = out && !d->part;
	d->state_only = !recs;
	d->raw_bytes = m.raw_bytes;
	d->zdone = false;
	if (d->part) {
		d->have = 0;
		d->zin = (ZSTD_inBuffer){ f, 0, 0 };
		d->zin_end = flen;
		d->zout = (ZSTD_outBuffer){ d->raw, m.raw_bytes, 0 };
		RAW_POISON(d->raw, m.raw_bytes);
	} else {
		size_t z = ZSTD_decompressDCtx(d->dctx, d->raw, m.raw_bytes, f, flen);
		if (ZSTD_isError(z)) {
			ZSTD_DCtx_reset(d->dctx, ZSTD_reset_session_only);
			d->have = 0;
			BAD("zstd: %s", ZSTD_getErrorName(z));
		}
		d->have = z;
		if (z != m.raw_bytes)
			BAD("zstd frame decoded to %zu bytes, header says %u", z, m.raw_bytes);
	}
	rc = decode_parts(d, h, &m, nstreams, encoding, base, out, need_base, err, errlen);
	if (d->part) {   /* stopped early, failed or done: the next frame starts anew */
		ZSTD_DCtx_reset(d->dctx, ZSTD_reset_session_only);
		RAW_UNPOISON(d->raw, m.raw_bytes);
		d->part = false;
	}
	d->state_only = false;
	if (rc)
		return rc;
	if (recs) {
		*recs = d->recs;
		*nrecs = d->nout;
	}
	return 0;
}

/* The decompressed (or, projected, decompressing) body's base CRC check
 * and walk. */
static int decode_parts(struct block_decoder *d, const uint8_t *h, const struct cap_block_meta *mp,
			uint32_t nstreams, unsigned encoding, const struct block_dicts *base,
			struct block_dicts *out, uint32_t *need_base, char *err, size_t errlen)
{
	struct cap_block_meta m = *mp;
	int rc;

	if (out)
		bd_clear(out);
	d->base = NULL;
	if (cap_block_encoding_chained(encoding)) {
		uint32_t crc;

		if (m.raw_bytes < 4)
			BAD("body too short for its base block's CRC");
		NEED(d->raw, 4);
		crc = cap_get_le32(d->raw);
		if (!crc)
			BAD("base block CRC 0");
		if (!base || !base->valid || base->crc != crc || base->too_big ||
		    base->depth >= CAP_CHAIN_MAX) {
			if (need_base)
				*need_base = crc;
			cap_seterr(err, errlen, "block continues the dictionaries of block "
				   "(header CRC 0x%08x), %s", crc,
				   !base || !base->valid || base->crc != crc ? "which was not given" :
				   base->too_big ? "whose dictionaries exceed the limit" :
				   "a chain of more blocks than the limit");
			return -ENOENT;
		}
		d->base = base;
	}
	d->out = out;
	const struct block_dicts *d_base = d->base;
	rc = decode_body(d, &m, nstreams, encoding, err, errlen);
	d->base = NULL;
	d->out = NULL;
	if (rc) {
		if (out)
			bd_clear(out);
		return rc;
	}
	if (out) {
		out->valid = true;
		out->crc = cap_get_le32(h + 44);
		out->depth = d_base ? d_base->depth + 1 : 1;
	}
	return 0;
}
