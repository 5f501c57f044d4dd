/* rcap.h - an opened capture as bpfreplay sees it: the reader (capr), the
 * session's clock, and every stream with its decoder (evtype, from the BTF
 * stored in the capture) and the list of blocks that hold its records.
 * Shared by the CLI commands, the virtual tables and the SQLite extension.
 *
 * Column names: every stream's SQL columns are the common ones (ts, time,
 * cpu, stream) followed by the event type's flattened members.  A member
 * whose name collides with an earlier column (case-insensitively, as SQL
 * compares names) gets '_' appended until it is unique: a member `ts`
 * becomes `ts_`.  The same names are used by show (field=value) and --where.
 */
#ifndef BPFREC_REPLAY_RCAP_H
#define BPFREC_REPLAY_RCAP_H

#include <stddef.h>
#include <stdint.h>
#include "capr.h"
#include "evtype.h"
#include "timefmt.h"
#include "print.h"

#define RCAP_NCOMMON 4          /* ts, time, cpu, stream */

struct rcap_session {
	int64_t id;
	char *host, *kernel_release, *boot_id, *cmdline, *tool_version;
	struct timeclock clock;
	uint64_t start_ns;          /* boot clock */
	uint64_t end_ns;            /* 0 if the recorder did not finish */
	int has_end;
};

/* One block holding records of a stream, with that stream's own bounds. */
struct rcap_sblock {
	size_t idx;                 /* index into rcap__blocks() */
	uint32_t nrecords;          /* this stream's records in the block */
	uint64_t min_ts, max_ts;    /* this stream's records' bounds */
};

struct rcap_stream {
	int64_t id;                 /* streams.id */
	char *name;                 /* streams.name: data from the capture, any
				     * bytes (escape it to print it) */
	char *table;                /* its SQL table: the name, or name + "_events"
				     * if that is a metadata table's (sessions,
				     * streams, losses, blocks, block_streams, objects),
				     * or "stream_ID" when the name is not a stream
				     * name (capname.h) */
	char *kind, *map_name;
	char *type_name;            /* NULL: raw bytes */
	int64_t type_id, object_id;
	int ts_offset;
	struct evtype *et;          /* never NULL: bytes when the type is unusable */
	char *type_err;             /* why the BTF type could not be used, or NULL */
	size_t ncols;               /* evtype columns */
	char **cols;                /* their SQL names (see above) */
	int pid_col;                /* evtype column tgid (else pid), -1 if none */
	uint64_t nrecords;          /* from the index */
	uint64_t min_ts, max_ts;    /* bounds of its records, 0 if none */
	struct rcap_sblock *blocks; /* in rcap__blocks() order (ascending min_ts) */
	size_t nblocks;
};

struct rcap;

/* NULL with a one-line reason in err (names the capture and the cause). */
struct rcap *rcap__open(const char *path, char *err, size_t errlen);
void rcap__close(struct rcap *c);                     /* NULL is fine */
struct capr *rcap__capr(struct rcap *c);
const char *rcap__path(const struct rcap *c);
const struct rcap_session *rcap__session(const struct rcap *c);
size_t rcap__nstreams(const struct rcap *c);
struct rcap_stream *rcap__stream(struct rcap *c, size_t i);
struct rcap_stream *rcap__stream_by_id(struct rcap *c, int64_t id);      /* NULL if none */
struct rcap_stream *rcap__stream_by_name(struct rcap *c, const char *name);
/* Blocks in ascending min_ts order (capr__blocks). */
const struct cap_block_info *rcap__blocks(struct rcap *c, size_t *n);
/* First and last record ts over all blocks (0, 0 if empty). */
void rcap__span(const struct rcap *c, uint64_t *min_ts, uint64_t *max_ts);

/* Value of SQL column i (0..RCAP_NCOMMON + s->ncols - 1) of a record of s
 * that passed evtype__check.  Text points into the evtype's scratch space or
 * into timebuf, valid until the next call.  0 or -errno. */
int rcap__value(const struct rcap *c, struct rcap_stream *s, const struct cap_rec *rec,
		size_t i, struct pval *out, char timebuf[TIMEFMT_LEN + 1]);
/* evval -> pval (the printers' value). */
void rcap__pval(const struct evval *v, struct pval *out);

/* Runs one read-only query (sql: bpfrec's own constant text, one
 * statement) on the capture's index and calls row() once with vals NULL
 * (the header: ncols is the result's width), then for each row with its
 * ncols values.  Neither the file's column names nor its declared types are
 * passed on: a caller declares its own (nothing the file says becomes SQL).
 * Stops at row()'s first non-zero return and returns it; -EBADMSG on an
 * SQLite error (err gets it).  Reads the index here, in the library's own
 * SQLite, so that the extension never hands the index's handles to the
 * host's SQLite API. */
int rcap__query(struct rcap *c, const char *sql,
		int (*row)(void *ctx, size_t ncols, const struct pval *vals),
		void *ctx, char *err, size_t errlen);

/* The capture's stacks and symbols (symb.h), loaded on the first call and
 * owned by c.  0, or -errno with err (the capture's stack tables are
 * malformed: the events stay readable). */
struct symb;
int rcap__symb(struct rcap *c, struct symb **out, char *err, size_t errlen);

/* A capture's name, for the `capture` column of several captures and the
 * export's file names: the last component of path (trailing '/' ignored),
 * without a ".bpfrec" suffix.  Points into path; *len its length. */
const char *rcap__name_of(const char *path, size_t *len);

/* Common column names, index 0..RCAP_NCOMMON-1. */
extern const char *const rcap_common_cols[RCAP_NCOMMON];

#endif
