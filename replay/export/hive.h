/* hive.h - the directory layout shared by the table formats (parquet,
 * jsonl.zst): one file per stream per capture, in Hive partitions that
 * Spark, Trino, ClickHouse and DuckDB read as columns:
 *
 *     DIR/stream=NAME/host=HOST/date=YYYY-MM-DD/part-CAPTURE.EXT
 *
 * host is the session's host name, date the UTC day the capture started
 * (one file per capture, even past midnight), CAPTURE the capture's name
 * (capview__name_of).  Each file holds the stream's columns as in
 * `bpfreplay sql`, typed, minus those the path already holds:
 *     ts INT64 (kernel boot clock ns), time (wall time, UTC, ns),
 *     cpu (NULL if unknown), capture, then the event's fields (NULL
 *     where the row lacks the field, as show leaves it out: rowlacks.h).
 * An event field named like a partition column (stream, host, date) or
 * capture gets '_' appended until unique, as capview.h does for ts and time.
 *
 * Every path component that comes from the capture (stream, host, capture
 * name: hostile input) is escaped by hive__escape: no '/', no NUL, never
 * "." or "..", at most HIVE_MAX_COMPONENT bytes; the directory is created
 * new and files are created O_EXCL | O_NOFOLLOW, so nothing is written
 * outside DIR.  Text that is not UTF-8 gets U+FFFD for each bad byte
 * (Parquet STRING must be UTF-8).
 */
#ifndef BPFREC_REPLAY_EXPORT_HIVE_H
#define BPFREC_REPLAY_EXPORT_HIVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"
#include "print.h"

#define HIVE_MAX_COMPONENT 200

enum hive_type {
	HIVE_INT,       /* signed, bits wide: pval.i */
	HIVE_UINT,      /* unsigned, bits wide: pval.i holds the bits */
	HIVE_TIME,      /* wall ns since the epoch, UTC: pval.i */
	HIVE_TEXT,      /* UTF-8: pval.s, len */
	HIVE_JSON,      /* JSON text (arrays): pval.s, len */
	HIVE_REAL,      /* pval.f */
	HIVE_BYTES,     /* pval.s, len */
};

struct hive_col {
	const char *name;
	enum hive_type type;
	uint8_t bits;               /* HIVE_INT, HIVE_UINT: 8, 16, 32, 64 */
	uint8_t nullable;
};

/* One output file: what a format's open() gets. */
struct hive_table {
	const char *stream, *host, *capture, *type_name;  /* type_name: "" if raw */
	const struct capview_session *session;
	const struct hive_col *cols;
	size_t ncols;
};

/* A table format: open() gets the created file (owned by the caller, which
 * closes it after close()), row() values in cols order (pval kinds: PV_NULL
 * or as enum hive_type says), close() ends the file (0 or -errno) and frees
 * the sink, abort() frees it without ending. */
struct hive_format {
	const char *ext;                            /* ".parquet" */
	void *(*open)(FILE *f, const struct hive_table *t, struct export *x);
	int (*row)(void *sink, const struct pval *vals);
	int (*close)(void *sink);
	void (*abort)(void *sink);
};

/* Creates export__out(x) (it must not exist) and writes every record of x
 * through f.  0 or -errno, having said what failed. */
int hive__export(struct export *x, const struct hive_format *f);

/* Escapes one path component into out (outlen >= HIVE_MAX_COMPONENT + 1):
 * bytes outside [A-Za-z0-9_.-] and a leading '.' become %XX (Hive's own
 * escaping, which engines undo); "" becomes __HIVE_DEFAULT_PARTITION__; a
 * result longer than HIVE_MAX_COMPONENT is cut and ends in "~" and 16 hex
 * digits of a hash of the whole value, so that it stays unique. */
void hive__escape(const char *s, size_t len, char *out, size_t outlen);
/* s if it is valid UTF-8, else a copy in scratch with U+FFFD for each byte
 * that is not part of a valid sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  NULL on -ENOMEM. */
const char *hive__utf8(const char *s, size_t len, struct strbuf *scratch, size_t *outlen);

#endif
