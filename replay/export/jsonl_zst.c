/* jsonl_zst.c - `bpfreplay export --format jsonl.zst`: JSON Lines, one zstd
 * stream per stream per capture, in the Hive layout of hive.h
 * (part-CAPTURE.jsonl.zst).  One object per event with the Parquet export's
 * columns: integers as numbers (unsigned ones unsigned: a u64 above 2^63-1
 * prints as itself), time as the canonical ISO 8601 text of `bpfreplay sql`,
 * text as strings, arrays as JSON arrays, bytes as lower-case hex strings,
 * NaN and infinities as null.  Read back with e.g. DuckDB's
 * read_json(..., hive_partitioning = true) over the files' paths.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "export.h"
#include "hive.h"

struct jsink {
	FILE *f;
	ZSTD_CCtx *zc;
	const struct hive_col *cols;
	size_t ncols;
	struct strbuf line;
	uint8_t *zout;
	size_t zcap;
};

static void *j_open(FILE *f, const struct hive_table *t, struct export *x)
{
	struct jsink *js = calloc(1, sizeof(*js));

	(void)x;
	if (!js)
		goto fail;
	js->f = f;
	js->cols = t->cols;
	js->ncols = t->ncols;
	js->zcap = ZSTD_CStreamOutSize();
	js->zc = ZSTD_createCCtx();
	js->zout = malloc(js->zcap);
	if (!js->zc || !js->zout)
		goto fail;
	ZSTD_CCtx_setParameter(js->zc, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(js->zc, ZSTD_c_checksumFlag, 1);
	return js;
fail:
	if (js) {
		ZSTD_freeCCtx(js->zc);
		free(js->zout);
	}
	free(js);
	errno = ENOMEM;
	return NULL;
}

/* Compresses what is in line (or ends the frame) and writes it out. */
static int j_flush(struct jsink *js, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { js->line.buf, js->line.len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out = { js->zout, js->zcap, 0 };
		left = ZSTD_compressStream2(js->zc, &out, &in, end);
		if (ZSTD_isError(left))
			return -EIO;
		if (out.pos && fwrite(js->zout, 1, out.pos, js->f) != out.pos)
			return -EIO;
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
	js->line.len = 0;
	return 0;
}

static int j_row(void *sink, const struct pval *vals)
{
	struct jsink *js = sink;
	struct strbuf *b = &js->line;
	int rc = strbuf__add(b, "{", 1);

	for (size_t i = 0; i < js->ncols && !rc; i++) {
		const struct hive_col *c = &js->cols[i];
		const struct pval *v = &vals[i];

		rc = i ? strbuf__add(b, ",", 1) : 0;
		rc = rc ? rc : print__json_string(b, c->name, strlen(c->name));
		rc = rc ? rc : strbuf__add(b, ":", 1);
		if (rc)
			break;
		if (v->kind == PV_NULL) {
			rc = strbuf__add(b, "null", 4);
			continue;
		}
		switch (c->type) {
		case HIVE_INT:
			rc = strbuf__addf(b, "%" PRId64, v->i);
			break;
		case HIVE_UINT: {
			uint64_t u = (uint64_t)v->i;
			if (c->bits < 64)
				u &= (1ull << c->bits) - 1;
			rc = strbuf__addf(b, "%" PRIu64, u);
			break;
		}
		case HIVE_TIME: {
			char tb[TIMEFMT_LEN + 1];
			timefmt__iso(v->i, tb, sizeof(tb));
			rc = print__json_string(b, tb, strlen(tb));
			break;
		}
		case HIVE_REAL:
			rc = isfinite(v->f) ? strbuf__addf(b, "%.17g", v->f) : strbuf__add(b, "null", 4);
			break;
		case HIVE_JSON:
			rc = strbuf__add(b, v->s, v->len);
			break;
		case HIVE_BYTES:
			rc = strbuf__add(b, "\"", 1);
			for (size_t k = 0; k < v->len && !rc; k++)
				rc = strbuf__addf(b, "%02x", (unsigned char)v->s[k]);
			rc = rc ? rc : strbuf__add(b, "\"", 1);
			break;
		case HIVE_TEXT:
			rc = print__json_string(b, v->s, v->len);
			break;
		}
	}
	rc = rc ? rc : strbuf__add(b, "}\n", 2);
	if (rc)
		return rc;
	return b->len >= 65536 ? j_flush(js, ZSTD_e_continue) : 0;
}

static void j_free(struct jsink *js)
{
	ZSTD_freeCCtx(js->zc);
	free(js->zout);
	strbuf__free(&js->line);
	free(js);
}

static int j_close(void *sink)
{
	struct jsink *js = sink;
	int rc = j_flush(js, ZSTD_e_end);

	j_free(js);
	return rc;
}

static void j_abort(void *sink)
{
	j_free(sink);
}

static const struct hive_format jsonl_hive = {
	.ext = ".jsonl.zst", .open = j_open, .row = j_row, .close = j_close, .abort = j_abort,
};

static int write_jsonl(struct export *x)
{
	return hive__export(x, &jsonl_hive);
}

const struct export_format export_jsonl_zst = {
	.name = "jsonl.zst",
	.summary = "JSON Lines, zstd, one file per stream per capture, in the parquet layout",
	.to = EXPORT_TO_DIR,
	.write = write_jsonl,
};
