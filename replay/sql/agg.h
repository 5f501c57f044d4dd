/* agg.h - aggregates for latencies, on any connection that has the capture
 * tables (vtab__register calls it):
 *   percentile(X, P)  the P-th percentile (P from 0 to 100, the same for
 *                     every row) of the non-NULL X, interpolated linearly
 *                     between the two nearest values (as SQLite's own
 *                     percentile extension and numpy's default)
 *   median(X)         percentile(X, 50)
 * NULL when no X is non-NULL; an error for a text X or a bad P. */
#ifndef BPFREC_REPLAY_AGG_H
#define BPFREC_REPLAY_AGG_H

#include <sqlite3.h>

/* SQLITE_OK or an SQLite code. */
int agg__register(sqlite3 *db);

#endif
