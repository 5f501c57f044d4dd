/* pq_writer.c - a small, exact Parquet writer (see pq_writer.h).
 *
 * File layout: "PAR1", then for each row group each column chunk in schema
 * order ([dictionary page] data pages...), then the FileMetaData (Thrift
 * compact, thrift.h), its length as 4 bytes little-endian, and "PAR1".
 *
 * A data page v1 is a PageHeader followed by the page body, compressed as
 * one unit: [repetition levels: none, max level 0] [definition levels, only
 * for OPTIONAL columns: 4-byte LE length + RLE/bit-packed hybrid, bit width
 * 1] [values: PLAIN, or for RLE_DICTIONARY one byte of bit width then the
 * indices as an RLE/bit-packed hybrid].  PLAIN is little-endian INT32 /
 * INT64 / DOUBLE, and BYTE_ARRAY as a 4-byte LE length then the bytes.
 * A dictionary page holds the column chunk's distinct values, PLAIN.
 *
 * Statistics per column chunk: null_count always; min_value/max_value as
 * PLAIN bytes of the physical type (BYTE_ARRAY without its length), ordered
 * as the column's ColumnOrder (TYPE_ORDER) says: signed for signed
 * INTEGER and TIMESTAMP, unsigned for unsigned INTEGER, unsigned bytewise for
 * strings.  Strings longer than PQ_STAT_MAX_BYTES leave min/max out rather
 * than write a truncated bound, and DOUBLE columns get none (NaN has no
 * place in TYPE_ORDER).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "pq_writer.h"
#include "thrift.h"

/* parquet.thrift enums */
enum { PT_BOOLEAN = 0, PT_INT32 = 1, PT_INT64 = 2, PT_DOUBLE = 5, PT_BYTE_ARRAY = 6 };
enum { CT_UTF8 = 0, CT_UINT_8 = 11, CT_INT_8 = 15 };     /* + 1, 2, 3 for 16, 32, 64 */
enum { FRT_REQUIRED = 0, FRT_OPTIONAL = 1 };
enum { ENC_PLAIN = 0, ENC_RLE = 3, ENC_RLE_DICTIONARY = 8 };
enum { CODEC_UNCOMPRESSED = 0, CODEC_ZSTD = 6 };
enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2 };
#define ENC_BIT(e) (1u << (e))

struct chunkmeta {                      /* a written column chunk, for the footer */
	int64_t num_values;             /* including NULLs */
	int64_t null_count;
	int64_t uncompressed, compressed; /* pages with their headers */
	int64_t data_page_offset;
	int64_t dict_page_offset;       /* -1: none */
	uint32_t encodings;             /* ENC_BIT() of every encoding used */
	uint8_t *min, *max;             /* NULL: no bounds */
	size_t min_len, max_len;
};

struct rowgroup {
	struct chunkmeta *chunks;       /* ncols */
	int64_t num_rows;
	int64_t file_offset;
	int64_t uncompressed, compressed;
};

struct pqcol {
	struct pq_column def;
	int physical;                   /* PT_* */
	/* the page being filled */
	struct bytebuf values;          /* PLAIN values */
	uint32_t *defs, *idx;           /* definition levels, dictionary indices */
	size_t ndefs, nidx, defcap, idxcap;
	uint32_t page_values;           /* including NULLs */
	/* the column chunk being filled */
	struct bytebuf pages;           /* data pages with headers, as written */
	int64_t chunk_values, chunk_nulls, chunk_uncompressed;
	uint32_t encodings;
	int dict_on;                    /* new values go to the dictionary */
	int dict_pages;                 /* pages of this chunk used the dictionary */
	struct bytebuf dict;            /* PLAIN entries */
	uint32_t *dict_off;             /* each entry's offset in dict */
	size_t ndict, dict_offcap;
	uint32_t *slots;                /* hash: entry + 1, 0 free */
	size_t nslots;
	int has_bounds;
	int64_t imin, imax;             /* PQ_INT, PQ_TIMESTAMP_NS */
	struct bytebuf smin, smax;      /* PQ_STRING, PQ_BYTES */
	int bounds_too_long;
};

struct pq_writer {
	FILE *out;
	struct pq_opts opts;
	struct pqcol *cols;
	size_t ncols;
	int64_t offset;                 /* bytes written */
	uint64_t rows, rg_rows;
	struct rowgroup *rgs;
	size_t nrgs, rgcap;
	char **kv;                      /* key, value, key, value ... */
	size_t nkv;
	ZSTD_CCtx *zc;
	struct bytebuf body, comp, hdr; /* scratch */
	int err;                        /* sticky */
};

