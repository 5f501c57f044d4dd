/* capview.h - a capture viewed as typed streams: what bpfreplay makes of an
 * opened capture.  schema's capr reads the bytes (index rows, blocks); a
 * capview holds that reader, the session's clock, and every stream with its
 * decoder (evtype, from the BTF stored in the capture), its SQL column names
 * and the list of blocks that hold its records.
 * Shared by the CLI commands, the virtual tables and the SQLite extension.
 *
 * Column names: every stream's SQL columns are the common ones (ts, time,
 * cpu, stream) followed by the event type's flattened members.  A member
 * whose name collides with an earlier column (case-insensitively, as SQL
 * compares names) gets '_' appended until it is unique: a member `ts`
 * becomes `ts_`.  The same names are used by show (field=value) and --where.
 */
#ifndef BPFREC_REPLAY_CAPVIEW_H
#define BPFREC_REPLAY_CAPVIEW_H

#include <stddef.h>
#include <stdint.h>
#include "capr.h"
#include "evtype.h"
#include "timefmt.h"
#include "print.h"

#define CAPVIEW_NCOMMON 4          /* ts, time, cpu, stream */
/* The event types of one capture's streams are built on open, one per
 * stream, and a stream is a row of some tens of bytes: together they may
 * visit at most this many BTF members and make this many columns (a
 * recording's few dozen streams take a few thousand).  A stream past it
 * reads as raw bytes, and its type_err says why. */
#define CAPVIEW_MAX_TYPE_VISITS (1u << 23)
#define CAPVIEW_MAX_TYPE_COLS (1u << 18)

struct capview_session {
	int64_t id;
	char *host, *kernel_release, *boot_id, *cmdline, *tool_version;
	struct timeclock clock;
	uint64_t start_ns;          /* boot clock */
	uint64_t end_ns;            /* 0 if the recorder did not finish */
	int has_end;
};

/* One block holding records of a stream, with that stream's own bounds. */
struct capview_sblock {
	size_t idx;                 /* index into capview__blocks() */
	uint32_t nrecords;          /* this stream's records in the block */
	uint64_t min_ts, max_ts;    /* this stream's records' bounds */
};

struct capview_stream {
	int64_t id;                 /* streams.id */
	char *name;                 /* streams.name: data from the capture, any
				     * bytes (escape it to print it) */
	char *table;                /* its SQL table: the name, or name + "_events"
				     * if that is a metadata table's (sessions,
				     * streams, losses, blocks, block_streams, objects,
				     * stacks, frames, programs, stream_loss,
				     * loss_windows, users, groups),
				     * or "stream_ID" when the name is not a stream
				     * name (capname.h) */
	char *kind, *map_name;
	char *type_name;            /* NULL: raw bytes */
	int64_t type_id, object_id;
	int ts_offset;
	uint32_t btf_type_id;       /* the object's BTF type et was made of, 0: bytes */
	struct evtype *et;          /* never NULL: bytes when the type is unusable;
				     * shared by the streams of one object's type
				     * (decode one value at a time, as for two
				     * cursors of one stream) */
	int et_borrowed;            /* et is an earlier stream's: not freed with this one */
	char *type_err;             /* why the BTF type could not be used, or NULL */
	size_t ncols;               /* evtype columns */
	char **cols;                /* their SQL names (see above) */
	int pid_col;                /* evtype column tgid (else pid), -1 if none */
	uint64_t nrecords;          /* from the index */
	uint64_t min_ts, max_ts;    /* bounds of its records, 0 if none */
	struct capview_sblock *blocks; /* in capview__blocks() order (ascending min_ts) */
	size_t nblocks;
};

struct capview;

/* NULL with a one-line reason in err (names the capture and the cause). */
struct capview *capview__open(const char *path, char *err, size_t errlen);
void capview__close(struct capview *c);                     /* NULL is fine */
struct capr *capview__capr(struct capview *c);
const char *capview__path(const struct capview *c);
const struct capview_session *capview__session(const struct capview *c);
size_t capview__nstreams(const struct capview *c);
struct capview_stream *capview__stream(struct capview *c, size_t i);
struct capview_stream *capview__stream_by_id(struct capview *c, int64_t id);      /* NULL if none */
struct capview_stream *capview__stream_by_name(struct capview *c, const char *name);
/* The validated BTF of object id (objects.id), owned by c; NULL when it
 * has none or it failed validation. */
const struct btfv *capview__object_btf(struct capview *c, int64_t object_id);
/* Blocks in ascending min_ts order (capr__blocks). */
const struct cap_block_info *capview__blocks(struct capview *c, size_t *n);
/* First and last record ts over all blocks (0, 0 if empty). */
void capview__span(const struct capview *c, uint64_t *min_ts, uint64_t *max_ts);

/* Value of SQL column i (0..CAPVIEW_NCOMMON + s->ncols - 1) of a record of s
 * that passed evtype__check.  Text points into the evtype's scratch space or
 * into timebuf, valid until the next call.  0 or -errno. */
int capview__value(const struct capview *c, struct capview_stream *s, const struct cap_rec *rec,
		size_t i, struct pval *out, char timebuf[TIMEFMT_LEN + 1]);
/* evval -> pval (the printers' value). */
void capview__pval(const struct evval *v, struct pval *out);

/* Runs one read-only query (sql: bpfrec's own constant text, one
 * statement) on the capture's index and calls row() once with vals NULL
 * (the header: ncols is the result's width), then for each row with its
 * ncols values.  Neither the file's column names nor its declared types are
 * passed on: a caller declares its own (nothing the file says becomes SQL).
 * Stops at row()'s first non-zero return and returns it; -EBADMSG on an
 * SQLite error (err gets it).  Reads the index here, in the library's own
 * SQLite, so that the extension never hands the index's handles to the
 * host's SQLite API. */
int capview__query(struct capview *c, const char *sql,
		int (*row)(void *ctx, size_t ncols, const struct pval *vals),
		void *ctx, char *err, size_t errlen);

/* The capture's stacks and symbols (symb.h), loaded on the first call and
 * owned by c.  0, or -errno with err (the capture's stack tables are
 * malformed: the events stay readable). */
struct symb;
int capview__symb(struct capview *c, struct symb **out, char *err, size_t errlen);

/* The capture's user and group names (idnames.h), loaded on the first
 * call and owned by c.  0, or -errno with err (a table that cannot be
 * read: *out is then NULL, and ids print as numbers); a capture without
 * the tables gives names that name nothing. */
struct idnames;
int capview__idnames(struct capview *c, struct idnames **out, char *err, size_t errlen);

/* A capture's name, for the `capture` column of several captures and the
 * export's file names: the last component of path (trailing '/' ignored),
 * without a ".bpfrec" suffix.  Points into path; *len its length. */
const char *capview__name_of(const char *path, size_t *len);

/* Common column names, index 0..CAPVIEW_NCOMMON-1. */
extern const char *const capview_common_cols[CAPVIEW_NCOMMON];

#endif
