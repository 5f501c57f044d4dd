/* blockdicts.c - block_dicts: the dictionaries one block leaves to the next
 * block of its chain (encoding 4), as the decoder rebuilds them.  Bounded
 * by CAP_CHAIN_STATE_MAX: a hostile block cannot make its reader hold more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "block_internal.h"

struct block_dicts *block_dicts__new(void)
{
	struct block_dicts *s = calloc(1, sizeof(*s));

	if (!s)
		errno = ENOMEM;
	return s;
}

void block_dicts__free(struct block_dicts *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->cap; i++) {
		free(s->cols[i].vals);
		free(s->cols[i].klists);
	}
	free(s->cols);
	free(s);
}

bool block_dicts__whole(const struct block_dicts *s)
{
	return s->valid && !s->partial;
}

void bd_clear(struct block_dicts *s)
{
	s->n = 0;
	s->bytes = 0;
	s->valid = false;
	s->too_big = false;
	s->partial = false;
	s->stopped = false;
	s->crc = 0;
	s->depth = 0;
}

const struct bd_col *bd_find(const struct block_dicts *s, uint32_t stream, uint32_t L, uint32_t w)
{
	/* A few columns per stream: a scan, in the order they were added,
	 * which is the order a block's groups and words are decoded in. */
	for (uint32_t i = 0; s && i < s->n; i++) {
		const struct bd_col *c = &s->cols[i];

		if (c->stream == stream && c->L == L && c->w == w)
			return c;
	}
	return NULL;
}

int bd_lookup(const struct block_dicts *s, uint32_t stream, uint32_t L, uint32_t w,
	      const struct bd_col **c)
{
	*c = bd_find(s, stream, L, w);
	if (*c || !s->stopped || stream < s->reach_stream ||
	    (stream == s->reach_stream && L == s->reach_L && w < s->reach_w))
		return 0;
	return -ESTALE;
}

struct bd_col *bd_add(struct block_dicts *s, uint32_t stream, uint32_t L, uint32_t w,
		      uint32_t nvals, uint32_t nkeys, bool vals_ok)
{
	size_t need = (size_t)nvals * 8 + (size_t)nkeys * sizeof(struct mru);
	struct bd_col *c;

	if (s->too_big || need > CAP_CHAIN_STATE_MAX - s->bytes) {
		s->too_big = true;
		return NULL;
	}
	if (s->n == s->cap) {
		uint32_t ncap = s->cap ? 2 * s->cap : 16;
		struct bd_col *nc = realloc(s->cols, ncap * sizeof(*nc));

		if (!nc)
			return NULL;
		memset(nc + s->cap, 0, (ncap - s->cap) * sizeof(*nc));
		s->cols = nc;
		s->cap = ncap;
	}
	c = &s->cols[s->n];
	/* Each slot keeps its arrays from block to block: reallocated only
	 * when a column grows past what the slot held. */
	uint64_t *v = vals_ok ? realloc(c->vals, nvals ? (size_t)nvals * 8 : 8) : c->vals;
	if (vals_ok && !v)
		return NULL;
	c->vals = v;
	if (nkeys && vals_ok) {
		struct mru *k = realloc(c->klists, (size_t)nkeys * sizeof(*k));
		if (!k)
			return NULL;
		c->klists = k;
	}
	c->stream = stream;
	c->L = L;
	c->w = w;
	c->nvals = nvals;
	c->nkeys = nkeys;
	c->vals_ok = vals_ok;
	s->partial |= !vals_ok;
	s->bytes += need;
	s->n++;
	return c;
}

int block__base_crc(const void *buf, size_t len, uint32_t *crc)
{
	const uint8_t *h = buf;
	uint8_t head[4];

	*crc = 0;
	if (block__parse_header(buf, len, NULL, NULL))
		return -EBADMSG;
	if (!cap_block_encoding_chained(cap_block_encoding(h)))
		return 0;
	/* The body's first 4 bytes: decompressed alone, without the rest. */
	ZSTD_DStream *ds = ZSTD_createDStream();
	if (!ds)
		return -ENOMEM;
	/* The frame a little at a time (32 bytes, then twice as many each
	 * round): given more, zstd decodes the blocks after the first before
	 * it returns, and today's encoder ends a zstd block after the CRC. */
	size_t flen = len - CAP_BLOCK_HDR_BYTES, step = 32;
	ZSTD_inBuffer in = { h + CAP_BLOCK_HDR_BYTES, 0, 0 };
	ZSTD_outBuffer out = { head, sizeof(head), 0 };
	int rc = 0;
	ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, 27);
	while (out.pos < out.size && !rc) {
		size_t in0 = in.pos, out0 = out.pos, size0 = in.size;

		if (in.pos == in.size && in.size < flen) {
			in.size = flen - in.size > step ? in.size + step : flen;
			step *= 2;
		}
		size_t z = ZSTD_decompressStream(ds, &out, &in);
		if (ZSTD_isError(z))
			rc = -EBADMSG;
		else if (!z)
			break;   /* the frame ended */
		else if (in.pos == in0 && out.pos == out0 && in.size == size0)
			break;   /* no progress: the frame is cut short */
	}
	ZSTD_freeDStream(ds);
	if (!rc && out.pos < sizeof(head))
		rc = -EBADMSG;
	if (!rc)
		*crc = cap_get_le32(head);
	return rc;
}

/* --- block_seq: the blocks of one segment in file order --- */

#define SEQ_SLOTS (CAP_CHAIN_BACK + 1)   /* a block's slot is never its base's */

struct block_seq {
	struct block_decoder *dec;
	struct block_dicts *st[SEQ_SLOTS];
	uint32_t crc[SEQ_SLOTS];          /* 0: the slot's block left nothing */
	uint64_t n;                       /* blocks seen in this segment */
};

struct block_seq *block_seq__new(size_t max_raw_bytes)
{
	struct block_seq *s = calloc(1, sizeof(*s));

	if (!s || !(s->dec = block_decoder__new(max_raw_bytes))) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void block_seq__free(struct block_seq *s)
{
	if (!s)
		return;
	block_decoder__free(s->dec);
	for (int i = 0; i < SEQ_SLOTS; i++)
		block_dicts__free(s->st[i]);
	free(s);
}

void block_seq__reset(struct block_seq *s)
{
	s->n = 0;
	memset(s->crc, 0, sizeof(s->crc));
}

int block_seq__decode(struct block_seq *s, const void *buf, size_t len,
		      const struct cap_rec **recs, uint32_t *nrecs, char *err, size_t errlen)
{
	uint32_t slot = (uint32_t)(s->n % SEQ_SLOTS), want = 0;
	const struct block_dicts *base = NULL;

	s->n++;
	s->crc[slot] = 0;
	if (!s->st[slot] && !(s->st[slot] = block_dicts__new())) {
		cap_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (block__base_crc(buf, len, &want) == 0 && want) {
		/* the nearest of the CAP_CHAIN_BACK blocks before it */
		for (uint64_t back = 1; back <= CAP_CHAIN_BACK && back < s->n && !base; back++) {
			uint32_t k = (uint32_t)((s->n - 1 - back) % SEQ_SLOTS);

			if (s->crc[k] == want)
				base = s->st[k];
		}
	}
	int rc = block_decoder__decode_chain(s->dec, buf, len, base, s->st[slot], NULL, recs, nrecs,
					     err, errlen);
	if (!rc)
		s->crc[slot] = cap_get_le32((const uint8_t *)buf + 44);
	return rc;
}
