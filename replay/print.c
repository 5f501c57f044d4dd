/* print.c - see print.h. */
#include "print.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int strbuf__grow(struct strbuf *b, size_t len)
{
	size_t cap = b->cap ? b->cap : 64;

	while (cap < b->len + len + 1)
		cap *= 2;
	char *n = realloc(b->buf, cap);
	if (!n)
		return -ENOMEM;
	b->buf = n;
	b->cap = cap;
	return 0;
}

int strbuf__addf(struct strbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(tmp))
		return strbuf__add(b, tmp, (size_t)n);
	char *big = malloc((size_t)n + 1);
	if (!big)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	n = strbuf__add(b, big, (size_t)n);
	free(big);
	return n;
}

void strbuf__free(struct strbuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

static int add_real(struct strbuf *b, double f)
{
	char tmp[64];

	if (isnan(f))
		return strbuf__add(b, "NaN", 3);
	if (isinf(f))
		return f > 0 ? strbuf__add(b, "Inf", 3) : strbuf__add(b, "-Inf", 4);
	snprintf(tmp, sizeof(tmp), "%.15g", f);
	if (strtod(tmp, NULL) != f)
		snprintf(tmp, sizeof(tmp), "%.17g", f);
	/* keep it recognisably real: 1.0 not 1 */
	if (!strpbrk(tmp, ".eEn"))
		strcat(tmp, ".0");
	return strbuf__add(b, tmp, strlen(tmp));
}

static int add_hex(struct strbuf *b, const char *s, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		char two[2] = { hx[(unsigned char)s[i] >> 4], hx[(unsigned char)s[i] & 15] };
		if (strbuf__add(b, two, 2))
			return -ENOMEM;
	}
	return 0;
}

/* The one escaping of text for the terminal.  Table/logfmt (lines 0):
 * one value stays on one line (\n, \t, \r, \\, \xNN for other control
 * bytes).  CSV (lines 1): newline and tab stay (the field is quoted), every
 * other control byte, \r included, becomes \xNN, backslashes stay as they
 * are; in both, a byte outside valid UTF-8 and a C1 control (U+0080 to
 * U+009F) become \xNN: a capture's text never drives the terminal in any format. */
static int add_escaped_mode(struct strbuf *b, const char *s, size_t len, int lines)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		const char *e = NULL;

		if (lines && (c == '\n' || c == '\t' || c == '\\')) {
			/* kept: the CSV field is quoted */
		} else if (c == '\n')
			e = "\\n";
		else if (c == '\t')
			e = "\\t";
		else if (c == '\r')
			e = "\\r";
		else if (c == '\\')
			e = "\\\\";
		else if (c < 0x20 || c == 0x7f)
			e = tmp, snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else if (c >= 0x80) {
			/* Valid UTF-8 passes, but not a C1 control (U+0080..U+009F:
			 * CSI is U+009B) nor a byte outside a valid sequence,
			 * which a non-UTF-8 terminal would take as C1. */
			uint32_t cp = 0;
			size_t n = utf8__seq(s + i, len - i, &cp);
			if (n && cp >= 0xa0) {
				if (strbuf__add(b, s + i, n))
					return -ENOMEM;
				i += n - 1;
				continue;
			}
			size_t k = n ? n : 1;
			for (size_t j = 0; j < k; j++)
				if (strbuf__addf(b, "\\x%02x", (unsigned char)s[i + j]))
					return -ENOMEM;
			i += k - 1;
			continue;
		}
		if (e ? strbuf__add(b, e, strlen(e)) : strbuf__add(b, (const char *)&c, 1))
			return -ENOMEM;
	}
	return 0;
}

static int add_escaped(struct strbuf *b, const char *s, size_t len)
{
	return add_escaped_mode(b, s, len, 0);
}

int print__add_safe(struct strbuf *b, const char *s, size_t len)
{
	return add_escaped_mode(b, s, len, 1);
}

/* s escaped in mode lines, each '"' written as dq: whole runs between the
 * quotes go to the escaper, so a UTF-8 sequence is judged whole. */
