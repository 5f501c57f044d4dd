/* timefmt.h - wall-clock time for a capture's kernel timestamps.
 *
 * Records carry CLOCK_BOOTTIME ns ("ts").  The session row samples both
 * clocks once (clock_boot_ns, clock_real_ns), so
 *     wall_ns = ts - clock_boot_ns + clock_real_ns
 * and back.  Wall time is printed in UTC as ISO 8601 with nanoseconds,
 * always the same width, so that text order is time order:
 *     2024-05-01T12:34:56.123456789Z     (TIMEFMT_LEN characters)
 */
#ifndef BPFREC_REPLAY_TIMEFMT_H
#define BPFREC_REPLAY_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_LEN 30          /* strlen of the canonical form */

struct timeclock {
	int64_t boot_ns;        /* sessions.clock_boot_ns */
	int64_t real_ns;        /* sessions.clock_real_ns */
};

static inline int64_t timeclock__wall(const struct timeclock *c, uint64_t ts)
{
	return (int64_t)(ts - (uint64_t)c->boot_ns + (uint64_t)c->real_ns);
}

static inline uint64_t timeclock__ts(const struct timeclock *c, int64_t wall_ns)
{
	return (uint64_t)wall_ns - (uint64_t)c->real_ns + (uint64_t)c->boot_ns;
}

/* Formats wall_ns (ns since the epoch, UTC) in the canonical form; buf needs
 * TIMEFMT_LEN + 1 bytes.  Returns buf. */
char *timefmt__iso(int64_t wall_ns, char *buf, size_t len);

/* Parses ISO 8601 date-time: "YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|+HH:MM|-HH:MM]"
 * (no zone means UTC).  0 and *wall_ns, or -EINVAL. */
int timefmt__parse_iso(const char *s, int64_t *wall_ns);

/* Parses a duration in schema/duration.h's grammar (bpfrec's too): a number with
 * an optional unit ns, us, ms, s, m, h
 * (default s), e.g. "2s", "1.5", "250ms".  0 and *ns (>= 0), or -EINVAL. */
int timefmt__parse_duration(const char *s, int64_t *ns);

/* Parses a --since/--until value into a kernel ts:
 *   "+D" or "D" (a duration): start_ts + D      (relative to the start)
 *   "-D":                    end_ts - D         (relative to the end)
 *   an ISO 8601 date-time:   that wall time
 * 0 and *ts, or -EINVAL. */
int timefmt__parse_bound(const char *s, const struct timeclock *c, uint64_t start_ts,
			 uint64_t end_ts, uint64_t *ts);

/* If s is a prefix of the canonical form (at least "YYYY", no zone, cut
 * anywhere after a complete field or within the fraction) or the complete
 * canonical form, returns 1 and the wall time of its first instant in
 * *wall_ns and 1 if it was complete in *full.  Then, for any canonical T,
 * strcmp(T, s) orders like comparing times (see vtab.c).  0 otherwise. */
int timefmt__canonical_prefix(const char *s, size_t len, int64_t *wall_ns, int *full);

/* A time as SQL text may hold it: a prefix of the canonical form (as
 * above: "2024", "2024-05-01T12") or anything timefmt__parse_iso takes,
 * which includes SQLite's own "YYYY-MM-DD HH:MM:SS[.SSS]" (datetime(),
 * CURRENT_TIMESTAMP).  s need not end in NUL.  0 and *wall_ns (the first
 * instant it names), or -EINVAL. */
int timefmt__parse_sql(const char *s, size_t len, int64_t *wall_ns);

/* The collation of every wall-time column (name TIMEFMT_COLLATION): two
 * texts that are times compare as the instants they name, so that
 * time >= '2026-11-26 12:52:05' means what it says; anything else compares
 * as bytes.  For sqlite3_create_collation_v2 (SQLITE_UTF8). */
#define TIMEFMT_COLLATION "bpfrec_time"
int timefmt__collate(void *unused, int alen, const void *a, int blen, const void *b);

#endif