/* ---- RLE / bit-packed hybrid ---- */

int pq__bit_width(uint32_t max)
{
	int w = 0;

	while (max) {
		w++;
		max >>= 1;
	}
	return w;
}

static size_t run_at(const uint32_t *v, size_t n, size_t i, size_t cap)
{
	size_t j = i + 1;

	while (j < n && j - i < cap && v[j] == v[i])
		j++;
	return j - i;
}

/* A run of 8 or more equal values is an RLE run: header (count << 1), the
 * value in ceil(width / 8) bytes little-endian.  Anything else goes into a
 * bit-packed run: header (groups << 1 | 1), groups of 8 values packed
 * LSB first; only the data's last group may be padded (with zeros). */
int pq__rle_hybrid(struct bytebuf *out, const uint32_t *vals, size_t n, int bit_width)
{
	size_t vbytes = (size_t)(bit_width + 7) / 8;
	size_t i = 0;

	while (i < n && !out->err) {
		size_t run = run_at(vals, n, i, SIZE_MAX);

		if (run >= 8) {
			uint8_t le[4] = { vals[i], vals[i] >> 8, vals[i] >> 16, vals[i] >> 24 };
			bytebuf__uleb(out, (uint64_t)run << 1);
			bytebuf__add(out, le, vbytes);
			i += run;
			continue;
		}
		size_t start = i, groups = 0;
		do {
			i += 8;
			groups++;
		} while (i < n && run_at(vals, n, i, 8) < 8);
		bytebuf__uleb(out, (uint64_t)groups << 1 | 1);
		size_t nbytes = groups * (size_t)bit_width;     /* 8 values * width bits / 8 */
		if (bytebuf__reserve(out, nbytes))
			break;
		uint8_t *p = out->p + out->len;
		memset(p, 0, nbytes);
		uint64_t bit = 0;
		for (size_t k = start; k < start + groups * 8; k++, bit += (uint64_t)bit_width) {
			uint32_t v = k < n ? vals[k] : 0;
			for (int b = 0; b < bit_width; b++)
				if (v >> b & 1)
					p[(bit + b) / 8] |= (uint8_t)(1u << ((bit + b) % 8));
		}
		out->len += nbytes;
		if (i > n)
			i = n;
	}
	return out->err;
}

/* ---- pages ---- */

static int push_u32(uint32_t **a, size_t *n, size_t *cap, uint32_t v)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		uint32_t *p = realloc(*a, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*a = p;
		*cap = c;
	}
	(*a)[(*n)++] = v;
	return 0;
}

/* Compresses w->body into w->comp (or copies it). */
static int compress_body(struct pq_writer *w)
{
	w->comp.len = 0;
	if (!w->opts.compress)
		return bytebuf__add(&w->comp, w->body.p, w->body.len);
	size_t bound = ZSTD_compressBound(w->body.len);
	if (bytebuf__reserve(&w->comp, bound))
		return -ENOMEM;
	size_t n = ZSTD_compressCCtx(w->zc, w->comp.p, bound, w->body.p, w->body.len,
				     w->opts.zstd_level);
	if (ZSTD_isError(n))
		return -EIO;
	w->comp.len = n;
	return 0;
}

/* PageHeader for the compressed body in w->comp, into w->hdr. */
static int page_header(struct pq_writer *w, int type, uint32_t num_values, int encoding)
{
	struct thrift t;

	w->hdr.len = 0;
	thrift__init(&t, &w->hdr);
	thrift__i32(&t, 1, type);                               /* type */
	thrift__i32(&t, 2, (int32_t)w->body.len);               /* uncompressed_page_size */
	thrift__i32(&t, 3, (int32_t)w->comp.len);               /* compressed_page_size */
	if (type == PAGE_DATA) {
		thrift__begin(&t, 5);                           /* data_page_header */
		thrift__i32(&t, 1, (int32_t)num_values);        /* num_values */
		thrift__i32(&t, 2, encoding);                   /* encoding */
		thrift__i32(&t, 3, ENC_RLE);                    /* definition_level_encoding */
		thrift__i32(&t, 4, ENC_RLE);                    /* repetition_level_encoding */
		thrift__end(&t);
	} else {
		thrift__begin(&t, 7);                           /* dictionary_page_header */
		thrift__i32(&t, 1, (int32_t)num_values);        /* num_values */
		thrift__i32(&t, 2, ENC_PLAIN);                  /* encoding */
		thrift__end(&t);
	}
	thrift__end(&t);
	return thrift__error(&t);
}

