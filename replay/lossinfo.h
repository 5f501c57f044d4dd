/* lossinfo.h - what bpfreplay info says about a capture's programs and
 * about how each stream's loss is known (FORMAT.md "Programs and loss"):
 * the programs table, stream_loss and loss_windows, read as hostile input
 * (values checked, text escaped by the printer).  Captures older than these
 * tables have none: their loss is "not recorded". */
#ifndef BPFREC_REPLAY_LOSSINFO_H
#define BPFREC_REPLAY_LOSSINFO_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "print.h"
#include "timefmt.h"

struct lossinfo {
	const char *method;        /* perf, rewrite, program, unobservable; NULL: not recorded */
	int exact;                 /* every loss of the stream is counted */
	uint64_t windows;          /* possible-loss windows */
};

/* How stream's loss is known.  A method the file makes up reads as not
 * recorded. */
void lossinfo__get(sqlite3 *db, int64_t stream, struct lossinfo *li);
/* The info column "loss" in words, into buf. */
const char *lossinfo__describe(const struct lossinfo *li, const char *kind, char *buf,
			       size_t len);
/* Streams whose loss is unobservable (the summary says so beside "lost"). */
uint64_t lossinfo__unobservable(sqlite3 *db);
/* The programs (table: name, section, type, state, target or reason,
 * stream) and the possible-loss windows (stream, start, end, duration,
 * peak fill), each under a heading; nothing for a capture without them.
 * 0 or -errno (output failed). */
int lossinfo__print(sqlite3 *db, const struct timeclock *ck, enum print_fmt fmt);
/* The same rows for info -o json: appends "programs":[{...}],"loss_windows":
 * [{...}] to b (empty arrays for a capture without them).  0 or -errno. */
int lossinfo__json(sqlite3 *db, const struct timeclock *ck, struct strbuf *b);

#endif
