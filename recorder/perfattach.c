/* perfattach.c - see perfattach.h. */
#include "bpfobj.h"
#include "perfattach.h"
#include "perfev.h"
#include "util.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int perfattach__set(struct bpfobj *o, const char *prog, const struct perfspec *spec)
{
	struct bpf_program *p = bpf_object__find_program_by_name(bpfobj__bpf_object(o), prog);
	struct progtab *t = bpfobj__progtab(o);
	struct progtab_perf *grown;

	if (!p)
		return -ENOENT;
	if (strcmp(bpf_program__section_name(p), "perf_event")) {
		warn_msg("--perf-event %s: program %s of %s is SEC(\"%s\"), not SEC(\"perf_event\")",
			 prog, prog, bpfobj__name(o), bpf_program__section_name(p));
		return -EINVAL;
	}
	for (size_t i = 0; i < t->nperf; i++)
		if (!strcmp(t->perf[i].prog, prog)) {
			t->perf[i].spec = *spec;   /* the last one given */
			return 0;
		}
	grown = realloc(t->perf, (t->nperf + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	t->perf = grown;
	snprintf(grown[t->nperf].prog, sizeof(grown[t->nperf].prog), "%s", prog);
	grown[t->nperf].spec = *spec;
	t->nperf++;
	return 0;
}

static const struct perfspec *spec_of(const struct progtab *t, const char *prog)
{
	for (size_t i = 0; i < t->nperf; i++)
		if (!strcmp(t->perf[i].prog, prog))
			return &t->perf[i].spec;
	return NULL;
}

int perfattach__program(struct progtab *t, const char *objname, int builtin,
			uint32_t sample_hz, struct bpf_program *prog, struct bpf_link ***links,
			size_t *nlinks, size_t *slots)
{
	const char *name = bpf_program__name(prog);
	const struct perfspec *given = spec_of(t, name);
	struct perfspec spec = {
		.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_CPU_CLOCK, .freq = 1,
		.rate = sample_hz ? sample_hz : PERFEV_DEFAULT_HZ, .name = "cpu-clock",
	};
	char what[64], target[96];
	int n;

	if (given) {
		spec = *given;
	} else if (!builtin) {
		warn_msg("%s: program %s (SEC perf_event) runs on a perf event its own loader "
			 "would open: give --perf-event %s=EVENT[:RATE] (e.g. %s=cpu-clock:99Hz, a "
			 "software event, or cycles:1000000 where the machine has hardware counters)",
			 objname, name, name, name);
		progtab__note(t, prog, PROGTAB_SKIPPED, NULL,
			      "needs an event: give --perf-event %s=EVENT[:RATE]", name);
		return -EINVAL;
	}
	perfspec__str(&spec, what, sizeof(what));
	n = perfev__attach(prog, &spec, links, nlinks, slots);
	if (n < 0 && perfspec__is_hardware(&spec) &&
	    (n == -ENOENT || n == -EOPNOTSUPP || n == -ENODEV)) {
		warn_msg("%s: program %s: --perf-event %s: this machine has no hardware counter for "
			 "%s (perf_event_open: %s; virtual machines usually have none): use a "
			 "software event such as cpu-clock:99Hz", objname, name, what, spec.name,
			 strerror(-n));
		progtab__note(t, prog, PROGTAB_SKIPPED, NULL,
			      "%s: no hardware counter on this machine", what);
		return n;
	}
	if (n < 0) {
		warn_msg("%s: program %s (SEC perf_event) did not attach to %s: %s", objname, name,
			 what, strerror(-n));
		progtab__note(t, prog, PROGTAB_SKIPPED, NULL, "did not attach to %s: %s",
			      what, strerror(-n));
		return n;
	}
	snprintf(target, sizeof(target), "%s on %d CPU%s", what, n, n == 1 ? "" : "s");
	progtab__note(t, prog, PROGTAB_ATTACHED, target, NULL);
	return n;
}

