/* duration.h - the one grammar for a length of time on either tool's
 * command line (bpfrec record -d, --flush-interval, --ring-time; bpfreplay
 * --since/--until offsets), so that what one accepts the other accepts.
 *
 *   NUMBER[UNIT]   NUMBER: decimal, a fraction allowed ("1.5"), no sign
 *                  UNIT:   ns, us, ms, s (the default), m or min, h
 *
 * e.g. "10", "1.5s", "500ms", "1000000ns", "2m", "1h".  The result is
 * rounded to the nearest ns and must stay below 2^63 ns (about 292 years).
 */
#ifndef BPFREC_SCHEMA_DURATION_H
#define BPFREC_SCHEMA_DURATION_H

#include <stdint.h>

/* 0 and *ns, or -EINVAL (then *ns is untouched). */
int cap_parse_duration_ns(const char *s, uint64_t *ns);

/* The grammar in words, for error messages. */
#define CAP_DURATION_HINT "a time such as 10, 1.5s, 500ms, 250us, 1000000ns, 2m, 1h"

#endif
