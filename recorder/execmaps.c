/* execmaps.c - mappings at exec and exit (execmaps.h). */
#include "execmaps.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "procmaps.h"
#include "procmaps.skel.h"

struct execmaps {
	struct procmaps_bpf *skel;
	struct ring_buffer *rb;
	struct execmaps_opts opts;
	uint64_t short_events;     /* records shorter than pm_event (never: the kernel's) */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct execmaps *m = ctx;

	if (size < sizeof(struct pm_event)) {
		m->short_events++;
		return 0;
	}
	m->opts.mapping(m->opts.ctx, data);
	return 0;
}

int execmaps__open(struct execmaps **out, const struct execmaps_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = opts->btf_custom_path);
	struct execmaps *m = calloc(1, sizeof(*m));
	int err;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->opts = *opts;
	m->skel = procmaps_bpf__open_opts(&oo);
	if (!m->skel) {
		err = -errno;
		goto fail;
	}
	m->skel->rodata->filter_pids = opts->filter_pids && opts->pid_map_fd >= 0;
	if (opts->pid_map_fd >= 0 &&
	    (err = bpf_map__reuse_fd(m->skel->maps.bpfrec_pids, opts->pid_map_fd)))
		goto fail;
	/* the object's own stack table is unused: its one entry */
	err = procmaps_bpf__load(m->skel);
	if (!err)
		err = procmaps_bpf__attach(m->skel);
	if (err)
		goto fail;
	m->rb = ring_buffer__new(bpf_map__fd(m->skel->maps.pm_events), on_event, m, NULL);
	if (!m->rb) {
		err = -errno;
		goto fail;
	}
	*out = m;
	return 0;
fail:
	warn_msg("stacks: the mappings of processes at exec and exit cannot be followed here "
		 "(%s): a process that lives less than the drain interval (~1 ms) may leave its "
		 "frames unnamed", strerror(-err));
	execmaps__free(m);
	return err;
}

int execmaps__poll(struct execmaps *m)
{
	return m ? ring_buffer__consume(m->rb) : 0;
}

uint64_t execmaps__lost(const struct execmaps *m)
{
	uint64_t total = 0;
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *v;
	__u32 key = 0;

	if (!m || ncpus <= 0 || !(v = calloc((size_t)ncpus, sizeof(*v))))
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(m->skel->maps.bpfrec_lost), &key, v))
		for (int i = 0; i < ncpus; i++)
			total += v[i];
	free(v);
	return total;
}

void execmaps__free(struct execmaps *m)
{
	if (!m)
		return;
	ring_buffer__free(m->rb);
	procmaps_bpf__destroy(m->skel);
	free(m);
}
