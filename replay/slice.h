/* slice.h - the part of a capture a command reads, and its records in time
 * order.  `show` and `export` take the same options, parsed here once:
 *
 *   -s, --stream NAME[,NAME]   only these streams (repeatable)
 *       --since T / --until T  ts bounds, inclusive (timefmt__parse_bound)
 *   -p, --pid N                tgid (else pid) column is N (repeatable: any)
 *   -w, --where EXPR           an SQL expression over the stream's columns
 *
 * A command lists SLICE_LONGOPTS in its getopt_long table and SLICE_SHORTOPTS
 * in its optstring, hands every option to slice_args__take(), and prints
 * SLICE_HELP in its --help (show, export, report; bundle takes all but
 * --where, which cannot keep whole blocks).  slice__open() resolves the options against one
 * opened capture; slice__next() then yields the selected records in
 * ascending ts order.
 *
 * Order: records are not sorted inside blocks, and blocks overlap in time.
 * Blocks are taken in ascending min_ts order (the index's order), each
 * decoded by a cursor of its own and its wanted records used in place
 * there; a min-heap keyed by (ts, block, position) merges them (runs
 * already in that order, not single records), and a record is yielded once
 * its ts is below the next block's min_ts (no later block can hold an
 * earlier record).  Memory is bounded by the blocks that overlap in time,
 * never by the capture.
 *
 * Filters: --since/--until skip whole blocks through the index
 * (block_streams: a stream's bounds in each block).  --pid leaves out streams
 * that have neither a tgid nor a pid column (saying so).  --where is
 * evaluated by SQLite for each record, per stream, as
 *     SELECT 1 FROM (SELECT CAST(?1 AS INTEGER) AS "ts", ... every column)
 *     WHERE (EXPR)
 * with the record's decoded values bound: the same names, types and
 * affinities as the stream's virtual table in `bpfreplay sql`.  A stream
 * whose columns EXPR does not name is left out (saying so); if no stream can
 * evaluate EXPR it is an error (EXIT_QUERY, SQLite's message and position).
 *
 * Damage: a block that fails its checks is reported on stderr (block id,
 * reason; the first few per segment, then only counted: damagesay.h),
 * counted and skipped; a record shorter than its type, or of a
 * stream the index does not know, is yielded with `damaged` set (and counted)
 * so that the caller can say where it was; the filters are not applied to it.
 */
#ifndef BPFREC_REPLAY_SLICE_H
#define BPFREC_REPLAY_SLICE_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "capview.h"

#define SLICE_OPT_SINCE 0x1001
#define SLICE_OPT_UNTIL 0x1002
#define SLICE_SHORTOPTS "s:p:w:"
#define SLICE_LONGOPTS \
	{ "stream", required_argument, NULL, 's' }, \
	{ "since", required_argument, NULL, SLICE_OPT_SINCE }, \
	{ "until", required_argument, NULL, SLICE_OPT_UNTIL }, \
	{ "pid", required_argument, NULL, 'p' }, \
	{ "where", required_argument, NULL, 'w' }
#define SLICE_HELP \
	"  -s, --stream NAME   only this stream (repeat, or NAME,NAME,...)\n" \
	"      --since T       only events at or after T\n" \
	"      --until T       only events at or before T\n" \
	"                      T: wall time 2024-05-01T12:00:03.5Z (zone optional,\n" \
	"                      UTC by default), or relative: +2s or 2s from the first\n" \
	"                      event, -2s before the last; units ns us ms s m h\n" \
	"  -p, --pid N         only events whose tgid (else pid) column is N (repeat\n" \
	"                      for several); streams with neither column are left out\n" \
	"  -w, --where EXPR    only events for which the SQL expression EXPR is true;\n" \
	"                      columns as in 'bpfreplay sql' (ts, time, cpu, stream,\n" \
	"                      and the event's fields)\n"

/* The options as given; strings point into argv. */
struct slice_args {
	const char **streams;       /* --stream values, each a comma list */
	size_t nstreams;
	const char *since, *until, *where;
	int64_t *pids;
	size_t npids;
};

/* getopt_long's ch and optarg: 0 if it was a slice option (taken), 1 if it
 * is not one, else the exit status of a usage error of cmd (printed). */
int slice_args__take(struct slice_args *a, const char *cmd, int ch, const char *arg);
void slice_args__free(struct slice_args *a);

struct slice;

/* Resolves a against the capture c (not owned; it must outlive the slice).
 * 0 and *out, or the exit status after printing why (EXIT_USAGE: a bad
 * --stream or time; EXIT_QUERY: a --where no stream can evaluate;
 * EXIT_CAPTURE: out of memory). */
int slice__open(struct capview *c, const struct slice_args *a, const char *cmd,
		struct slice **out);
void slice__close(struct slice *sl);                   /* NULL is fine */

struct capview *slice__capture(const struct slice *sl);
/* 1 if stream s is selected (and not left out by --pid or --where). */
int slice__has_stream(const struct slice *sl, const struct capview_stream *s);
/* Why stream s is not selected ("not in --stream", "no tgid or pid column
 * for --pid", "no column that --where names"); NULL if it is. */
const char *slice__why_out(const struct slice *sl, const struct capview_stream *s);
/* The ts bounds, inclusive (0 and UINT64_MAX when not given). */
void slice__bounds(const struct slice *sl, uint64_t *lo, uint64_t *hi);
/* Narrows the ts bounds to [lo, hi] as well (inclusive; lo > hi: nothing),
 * skipping the blocks outside through the index; before the first
 * slice__next (the events table's time constraints). */
void slice__narrow(struct slice *sl, uint64_t lo, uint64_t hi);

struct slice_rec {
	struct capview_stream *s;      /* NULL: a record of a stream the index lacks */
	struct cap_rec rec;         /* rec.data valid until the next slice__next */
	int damaged;                /* too short for its type, or s is NULL */
	uint64_t pos;               /* its place in the capture (block position << 32 |
				     * record position): the same in every slice of
				     * the capture, whatever its bounds */
};

/* The next record: 1 and *r, 0 at the end, -ENOMEM, or -EINVAL when
 * --where failed to evaluate (SQLite's message printed), -EINTR when
 * stop (slice__on_stop) said so. */
int slice__next(struct slice *sl, struct slice_rec *r);
/* stop(ctx) is asked before each block slice__next reads (true: -EINTR):
 * a slice read inside one SQLite call (the events table) may go through
 * many blocks without a record to hand out. */
void slice__on_stop(struct slice *sl, int (*stop)(void *ctx), void *ctx);

uint64_t slice__damaged_blocks(const struct slice *sl);
uint64_t slice__damaged_records(const struct slice *sl);
/* A damaged record (slice_rec.damaged) of stream s (NULL: of the unknown
 * id stream) to report: the first few per stream are said (damagesay.h):
 * NULL when it is only counted, else the note to end the report with
 * ("" or "; further damaged records of stream X are only counted", in
 * note).  A damaged block's report is the slice's own, likewise limited
 * per segment. */
const char *slice__say_record(struct slice *sl, const struct capview_stream *s, uint32_t stream,
			      char *note, size_t len);
/* Damaged blocks and records counted but not reported one by one. */
uint64_t slice__damage_unsaid(const struct slice *sl);
/* A damaged block goes to fn(ctx, capture, its index in capview__blocks,
 * why) instead of the slice's own report (still counted): the events
 * table reports it as the stream tables do. */
void slice__on_damaged_block(struct slice *sl,
			     void (*fn)(void *ctx, struct capview *c, size_t block, const char *why),
			     void *ctx);

#endif