static int add_escaped_quoted(struct strbuf *b, const char *s, size_t len, int lines,
			      const char *dq)
{
	while (len) {
		const char *q = memchr(s, '"', len);
		size_t run = q ? (size_t)(q - s) : len;

		if (add_escaped_mode(b, s, run, lines) || (q && strbuf__add(b, dq, strlen(dq))))
			return -ENOMEM;
		run += q != NULL;
		s += run;
		len -= run;
	}
	return 0;
}

/* Decimal digits of v, without printf (the hot path of every format). */
static int add_u64(struct strbuf *b, uint64_t v, int neg)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		*--p = '-';
	return strbuf__add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

int print__value(struct strbuf *b, const struct pval *v, int escape)
{
	switch (v->kind) {
	case PV_NULL:
		return escape ? strbuf__add(b, "NULL", 4) : 0;
	case PV_ABSENT:
		return 0;
	case PV_INT:
		return v->i < 0 ? add_u64(b, -(uint64_t)v->i, 1) : add_u64(b, (uint64_t)v->i, 0);
	case PV_UINT:
		return add_u64(b, v->u, 0);
	case PV_REAL:
		return add_real(b, v->f);
	case PV_BLOB:
		return add_hex(b, v->s, v->len);
	case PV_TEXT:
	case PV_JSON:
		return escape ? add_escaped(b, v->s, v->len) : strbuf__add(b, v->s, v->len);
	}
	return -EINVAL;
}

int print__logfmt_pair(struct strbuf *b, const char *key, const struct pval *v)
{
	int quote = 0;

	if (strbuf__add(b, key, strlen(key)) || strbuf__add(b, "=", 1))
		return -ENOMEM;
	if (v->kind == PV_TEXT) {
		quote = v->len == 0;
		for (size_t i = 0; i < v->len && !quote; i++) {
			unsigned char c = (unsigned char)v->s[i];
			quote = c <= ' ' || c == '=' || c == '"' || c == 0x7f;
		}
	}
	if (!quote)
		return print__value(b, v, 1);
	if (strbuf__add(b, "\"", 1))
		return -ENOMEM;
	if (add_escaped_quoted(b, v->s, v->len, 0, "\\\""))
		return -ENOMEM;
	return strbuf__add(b, "\"", 1);
}

static int put_strbuf(void *ctx, const char *s, size_t n)
{
	return strbuf__add(ctx, s, n);
}

int print__json_string(struct strbuf *b, const char *s, size_t len)
{
	return utf8__json_string(s, len, 0, put_strbuf, b);
}

int print__json_value(struct strbuf *b, const struct pval *v)
{
	switch (v->kind) {
	case PV_NULL:
	case PV_ABSENT:
		return strbuf__add(b, "null", 4);
	case PV_REAL:
		if (!isfinite(v->f))
			return strbuf__add(b, "null", 4);
		return add_real(b, v->f);
	case PV_INT:
	case PV_UINT:
		return print__value(b, v, 0);
	case PV_JSON:
		if (v->len)
			return strbuf__add(b, v->s, v->len);
		return strbuf__add(b, "null", 4);
	case PV_TEXT:
		return print__json_string(b, v->s, v->len);
	case PV_BLOB:
		if (strbuf__add(b, "\"", 1) || add_hex(b, v->s, v->len))
			return -ENOMEM;
		return strbuf__add(b, "\"", 1);
	}
	return -EINVAL;
}

static int csv_field(struct strbuf *b, const char *s, size_t len)
{
	int quote = len && (s[0] == ' ' || s[len - 1] == ' ');

	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote)
		return print__add_safe(b, s, len);
	if (strbuf__add(b, "\"", 1))
		return -ENOMEM;
	if (add_escaped_quoted(b, s, len, 1, "\"\""))
		return -ENOMEM;
	return strbuf__add(b, "\"", 1);
}

int print__parse_fmt(const char *s, enum print_fmt *fmt)
{
	if (!strcmp(s, "table"))
		*fmt = PRINT_TABLE;
	else if (!strcmp(s, "csv"))
		*fmt = PRINT_CSV;
	else if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
		*fmt = PRINT_JSONL;
	else
		return -EINVAL;
	return 0;
}

