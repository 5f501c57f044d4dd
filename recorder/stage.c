#include "stage.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfrec_batch.h"

int stage__split(const void *data, uint32_t len,
		 int (*fn)(void *ctx, uint32_t cpu, const void *ev, uint32_t len), void *ctx)
{
	const uint8_t *p = data;
	struct bpfrec_batch b;
	uint32_t i, off, n = 0;
	int err;

	if (len < sizeof(b))
		return -EBADMSG;
	memcpy(&b, p, sizeof(b));
	if (b.magic != BPFREC_BATCH_MAGIC || b.bytes > len - sizeof(b))
		return -EBADMSG;
	/* First the whole walk, so that a damaged batch hands out nothing. */
	for (off = 0; off < b.bytes; n++) {
		struct bpfrec_brec r;

		if (b.bytes - off < sizeof(r))
			return -EBADMSG;
		memcpy(&r, p + sizeof(b) + off, sizeof(r));
		if (r.len > b.bytes - off - sizeof(r))
			return -EBADMSG;
		off += (uint32_t)sizeof(r) + r.len;
		off += (8 - (r.len & 7)) & 7;   /* padding; may pass b.bytes only at the end */
	}
	if (n != b.count || off != b.bytes)
		return -EBADMSG;
	for (i = 0, off = 0; i < n; i++) {
		struct bpfrec_brec r;

		memcpy(&r, p + sizeof(b) + off, sizeof(r));
		err = fn(ctx, b.cpu, p + sizeof(b) + off + sizeof(r), r.len);
		if (err < 0)
			return err;
		off += BPFREC_BREC_SIZE(r.len);
	}
	return (int)n;
}

struct stage_flush {
	int prog_fd, pending_fd, stage_fd;
	int ncpus;
	uint64_t *pending;         /* per CPU, one lookup's values */
	uint64_t runs, busy;
};

struct stage_flush *stage_flush__new(int prog_fd, int pending_fd, int stage_fd, int ncpus)
{
	struct stage_flush *f;

	if (ncpus <= 0) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->pending = calloc((size_t)ncpus, sizeof(*f->pending));
	if (!f->pending) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	f->prog_fd = prog_fd;
	f->pending_fd = pending_fd;
	f->stage_fd = stage_fd;
	f->ncpus = ncpus;
	return f;
}

/* The flush program on cpu: 0 sent (or nothing to send), 1 busy, -ENXIO
 * offline, other -errno. */
static int run_on(struct stage_flush *f, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = (uint32_t)cpu);

	f->runs++;
	if (bpf_prog_test_run_opts(f->prog_fd, &o))
		return -errno;
	if (o.retval == 1)
		f->busy++;
	return o.retval == 1;
}

int stage_flush__run(struct stage_flush *f, int final)
{
	uint32_t key = 0;
	int cpu, r, tries, first_err = 0;

	if (bpf_map_lookup_elem(f->pending_fd, &key, f->pending))
		return -errno;
	for (cpu = 0; cpu < f->ncpus; cpu++) {
		if (!final && !f->pending[cpu])
			continue;
		/* A busy area belongs to a program this run interrupted: at a
		 * tick, the next tick flushes it; at the end, the programs
		 * are detached and it finishes within microseconds. */
		for (tries = 0; (r = run_on(f, cpu)) == 1 && final && tries < 100; tries++) {
			struct timespec ms = { 0, 1000000 };

			nanosleep(&ms, NULL);
		}
		if (r < 0 && r != -ENXIO && !first_err)
			first_err = r;
	}
	return first_err;
}

int stage_flush__leftover(struct stage_flush *f, void (*fn)(void *ctx, int cpu, uint64_t n),
			  void *ctx, uint64_t *direct)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info), key = 0, vsize;
	uint8_t *vals;
	int cpu;

	*direct = 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(f->stage_fd, &info, &len))
		return -errno;
	if (info.value_size < sizeof(struct bpfrec_stage_head))
		return -EINVAL;
	vsize = (info.value_size + 7) & ~7u;   /* per-CPU values are 8-aligned */
	vals = malloc((size_t)vsize * (size_t)f->ncpus);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(f->stage_fd, &key, vals)) {
		int err = -errno;

		free(vals);
		return err;
	}
	for (cpu = 0; cpu < f->ncpus; cpu++) {
		struct bpfrec_stage_head h;

		memcpy(&h, vals + (size_t)cpu * vsize, sizeof(h));
		*direct += h.direct;
		if (h.b.count)
			fn(ctx, cpu, h.b.count);
	}
	free(vals);
	return 0;
}

void stage_flush__counts(const struct stage_flush *f, uint64_t *runs, uint64_t *busy)
{
	*runs = f->runs;
	*busy = f->busy;
}

void stage_flush__free(struct stage_flush *f)
{
	if (!f)
		return;
	free(f->pending);
	free(f);
}
