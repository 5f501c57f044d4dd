/* progtab.h - what became of each program of an object: attached (and
 * where), loaded only, or skipped (and why), and the stream it writes.
 * The capture keeps it as its programs table (FORMAT.md "Programs and
 * loss").  bpfobj owns one per object and fills it as it loads and
 * attaches; record_progs.c puts it in the capture once the programs are
 * attached.
 */
#ifndef BPFREC_PROGTAB_H
#define BPFREC_PROGTAB_H

#include <stddef.h>
#include <stdint.h>

#include "perfspec.h"

struct bpf_program;
struct bpfobj;
struct capw;

enum progtab_state { PROGTAB_ATTACHED, PROGTAB_LOADED, PROGTAB_SKIPPED };

struct progtab_entry {
	char name[64];
	char section[128];
	char type[32];             /* libbpf's program type name */
	char target[256];          /* attached: where ("" unknown) */
	char reason[256];          /* skipped: why */
	enum progtab_state state;
};

/* The perf event --perf-event gives a SEC("perf_event") program. */
struct progtab_perf {
	char prog[128];
	struct perfspec spec;
};

struct progtab {
	struct progtab_entry *e;   /* owned, n of cap used */
	size_t n, cap;
	struct progtab_perf *perf; /* owned, nperf of them (perfattach.c) */
	size_t nperf;
	uint32_t object_id;        /* the object's objects.id, once in the capture */
};

/* Notes what became of prog, replacing an earlier note on the same name.
 * target (attached) and the reason (skipped; printf format, may be NULL)
 * are copied.  0 or -ENOMEM. */
__attribute__((format(printf, 5, 6)))
int progtab__note(struct progtab *t, const struct bpf_program *prog, enum progtab_state st,
		  const char *target, const char *reason_fmt, ...);
/* The entry of the program named, or NULL. */
struct progtab_entry *progtab__find(struct progtab *t, const char *name);
const char *progtab__state_name(enum progtab_state st);
/* Where a program of section sec attaches by libbpf's own rules, in
 * words (a tracepoint as SYSTEM:NAME, a function as is); "" if the
 * section says nothing. */
void progtab__target_of(const char *sec, char *out, size_t len);
void progtab__free(struct progtab *t);

/* A program of o left out before load (it did not load here): noted as
 * skipped with reason.  -ENOENT: no such program. */
int progtab__note_left_out(struct bpfobj *o, const char *name, const char *reason);

/* Every program of o (noted or not: one not noted is "skipped" with an
 * unknown reason) as a row of the capture's programs table, object
 * object_id, with the stream each writes (the first ringbuf or perf array
 * its instructions load, else the first snapshotted map), given to emit;
 * the row's text lives until emit returns.  0 or emit's first error. */
struct cap_program;
int progtab__rows(struct bpfobj *o, uint32_t object_id,
		  int (*emit)(void *ctx, const struct cap_program *p), void *ctx);

#endif
