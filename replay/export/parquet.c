/* parquet.c - `bpfreplay export --format parquet`: one Parquet file per
 * stream per capture in the Hive layout (hive.h), written by pq_writer.h.
 *
 * Columns: ts INT64 INTEGER(64, signed) (the kernel boot clock, as in SQL),
 * time INT64 TIMESTAMP(NANOS, UTC) (wall time), cpu INT32 INTEGER(32,
 * unsigned), capture STRING, then each field: integers INT32 or INT64 with
 * INTEGER(bits, signed) from the BTF type (a u64 reads as an unsigned 64-bit
 * integer, so values above 2^63-1 are right, unlike in SQLite), _Bool as
 * INTEGER(8, unsigned), enums, char arrays, addresses and arrays (JSON
 * text) as dictionary-encoded STRING, floats as DOUBLE, anything else as
 * BYTE_ARRAY.  The footer's key_value_metadata says where the file came
 * from: bpfrec.stream, bpfrec.type, bpfrec.host, bpfrec.capture,
 * bpfrec.boot_id, bpfrec.kernel.
 */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "export.h"
#include "hive.h"
#include "pq_writer.h"

struct pqsink {
	struct pq_writer *w;
	struct pq_value *vals;
	const struct hive_col *cols;
	size_t ncols;
};

static void *pq_open(FILE *f, const struct hive_table *t, struct export *x)
{
	struct pqsink *ps = calloc(1, sizeof(*ps));
	struct pq_column *cols = calloc(t->ncols, sizeof(*cols));
	struct pq_opts opts = {
		.compress = 1, .created_by = "bpfrec version " BPFREC_VERSION,
		/* small enough that a time range skips most of a file's row groups
		 * (BENCHMARKS.md: 1M rows cost DuckDB 20x on a 1% range) */
		.row_group_rows = export__row_group_rows(x) ? export__row_group_rows(x) : 131072,
	};
	char err[256];

	if (!ps || !cols || !(ps->vals = calloc(t->ncols, sizeof(*ps->vals))))
		goto fail;
	for (size_t i = 0; i < t->ncols; i++) {
		const struct hive_col *h = &t->cols[i];
		struct pq_column *c = &cols[i];

		c->name = h->name;
		c->required = !h->nullable;
		switch (h->type) {
		case HIVE_INT: case HIVE_UINT:
			c->kind = PQ_INT;
			c->bit_width = h->bits;
			c->is_signed = h->type == HIVE_INT;
			break;
		case HIVE_TIME: c->kind = PQ_TIMESTAMP_NS; break;
		case HIVE_TEXT: case HIVE_JSON: c->kind = PQ_STRING; c->dictionary = 1; break;
		case HIVE_REAL: c->kind = PQ_DOUBLE; break;
		case HIVE_BYTES: c->kind = PQ_BYTES; break;
		}
	}
	ps->cols = t->cols;
	ps->ncols = t->ncols;
	ps->w = pq_writer__open(f, cols, t->ncols, &opts, err, sizeof(err));
	if (!ps->w) {
		cli__warn("%s", err);
		goto fail;
	}
	const struct capview_session *se = t->session;
	int rc = pq_writer__kv(ps->w, "bpfrec.stream", t->stream);
	rc |= pq_writer__kv(ps->w, "bpfrec.type", t->type_name);
	rc |= pq_writer__kv(ps->w, "bpfrec.host", t->host);
	rc |= pq_writer__kv(ps->w, "bpfrec.capture", t->capture);
	rc |= pq_writer__kv(ps->w, "bpfrec.boot_id", se->boot_id ? se->boot_id : "");
	rc |= pq_writer__kv(ps->w, "bpfrec.kernel", se->kernel_release ? se->kernel_release : "");
	if (rc)
		goto fail;
	free(cols);
	return ps;
fail:
	if (ps) {
		pq_writer__free(ps->w);
		free(ps->vals);
	}
	free(ps);
	free(cols);
	errno = ENOMEM;
	return NULL;
}

static int pq_row(void *sink, const struct pval *vals)
{
	struct pqsink *ps = sink;

	for (size_t i = 0; i < ps->ncols; i++) {
		const struct pval *v = &vals[i];
		struct pq_value *o = &ps->vals[i];

		o->is_null = v->kind == PV_NULL;
		o->i = v->i;
		o->f = v->f;
		o->p = v->s;
		o->len = v->len;
	}
	return pq_writer__row(ps->w, ps->vals);
}

static int pq_close(void *sink)
{
	struct pqsink *ps = sink;
	int rc = pq_writer__close(ps->w);

	free(ps->vals);
	free(ps);
	return rc;
}

static void pq_abort(void *sink)
{
	struct pqsink *ps = sink;

	pq_writer__free(ps->w);
	free(ps->vals);
	free(ps);
}

static const struct hive_format parquet_hive = {
	.ext = ".parquet", .open = pq_open, .row = pq_row, .close = pq_close, .abort = pq_abort,
};

static int write_parquet(struct export *x)
{
	return hive__export(x, &parquet_hive);
}

const struct export_format export_parquet = {
	.name = "parquet",
	.summary = "Parquet (ZSTD pages, min/max statistics), one file per stream per capture",
	.to = EXPORT_TO_DIR,
	.write = write_parquet,
};
