#include "perfev.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int perfev__online_cpus(int *cpus, int max)
{
	char line[1024], *p = line;
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int n = 0;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	while (*p && n < max) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b && n < max; a++)
			cpus[n++] = (int)a;
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

int perfev__attach_cpu_clock(struct bpf_program *prog, uint32_t hz, struct bpf_link ***links,
			     size_t *nlinks, size_t *slots)
{
	struct perfspec spec = {
		.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_CPU_CLOCK, .freq = 1,
		.rate = hz ? hz : PERFEV_DEFAULT_HZ,
	};

	return perfev__attach(prog, &spec, links, nlinks, slots);
}

int perfev__attach(struct bpf_program *prog, const struct perfspec *spec,
		   struct bpf_link ***links, size_t *nlinks, size_t *slots)
{
	struct perf_event_attr attr = {
		.type = spec->type,
		.size = sizeof(attr),
		.config = spec->config,
		.freq = spec->freq ? 1 : 0,
	};
	size_t first = *nlinks;

	if (spec->freq)
		attr.sample_freq = spec->rate;
	else
		attr.sample_period = spec->rate;
	int cpus[1024], n, i, err = 0;

	n = perfev__online_cpus(cpus, 1024);
	if (n <= 0)
		return n < 0 ? n : -ENODEV;
	if (*nlinks + (size_t)n > *slots) {
		struct bpf_link **grown = realloc(*links, (*nlinks + n) * sizeof(**links));

		if (!grown)
			return -ENOMEM;
		*links = grown;
		*slots = *nlinks + n;
	}
	for (i = 0; i < n; i++) {
		int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpus[i], -1,
				      PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *link;

		if (fd < 0) {
			err = -errno;
			break;
		}
		link = bpf_program__attach_perf_event(prog, fd);
		if (!link) {
			err = -errno;
			close(fd);
			break;
		}
		(*links)[(*nlinks)++] = link;   /* the link closes the event */
	}
	if (err) {
		while (*nlinks > first)
			bpf_link__destroy((*links)[--(*nlinks)]);
		return err;
	}
	return n;
}