/* Ends the column's current page: body, compression, header, into pages. */
static int flush_page(struct pq_writer *w, struct pqcol *c)
{
	int enc = c->nidx ? ENC_RLE_DICTIONARY : ENC_PLAIN;
	int rc;

	if (!c->page_values)
		return 0;
	w->body.len = 0;
	if (!c->def.required) {
		size_t at = w->body.len;
		uint8_t len_le[4] = { 0 };
		bytebuf__add(&w->body, len_le, 4);
		pq__rle_hybrid(&w->body, c->defs, c->ndefs, 1);
		if (!w->body.err) {
			uint32_t n = (uint32_t)(w->body.len - at - 4);
			for (int b = 0; b < 4; b++)
				w->body.p[at + b] = (uint8_t)(n >> (8 * b));
		}
	}
	if (enc == ENC_RLE_DICTIONARY) {
		uint8_t width = (uint8_t)pq__bit_width((uint32_t)(c->ndict - 1));
		if (!width)
			width = 1;
		bytebuf__add(&w->body, &width, 1);
		pq__rle_hybrid(&w->body, c->idx, c->nidx, width);
		c->dict_pages = 1;
	} else {
		bytebuf__add(&w->body, c->values.p, c->values.len);
	}
	if (w->body.err)
		return -ENOMEM;
	if ((rc = compress_body(w)) || (rc = page_header(w, PAGE_DATA, c->page_values, enc)))
		return rc;
	bytebuf__add(&c->pages, w->hdr.p, w->hdr.len);
	bytebuf__add(&c->pages, w->comp.p, w->comp.len);
	if (c->pages.err)
		return -ENOMEM;
	c->chunk_uncompressed += (int64_t)(w->hdr.len + w->body.len);
	c->encodings |= ENC_BIT(enc) | (c->def.required ? 0 : ENC_BIT(ENC_RLE));
	c->values.len = 0;
	c->ndefs = c->nidx = 0;
	c->page_values = 0;
	return 0;
}

/* ---- the dictionary (per column chunk) ---- */

static uint64_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;            /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static const uint8_t *dict_entry(const struct pqcol *c, size_t e, uint32_t *len)
{
	const uint8_t *p = c->dict.p + c->dict_off[e];

	*len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return p + 4;
}

static int dict_grow(struct pqcol *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 1024;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t e = 0; e < c->ndict; e++) {
		uint32_t len;
		const uint8_t *p = dict_entry(c, e, &len);
		size_t s = hash_bytes(p, len) & (n - 1);
		while (slots[s])
			s = (s + 1) & (n - 1);
		slots[s] = (uint32_t)e + 1;
	}
	free(c->slots);
	c->slots = slots;
	c->nslots = n;
	return 0;
}

/* The entry of value p/len, added if new.  1 with *e set; 0 if the
 * dictionary is full (the caller falls back to PLAIN); -ENOMEM. */
static int dict_find(struct pqcol *c, const void *p, size_t len, uint32_t *e)
{
	size_t s;

	if (c->ndict * 2 >= c->nslots && dict_grow(c))
		return -ENOMEM;
	s = hash_bytes(p, len) & (c->nslots - 1);
	for (; c->slots[s]; s = (s + 1) & (c->nslots - 1)) {
		uint32_t elen;
		const uint8_t *ep = dict_entry(c, c->slots[s] - 1, &elen);
		if (elen == len && !memcmp(ep, p, len)) {
			*e = c->slots[s] - 1;
			return 1;
		}
	}
	if (c->ndict >= PQ_DICT_MAX_ENTRIES || c->dict.len + 4 + len > PQ_DICT_MAX_BYTES)
		return 0;
	uint8_t le[4] = { len, len >> 8, len >> 16, len >> 24 };
	size_t noff = c->ndict;         /* dict_off has ndict entries */
	if (push_u32(&c->dict_off, &noff, &c->dict_offcap, (uint32_t)c->dict.len))
		return -ENOMEM;
	bytebuf__add(&c->dict, le, 4);
	bytebuf__add(&c->dict, p, len);
	if (c->dict.err)
		return -ENOMEM;
	c->slots[s] = (uint32_t)c->ndict + 1;
	*e = (uint32_t)c->ndict++;
	return 1;
}

/* ---- values ---- */

