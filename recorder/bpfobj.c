#include "bpfobj.h"
#include "util.h"
#include "verifier.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int libbpf_verbose;

static int print_hook(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	verifier__keep(line);
	if (libbpf_verbose > 1 || (libbpf_verbose && level <= LIBBPF_INFO))
		fprintf(stderr, "%s", line);
	return 0;
}

void bpfobj__setup_libbpf(int verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(print_hook);
}

/* Strips typedefs and modifiers, but stops at a typedef called stop_at. */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	int depth = 0;

	while (t && depth++ < 32 && (btf_is_mod(t) || btf_is_typedef(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

static int is_typedef_named(const struct btf *btf, uint32_t id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int depth = 0;

	while (t && depth++ < 32 && btf_is_mod(t))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_typedef(t) && !strcmp(btf__name_by_offset(btf, t->name_off), name);
}

/* The event type a stream carries: the pointee of the .rodata variable
 * __bpfrec_event__<map> that BPFREC_EVENT() declares. */
static void find_event_type(struct bpfobj *o, struct bpfobj_stream *s)
{
	const struct btf *btf = bpf_object__btf(o->obj);
	char want[128];
	uint32_t id, n;

	s->ts_offset = -1;
	if (!btf)
		return;
	snprintf(want, sizeof(want), "__bpfrec_event__%s", s->map_name);
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_member *m;
		uint32_t tid;
		int i;

		if (!btf_is_var(t) || strcmp(btf__name_by_offset(btf, t->name_off), want))
			continue;
		tid = t->type;
		t = skip_mods(btf, &tid);
		if (!t || !btf_is_ptr(t))
			return;
		tid = t->type;
		t = skip_mods(btf, &tid);
		if (!t || !btf_is_composite(t))
			return;
		s->type_id = tid;
		s->type_size = t->size;
		snprintf(s->type_name, sizeof(s->type_name), "%s",
			 btf__name_by_offset(btf, t->name_off));
		m = btf_members(t);
		for (i = 0; i < btf_vlen(t); i++, m++) {
			uint32_t off = btf_member_bit_offset(t, i);

			if (is_typedef_named(btf, m->type, "bpfrec_ts_ns") && off % 8 == 0 &&
			    off / 8 + 8 <= t->size) {
				s->ts_offset = off / 8;
				break;
			}
		}
		return;
	}
}

static int collect_streams(struct bpfobj *o)
{
	struct bpf_map *map;
	size_t n = 0;

	bpf_object__for_each_map(map, o->obj) {
		enum bpf_map_type t = bpf_map__type(map);

		if (t == BPF_MAP_TYPE_RINGBUF || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			n++;
	}
	o->streams = calloc(n ? n : 1, sizeof(*o->streams));
	if (!o->streams)
		return -ENOMEM;
	bpf_object__for_each_map(map, o->obj) {
		enum bpf_map_type t = bpf_map__type(map);
		struct bpfobj_stream *s;

		if (t != BPF_MAP_TYPE_RINGBUF && t != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			continue;
		s = &o->streams[o->nstreams++];
		s->kind = t == BPF_MAP_TYPE_RINGBUF ? STREAM_RINGBUF : STREAM_PERF;
		s->map_fd = -1;
		snprintf(s->map_name, sizeof(s->map_name), "%s", bpf_map__name(map));
		/* A built-in probe's single stream is named after the probe. */
		if (o->builtin && n == 1)
			snprintf(s->name, sizeof(s->name), "%s", o->name);
		else
			snprintf(s->name, sizeof(s->name), "%s", s->map_name);
		find_event_type(o, s);
	}
	return 0;
}

static struct bpfobj *finish_open(struct bpfobj *o, const struct bpfobj_opts *opts)
{
	struct bpf_map *pids;
	int err;

	o->lost_fd = -1;
	if (opts)
		o->opts = *opts;
	else
		o->opts.cgroup_fd = o->opts.pid_map_fd = -1;
	err = collect_streams(o);
	if (err)
		goto fail;
	pids = bpf_object__find_map_by_name(o->obj, "bpfrec_pids");
	if (pids && o->opts.pid_map_fd >= 0) {
		err = bpf_map__reuse_fd(pids, o->opts.pid_map_fd);
		if (err) {
			warn_msg("%s: sharing the process-tree map: %s", o->name, strerror(-err));
			goto fail;
		}
	}
	if (o->opts.filter_pids) {
		err = bpfobj__set_global(o, "filter_pids", "1");
		if (err)
			goto fail;
	}
	return o;
fail:
	bpfobj__close(o);
	errno = -err;
	return NULL;
}

struct bpfobj *bpfobj__open_mem(const char *name, const void *mem, size_t size,
				const struct bpfobj_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = name);
	struct bpfobj *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		return NULL;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->builtin = 1;
	if (opts)
		oo.btf_custom_path = opts->btf_custom_path;
	verifier__reset();
	o->obj = bpf_object__open_mem(mem, size, &oo);
	if (!o->obj) {
		err = -errno;
		warn_msg("probe %s: cannot open its BPF object: %s", name, strerror(-err));
		verifier__explain(NULL, NULL, err);
		free(o);
		errno = -err;
		return NULL;
	}
	return finish_open(o, opts);
}

struct bpfobj *bpfobj__open_file(const char *path, const struct bpfobj_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct bpfobj *o = calloc(1, sizeof(*o));
	const char *base = strrchr(path, '/');
	char *dot;
	int err;

	if (!o)
		return NULL;
	snprintf(o->name, sizeof(o->name), "%s", base ? base + 1 : path);
	dot = strstr(o->name, ".bpf.o");
	if (!dot)
		dot = strrchr(o->name, '.');
	if (dot && dot != o->name)
		*dot = 0;
	o->path = strdup(path);
	if (opts)
		oo.btf_custom_path = opts->btf_custom_path;
	verifier__reset();
	o->obj = bpf_object__open_file(path, &oo);
	if (!o->obj) {
		err = -errno;
		warn_msg("%s: cannot open as a BPF object: %s", path,
			 err == -ENOENT ? "no such file" : strerror(-err));
		verifier__explain(NULL, NULL, err);
		free(o->path);
		free(o);
		errno = -err;
		return NULL;
	}
	return finish_open(o, opts);
}

/* Finds a global variable in the object's .rodata/.data/.bss: its map,
 * offset and BTF type. */
static int find_global(struct bpfobj *o, const char *name, struct bpf_map **map_out,
		       uint32_t *off, uint32_t *type_id)
{
	const struct btf *btf = bpf_object__btf(o->obj);
	struct bpf_map *map;

	if (!btf)
		return -ENOENT;
	bpf_object__for_each_map(map, o->obj) {
		const struct btf_type *sec;
		const struct btf_var_secinfo *vs;
		int i;

		if (!bpf_map__is_internal(map) || !bpf_map__btf_value_type_id(map))
			continue;
		sec = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
		if (!sec || !btf_is_datasec(sec))
			continue;
		vs = btf_var_secinfos(sec);
		for (i = 0; i < btf_vlen(sec); i++, vs++) {
			const struct btf_type *var = btf__type_by_id(btf, vs->type);

			if (var && !strcmp(btf__name_by_offset(btf, var->name_off), name)) {
				*map_out = map;
				*off = vs->offset;
				*type_id = var->type;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int bpfobj__set_global(struct bpfobj *o, const char *name, const char *value)
{
	const struct btf *btf = bpf_object__btf(o->obj);
	const struct btf_type *t;
	struct bpf_map *map;
	uint32_t off, tid;
	size_t size;
	uint8_t *data;
	int err = find_global(o, name, &map, &off, &tid);

	if (err) {
		warn_msg("%s: no global variable '%s' in .rodata, .data or .bss", o->name, name);
		return err;
	}
	data = (uint8_t *)bpf_map__initial_value(map, &size);
	t = skip_mods(btf, &tid);
	if (!data || !t) {
		warn_msg("%s: global '%s' has no initial value to set", o->name, name);
		return -EINVAL;
	}
	err = verifier__parse_value(btf, tid, name, value, data + off, size - off);
	return err;
}

int bpfobj__load(struct bpfobj *o)
{
	int err, i;

	verifier__reset();
	err = bpf_object__load(o->obj);
	if (err) {
		warn_msg("%s: loading into the kernel failed: %s", o->path ? o->path : o->name,
			 strerror(-err));
		verifier__explain(o->obj, o->name, err);
		return err;
	}
	for (i = 0; i < (int)o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		s->map_fd = bpf_object__find_map_fd_by_name(o->obj, s->map_name);
	}
	o->lost_fd = bpf_object__find_map_fd_by_name(o->obj, "bpfrec_lost");
	if (o->lost_fd >= 0) {
		o->ncpus = libbpf_num_possible_cpus();
		o->lost_seen = calloc(o->ncpus > 0 ? o->ncpus : 1, sizeof(uint64_t));
		if (!o->lost_seen)
			return -ENOMEM;
	}
	o->btf_raw = btf__raw_data(bpf_object__btf(o->obj), &o->btf_bytes);
	return 0;
}

int bpfobj__attach(struct bpfobj *o, int strict)
{
	struct bpf_program *prog;
	int attached = 0, nprogs = 0;

	bpf_object__for_each_program(prog, o->obj)
		nprogs++;
	o->links = calloc(nprogs ? nprogs : 1, sizeof(*o->links));
	if (!o->links)
		return -ENOMEM;
	bpf_object__for_each_program(prog, o->obj) {
		const char *sec = bpf_program__section_name(prog);
		struct bpf_link *link;
		int err;

		if (!bpf_program__autoload(prog))
			continue;
		if (!strncmp(sec, "cgroup", 6)) {
			if (o->opts.cgroup_fd < 0) {
				warn_msg("%s: program %s (SEC %s) needs a cgroup: give --cgroup PATH",
					 o->name, bpf_program__name(prog), sec);
				if (strict)
					return -EINVAL;
				continue;
			}
			link = bpf_program__attach_cgroup(prog, o->opts.cgroup_fd);
		} else {
			link = bpf_program__attach(prog);
		}
		if (!link) {
			err = -errno;
			warn_msg("%s: program %s (SEC %s) did not attach: %s%s", o->name,
				 bpf_program__name(prog), sec, strerror(-err),
				 verifier__attach_hint(sec, err));
			if (strict)
				return err;
			continue;
		}
		o->links[o->nlinks++] = link;
		attached++;
	}
	return attached;
}

int bpfobj__poll_lost(struct bpfobj *o,
		      void (*fn)(struct bpfobj *o, int cpu, uint64_t delta, void *ctx), void *ctx)
{
	uint64_t vals[o->ncpus > 0 ? o->ncpus : 1];
	uint32_t key = 0;
	int cpu;

	if (o->lost_fd < 0 || o->ncpus <= 0)
		return 0;
	if (bpf_map_lookup_elem(o->lost_fd, &key, vals))
		return -errno;
	for (cpu = 0; cpu < o->ncpus; cpu++) {
		if (vals[cpu] > o->lost_seen[cpu]) {
			fn(o, cpu, vals[cpu] - o->lost_seen[cpu], ctx);
			o->lost_seen[cpu] = vals[cpu];
		}
	}
	return 0;
}

void bpfobj__close(struct bpfobj *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->nlinks; i++)
		bpf_link__destroy(o->links[i]);
	free(o->links);
	bpf_object__close(o->obj);
	free(o->streams);
	free(o->lost_seen);
	free(o->path);
	free(o);
}
