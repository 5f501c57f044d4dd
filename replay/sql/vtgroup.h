/* vtgroup.h - the distinct rows of a grouped scan, each with how many rows
 * had it: what lets a stream table hand SQLite a GROUP BY's (or a
 * DISTINCT's) rows already grouped (vtab.c, VT_IDX_GROUP), so that SQLite
 * sorts nothing.
 *
 * A row is a tuple of SQL values (the columns the statement reads); two
 * rows are the same when their values are, type and bytes: what SQLite's
 * "IS" says of integers, texts under BINARY and blobs (reals, whose 0.0 and
 * -0.0 are equal with different bits, are the caller's to refuse).  Memory
 * is bounded: a tuple larger than max_bytes is refused (vtgroup__key_put:
 * -E2BIG), and an add that would pass max_bytes too (-E2BIG; a first
 * tuple always fits).  The caller then spills the tuples to a sorted run
 * on disk (vtgroup__spill) and goes on; the runs are merged at the end,
 * in the order asked (vtgroup__order): SQLite may take a grouped scan's
 * order for its ORDER BY (GROUP BY a ORDER BY a DESC), not only for
 * adjacency.
 * Values are copied: the caller's buffers may change after an add.
 */
#ifndef BPFREC_REPLAY_VTGROUP_H
#define BPFREC_REPLAY_VTGROUP_H

#include <stddef.h>
#include <stdint.h>

enum vgtype { VG_NULL, VG_INT, VG_TEXT, VG_BLOB, VG_FLOAT };

struct vgval {
	uint8_t type;           /* enum vgtype (VG_FLOAT: never grouped) */
	int64_t i;              /* VG_INT */
	double f;               /* VG_FLOAT */
	const void *p;          /* VG_TEXT, VG_BLOB: the bytes (not NUL-terminated) */
	size_t n;               /* their length */
};

struct vtgroup;

#define VG_MAX_COLS 64   /* columns of a tuple */

/* A table for tuples of ncols values (at most VG_MAX_COLS), at most
 * max_bytes of them and their index.  NULL with errno (ENOMEM, EINVAL). */
struct vtgroup *vtgroup__new(size_t ncols, size_t max_bytes);
void vtgroup__free(struct vtgroup *g);          /* NULL is fine */
/* Empties g (its memory kept for the next pass). */
void vtgroup__reset(struct vtgroup *g);
/* The current tuple, value by value: start, then one put per column (a
 * put copies the value: its bytes may change right after), then its hash
 * (the same for the same tuple; computed before an add).  put: 0;
 * -EINVAL for VG_FLOAT; -E2BIG when the tuple so far passes max_bytes;
 * -ENOMEM. */
void vtgroup__key_start(struct vtgroup *g);
int vtgroup__key_put(struct vtgroup *g, const struct vgval *v);
uint64_t vtgroup__key_hash(struct vtgroup *g);
/* Counts one row of the current tuple: 0; -E2BIG when, new, it would take
 * g past max_bytes (nothing counted); -ENOMEM. */
int vtgroup__add(struct vtgroup *g);
/* The order of the tuples: column cols[0] first (descending if desc[0]),
 * then cols[1], ...; n <= ncols, each col < ncols (-EINVAL).  Without a
 * call: every column in turn, ascending.  Each column in SQLite's order:
 * NULL, integers, texts by bytes, blobs by bytes (descending: reversed). */
int vtgroup__order(struct vtgroup *g, const uint32_t *cols, const uint8_t *desc, size_t n);
/* Puts the tuples in that order: what a sorter would give.  Then
 * vtgroup__get(g, 0..n-1) reads them in that order; no add until the next
 * reset. */
void vtgroup__sort(struct vtgroup *g);
size_t vtgroup__count(const struct vtgroup *g);         /* distinct tuples */
/* Tuple k's values into vals[0..ncols) (pointing into g: valid until the
 * next add, reset or free); returns how many rows had it. */
uint64_t vtgroup__get(const struct vtgroup *g, size_t k, struct vgval *vals);

/* More distinct tuples than max_bytes holds, in one pass over the rows:
 * when an add fails with -E2BIG, vtgroup__spill sorts g's tuples, writes
 * them to a temporary file (a run) and empties g, and the add is made
 * again.  At the end vtgroup__merge_start sorts what g holds (a last run
 * when there are others), then vtgroup__merge_next hands out every
 * distinct tuple once, in the order, with its rows counted over all the
 * runs: 1 and vals (valid until the next call), 0 at the end.  The merge
 * reads ahead in each run, at least a tuple: when the runs' read-ahead
 * passes max_bytes (many runs, or large tuples), merge_start first merges
 * them in passes into fewer, longer runs (at the file's end), so that the
 * runs never hold more than max_bytes, or two runs' largest tuples.
 * -errno: the file could not be written (ENOSPC, EIO) or read back (EIO),
 * ENOMEM, EINTR (vtgroup__on_stop).  A reset drops the runs. */
int vtgroup__spill(struct vtgroup *g);
/* Why the last vtgroup__spill could not make its file (spillfile.h: in
 * $TMPDIR, else /tmp), naming the directory; "" when it could. */
const char *vtgroup__spill_error(const struct vtgroup *g);
int vtgroup__merge_start(struct vtgroup *g);
int vtgroup__merge_next(struct vtgroup *g, struct vgval *vals, uint64_t *count);
/* stop(ctx) is asked now and then while merge_start merges runs in
 * passes (true: it fails with -EINTR). */
void vtgroup__on_stop(struct vtgroup *g, int (*stop)(void *ctx), void *ctx);
/* Slots of the index an add looked at, over the adds since the last
 * reset (about one per add: the hash spreads the tuples). */
size_t vtgroup__probes(const struct vtgroup *g);
/* The most memory the runs' read-ahead took at once since the last reset,
 * bytes. */
size_t vtgroup__merge_peak(const struct vtgroup *g);

#endif
