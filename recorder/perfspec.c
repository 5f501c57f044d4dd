/* perfspec.c - see perfspec.h. */
#include "perfspec.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name, *alias;
	uint32_t type;
	uint64_t config;
} events[] = {
	{ "cpu-clock", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "task-clock", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "page-faults", "faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "minor-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
	{ "major-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
	{ "context-switches", "cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", "migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "alignment-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS },
	{ "emulation-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS },
	{ "cycles", "cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-references", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "cache-misses", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "branches", "branch-instructions", PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-misses", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
	{ "bus-cycles", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES },
	{ "ref-cycles", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
	{ "stalled-cycles-frontend", NULL, PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
	{ "stalled-cycles-backend", NULL, PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
};

#define NEVENTS (sizeof(events) / sizeof(events[0]))

int perfspec__parse(const char *text, struct perfspec *out, char *err, size_t errlen)
{
	const char *colon = strchr(text, ':');
	size_t len = colon ? (size_t)(colon - text) : strlen(text);
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < NEVENTS; i++)
		if ((strlen(events[i].name) == len && !strncmp(text, events[i].name, len)) ||
		    (events[i].alias && strlen(events[i].alias) == len &&
		     !strncmp(text, events[i].alias, len)))
			break;
	if (i == NEVENTS) {
		snprintf(err, errlen, "'%.*s' is not an event bpfrec knows: software cpu-clock, "
			 "task-clock, page-faults, minor-faults, major-faults, context-switches, "
			 "cpu-migrations, alignment-faults, emulation-faults; hardware cycles, "
			 "instructions, cache-references, cache-misses, branches, branch-misses, "
			 "bus-cycles, ref-cycles, stalled-cycles-frontend, stalled-cycles-backend",
			 (int)(len > 64 ? 64 : len), text);
		return -EINVAL;
	}
	out->type = events[i].type;
	out->config = events[i].config;
	snprintf(out->name, sizeof(out->name), "%s", events[i].name);
	out->freq = 1;
	out->rate = PERFSPEC_DEFAULT_HZ;
	if (colon) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(colon + 1, &end, 10);
		out->freq = !strcasecmp(end, "hz");
		if (errno || end == colon + 1 || colon[1] == '-' || (*end && !out->freq) || !v ||
		    (out->freq && v > PERFSPEC_MAX_HZ)) {
			snprintf(err, errlen, "rate '%.32s': expected a sampling rate from 1 to %d Hz "
				 "(%s:99Hz) or a period of N events (%s:1000)", colon + 1,
				 PERFSPEC_MAX_HZ, out->name, out->name);
			return -EINVAL;
		}
		out->rate = v;
	}
	return 0;
}

int perfspec__is_hardware(const struct perfspec *s)
{
	return s->type == PERF_TYPE_HARDWARE;
}

const char *perfspec__str(const struct perfspec *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%llu%s", s->name, (unsigned long long)s->rate, s->freq ? "Hz" : "");
	return buf;
}