static int bytes_less(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	/* an empty bound's buffer is NULL, which memcmp may not be given */
	int r = n ? memcmp(a, b, n) : 0;

	return r < 0 || (r == 0 && alen < blen);
}

static void bound_bytes(struct pqcol *c, const void *p, size_t len)
{
	if (c->bounds_too_long)
		return;
	if (len > PQ_STAT_MAX_BYTES) {
		c->bounds_too_long = 1;
		return;
	}
	if (!c->has_bounds || bytes_less(p, len, c->smin.p, c->smin.len)) {
		c->smin.len = 0;
		bytebuf__add(&c->smin, p, len);
	}
	if (!c->has_bounds || bytes_less(c->smax.p, c->smax.len, p, len)) {
		c->smax.len = 0;
		bytebuf__add(&c->smax, p, len);
	}
	c->has_bounds = 1;
}

static void bound_int(struct pqcol *c, int64_t v)
{
	if (c->def.kind == PQ_INT && !c->def.is_signed) {
		if (!c->has_bounds || (uint64_t)v < (uint64_t)c->imin)
			c->imin = v;
		if (!c->has_bounds || (uint64_t)v > (uint64_t)c->imax)
			c->imax = v;
	} else {
		if (!c->has_bounds || v < c->imin)
			c->imin = v;
		if (!c->has_bounds || v > c->imax)
			c->imax = v;
	}
	c->has_bounds = 1;
}

static int add_value(struct pq_writer *w, struct pqcol *c, const struct pq_value *v)
{
	uint8_t le[8];
	int rc;

	if (!c->def.required && push_u32(&c->defs, &c->ndefs, &c->defcap, !v->is_null))
		return -ENOMEM;
	c->page_values++;
	c->chunk_values++;
	if (v->is_null) {
		c->chunk_nulls++;
		return 0;
	}
	switch (c->physical) {
	case PT_INT32: {
		/* unsigned: the low 32 bits, compared as unsigned (zero-extended) */
		int64_t x = c->def.is_signed ? (int64_t)(int32_t)v->i : (int64_t)(uint32_t)v->i;
		uint32_t u = (uint32_t)v->i;
		for (int b = 0; b < 4; b++)
			le[b] = (uint8_t)(u >> (8 * b));
		bound_int(c, x);
		return bytebuf__add(&c->values, le, 4);
	}
	case PT_INT64:
		for (int b = 0; b < 8; b++)
			le[b] = (uint8_t)((uint64_t)v->i >> (8 * b));
		bound_int(c, v->i);
		return bytebuf__add(&c->values, le, 8);
	case PT_DOUBLE: {
		uint64_t u;
		memcpy(&u, &v->f, 8);
		for (int b = 0; b < 8; b++)
			le[b] = (uint8_t)(u >> (8 * b));
		return bytebuf__add(&c->values, le, 8);
	}
	}
	/* BYTE_ARRAY.  An empty value may come with a NULL pointer (an empty
	 * text of a capture does), which memcmp and memcpy may not be given
	 * even for 0 bytes: every use below gets bytes. */
	const void *bytes = v->len ? v->p : "";

	bound_bytes(c, bytes, v->len);
	if (c->dict_on) {
		uint32_t e;
		rc = dict_find(c, bytes, v->len, &e);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return push_u32(&c->idx, &c->nidx, &c->idxcap, e);
		/* Full: this page so far stays dictionary-encoded, the value and
		 * the rest of the chunk go PLAIN. */
		c->page_values--;
		if (!c->def.required)
			c->ndefs--;
		if ((rc = flush_page(w, c)))
			return rc;
		c->dict_on = 0;
		c->page_values = 1;
		if (!c->def.required && push_u32(&c->defs, &c->ndefs, &c->defcap, 1))
			return -ENOMEM;
	}
	uint32_t n = (uint32_t)v->len;
	uint8_t nle[4] = { n, n >> 8, n >> 16, n >> 24 };
	bytebuf__add(&c->values, nle, 4);
	return bytebuf__add(&c->values, bytes, v->len);
}

static size_t page_bytes(const struct pqcol *c)
{
	return c->values.len + c->nidx * 4 + c->ndefs / 8;
}

/* ---- row groups ---- */

static int write_out(struct pq_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->out) != n)
		return -EIO;
	w->offset += (int64_t)n;
	return 0;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int b = 0; b < n; b++)
		p[b] = (uint8_t)(v >> (8 * b));
}

