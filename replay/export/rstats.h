/* rstats.h - what the report shows, gathered in one pass over an export's
 * records (export__next) and its losses, then written as one JSON object.
 *
 * Memory is bounded by what the report keeps, never by the events: fixed
 * time buckets per stream, one entry per process and per command seen, one
 * latency histogram per stream that has a latency (log-linear: 64 steps per
 * power of two, so a percentile is within 1/64 of the truth, and the max is
 * exact), folded stacks up to RSTATS_MAX_STACKS distinct ones, and a fixed
 * sample of events for the timeline (reservoir sampling, seeded: the same
 * capture gives the same page).
 *
 * Column roles, by name (as the Perfetto export reads them, perfetto.c):
 * tgid/pid, tid, comm; a latency column (latency_ns, latency, lat_ns,
 * duration_ns, dur_ns; ns); `ret` (a negative value is -errno: a failure);
 * exec/fork/exit streams for the process tree (exec: pid, ppid, filename;
 * fork: child_pid, child_comm; exit: exit_code of the main thread); stack
 * id columns for the flame graph, folded with the capture's symbols as
 * `bpfreplay flame` folds them (comm first: export__fold_stack).
 */
#ifndef BPFREC_REPLAY_RSTATS_H
#define BPFREC_REPLAY_RSTATS_H

#include "export.h"
#include "print.h"

#define RSTATS_BUCKETS 600          /* time buckets over the slice's span */
#define RSTATS_TOP 20               /* rows of the top tables */
#define RSTATS_MAX_TREE 2000        /* processes in the tree */
#define RSTATS_MAX_STACKS 20000     /* distinct folded stacks; more go to "[other]" */
#define RSTATS_SAMPLE 4000          /* events drawn on the timeline */
#define RSTATS_MAX_LANES 200        /* process lifetimes on the timeline */

struct rstats;

/* Reads every record of x (export__next) and its losses.  0 and *out, or
 * -errno (said, as export__next). */
int rstats__collect(struct export *x, struct rstats **out);
/* Appends the JSON object (see html.c's page for its use).  0 or -ENOMEM. */
int rstats__json(const struct rstats *st, struct strbuf *b);
uint64_t rstats__events(const struct rstats *st);
void rstats__free(struct rstats *st);           /* NULL is fine */

#endif
