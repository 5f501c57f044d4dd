/* perfspec.h - a perf event named as perf names it, for --perf-event
 * PROG=EVENT[:RATE]: software events (cpu-clock, task-clock, page-faults,
 * context-switches, ...) and hardware ones (cycles, instructions,
 * cache-misses, ...), sampled at RATE per second ("99Hz", "99hz") or
 * every RATE events (a plain number: perf's -c).  Pure parsing, no
 * syscall: unit-tested without root. */
#ifndef BPFREC_PERFSPEC_H
#define BPFREC_PERFSPEC_H

#include <stddef.h>
#include <stdint.h>

#define PERFSPEC_DEFAULT_HZ 99
#define PERFSPEC_MAX_HZ 100000

struct perfspec {
	uint32_t type;             /* PERF_TYPE_SOFTWARE or PERF_TYPE_HARDWARE */
	uint64_t config;           /* PERF_COUNT_SW_* / PERF_COUNT_HW_* */
	int freq;                  /* 1: sample_freq = rate per second; 0: sample_period */
	uint64_t rate;
	char name[32];             /* the event's name as perf spells it */
};

/* Parses EVENT[:RATE] (no RATE: PERFSPEC_DEFAULT_HZ per second).  0, or
 * -EINVAL with err naming what is wrong and what is accepted. */
int perfspec__parse(const char *text, struct perfspec *out, char *err, size_t errlen);
/* 1 for a hardware event (a counter of the CPU: most VMs have none). */
int perfspec__is_hardware(const struct perfspec *s);
/* "cpu-clock:99Hz", "page-faults:1" into buf. */
const char *perfspec__str(const struct perfspec *s, char *buf, size_t len);

#endif
