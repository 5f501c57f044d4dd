/* perfev.h - perf events for SEC("perf_event") programs: one sampling
 * event on every online CPU, a cpu-clock by default (a software clock: it
 * works where the hardware counters are missing, as in most VMs) or the
 * one --perf-event names. */
#ifndef BPFREC_PERFEV_H
#define BPFREC_PERFEV_H

#include <stddef.h>
#include <stdint.h>

#include "perfspec.h"

struct bpf_program;
struct bpf_link;

#define PERFEV_DEFAULT_HZ 99
#define PERFEV_MAX_HZ 100000

/* Opens a cpu-clock event sampling at hz (0: PERFEV_DEFAULT_HZ) per online
 * CPU and attaches prog to each; the links (which own the events) are
 * appended to *links (grown as needed: *nlinks used of *slots).  Returns
 * the CPUs attached, or -errno (nothing left attached). */
int perfev__attach_cpu_clock(struct bpf_program *prog, uint32_t hz, struct bpf_link ***links,
			     size_t *nlinks, size_t *slots);

/* The same for any event (perfspec.h): spec's event per online CPU.  A
 * hardware event where the machine has no counter fails with -ENOENT (or
 * -EOPNOTSUPP / -ENODEV, as the kernel says). */
int perfev__attach(struct bpf_program *prog, const struct perfspec *spec,
		   struct bpf_link ***links, size_t *nlinks, size_t *slots);

/* The online CPUs (/sys/devices/system/cpu/online) into cpus (at most max);
 * returns how many, or -errno. */
int perfev__online_cpus(int *cpus, int max);

#endif