/* The chunk's bounds as PLAIN bytes, into cm. */
static int chunk_bounds(struct pqcol *c, struct chunkmeta *cm)
{
	size_t n;

	if (!c->has_bounds || c->physical == PT_DOUBLE ||
	    (c->physical == PT_BYTE_ARRAY && c->bounds_too_long))
		return 0;
	if (c->physical == PT_BYTE_ARRAY) {
		cm->min = malloc(c->smin.len + 1);
		cm->max = malloc(c->smax.len + 1);
		if (!cm->min || !cm->max)
			return -ENOMEM;
		memcpy(cm->min, c->smin.p ? c->smin.p : (uint8_t *)"", c->smin.len);
		memcpy(cm->max, c->smax.p ? c->smax.p : (uint8_t *)"", c->smax.len);
		cm->min_len = c->smin.len;
		cm->max_len = c->smax.len;
		return 0;
	}
	n = c->physical == PT_INT32 ? 4 : 8;
	cm->min = malloc(n);
	cm->max = malloc(n);
	if (!cm->min || !cm->max)
		return -ENOMEM;
	put_le(cm->min, (uint64_t)c->imin, (int)n);
	put_le(cm->max, (uint64_t)c->imax, (int)n);
	cm->min_len = cm->max_len = n;
	return 0;
}

/* Writes one column chunk: the dictionary page if any page used it, then
 * the data pages; resets the column for the next chunk. */
static int write_chunk(struct pq_writer *w, struct pqcol *c, struct chunkmeta *cm)
{
	int rc;

	if ((rc = flush_page(w, c)))
		return rc;
	cm->dict_page_offset = -1;
	cm->num_values = c->chunk_values;
	cm->null_count = c->chunk_nulls;
	cm->uncompressed = c->chunk_uncompressed;
	if (c->dict_pages) {
		w->body.len = 0;
		if (bytebuf__add(&w->body, c->dict.p, c->dict.len) ||
		    (rc = compress_body(w)) ||
		    (rc = page_header(w, PAGE_DICTIONARY, (uint32_t)c->ndict, ENC_PLAIN)))
			return rc ? rc : -ENOMEM;
		cm->dict_page_offset = w->offset;
		if ((rc = write_out(w, w->hdr.p, w->hdr.len)) ||
		    (rc = write_out(w, w->comp.p, w->comp.len)))
			return rc;
		cm->uncompressed += (int64_t)(w->hdr.len + w->body.len);
		c->encodings |= ENC_BIT(ENC_PLAIN);
	}
	cm->data_page_offset = w->offset;
	if ((rc = write_out(w, c->pages.p, c->pages.len)))
		return rc;
	cm->compressed = w->offset - (cm->dict_page_offset >= 0 ? cm->dict_page_offset
								: cm->data_page_offset);
	cm->encodings = c->encodings;
	if ((rc = chunk_bounds(c, cm)))
		return rc;
	/* next chunk */
	c->pages.len = 0;
	c->chunk_values = c->chunk_nulls = c->chunk_uncompressed = 0;
	c->encodings = 0;
	c->dict_on = c->def.dictionary && c->physical == PT_BYTE_ARRAY;
	c->dict_pages = 0;
	c->dict.len = 0;
	c->ndict = 0;
	if (c->slots)
		memset(c->slots, 0, c->nslots * sizeof(*c->slots));
	c->has_bounds = c->bounds_too_long = 0;
	c->smin.len = c->smax.len = 0;
	return 0;
}

