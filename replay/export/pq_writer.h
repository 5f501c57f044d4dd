/* pq_writer.h - write Apache Parquet files, streamed, with bounded memory.
 *
 * What it writes (the format's own terms; pq_writer.c has the details):
 *   - a flat schema: one leaf column per struct pq_column, REQUIRED or
 *     OPTIONAL (definition levels, max level 1, RLE/bit-packed hybrid);
 *   - row groups of at most opts.row_group_rows rows and about
 *     opts.row_group_bytes of compressed pages, each column chunk with
 *     Statistics (null_count, min_value, max_value in the column's order:
 *     signed or unsigned integers, bytewise strings);
 *   - data pages v1 (DataPageHeader) of about opts.page_bytes values,
 *     compressed as ZSTD frames (or UNCOMPRESSED);
 *   - values PLAIN, except strings and bytes with dictionary = 1:
 *     a DictionaryPageHeader page (PLAIN) and RLE_DICTIONARY data pages,
 *     falling back to PLAIN pages when the dictionary passes
 *     PQ_DICT_MAX_BYTES or PQ_DICT_MAX_ENTRIES (as other writers do);
 *   - logical types: INTEGER(bitWidth, isSigned) with the matching
 *     ConvertedType (INT_8..UINT_64), TIMESTAMP(isAdjustedToUTC, NANOS),
 *     STRING (ConvertedType UTF8), plain DOUBLE and BYTE_ARRAY;
 *   - the footer: FileMetaData (Thrift compact) with column_orders
 *     TYPE_ORDER, key_value_metadata and created_by.
 * Memory: the current row group's compressed pages plus one page per column.
 */
#ifndef BPFREC_REPLAY_PQ_WRITER_H
#define BPFREC_REPLAY_PQ_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PQ_DICT_MAX_BYTES   (1u << 20)
#define PQ_DICT_MAX_ENTRIES 65536
#define PQ_STAT_MAX_BYTES   64          /* longer string bounds are truncated */

enum pq_kind {
	PQ_INT,          /* INT32 (bit_width <= 32) or INT64, INTEGER(bit_width, is_signed) */
	PQ_TIMESTAMP_NS, /* INT64, TIMESTAMP(isAdjustedToUTC=true, NANOS): ns since the epoch */
	PQ_STRING,       /* BYTE_ARRAY, STRING (UTF-8) */
	PQ_BYTES,        /* BYTE_ARRAY, no logical type */
	PQ_DOUBLE,       /* DOUBLE */
};

struct pq_column {
	const char *name;               /* copied */
	enum pq_kind kind;
	uint8_t bit_width;              /* PQ_INT: 8, 16, 32 or 64 */
	uint8_t is_signed;              /* PQ_INT */
	uint8_t required;               /* never NULL: no definition levels */
	uint8_t dictionary;             /* PQ_STRING, PQ_BYTES: dictionary-encode */
};

/* One value of a row.  PQ_INT and PQ_TIMESTAMP_NS: i (an unsigned column
 * passes its bits: a u64 above 2^63-1 as the negative int64); PQ_DOUBLE: f;
 * PQ_STRING, PQ_BYTES: p, len. */
struct pq_value {
	int is_null;
	int64_t i;
	double f;
	const void *p;
	size_t len;
};

struct pq_opts {
	uint64_t row_group_rows;        /* 0: 1 << 20 */
	uint64_t row_group_bytes;       /* compressed pages; 0: 64 MiB */
	uint32_t page_bytes;            /* uncompressed values per page; 0: 1 MiB */
	int compress;                   /* 1 (default if opts is NULL): ZSTD; 0: none */
	int zstd_level;                 /* 0: 3 */
	const char *created_by;         /* NULL: "bpfrec" */
};

struct pq_writer;

/* Writes the header magic to out (not owned: the caller closes it after
 * pq_writer__close).  NULL with errno (EINVAL: a bad column, with the reason
 * in err; ENOMEM; EIO). */
struct pq_writer *pq_writer__open(FILE *out, const struct pq_column *cols, size_t ncols,
				  const struct pq_opts *opts, char *err, size_t errlen);
/* One row: ncols values.  0, -EINVAL (a NULL in a required column, a
 * string longer than 2^31-1), -ENOMEM, -EIO. */
int pq_writer__row(struct pq_writer *w, const struct pq_value *vals);
/* A key_value_metadata entry of the footer (copied).  0 or -ENOMEM. */
int pq_writer__kv(struct pq_writer *w, const char *key, const char *value);
/* Flushes the last row group and writes the footer.  0 or -errno; the
 * writer is freed either way. */
int pq_writer__close(struct pq_writer *w);
/* Frees without writing a footer (the file is not Parquet then). */
void pq_writer__free(struct pq_writer *w);              /* NULL is fine */
uint64_t pq_writer__rows(const struct pq_writer *w);
uint64_t pq_writer__row_groups(const struct pq_writer *w);

/* --- encoders, exposed for the unit tests --- */

/* RLE/bit-packed hybrid of n values of bit_width bits (0..32), without the
 * length prefix.  0 or -ENOMEM (sticky in out->err). */
struct bytebuf;
int pq__rle_hybrid(struct bytebuf *out, const uint32_t *vals, size_t n, int bit_width);
/* Bits needed for values 0..max. */
int pq__bit_width(uint32_t max);

#endif