struct printer {
	FILE *out;
	enum print_fmt fmt;
	size_t ncols;
	char **names;
	char **jnames;          /* names as JSON string literals with ':' */
	uint64_t rows;
	int header_done;
	/* table mode */
	size_t *width;          /* display width per column */
	unsigned char *right;   /* right-align (numbers seen, no text) */
	char **cells;           /* buffered rows: ncols escaped strings each */
	size_t nbuf;            /* buffered rows */
	int streaming;          /* widths fixed, rows go straight out */
	struct strbuf line;
	int err;
};

/* Display width: UTF-8 code points (good enough for a terminal table). */
static size_t dispw(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

struct printer *printer__new(FILE *out, enum print_fmt fmt, size_t ncols,
			     const char *const *names)
{
	struct printer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->out = out;
	p->fmt = fmt;
	p->ncols = ncols;
	p->names = calloc(ncols + 1, sizeof(*p->names));
	p->jnames = calloc(ncols + 1, sizeof(*p->jnames));
	p->width = calloc(ncols + 1, sizeof(*p->width));
	p->right = calloc(ncols + 1, 1);
	if (!p->names || !p->jnames || !p->width || !p->right)
		goto fail;
	for (size_t i = 0; i < ncols; i++) {
		struct strbuf b = { 0 };
		p->names[i] = strdup(names[i]);
		if (!p->names[i] || print__json_string(&b, names[i], strlen(names[i])) ||
		    strbuf__add(&b, ":", 1)) {
			strbuf__free(&b);
			goto fail;
		}
		p->jnames[i] = b.buf;
		p->width[i] = dispw(names[i]);
		p->right[i] = 2;    /* unknown yet */
	}
	if (fmt == PRINT_TABLE) {
		p->cells = calloc((ncols ? ncols : 1) * PRINT_TABLE_SAMPLE, sizeof(*p->cells));
		if (!p->cells)
			goto fail;
	}
	return p;
fail:
	printer__free(p);
	errno = ENOMEM;
	return NULL;
}

static int emit(struct printer *p)
{
	if (fwrite(p->line.buf, 1, p->line.len, p->out) != p->line.len) {
		p->err = -EIO;
		return -EIO;
	}
	p->line.len = 0;
	return 0;
}

static int table_line(struct printer *p, char *const *cells)
{
	for (size_t i = 0; i < p->ncols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		size_t w = dispw(s), pad = w < p->width[i] ? p->width[i] - w : 0;
		int last = i + 1 == p->ncols;

		if (p->right[i] == 1)
			for (size_t k = 0; k < pad; k++)
				strbuf__add(&p->line, " ", 1);
		strbuf__add(&p->line, s, strlen(s));
		if (p->right[i] != 1 && !last)
			for (size_t k = 0; k < pad; k++)
				strbuf__add(&p->line, " ", 1);
		if (!last)
			strbuf__add(&p->line, "  ", 2);
	}
	strbuf__add(&p->line, "\n", 1);
	return emit(p);
}

static int table_flush(struct printer *p)
{
	if (p->streaming)
		return 0;
	p->streaming = 1;
	if (table_line(p, p->names))
		return -EIO;
	for (size_t i = 0; i < p->ncols; i++) {
		for (size_t k = 0; k < p->width[i]; k++)
			strbuf__add(&p->line, "-", 1);
		strbuf__add(&p->line, i + 1 == p->ncols ? "\n" : "  ", i + 1 == p->ncols ? 1 : 2);
	}
	if (emit(p))
		return -EIO;
	for (size_t r = 0; r < p->nbuf; r++) {
		if (table_line(p, p->cells + r * p->ncols))
			return -EIO;
		for (size_t i = 0; i < p->ncols; i++) {
			free(p->cells[r * p->ncols + i]);
			p->cells[r * p->ncols + i] = NULL;
		}
	}
	p->nbuf = 0;
	return 0;
}

static int table_row(struct printer *p, const struct pval *vals)
{
	char **row = p->streaming ? NULL : p->cells + p->nbuf * p->ncols;
	char *tmp[p->ncols ? p->ncols : 1];
	int rc = 0;

	if (!row)
		row = tmp;
	for (size_t i = 0; i < p->ncols; i++) {
		struct strbuf b = { 0 };
		const struct pval *v = &vals[i];

		if (print__value(&b, v, 1) || strbuf__add(&b, "", 0)) {
			strbuf__free(&b);
			for (size_t k = 0; k < i; k++) {
				free(row[k]);
				row[k] = NULL;
			}
			return -ENOMEM;
		}
		row[i] = b.buf;
		if (!p->streaming) {
			size_t w = dispw(b.buf);
			int num = v->kind == PV_INT || v->kind == PV_UINT || v->kind == PV_REAL;
			if (w > p->width[i])
				p->width[i] = w;
			if (num && p->right[i] == 2)
				p->right[i] = 1;
			else if (!num && v->kind != PV_NULL && v->kind != PV_ABSENT)
				p->right[i] = 0;
		}
	}
	if (p->streaming) {
		rc = table_line(p, row);
		for (size_t i = 0; i < p->ncols; i++)
			free(row[i]);
		return rc;
	}
	if (++p->nbuf == PRINT_TABLE_SAMPLE)
		rc = table_flush(p);
	return rc;
}

static int csv_header(struct printer *p)
{
	for (size_t i = 0; i < p->ncols; i++) {
		if (i)
			strbuf__add(&p->line, ",", 1);
		csv_field(&p->line, p->names[i], strlen(p->names[i]));
	}
	strbuf__add(&p->line, "\n", 1);
	return emit(p);
}

int printer__row(struct printer *p, const struct pval *vals)
{
	int rc = 0, first = 1;

	if (p->err)
		return p->err;
	p->rows++;
	switch (p->fmt) {
	case PRINT_TABLE:
		return table_row(p, vals);
	case PRINT_CSV:
		if (!p->header_done) {
			p->header_done = 1;
			if (csv_header(p))
				return -EIO;
		}
		for (size_t i = 0; i < p->ncols && !rc; i++) {
			struct strbuf b = { 0 };
			if (i)
				rc = strbuf__add(&p->line, ",", 1);
			if (!rc)
				rc = print__value(&b, &vals[i], 0);
			if (!rc && b.len)
				rc = csv_field(&p->line, b.buf, b.len);
			else if (!rc && (vals[i].kind == PV_TEXT || vals[i].kind == PV_BLOB ||
					 vals[i].kind == PV_JSON))
				rc = strbuf__add(&p->line, "\"\"", 2);   /* empty, not NULL */
			strbuf__free(&b);
		}
		rc = rc ? rc : strbuf__add(&p->line, "\n", 1);
		break;
	case PRINT_JSONL:
		rc = strbuf__add(&p->line, "{", 1);
		for (size_t i = 0; i < p->ncols && !rc; i++) {
			if (vals[i].kind == PV_ABSENT)
				continue;
			if (!first)
				rc = strbuf__add(&p->line, ",", 1);
			first = 0;
			if (!rc)
				rc = strbuf__add(&p->line, p->jnames[i], strlen(p->jnames[i]));
			if (!rc)
				rc = print__json_value(&p->line, &vals[i]);
		}
		rc = rc ? rc : strbuf__add(&p->line, "}\n", 2);
		break;
	}
	if (rc) {
		p->line.len = 0;
		return rc;
	}
	return emit(p);
}

int printer__end(struct printer *p)
{
	if (p->fmt == PRINT_TABLE && !p->err)
		table_flush(p);
	if (p->fmt == PRINT_CSV && !p->header_done && !p->err) {
		p->header_done = 1;
		csv_header(p);
	}
	if (fflush(p->out) || ferror(p->out))
		p->err = -EIO;
	return p->err;
}

uint64_t printer__rows(const struct printer *p)
{
	return p->rows;
}

void printer__free(struct printer *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->cells && i < p->nbuf * p->ncols; i++)
		free(p->cells[i]);
	free(p->cells);
	for (size_t i = 0; i < p->ncols; i++) {
		if (p->names)
			free(p->names[i]);
		if (p->jnames)
			free(p->jnames[i]);
	}
	free(p->names);
	free(p->jnames);
	free(p->width);
	free(p->right);
	strbuf__free(&p->line);
	free(p);
}
