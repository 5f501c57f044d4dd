/* perfattach.h - SEC("perf_event") programs of an object on the event
 * --perf-event PROG=EVENT[:RATE] names (perfspec.h), opened on every
 * online CPU.  A built-in probe's (profile) takes a cpu-clock at its rate;
 * a --bpf object's program without the option is skipped with the option
 * to give: the event is the user's choice, not bpfrec's.
 */
#ifndef BPFREC_PERFATTACH_H
#define BPFREC_PERFATTACH_H

#include <stddef.h>
#include <stdint.h>

struct bpfobj;
struct bpf_link;
struct bpf_program;
struct perfspec;
struct progtab;

/* Before attach: the event of program prog of o.  -ENOENT if o has no
 * program of that name, -EINVAL (message printed) if it is not a
 * SEC("perf_event") program, -ENOMEM. */
int perfattach__set(struct bpfobj *o, const char *prog, const struct perfspec *spec);
/* For bpfobj__attach: attaches prog (SEC("perf_event")) of the object
 * objname (builtin: a built-in probe, sample_hz its rate) as above, its
 * links (which own the events) appended to *links (*nlinks used of
 * *slots, grown), the result noted in t.  Messages name the program and
 * the cause (a hardware event on a machine without counters in words).
 * The CPUs attached, or -errno when it did not attach. */
int perfattach__program(struct progtab *t, const char *objname, int builtin,
			uint32_t sample_hz, struct bpf_program *prog, struct bpf_link ***links,
			size_t *nlinks, size_t *slots);

#endif