static int flush_row_group(struct pq_writer *w)
{
	struct rowgroup *rg;
	int rc = 0;

	if (!w->rg_rows)
		return 0;
	if (w->nrgs == w->rgcap) {
		size_t cap = w->rgcap ? w->rgcap * 2 : 16;
		struct rowgroup *p = realloc(w->rgs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		w->rgs = p;
		w->rgcap = cap;
	}
	rg = &w->rgs[w->nrgs++];
	memset(rg, 0, sizeof(*rg));
	rg->chunks = calloc(w->ncols, sizeof(*rg->chunks));
	if (!rg->chunks)
		return -ENOMEM;
	rg->num_rows = (int64_t)w->rg_rows;
	rg->file_offset = w->offset;
	for (size_t i = 0; i < w->ncols && !rc; i++) {
		rc = write_chunk(w, &w->cols[i], &rg->chunks[i]);
		rg->uncompressed += rg->chunks[i].uncompressed;
		rg->compressed += rg->chunks[i].compressed;
	}
	w->rg_rows = 0;
	return rc;
}

int pq_writer__row(struct pq_writer *w, const struct pq_value *vals)
{
	size_t buffered = 0;
	int rc = 0;

	if (w->err)
		return w->err;
	for (size_t i = 0; i < w->ncols; i++) {
		if (vals[i].is_null && w->cols[i].def.required)
			return -EINVAL;
		if (w->cols[i].physical == PT_BYTE_ARRAY && !vals[i].is_null &&
		    (vals[i].len > INT32_MAX || (!vals[i].p && vals[i].len)))
			return -EINVAL;
	}
	for (size_t i = 0; i < w->ncols && !rc; i++) {
		struct pqcol *c = &w->cols[i];
		rc = add_value(w, c, &vals[i]);
		if (!rc && page_bytes(c) >= w->opts.page_bytes)
			rc = flush_page(w, c);
		buffered += c->pages.len + c->dict.len;
	}
	if (!rc) {
		w->rows++;
		w->rg_rows++;
		if (w->rg_rows >= w->opts.row_group_rows || buffered >= w->opts.row_group_bytes)
			rc = flush_row_group(w);
	}
	if (rc)
		w->err = rc;
	return rc;
}

/* ---- the footer ---- */

static void schema_element(struct thrift *t, const struct pqcol *c)
{
	const struct pq_column *d = &c->def;

	thrift__elem_begin(t);
	thrift__i32(t, 1, c->physical);                         /* type */
	thrift__i32(t, 3, d->required ? FRT_REQUIRED : FRT_OPTIONAL); /* repetition_type */
	thrift__string(t, 4, d->name);                          /* name */
	switch (d->kind) {
	case PQ_INT: {
		int step = d->bit_width == 8 ? 0 : d->bit_width == 16 ? 1 : d->bit_width == 32 ? 2 : 3;
		thrift__i32(t, 6, (d->is_signed ? CT_INT_8 : CT_UINT_8) + step); /* converted_type */
		thrift__begin(t, 10);                           /* logicalType */
		thrift__begin(t, 10);                           /* INTEGER: IntType */
		thrift__byte(t, 1, (int8_t)d->bit_width);       /* bitWidth */
		thrift__bool(t, 2, d->is_signed);               /* isSigned */
		thrift__end(t);
		thrift__end(t);
		break;
	}
	case PQ_TIMESTAMP_NS:
		thrift__begin(t, 10);                           /* logicalType */
		thrift__begin(t, 8);                            /* TIMESTAMP: TimestampType */
		thrift__bool(t, 1, 1);                          /* isAdjustedToUTC */
		thrift__begin(t, 2);                            /* unit: TimeUnit */
		thrift__begin(t, 3);                            /* NANOS */
		thrift__end(t);
		thrift__end(t);
		thrift__end(t);
		thrift__end(t);
		break;
	case PQ_STRING:
		thrift__i32(t, 6, CT_UTF8);                     /* converted_type */
		thrift__begin(t, 10);                           /* logicalType */
		thrift__begin(t, 1);                            /* STRING: StringType */
		thrift__end(t);
		thrift__end(t);
		break;
	default:
		break;
	}
	thrift__end(t);
}

static void column_chunk(struct thrift *t, const struct pq_writer *w, const struct pqcol *c,
			 const struct chunkmeta *cm)
{
	uint32_t nenc = (uint32_t)__builtin_popcount(cm->encodings);

	thrift__elem_begin(t);
	thrift__i64(t, 2, 0);                                   /* file_offset */
	thrift__begin(t, 3);                                    /* meta_data: ColumnMetaData */
	thrift__i32(t, 1, c->physical);                         /* type */
	thrift__list(t, 2, THRIFT_I32, nenc);                   /* encodings */
	for (int e = 0; e < 32; e++)
		if (cm->encodings >> e & 1)
			thrift__elem_i32(t, e);
	thrift__list(t, 3, THRIFT_BINARY, 1);                   /* path_in_schema */
	thrift__elem_binary(t, c->def.name, strlen(c->def.name));
	thrift__i32(t, 4, w->opts.compress ? CODEC_ZSTD : CODEC_UNCOMPRESSED); /* codec */
	thrift__i64(t, 5, cm->num_values);                      /* num_values */
	thrift__i64(t, 6, cm->uncompressed);                    /* total_uncompressed_size */
	thrift__i64(t, 7, cm->compressed);                      /* total_compressed_size */
	thrift__i64(t, 9, cm->data_page_offset);                /* data_page_offset */
	if (cm->dict_page_offset >= 0)
		thrift__i64(t, 11, cm->dict_page_offset);       /* dictionary_page_offset */
	thrift__begin(t, 12);                                   /* statistics */
	thrift__i64(t, 3, cm->null_count);                      /* null_count */
	if (cm->min && cm->max) {
		thrift__binary(t, 5, cm->max, cm->max_len);     /* max_value */
		thrift__binary(t, 6, cm->min, cm->min_len);     /* min_value */
	}
	thrift__end(t);
	thrift__end(t);                                         /* ColumnMetaData */
	thrift__end(t);                                         /* ColumnChunk */
}

static int write_footer(struct pq_writer *w)
{
	struct bytebuf meta = { 0 };
	struct thrift t;
	uint8_t tail[8];
	int rc;

	thrift__init(&t, &meta);
	thrift__i32(&t, 1, 1);                                  /* version */
	thrift__list(&t, 2, THRIFT_STRUCT, (uint32_t)w->ncols + 1); /* schema */
	thrift__elem_begin(&t);                                 /* the root */
	thrift__string(&t, 4, "schema");                        /* name */
	thrift__i32(&t, 5, (int32_t)w->ncols);                  /* num_children */
	thrift__end(&t);
	for (size_t i = 0; i < w->ncols; i++)
		schema_element(&t, &w->cols[i]);
	thrift__i64(&t, 3, (int64_t)w->rows);                   /* num_rows */
	thrift__list(&t, 4, THRIFT_STRUCT, (uint32_t)w->nrgs);  /* row_groups */
	for (size_t r = 0; r < w->nrgs; r++) {
		const struct rowgroup *rg = &w->rgs[r];
		thrift__elem_begin(&t);
		thrift__list(&t, 1, THRIFT_STRUCT, (uint32_t)w->ncols); /* columns */
		for (size_t i = 0; i < w->ncols; i++)
			column_chunk(&t, w, &w->cols[i], &rg->chunks[i]);
		thrift__i64(&t, 2, rg->uncompressed);           /* total_byte_size */
		thrift__i64(&t, 3, rg->num_rows);               /* num_rows */
		thrift__i64(&t, 5, rg->file_offset);            /* file_offset */
		thrift__i64(&t, 6, rg->compressed);             /* total_compressed_size */
		thrift__i16(&t, 7, (int16_t)r);                 /* ordinal */
		thrift__end(&t);
	}
	if (w->nkv) {
		thrift__list(&t, 5, THRIFT_STRUCT, (uint32_t)w->nkv); /* key_value_metadata */
		for (size_t k = 0; k < w->nkv; k++) {
			thrift__elem_begin(&t);
			thrift__string(&t, 1, w->kv[2 * k]);    /* key */
			thrift__string(&t, 2, w->kv[2 * k + 1]); /* value */
			thrift__end(&t);
		}
	}
	thrift__string(&t, 6, w->opts.created_by);              /* created_by */
	thrift__list(&t, 7, THRIFT_STRUCT, (uint32_t)w->ncols); /* column_orders */
	for (size_t i = 0; i < w->ncols; i++) {
		thrift__elem_begin(&t);                         /* ColumnOrder */
		thrift__begin(&t, 1);                           /* TYPE_ORDER */
		thrift__end(&t);
		thrift__end(&t);
	}
	thrift__end(&t);
	rc = thrift__error(&t);
	if (!rc && meta.len > UINT32_MAX)
		rc = -E2BIG;
	put_le(tail, meta.len, 4);
	memcpy(tail + 4, "PAR1", 4);
	if (!rc)
		rc = write_out(w, meta.p, meta.len);
	if (!rc)
		rc = write_out(w, tail, 8);
	bytebuf__free(&meta);
	return rc;
}

/* ---- open / close ---- */

static int bad_col(char *err, size_t errlen, const struct pq_column *c, const char *why)
{
	snprintf(err, errlen, "parquet column %s: %s", c->name ? c->name : "(no name)", why);
	return -EINVAL;
}

struct pq_writer *pq_writer__open(FILE *out, const struct pq_column *cols, size_t ncols,
				  const struct pq_opts *opts, char *err, size_t errlen)
{
	struct pq_writer *w = NULL;
	int rc = -ENOMEM;

	snprintf(err, errlen, "out of memory");
	if (!ncols || ncols > INT32_MAX) {
		snprintf(err, errlen, "parquet: %zu columns", ncols);
		rc = -EINVAL;
		goto fail;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->cols = calloc(ncols, sizeof(*w->cols))))
		goto fail;
	w->out = out;
	w->ncols = ncols;
	if (opts)
		w->opts = *opts;
	else
		w->opts.compress = 1;
	if (!w->opts.row_group_rows)
		w->opts.row_group_rows = 1u << 20;
	if (!w->opts.row_group_bytes)
		w->opts.row_group_bytes = 64u << 20;
	if (!w->opts.page_bytes)
		w->opts.page_bytes = 1u << 20;
	if (!w->opts.zstd_level)
		w->opts.zstd_level = 3;
	w->opts.created_by = strdup(w->opts.created_by ? w->opts.created_by : "bpfrec");
	if (!w->opts.created_by)
		goto fail;
	for (size_t i = 0; i < ncols; i++) {
		struct pqcol *c = &w->cols[i];
		const struct pq_column *d = &cols[i];

		if (!d->name || !*d->name) {
			rc = bad_col(err, errlen, d, "no name");
			goto fail;
		}
		switch (d->kind) {
		case PQ_INT:
			if (d->bit_width != 8 && d->bit_width != 16 && d->bit_width != 32 &&
			    d->bit_width != 64) {
				rc = bad_col(err, errlen, d, "bit width not 8, 16, 32 or 64");
				goto fail;
			}
			c->physical = d->bit_width == 64 ? PT_INT64 : PT_INT32;
			break;
		case PQ_TIMESTAMP_NS: c->physical = PT_INT64; break;
		case PQ_STRING: case PQ_BYTES: c->physical = PT_BYTE_ARRAY; break;
		case PQ_DOUBLE: c->physical = PT_DOUBLE; break;
		default:
			rc = bad_col(err, errlen, d, "unknown kind");
			goto fail;
		}
		c->def = *d;
		c->def.name = strdup(d->name);
		if (!c->def.name)
			goto fail;
		c->dict_on = d->dictionary && c->physical == PT_BYTE_ARRAY;
	}
	if (w->opts.compress && !(w->zc = ZSTD_createCCtx()))
		goto fail;
	if ((rc = write_out(w, "PAR1", 4))) {
		snprintf(err, errlen, "parquet: write: %s", strerror(EIO));
		goto fail;
	}
	return w;
fail:
	pq_writer__free(w);
	errno = -rc;
	return NULL;
}

