/* print.h - rows out: an aligned table (for a terminal), CSV (RFC 4180, one
 * header line) or JSON Lines (one object per row).
 *
 * Values keep their SQL type: integers and reals print as numbers, text as
 * text, NULL as empty (CSV), null (JSON) or NULL (table); an empty text or
 * blob is "" in CSV, so that it is told from NULL.  Blobs print as
 * lower-case hex (JSON: a string).  PV_ABSENT is a column this row does not
 * have (show prints events of several streams with the union of their
 * columns): empty in CSV and table, left out of the JSON object.
 *
 * Table mode buffers up to PRINT_TABLE_SAMPLE rows to size the columns, then
 * streams the rest with those widths, so memory stays bounded on any result.
 * Text is escaped in table mode (\n, \t, \\, \xNN for control bytes) so that a
 * row is one line; CSV carries it exactly but for control bytes other than
 * newline and tab (\xNN: a capture's text never drives the terminal), JSON
 * exactly (control bytes as \u00XX, invalid UTF-8 bytes become \u00XX).
 */
#ifndef BPFREC_REPLAY_PRINT_H
#define BPFREC_REPLAY_PRINT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PRINT_TABLE_SAMPLE 1000

enum print_fmt { PRINT_TABLE, PRINT_CSV, PRINT_JSONL };

enum pval_kind {
	PV_NULL, PV_INT, PV_UINT, PV_REAL, PV_TEXT, PV_BLOB,
	PV_JSON,        /* text that already is JSON (arrays from evtype): raw in JSONL */
	PV_ABSENT,
};

struct pval {
	enum pval_kind kind;
	int64_t i;              /* PV_INT */
	uint64_t u;             /* PV_UINT: printed as an unsigned decimal */
	double f;               /* PV_REAL */
	const char *s;          /* PV_TEXT, PV_JSON, PV_BLOB: bytes */
	size_t len;
};

/* "table", "csv", "jsonl" (also "json").  0 or -EINVAL. */
int print__parse_fmt(const char *s, enum print_fmt *fmt);

struct printer;

/* names: ncols column names (copied).  NULL with errno on failure. */
struct printer *printer__new(FILE *out, enum print_fmt fmt, size_t ncols,
			     const char *const *names);
/* vals: ncols values; text is copied when buffered.  0 or -errno (-EIO when
 * the output fails, e.g. a closed pipe). */
int printer__row(struct printer *p, const struct pval *vals);
/* Prints what is buffered (table mode) and flushes; 0 or -EIO. */
int printer__end(struct printer *p);
void printer__free(struct printer *p);          /* NULL is fine */
uint64_t printer__rows(const struct printer *p);

/* --- helpers also used by show's one-line format --- */

/* Appends v as text to a growing buffer: numbers as in every format, text
 * escaped as in table mode when escape is set. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
/* Room for len more bytes and a NUL: 0 or -ENOMEM. */
int strbuf__grow(struct strbuf *b, size_t len);
/* Inline: show appends a dozen small pieces per event. */
static inline int strbuf__add(struct strbuf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap && strbuf__grow(b, len))
		return -ENOMEM;
	memcpy(b->buf + b->len, s, len);
	b->len += len;
	b->buf[b->len] = 0;
	return 0;
}
int strbuf__addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf__free(struct strbuf *b);
int print__value(struct strbuf *b, const struct pval *v, int escape);
/* logfmt: key=value, the value quoted ("...") when it is empty or holds a
 * space, '=', '"' or a control byte. */
int print__logfmt_pair(struct strbuf *b, const char *key, const struct pval *v);
/* Appends s with every control byte but newline and tab (\r and ESC
 * included) as \xNN: how CSV fields and messages carry a capture's text.
 * Table and logfmt values (print__value with escape) escape newline, tab
 * and the backslash too.  Together the one path from a capture's text to
 * the terminal. */
int print__add_safe(struct strbuf *b, const char *s, size_t len);
/* Appends a JSON string literal of s. */
int print__json_string(struct strbuf *b, const char *s, size_t len);
/* Appends v as a JSON value: numbers, strings, null (also PV_ABSENT), blobs
 * as a hex string, PV_JSON as is. */
int print__json_value(struct strbuf *b, const struct pval *v);

#endif
