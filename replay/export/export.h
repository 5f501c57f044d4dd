/* export.h - what an export format sees: `bpfreplay export` (cmd_export.c)
 * parses the command line once (-o OUT, --format, the slice options of
 * slice.h), opens the capture(s) and their slices, and hands one `struct
 * export` to the format's write().  A format is one file in replay/export/
 * that defines one `const struct export_format` and is listed once in
 * cmd_export.c's table (below: its declaration).
 *
 * Reading: export__next() yields the records of every capture's slice
 * (the filters applied, damaged records and blocks skipped, counted and
 * reported), capture by capture, each in ascending ts order; memory stays
 * bounded by the slice's (slice.h), so a format that writes as it reads
 * exports any capture.  A format that needs more (the losses, the session,
 * the index) asks the capture: export__capture(), capview.h; export__losses()
 * walks the losses of the slice.
 *
 * Writing: a EXPORT_TO_FILE format writes to export__file(): the -o path,
 * or standard output for '-'; cmd_export closes it, checks the write and
 * removes a file a failed export left.  A EXPORT_TO_DIR format creates the
 * directory export__out() names (it must not exist) and writes into it.
 *
 * write() returns 0 or -errno, having said what failed (cli__warn, naming
 * the thing and the cause); -EIO with nothing said means the output failed
 * and cmd_export says so.
 */
#ifndef BPFREC_REPLAY_EXPORT_H
#define BPFREC_REPLAY_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capview.h"
#include "slice.h"

struct export;

enum export_to {
	EXPORT_TO_FILE,             /* -o FILE, '-' for standard output */
	EXPORT_TO_DIR,              /* -o DIR, created by the format */
};

struct export_format {
	const char *name;           /* --format NAME */
	const char *summary;        /* one line for --help */
	enum export_to to;
	int (*write)(struct export *x);
};

/* The formats (one file each in replay/export/). */
extern const struct export_format export_perfetto;     /* perfetto.c */
extern const struct export_format export_chrome;       /* perfetto.c */
extern const struct export_format export_parquet;      /* parquet.c */
extern const struct export_format export_jsonl_zst;    /* jsonl_zst.c */
extern const struct export_format export_html;         /* html.c: bpfreplay report */

size_t export__ncaptures(const struct export *x);
struct capview *export__capture(const struct export *x, size_t i);
struct slice *export__slice(const struct export *x, size_t i);
const struct export_format *export__format(const struct export *x);
/* The -o argument as given ('-': standard output). */
const char *export__out(const struct export *x);
/* --row-group-rows: rows per row group for the formats that have them
 * (parquet); 0: the format's default. */
uint64_t export__row_group_rows(const struct export *x);
/* EXPORT_TO_FILE formats: the open output (not to be closed). */
FILE *export__file(const struct export *x);

struct export_rec {
	size_t cap;                 /* which capture (export__capture) */
	struct capview_stream *s;      /* its stream, never NULL */
	const struct cap_rec *rec;  /* valid until the next export__next */
};

/* The next record: 1 and *r, 0 at the end, or -errno (-EINVAL: --where
 * failed to evaluate, SQLite's message printed). */
int export__next(struct export *x, struct export_rec *r);

struct export_loss {
	size_t cap;
	struct capview_stream *s;
	uint32_t cpu;               /* CAP_CPU_UNKNOWN when the buffer does not say */
	uint64_t ts_ns, count;
};
/* Calls fn for each loss of a selected stream within the slice's time
 * bounds, capture by capture, in ts order; stops at fn's first non-zero
 * return and returns it.  0, or -EIO when the index cannot be read (said). */
int export__losses(struct export *x, int (*fn)(void *ctx, const struct export_loss *l),
		   void *ctx);

/* ---- what a stream's columns are for (export/cols.c) ----
 * Found by name, the same for every format that draws processes, so that a
 * user's own streams get the same treatment as the built-in probes':
 *   pid        tgid, else pid (capview_stream.pid_col)
 *   tid        tid (else the record is the process's main thread)
 *   comm       comm: names processes and threads
 *   lat        latency_ns, latency, lat_ns, duration_ns, dur_ns: ns from ts
 *   ret        ret: a negative value is -errno (a failed call)
 *   filename, ppid             of an exec stream
 *   child_pid, child_comm      of a fork stream
 *   exit_code                  of an exit stream
 *   ustack, kstack  stack ids (typedefs bpfrec_ustack_id, bpfrec_kstack_id:
 *              bpfrec.h), named from the capture's symbols (symb.h)
 * Roles: exec (stream exec or sched_process_exec), exit (exit or
 * sched_process_exit), fork (a stream with a child_pid column). */
enum export_role { EXPORT_ROLE_NONE, EXPORT_ROLE_EXEC, EXPORT_ROLE_EXIT, EXPORT_ROLE_FORK };

struct export_cols {
	int pid, tid, comm, lat, ret;       /* column index in s->cols, -1: none */
	int filename, ppid, child_pid, child_comm, exit_code, ustack, kstack;
	enum export_role role;
};

void export__cols(const struct capview_stream *s, struct export_cols *out);
/* Integer value of column col: 0, or -1 if col < 0 or the value is NULL. */
int export__col_int(struct capview_stream *s, int col, const struct cap_rec *rec, int64_t *out);
/* Text of column col into buf (truncated; "" if col < 0 or undecodable). */
void export__col_text(struct capview_stream *s, int col, const struct cap_rec *rec, char *buf,
		      size_t len);
/* The record's stacks as one folded line (symb__fold: "comm;outer;...;
 * inner", kernel frames last with _[k]) into out, replacing its contents:
 * 1 if the record has a stack, 0 if not (no stack column, or no stack
 * recorded for this event), -errno.  The capture's symbols are loaded on
 * the first call; stack tables that cannot be read leave every stack out. */
int export__fold_stack(struct capview *c, struct capview_stream *s, const struct export_cols *cols,
		       const struct cap_rec *rec, struct strbuf *out);

#endif