int pq_writer__kv(struct pq_writer *w, const char *key, const char *value)
{
	char **kv = realloc(w->kv, (w->nkv + 1) * 2 * sizeof(*kv));

	if (!kv)
		return -ENOMEM;
	w->kv = kv;
	kv[2 * w->nkv] = strdup(key);
	kv[2 * w->nkv + 1] = strdup(value);
	w->nkv++;
	return kv[2 * w->nkv - 2] && kv[2 * w->nkv - 1] ? 0 : -ENOMEM;
}

int pq_writer__close(struct pq_writer *w)
{
	int rc = w->err;

	if (!rc)
		rc = flush_row_group(w);
	if (!rc)
		rc = write_footer(w);
	if (!rc && fflush(w->out))
		rc = -EIO;
	pq_writer__free(w);
	return rc;
}

void pq_writer__free(struct pq_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->cols && i < w->ncols; i++) {
		struct pqcol *c = &w->cols[i];
		free((char *)c->def.name);
		bytebuf__free(&c->values);
		bytebuf__free(&c->pages);
		bytebuf__free(&c->dict);
		bytebuf__free(&c->smin);
		bytebuf__free(&c->smax);
		free(c->defs);
		free(c->idx);
		free(c->dict_off);
		free(c->slots);
	}
	for (size_t r = 0; r < w->nrgs; r++) {
		for (size_t i = 0; w->rgs[r].chunks && i < w->ncols; i++) {
			free(w->rgs[r].chunks[i].min);
			free(w->rgs[r].chunks[i].max);
		}
		free(w->rgs[r].chunks);
	}
	for (size_t k = 0; k < 2 * w->nkv; k++)
		free(w->kv[k]);
	free(w->kv);
	free(w->rgs);
	free(w->cols);
	free((char *)w->opts.created_by);
	ZSTD_freeCCtx(w->zc);
	bytebuf__free(&w->body);
	bytebuf__free(&w->comp);
	bytebuf__free(&w->hdr);
	free(w);
}

uint64_t pq_writer__rows(const struct pq_writer *w)
{
	return w->rows;
}

uint64_t pq_writer__row_groups(const struct pq_writer *w)
{
	return w->nrgs + (w->rg_rows ? 1 : 0);
}
