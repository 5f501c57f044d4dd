#include "bpfobj.h"
#include "btfvalue.h"
#include "dwarfbtf.h"
#include "perfattach.h"
#include "perfev.h"
#include "ringloss.h"
#include "util.h"
#include "verifier.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "bpfrec_batch.h"

/* One stream: what it is (only this file writes it) and the state of its
 * loss counters. */
struct bpfobj_stream {
	char name[64];             /* table name: unique in the capture */
	char map_name[64];
	enum stream_kind kind;
	int map_fd;                /* after load */
	char type_name[64];        /* "" when unknown: recorded as bytes */
	uint32_t type_id;
	struct bpfobj_layout l;    /* what the drain reads per record */
	uint32_t declared_entries; /* ringbuf: max_entries the object asked for */
	int lost_fd;               /* its bpfrec_lost__<map> counter, -1: none */
	uint64_t *lost_seen;       /* per CPU, what was already recorded */
	int size_set;              /* ringbuf: --ringbuf-size gave its size */
	int loss_unobservable;     /* ringbuf: some failed calls cannot be counted */
	int type_auto;             /* the type was found by name, not declared */
	struct bpf_map *map;
	struct bpfobj_snapshot snap;   /* kind STREAM_SNAPSHOT */
	/* a staged ringbuf (bpfrec.h BPFREC_STAGED): its flush program, staging
	 * areas and pending flags; NULL otherwise */
	struct bpf_program *flush_prog;
	struct bpf_map *stage_map, *pending_map;
	/* a per-CPU ring read in place (bpfrec.h BPFREC_PERCPU_RING): its
	 * array of regions; NULL otherwise */
	struct bpf_map *pcring_map;
};

struct bpfobj {
	char name[64];             /* "exec", or the file's base name */
	char *path;                /* NULL for built-ins */
	int builtin;
	struct bpf_object *obj;
	struct bpfobj_opts opts;
	struct bpfobj_stream *streams;
	size_t nstreams;
	struct bpf_link **links;
	size_t nlinks, nlink_slots;
	int lost_fd;               /* bpfrec_lost per-CPU array, -1: none */
	uint64_t *lost_seen;       /* per CPU, what was already recorded */
	int ncpus;
	const void *btf_raw;       /* the object's BTF, owned by obj or btf_ext */
	uint32_t btf_bytes;
	struct btf *btf_ext;       /* a copy with the types bpfrec adds (event
				      types from DWARF, snapshot records), or NULL */
	struct ringloss *ringloss; /* bpfrec's counts of failed ringbuf calls, or NULL */
	struct dwarfbtf *dwarf;    /* the file's DWARF, opened on first need, or NULL */
	int counts_itself;         /* the object declares bpfrec_lost counters */
	struct bpfobj_uprobe *uprobes;   /* bpfobj__set_uprobe_target's, growable */
	size_t nuprobes;
	struct bpfobj_tracepoint *tps;   /* bpfobj__add_tracepoint's, growable */
	size_t ntps, tps_cap;
	struct progtab progs;      /* what became of each program (progtab.h) */
	uint32_t btf_roots[4];     /* bpfobj__add_btf_root's types */
	size_t nbtf_roots;
};

/* Where bpfobj__attach attaches a program whose section names no
 * tracepoint (SEC("tracepoint")): one of many, told apart by the cookie. */
struct bpfobj_tracepoint {
	char system[64], name[128];
	uint64_t cookie;
	int attached;              /* after bpfobj__attach */
};

/* --attach's target of a uprobe program (bpfobj__set_uprobe_target). */
struct bpfobj_uprobe {
	char prog[128];
	char *binary, *func;
};

static const struct bpfobj_uprobe *uprobe_target(const struct bpfobj *o,
						  const struct bpf_program *prog);

static int libbpf_verbose;

/* libbpf prints a failed program's whole verifier log in one call: it is
 * kept whole (its error line is at the end, however long the log). */
static int print_hook(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[4096], *line = small;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n >= (int)sizeof(small) && (line = malloc((size_t)n + 1))) {
		va_copy(copy, ap);
		vsnprintf(line, (size_t)n + 1, fmt, copy);
		va_end(copy);
	} else if (!line) {
		line = small;
	}
	verifier__keep(line);
	if (libbpf_verbose > 1 || (libbpf_verbose && level <= LIBBPF_INFO))
		fprintf(stderr, "%s", line);
	if (line != small)
		free(line);
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

/* Name, size and bpfrec_ts_ns member of the struct or union tid. */
static int describe_type(const struct btf *btf, uint32_t tid, char *name, size_t name_len,
			 uint32_t *size, int32_t *ts_offset, int32_t *pid_offset)
{
	const struct btf_type *t = skip_mods(btf, &tid);
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_composite(t))
		return -EINVAL;
	snprintf(name, name_len, "%s", btf__name_by_offset(btf, t->name_off));
	*size = t->size;
	*ts_offset = -1;
	*pid_offset = -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		uint32_t off = btf_member_bit_offset(t, i), mt = m->type;
		const char *mname = btf__name_by_offset(btf, m->name_off);
		const struct btf_type *ft;

		if (off % 8)
			continue;
		if (*ts_offset < 0 && is_typedef_named(btf, m->type, "bpfrec_ts_ns") &&
		    off / 8 + 8 <= t->size)
			*ts_offset = off / 8;
		/* The process a record belongs to, for the process-tree filter:
		 * tgid wins over pid (which some programs use for the thread). */
		ft = skip_mods(btf, &mt);
		if (ft && btf_is_int(ft) && ft->size == 4 &&
		    (!strcmp(mname, "tgid") || (!strcmp(mname, "pid") && *pid_offset < 0)))
			*pid_offset = off / 8;
	}
	return 0;
}

/* The event's stack id members (bpfrec.h: bpfrec_ustack_id, bpfrec_kstack_id),
 * -1 where it has none. */
static void find_stack_members(const struct btf *btf, uint32_t tid, int32_t *ustack,
			       int32_t *kstack)
{
	const struct btf_type *t = skip_mods(btf, &tid);
	const struct btf_member *m;
	int i;

	*ustack = *kstack = -1;
	if (!t || !btf_is_composite(t))
		return;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		uint32_t off = btf_member_bit_offset(t, i);

		if (off % 8 || off / 8 + 4 > t->size)
			continue;
		if (*ustack < 0 && is_typedef_named(btf, m->type, "bpfrec_ustack_id"))
			*ustack = off / 8;
		if (*kstack < 0 && is_typedef_named(btf, m->type, "bpfrec_kstack_id"))
			*kstack = off / 8;
	}
}

/* What a marker variable (a typed pointer) points at, past modifiers and
 * typedefs; its id in *tid.  NULL if var is no pointer. */
static const struct btf_type *pointee(const struct btf *btf, const struct btf_type *var,
				      uint32_t *tid)
{
	const struct btf_type *t;

	*tid = var->type;
	t = skip_mods(btf, tid);
	if (!t || !btf_is_ptr(t))
		return NULL;
	*tid = t->type;
	return skip_mods(btf, tid);
}

/* The struct a `struct X *const` marker variable points at, 0 if none. */
static uint32_t marker_target(const struct btf *btf, const struct btf_type *var)
{
	uint32_t tid;
	const struct btf_type *t = pointee(btf, var, &tid);

	return t && btf_is_composite(t) ? tid : 0;
}

/* BPFREC_EVENT_VARIANT's `struct T (*const)[value]`: T's id and value. */
static uint32_t variant_target(const struct btf *btf, const struct btf_type *var, uint64_t *value)
{
	uint32_t tid;
	const struct btf_type *t = pointee(btf, var, &tid);

	if (!t || !btf_is_array(t))
		return 0;
	*value = btf_array(t)->nelems;
	tid = btf_array(t)->type;
	t = skip_mods(btf, &tid);
	return t && btf_is_composite(t) ? tid : 0;
}

static void find_discriminator(struct bpfobj *o, struct bpfobj_stream *s, const struct btf *btf,
			       const char *field, const struct btf_type *var)
{
	uint32_t tid = marker_target(btf, var);
	const struct btf_type *t = tid ? btf__type_by_id(btf, tid) : NULL;
	const struct btf_member *m;
	int i;

	for (i = 0, m = t ? btf_members(t) : NULL; t && i < btf_vlen(t); i++, m++) {
		uint32_t mt = m->type;
		const struct btf_type *ft;

		if (strcmp(btf__name_by_offset(btf, m->name_off), field))
			continue;
		ft = skip_mods(btf, &mt);
		if (ft && (btf_is_int(ft) || btf_is_enum(ft)) && btf_member_bit_offset(t, i) % 8 == 0 &&
		    (ft->size == 1 || ft->size == 2 || ft->size == 4 || ft->size == 8)) {
			s->l.discr_offset = btf_member_bit_offset(t, i) / 8;
			s->l.discr_size = ft->size;
			return;
		}
	}
	warn_msg("%s: BPFREC_DISCRIMINATOR(%s, ..., %s): no integer member %s in that struct: "
		 "ignored", o->name, s->map_name, field, field);
}

/* The object's BTF extended with the types bpfrec adds (a copy made on
 * first use; the object's own ids stay valid in it).  NULL with errno. */
static struct btf *ext_btf(struct bpfobj *o)
{
	const struct btf *orig = bpf_object__btf(o->obj);
	const void *raw;
	uint32_t n;

	if (o->btf_ext)
		return o->btf_ext;
	if (!orig) {
		errno = ENOENT;
		return NULL;
	}
	raw = btf__raw_data(orig, &n);
	o->btf_ext = raw ? btf__new(raw, n) : NULL;
	return o->btf_ext;
}

/* The struct or union `name`: from the object's BTF, else from its DWARF
 * (added to ext_btf).  0 with the BTF and the id, or -ESRCH. */
static int find_struct(struct bpfobj *o, const char *name, const struct btf **btf_out,
		       uint32_t *id)
{
	const struct btf *btf = o->btf_ext ? o->btf_ext : bpf_object__btf(o->obj);
	struct btf *ext;
	int32_t tid = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) : -ENOENT;

	if (tid <= 0 && btf)
		tid = btf__find_by_name_kind(btf, name, BTF_KIND_UNION);
	if (tid > 0) {
		*btf_out = btf;
		*id = (uint32_t)tid;
		return 0;
	}
	if (!o->path)
		return -ESRCH;
	if (!o->dwarf && !(o->dwarf = dwarfbtf__open(o->path)))
		return -ESRCH;
	ext = ext_btf(o);
	if (!ext || dwarfbtf__add(o->dwarf, name, ext, id))
		return -ESRCH;
	*btf_out = ext;
	return 0;
}

/* The object does not say what its map carries: a struct named after the
 * map (`events` -> `event`, `rb` -> `rb_event`), or `event` when the object
 * has only this one event stream; from BTF or DWARF.  README, "Recording
 * programs written without bpfrec.h". */
static void guess_event_type(struct bpfobj *o, struct bpfobj_stream *s, size_t nevent_streams)
{
	char names[3][96];
	size_t len = strlen(s->map_name), i, n = 0;
	const struct btf *btf;
	uint32_t id;

	if (len > 1 && s->map_name[len - 1] == 's')
		snprintf(names[n++], sizeof(names[0]), "%.*s", (int)len - 1, s->map_name);
	snprintf(names[n++], sizeof(names[0]), "%s_event", s->map_name);
	if (nevent_streams == 1)
		snprintf(names[n++], sizeof(names[0]), "event");
	for (i = 0; i < n; i++) {
		if (find_struct(o, names[i], &btf, &id) ||
		    describe_type(btf, id, s->type_name, sizeof(s->type_name), &s->l.type_size,
				  &s->l.ts_offset, &s->l.pid_offset))
			continue;
		s->type_id = id;
		s->type_auto = 1;
		find_stack_members(btf, id, &s->l.ustack_offset, &s->l.kstack_offset);
		return;
	}
}

/* The event type(s) a stream carries: BPFREC_EVENT() declares a .rodata
 * variable __bpfrec_event__<map> pointing at it; BPFREC_DISCRIMINATOR() and
 * BPFREC_EVENT_VARIANT() declare __bpfrec_discr__<map>__<field> and
 * __bpfrec_variant__<map>__<value>. */
static void find_event_type(struct bpfobj *o, struct bpfobj_stream *s)
{
	const struct btf *btf = bpf_object__btf(o->obj);
	char want[128], discr[128], variant[128];
	uint32_t id, n;

	s->l.ts_offset = -1;
	s->l.pid_offset = -1;
	s->l.ustack_offset = s->l.kstack_offset = -1;
	if (!btf)
		return;
	snprintf(want, sizeof(want), "__bpfrec_event__%s", s->map_name);
	snprintf(discr, sizeof(discr), "__bpfrec_discr__%s__", s->map_name);
	snprintf(variant, sizeof(variant), "__bpfrec_variant__%s__", s->map_name);
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		uint32_t tid;

		if (!btf_is_var(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!strcmp(name, want)) {
			tid = marker_target(btf, t);
			if (tid && !describe_type(btf, tid, s->type_name, sizeof(s->type_name),
						  &s->l.type_size, &s->l.ts_offset, &s->l.pid_offset)) {
				s->type_id = tid;
				find_stack_members(btf, tid, &s->l.ustack_offset, &s->l.kstack_offset);
			}
		} else if (!strncmp(name, discr, strlen(discr))) {
			find_discriminator(o, s, btf, name + strlen(discr), t);
		} else if (!strncmp(name, variant, strlen(variant)) &&
			   s->l.nvariants < BPFOBJ_MAX_VARIANTS) {
			struct bpfobj_variant *v = &s->l.variants[s->l.nvariants];

			tid = variant_target(btf, t, &v->value);
			if (!tid) {
				warn_msg("%s: %s: not a BPFREC_EVENT_VARIANT() marker: ignored", o->name,
					 name);
				continue;
			}
			if (describe_type(btf, tid, v->type_name, sizeof(v->type_name),
					  &v->type_size, &v->ts_offset, &v->pid_offset))
				continue;
			v->type_id = tid;
			find_stack_members(btf, tid, &v->ustack_offset, &v->kstack_offset);
			memcpy(v->name, v->type_name, sizeof(v->name));
			s->l.nvariants++;
		}
	}
	if (s->l.nvariants && !s->l.discr_size) {
		warn_msg("%s: map %s has BPFREC_EVENT_VARIANT()s but no BPFREC_DISCRIMINATOR(): "
			 "its records are kept as bytes", o->name, s->map_name);
		s->l.nvariants = 0;
	}
}

/* The max_entries a map's definition in the object asked for: libbpf
 * quietly rounds a ringbuf's size up at open, and the user should hear it.
 * 0 if the definition cannot be read. */
static uint32_t declared_max_entries(const struct btf *btf, const char *map)
{
	uint32_t id, n = btf ? btf__type_cnt(btf) : 0;

	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_member *m;
		uint32_t tid;
		int i;

		if (!btf_is_var(t) || strcmp(btf__name_by_offset(btf, t->name_off), map))
			continue;
		tid = t->type;
		t = skip_mods(btf, &tid);
		if (!t || !btf_is_struct(t))
			return 0;
		m = btf_members(t);
		for (i = 0; i < btf_vlen(t); i++, m++) {
			const struct btf_type *p, *a;

			if (strcmp(btf__name_by_offset(btf, m->name_off), "max_entries"))
				continue;
			p = btf__type_by_id(btf, m->type);
			a = p && btf_is_ptr(p) ? btf__type_by_id(btf, p->type) : NULL;
			return a && btf_is_array(a) ? btf_array(a)->nelems : 0;
		}
		return 0;
	}
	return 0;
}

/* BPFREC_STAGED(map) (bpfrec.h): the map's flush program, staging areas
 * and pending flags, by their names; all three or none. */
static void find_staging(struct bpfobj *o, struct bpfobj_stream *s)
{
	char name[128];

	if (s->kind != STREAM_RINGBUF)
		return;
	snprintf(name, sizeof(name), "bpfrec_flush__%s", s->map_name);
	s->flush_prog = bpf_object__find_program_by_name(o->obj, name);
	snprintf(name, sizeof(name), "bpfrec_stage__%s", s->map_name);
	s->stage_map = bpf_object__find_map_by_name(o->obj, name);
	snprintf(name, sizeof(name), "bpfrec_pending__%s", s->map_name);
	s->pending_map = bpf_object__find_map_by_name(o->obj, name);
	if (!s->flush_prog || !s->stage_map || !s->pending_map) {
		s->flush_prog = NULL;
		s->stage_map = s->pending_map = NULL;
	}
	/* BPFREC_PERCPU_RING(map): a region per possible CPU */
	snprintf(name, sizeof(name), "bpfrec_pcring__%s", s->map_name);
	s->pcring_map = bpf_object__find_map_by_name(o->obj, name);
	if (s->pcring_map && (bpf_map__type(s->pcring_map) != BPF_MAP_TYPE_ARRAY ||
			      !(bpf_map__map_flags(s->pcring_map) & BPF_F_MMAPABLE)))
		s->pcring_map = NULL;
}

/* A staged ringbuf's batch size (bpfrec_stage_limit__MAP): the area's, or
 * an eighth of the ring if that is less, so that a small ring still takes
 * several batches. */
static int set_stage_limits(struct bpfobj *o)
{
	size_t i;

	for (i = 0; i < o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];
		uint32_t vsize, area, limit;
		char name[128], value[32];
		int err;

		if (!s->flush_prog)
			continue;
		vsize = bpf_map__value_size(s->stage_map);
		area = vsize > 32 ? (vsize - 32) / 2 : 0;
		limit = bpf_map__max_entries(s->map) / 8;
		if (limit > area)
			limit = area;
		limit &= ~7u;
		snprintf(name, sizeof(name), "bpfrec_stage_limit__%s", s->map_name);
		snprintf(value, sizeof(value), "%u", limit);
		if (bpfobj__has_global(o, name) && (err = bpfobj__set_global(o, name, value)))
			return err;
	}
	return 0;
}

/* Run by the drain with BPF_PROG_TEST_RUN, attached to nothing. */
static int is_flush_prog(const struct bpf_program *prog)
{
	return !strncmp(bpf_program__name(prog), "bpfrec_flush__", 14);
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
		s->lost_fd = -1;
		s->map = map;
		snprintf(s->map_name, sizeof(s->map_name), "%s", bpf_map__name(map));
		if (s->kind == STREAM_RINGBUF)
			s->declared_entries = declared_max_entries(bpf_object__btf(o->obj),
								   bpf_map__name(map));
		/* A built-in probe's single stream is named after the probe. */
		if (o->builtin && n == 1)
			snprintf(s->name, sizeof(s->name), "%s", o->name);
		else
			snprintf(s->name, sizeof(s->name), "%s", s->map_name);
		find_event_type(o, s);
		find_staging(o, s);
	}
	for (size_t i = 0; !o->builtin && i < o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		if (!s->type_id && !s->l.nvariants)
			guess_event_type(o, s, o->nstreams);
	}
	return 0;
}

/* libbpf-tools' compat.bpf.h declares its `events` map as a perf event
 * array and, when the kernel has ringbufs (a CO-RE check in the program),
 * calls bpf_ringbuf_reserve/output on it: its loader turns the map into a
 * ringbuf before load.  bpfrec does the same for an object with no ringbuf,
 * exactly one perf event array and ringbuf calls in its programs (those
 * calls can only be meant for that map). */
static void compat_ringbuf(struct bpfobj *o)
{
	struct bpf_map *map, *perf = NULL;
	struct bpf_program *prog;
	int nperf = 0, nring = 0, calls = 0;

	bpf_object__for_each_map(map, o->obj) {
		if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF)
			nring++;
		else if (bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			nperf++, perf = map;
	}
	if (nring || !nperf)
		return;
	bpf_object__for_each_program(prog, o->obj) {
		const struct bpf_insn *in = bpf_program__insns(prog);
		size_t i, n = bpf_program__insn_cnt(prog);

		for (i = 0; i < n; i++)
			calls += ringloss__is_ringbuf_call(&in[i]);
	}
	if (!calls)
		return;
	if (nperf > 1) {
		warn_msg("%s: its programs call ringbuf helpers, but it has no ringbuf, only %d perf "
			 "event arrays: which one its loader would turn into a ringbuf is unknown",
			 o->name, nperf);
		return;
	}
	if (bpf_map__set_type(perf, BPF_MAP_TYPE_RINGBUF) || bpf_map__set_key_size(perf, 0) ||
	    bpf_map__set_value_size(perf, 0) ||
	    bpf_map__set_max_entries(perf, BPFOBJ_COMPAT_RINGBUF_BYTES)) {
		warn_msg("%s: map %s: cannot make it the ringbuf its programs use", o->name,
			 bpf_map__name(perf));
		return;
	}
	info_msg("%s: map %s is a perf event array its programs use as a ringbuf (libbpf-tools' "
		 "compat.bpf.h): recorded as a ringbuf of %u KiB (--ringbuf-size %s=BYTES to change)",
		 o->name, bpf_map__name(perf), BPFOBJ_COMPAT_RINGBUF_BYTES >> 10, bpf_map__name(perf));
}

/* A stack trace map declared without sizes (libbpf-tools' loaders set its
 * value to the stack depth they want and its entries to an option's
 * value): 127 frames (the kernel's perf_event_max_stack default) and
 * BPFOBJ_STACK_MAP_ENTRIES stacks unless --map-size says, and said. */
static void stack_map_defaults(struct bpfobj *o)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, o->obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STACK_TRACE)
			continue;
		if (!bpf_map__value_size(map)) {
			bpf_map__set_value_size(map, BPFOBJ_STACK_DEPTH * sizeof(uint64_t));
			info_msg("%s: stack map %s: %d frames a stack (its loader would choose)",
				 o->name, bpf_map__name(map), BPFOBJ_STACK_DEPTH);
		}
		if (!bpf_map__max_entries(map)) {
			bpf_map__set_max_entries(map, BPFOBJ_STACK_MAP_ENTRIES);
			info_msg("%s: stack map %s: %d stacks (--map-size %s=N to change)", o->name,
				 bpf_map__name(map), BPFOBJ_STACK_MAP_ENTRIES, bpf_map__name(map));
		}
	}
}

static struct bpfobj *finish_open(struct bpfobj *o, const struct bpfobj_opts *opts)
{
	struct bpf_map *pids, *stacks;
	int err;

	o->lost_fd = -1;
	if (opts)
		o->opts = *opts;
	else
		o->opts.cgroup_fd = o->opts.pid_map_fd = o->opts.stack_map_fd = -1;
	if (!o->builtin) {
		compat_ringbuf(o);
		stack_map_defaults(o);
	}
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
	/* The recording's one stack table, so that a stack id means the same
	 * stack in every object; without stacks, the object's own table keeps
	 * its one entry (a stack table's memory is allocated at creation). */
	stacks = bpf_object__find_map_by_name(o->obj, "bpfrec_stacks");
	if (stacks && o->opts.stack_map_fd >= 0) {
		err = bpf_map__reuse_fd(stacks, o->opts.stack_map_fd);
		if (err) {
			warn_msg("%s: sharing the stack table: %s", o->name, strerror(-err));
			goto fail;
		}
	}
	if (stacks && o->opts.stack_flags && bpfobj__has_global(o, "bpfrec_stack_flags")) {
		char flags[16];

		snprintf(flags, sizeof(flags), "%u", o->opts.stack_flags);
		err = bpfobj__set_global(o, "bpfrec_stack_flags", flags);
		if (err)
			goto fail;
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
		verifier__explain(NULL, err);
		free(o);
		errno = -err;
		return NULL;
	}
	return finish_open(o, opts);
}

/* Why bpf_object__open_file failed, in words: libbpf's own codes (4000 and
 * up: "Unknown error 4001" from strerror) and a file that is not ELF at all,
 * which is the common slip (a source file, a skeleton header, a .o for the
 * host's architecture is ELF but not BPF). */
static void open_error(const char *path, int err, char *why, size_t len)
{
	unsigned char magic[20];
	FILE *f;
	size_t n = 0;

	if (err == -ENOENT) {
		snprintf(why, len, "no such file");
		return;
	}
	f = fopen(path, "rb");
	if (f) {
		n = fread(magic, 1, sizeof(magic), f);
		fclose(f);
	}
	if (f && (n < 4 || memcmp(magic, "\177ELF", 4))) {
		snprintf(why, len, "not an ELF file (a BPF object is what 'clang -target bpf -g "
			 "-O2 -c X.bpf.c' makes)");
		return;
	}
	/* e_machine 247 is EM_BPF, little or big endian. */
	if (n == sizeof(magic) && !(magic[18] == 247 && magic[19] == 0) &&
	    !(magic[18] == 0 && magic[19] == 247)) {
		snprintf(why, len, "an ELF file, but not for BPF (e_machine %u): build it with "
			 "'clang -target bpf'", magic[5] == 2 ? magic[18] << 8 | magic[19] :
			 magic[19] << 8 | magic[18]);
		return;
	}
	if (-err >= 4000 && -err < 4100) {
		libbpf_strerror(err, why, len);
		return;
	}
	snprintf(why, len, "%s", strerror(-err));
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
		char why[256];

		err = -errno;
		open_error(path, err, why, sizeof(why));
		warn_msg("--bpf %s: cannot open as a BPF object: %s", path, why);
		verifier__explain(NULL, err);
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

int bpfobj__has_global(struct bpfobj *o, const char *name)
{
	struct bpf_map *map;
	uint32_t off, tid;

	return find_global(o, name, &map, &off, &tid) == 0;
}

int bpfobj__set_global(struct bpfobj *o, const char *name, const char *value)
{
	char what[160];
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
	snprintf(what, sizeof(what), "--set %s", name);
	err = btfvalue__parse(btf, tid, what, value, data + off, size - off);
	return err;
}

int bpfobj__load(struct bpfobj *o)
{
	struct bpf_map *map;
	int err, i;

	/* libbpf rounded a bad ringbuf size up at open, silently: say so,
	 * unless --ringbuf-size replaced it. */
	for (i = 0; i < (int)o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		if (s->kind == STREAM_RINGBUF && !s->size_set && s->declared_entries &&
		    s->declared_entries != bpf_map__max_entries(s->map))
			warn_msg("%s: ringbuf %s: max_entries %u is not a power of 2 multiple of the "
				 "page size (%ld): libbpf rounded it up to %u", o->name, s->map_name,
				 s->declared_entries, sysconf(_SC_PAGESIZE),
				 bpf_map__max_entries(s->map));
	}
	/* Failed ringbuf calls are counted by the object (bpfrec.h's counters)
	 * or else by bpfrec (ringloss.h). */
	bpf_object__for_each_map(map, o->obj)
		if (!strncmp(bpf_map__name(map), "bpfrec_lost", 11))
			o->counts_itself = 1;
	if ((err = set_stage_limits(o)))
		return err;
	for (i = 0; i < (int)o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];
		int ncpus = libbpf_num_possible_cpus();

		if (s->pcring_map && ncpus > 0 &&
		    (err = bpf_map__set_max_entries(s->pcring_map, (uint32_t)ncpus)))
			return err;
	}
	if (!o->counts_itself && !o->ringloss) {
		o->ringloss = ringloss__prepare(o->obj, o->name);
		if (!o->ringloss && errno != ENOENT)
			return -errno;
	}
	verifier__reset();
	err = bpf_object__load(o->obj);
	if (err) {
		warn_msg("%s: loading into the kernel failed: %s", o->path ? o->path : o->name,
			 strerror(-err));
		verifier__explain(o->obj, err);
		return err;
	}
	for (i = 0; i < (int)o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		s->map_fd = bpf_object__find_map_fd_by_name(o->obj, s->map_name);
	}
	o->ncpus = libbpf_num_possible_cpus();
	o->lost_fd = bpf_object__find_map_fd_by_name(o->obj, "bpfrec_lost");
	if (o->lost_fd >= 0) {
		o->lost_seen = calloc(o->ncpus > 0 ? o->ncpus : 1, sizeof(uint64_t));
		if (!o->lost_seen)
			return -ENOMEM;
	}
	for (i = 0; i < (int)o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];
		char name[128];

		snprintf(name, sizeof(name), "bpfrec_lost__%s", s->map_name);
		s->lost_fd = bpf_object__find_map_fd_by_name(o->obj, name);
		if (s->lost_fd >= 0 &&
		    !(s->lost_seen = calloc(o->ncpus > 0 ? o->ncpus : 1, sizeof(uint64_t))))
			return -ENOMEM;
	}
	if (o->ringloss && (err = ringloss__attribute(o->ringloss)))
		return err;
	for (i = 0; i < (int)o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		if (s->kind != STREAM_RINGBUF || !o->ringloss ||
		    ringloss__exact(o->ringloss, s->map))
			continue;
		s->loss_unobservable = 1;
		warn_msg("%s: ringbuf %s: some of its reserve/output calls are out of bpfrec's reach "
			 "(in a subprogram, or their map is not known): its loss is unobservable",
			 o->name, s->map_name);
	}
	if (o->btf_ext)
		o->btf_raw = btf__raw_data(o->btf_ext, &o->btf_bytes);
	else
		o->btf_raw = btf__raw_data(bpf_object__btf(o->obj), &o->btf_bytes);
	return 0;
}

/* A link more in o->links. */
static int keep_link(struct bpfobj *o, struct bpf_link *link)
{
	if (o->nlinks == o->nlink_slots) {
		size_t slots = o->nlink_slots ? o->nlink_slots * 2 : 8;
		struct bpf_link **grown = realloc(o->links, slots * sizeof(*grown));

		if (!grown) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		o->links = grown;
		o->nlink_slots = slots;
	}
	o->links[o->nlinks++] = link;
	return 0;
}

/* prog (SEC("tracepoint"), no name) on every tracepoint of o->tps: the
 * count attached, or -errno when none did. */
static int attach_tracepoints(struct bpfobj *o, struct bpf_program *prog)
{
	int n = 0, err = -ENOENT;
	size_t i;

	for (i = 0; i < o->ntps; i++) {
		struct bpfobj_tracepoint *tp = &o->tps[i];
		LIBBPF_OPTS(bpf_tracepoint_opts, topts, .bpf_cookie = tp->cookie);
		struct bpf_link *link = bpf_program__attach_tracepoint_opts(prog, tp->system,
									     tp->name, &topts);

		if (!link) {
			err = -errno;
			warn_msg("tracepoint %s:%s did not attach: %s (left out)", tp->system, tp->name,
				 strerror(-err));
			continue;
		}
		if ((err = keep_link(o, link)))
			return err;
		tp->attached = 1;
		n++;
	}
	return n ? n : err;
}

int bpfobj__add_tracepoint(struct bpfobj *o, const char *system, const char *name,
			   uint64_t cookie)
{
	struct bpfobj_tracepoint *tp;

	if (strlen(system) >= sizeof(tp->system) || strlen(name) >= sizeof(tp->name))
		return -E2BIG;
	if (o->ntps == o->tps_cap) {
		size_t cap = o->tps_cap ? o->tps_cap * 2 : 8;
		struct bpfobj_tracepoint *grown = realloc(o->tps, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		o->tps = grown;
		o->tps_cap = cap;
	}
	tp = &o->tps[o->ntps++];
	memset(tp, 0, sizeof(*tp));
	snprintf(tp->system, sizeof(tp->system), "%s", system);
	snprintf(tp->name, sizeof(tp->name), "%s", name);
	tp->cookie = cookie;
	return (int)(o->ntps - 1);
}

int bpfobj__tracepoint_attached(const struct bpfobj *o, size_t index)
{
	return index < o->ntps && o->tps[index].attached;
}

/* The hook a section attaches to, for finding twins: a tracepoint's name
 * whichever way it is reached (tp/, tracepoint/, raw_tp/, raw_tracepoint/,
 * tp_btf/), a kernel function's entry or return (kprobe/fentry,
 * kretprobe/fexit), else the section itself. */
static void hook_of(const char *sec, char *out, size_t len)
{
	static const char *const tps[] = { "tp/", "tracepoint/", "raw_tp/", "raw_tracepoint/",
					   "tp_btf/", NULL };
	static const char *const entry[] = { "kprobe/", "fentry/", NULL };
	static const char *const ret[] = { "kretprobe/", "fexit/", NULL };
	const char *slash;
	int i;

	for (i = 0; tps[i]; i++)
		if (!strncmp(sec, tps[i], strlen(tps[i]))) {
			slash = strrchr(sec, '/');
			snprintf(out, len, "tracepoint %s", slash + 1);
			return;
		}
	for (i = 0; entry[i]; i++)
		if (!strncmp(sec, entry[i], strlen(entry[i]))) {
			snprintf(out, len, "entry of %s", sec + strlen(entry[i]));
			return;
		}
	for (i = 0; ret[i]; i++)
		if (!strncmp(sec, ret[i], strlen(ret[i]))) {
			snprintf(out, len, "return of %s", sec + strlen(ret[i]));
			return;
		}
	snprintf(out, len, "%s", sec);
}

/* Two attached programs of the object on one hook see every event twice
 * (libbpf-tools ship tp_btf and raw_tp variants and let their loader pick
 * one): said, with the way out. */
static void warn_twins(struct bpfobj *o, struct bpf_program **progs, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			char a[256], b[256];

			hook_of(bpf_program__section_name(progs[i]), a, sizeof(a));
			hook_of(bpf_program__section_name(progs[j]), b, sizeof(b));
			if (strcmp(a, b))
				continue;
			warn_msg("%s: programs %s (SEC %s) and %s (SEC %s) are both attached to the %s: "
				 "each event is seen by both (--skip one of them if they are variants "
				 "of one tool)", o->name, bpf_program__name(progs[i]),
				 bpf_program__section_name(progs[i]), bpf_program__name(progs[j]),
				 bpf_program__section_name(progs[j]), a);
			break;
		}
}

/* The programs table's word on a SEC("tracepoint") program given its
 * tracepoints by bpfobj__add_tracepoint: n of them attached. */
static void note_tracepoints(struct bpfobj *o, struct bpf_program *prog, int n)
{
	char t[256];
	size_t len = 0;

	if (n <= 0) {
		progtab__note(&o->progs, prog, PROGTAB_SKIPPED, NULL,
			      o->ntps ? "none of its tracepoints attached" :
			      "names no tracepoint (SEC(\"tracepoint\") alone)");
		return;
	}
	t[0] = 0;
	for (size_t i = 0; i < o->ntps && len < sizeof(t) - 1; i++) {
		if (!o->tps[i].attached)
			continue;
		len += (size_t)snprintf(t + len, sizeof(t) - len, "%s%s:%s", len ? "," : "",
					o->tps[i].system, o->tps[i].name);
	}
	if (len >= sizeof(t) - 1)
		snprintf(t + sizeof(t) - 5, 5, "...");
	progtab__note(&o->progs, prog, PROGTAB_ATTACHED, t, NULL);
}

/* An attached program's target: a uprobe's binary and function, a
 * cgroup's path, else what its section names. */
static void note_attached(struct bpfobj *o, struct bpf_program *prog, const char *sec)
{
	const struct bpfobj_uprobe *u = uprobe_target(o, prog);
	char t[256];

	if (u)
		snprintf(t, sizeof(t), "%s:%s", u->binary, u->func);
	else if (!strncmp(sec, "cgroup", 6))
		snprintf(t, sizeof(t), "%s", o->opts.cgroup_path ? o->opts.cgroup_path : "");
	else
		progtab__target_of(sec, t, sizeof(t));
	progtab__note(&o->progs, prog, PROGTAB_ATTACHED, t, NULL);
}

int bpfobj__attach(struct bpfobj *o, int strict)
{
	struct bpf_program **on = NULL;
	size_t non = 0;
	struct bpf_program *prog;
	int attached = 0, nprogs = 0;

	bpf_object__for_each_program(prog, o->obj)
		nprogs++;
	o->links = calloc(nprogs ? nprogs : 1, sizeof(*o->links));
	on = calloc(nprogs ? nprogs : 1, sizeof(*on));
	if (!o->links || !on) {
		free(on);
		return -ENOMEM;
	}
	o->nlink_slots = nprogs ? nprogs : 1;
	bpf_object__for_each_program(prog, o->obj) {
		const char *sec = bpf_program__section_name(prog);
		struct bpf_link *link;
		int err;

		if (!bpf_program__autoload(prog)) {
			/* left out before load: record_load said why, or --only/--skip */
			if (!progtab__find(&o->progs, bpf_program__name(prog)))
				progtab__note(&o->progs, prog, PROGTAB_SKIPPED, NULL,
					      "not selected (--only/--skip)");
			continue;
		}
		/* Run by BPF_PROG_TEST_RUN, attached to nothing: loaded is enough. */
		if (is_flush_prog(prog)) {
			progtab__note(&o->progs, prog, PROGTAB_LOADED, NULL, NULL);
			continue;   /* the drain runs it (staging): not a probe */
		}
		if (!strcmp(sec, "syscall")) {
			progtab__note(&o->progs, prog, PROGTAB_LOADED, NULL, NULL);
			attached++;
			continue;
		}
		if (!strcmp(sec, "perf_event")) {
			int n = perfattach__program(&o->progs, o->name, o->builtin,
						    o->opts.sample_hz, prog, &o->links,
						    &o->nlinks, &o->nlink_slots);

			if (n < 0) {
				if (strict) {
					free(on);
					return n;
				}
				continue;
			}
			attached++;
			continue;
		}
		if (!strcmp(sec, "tracepoint") || !strcmp(sec, "tp")) {
			int n = attach_tracepoints(o, prog);

			note_tracepoints(o, prog, n);
			if (n < 0 && strict)
				return n;
			attached += n > 0;
			continue;
		}
		if (!strncmp(sec, "cgroup", 6)) {
			if (o->opts.cgroup_fd < 0) {
				warn_msg("%s: program %s (SEC %s) needs a cgroup: give --cgroup PATH",
					 o->name, bpf_program__name(prog), sec);
				progtab__note(&o->progs, prog, PROGTAB_SKIPPED, NULL,
					      "needs a cgroup: give --cgroup PATH");
				if (strict) {
					free(on);
					return -EINVAL;
				}
				continue;
			}
			link = bpf_program__attach_cgroup(prog, o->opts.cgroup_fd);
		} else if (uprobe_target(o, prog)) {
			const struct bpfobj_uprobe *u = uprobe_target(o, prog);
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = u->func,
				    .retprobe = !strncmp(sec, "uretprobe", 9));

			link = bpf_program__attach_uprobe_opts(prog, -1, u->binary, 0, &uo);
		} else if (!strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe")) {
			warn_msg("%s: program %s (SEC %s) names no binary: give --attach %s=BINARY:FUNCTION",
				 o->name, bpf_program__name(prog), sec, bpf_program__name(prog));
			progtab__note(&o->progs, prog, PROGTAB_SKIPPED, NULL,
				      "names no binary: give --attach %s=BINARY:FUNCTION",
				      bpf_program__name(prog));
			if (strict) {
				free(on);
				return -EINVAL;
			}
			continue;
		} else {
			link = bpf_program__attach(prog);
		}
		if (!link) {
			err = -errno;
			warn_msg("%s: program %s (SEC %s) did not attach: %s%s", o->name,
				 bpf_program__name(prog), sec, strerror(-err),
				 verifier__attach_hint(sec, err));
			progtab__note(&o->progs, prog, PROGTAB_SKIPPED, NULL, "did not attach: %s%s",
				      strerror(-err), verifier__attach_hint(sec, err));
			if (strict) {
				free(on);
				return err;
			}
			continue;
		}
		o->links[o->nlinks++] = link;
		on[non++] = prog;
		attached++;
		note_attached(o, prog, sec);
	}
	warn_twins(o, on, non);
	free(on);
	return attached;
}

void bpfobj__detach(struct bpfobj *o)
{
	size_t i;

	for (i = 0; o && i < o->nlinks; i++)
		bpf_link__destroy(o->links[i]);
	if (o)
		o->nlinks = 0;
}

int bpfobj__select_programs(struct bpfobj *o, char *const *only, int nonly, char *const *skip,
			    int nskip, uint8_t *only_hit, uint8_t *skip_hit)
{
	struct bpf_program *prog;
	int i, hits = 0;

	bpf_object__for_each_program(prog, o->obj) {
		const char *name = bpf_program__name(prog);
		int load = nonly == 0;

		if (is_flush_prog(prog))
			continue;   /* its stream needs it, whatever is chosen */
		for (i = 0; i < nonly; i++)
			if (!strcmp(only[i], name)) {
				load = 1;
				only_hit[i] = 1;
				hits++;
			}
		for (i = 0; i < nskip; i++)
			if (!strcmp(skip[i], name)) {
				load = 0;
				skip_hit[i] = 1;
				hits++;
			}
		if (!load)
			bpf_program__set_autoload(prog, false);
	}
	return hits;
}

int bpfobj__set_map_size(struct bpfobj *o, const char *map, uint32_t n)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o->obj, map);

	if (!m)
		return -ENOENT;
	if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	return bpf_map__set_max_entries(m, n);
}

int bpfobj__map_put(struct bpfobj *o, const char *map, const char *key, const char *value)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o->obj, map);
	const struct btf *btf = bpf_object__btf(o->obj);
	uint32_t ks, vs, kt, vt;
	uint8_t *kbuf = NULL, *vbuf = NULL;
	char what[160];
	int err;

	if (!m)
		return -ENOENT;
	ks = bpf_map__key_size(m);
	vs = bpf_map__value_size(m);
	kt = bpf_map__btf_key_type_id(m);
	vt = bpf_map__btf_value_type_id(m);
	if (!btf || !kt || !vt) {
		warn_msg("--map-put %s: the map has no BTF key and value types to parse %s=%s with",
			 map, key, value);
		return -EINVAL;
	}
	kbuf = calloc(1, ks);
	vbuf = calloc(1, vs);
	if (!kbuf || !vbuf) {
		err = -ENOMEM;
		goto out;
	}
	snprintf(what, sizeof(what), "--map-put %s key", map);
	err = btfvalue__parse(btf, kt, what, key, kbuf, ks);
	if (!err) {
		snprintf(what, sizeof(what), "--map-put %s value", map);
		err = btfvalue__parse(btf, vt, what, value, vbuf, vs);
	}
	if (!err && bpf_map_update_elem(bpf_map__fd(m), kbuf, vbuf, BPF_ANY)) {
		err = -errno;
		warn_msg("--map-put %s %s=%s: %s", map, key, value, strerror(-err));
	}
out:
	free(kbuf);
	free(vbuf);
	return err;
}

int bpfobj__set_uprobe_target(struct bpfobj *o, const char *prog, const char *binary,
			      const char *func)
{
	struct bpfobj_uprobe *u;
	void *grown;

	if (!bpf_object__find_program_by_name(o->obj, prog))
		return -ENOENT;
	grown = realloc(o->uprobes, (o->nuprobes + 1) * sizeof(*o->uprobes));
	if (!grown)
		return -ENOMEM;
	o->uprobes = grown;
	u = &o->uprobes[o->nuprobes];
	snprintf(u->prog, sizeof(u->prog), "%s", prog);
	u->binary = strdup(binary);
	u->func = strdup(func);
	if (!u->binary || !u->func) {
		free(u->binary);
		free(u->func);
		return -ENOMEM;
	}
	o->nuprobes++;
	return 0;
}

/* A uprobe program given a target by --attach, or NULL. */
static const struct bpfobj_uprobe *uprobe_target(const struct bpfobj *o,
						  const struct bpf_program *prog)
{
	size_t i;

	for (i = 0; i < o->nuprobes; i++)
		if (!strcmp(o->uprobes[i].prog, bpf_program__name(prog)))
			return &o->uprobes[i];
	return NULL;
}

int bpfobj__set_ts_member(struct bpfobj *o, const char *map, const char *field, int mono)
{
	const struct btf *btf = o->btf_ext ? o->btf_ext : bpf_object__btf(o->obj);
	struct bpfobj_stream *s = NULL;
	const struct btf_type *t;
	const struct btf_member *m;
	uint32_t tid;
	size_t i;
	int k;

	for (i = 0; i < o->nstreams; i++)
		if (!strcmp(o->streams[i].map_name, map) && o->streams[i].kind != STREAM_SNAPSHOT)
			s = &o->streams[i];
	if (!s)
		return -ENOENT;
	tid = s->type_id;
	t = btf && tid ? skip_mods(btf, &tid) : NULL;
	if (!t || !btf_is_composite(t)) {
		warn_msg("--ts %s=%s: map %s has no event type (give --event %s=STRUCT)", map, field,
			 map, map);
		return -ESRCH;
	}
	for (k = 0, m = btf_members(t); k < btf_vlen(t); k++, m++) {
		uint32_t off = btf_member_bit_offset(t, k), mt = m->type;
		const struct btf_type *ft;

		if (strcmp(btf__name_by_offset(btf, m->name_off), field))
			continue;
		ft = skip_mods(btf, &mt);
		if (!ft || !btf_is_int(ft) || ft->size != 8 || off % 8 || btf_member_bitfield_size(t, k)) {
			warn_msg("--ts %s=%s: member %s of struct %s is not a 64-bit integer", map,
				 field, field, s->type_name);
			return -ESRCH;
		}
		s->l.ts_offset = off / 8;
		s->l.ts_add_ns = 0;
		if (mono) {
			struct timespec b, mn;

			clock_gettime(CLOCK_BOOTTIME, &b);
			clock_gettime(CLOCK_MONOTONIC, &mn);
			s->l.ts_add_ns = ((int64_t)b.tv_sec - mn.tv_sec) * 1000000000 +
				       (b.tv_nsec - mn.tv_nsec);
		}
		return 0;
	}
	warn_msg("--ts %s=%s: struct %s has no member %s", map, field, s->type_name, field);
	return -ESRCH;
}

int bpfobj__nprograms(const struct bpfobj *o)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, o->obj)
		n += bpf_program__autoload(prog);
	return n;
}

/* A per-CPU ring's size (BPFREC_PERCPU_RING): each CPU's ring is bytes (a
 * power of 2, checked by the caller), its region the head, the ring and
 * the slack for an event starting at its end; the program reads the size
 * from bpfrec_pcring_bytes__MAP. */
static int set_pcring_bytes(struct bpfobj *o, struct bpfobj_stream *s, uint32_t bytes)
{
	char name[160], value[32];
	int err;

	if (bytes < 4096)
		return -EINVAL;
	snprintf(name, sizeof(name), "bpfrec_pcring_bytes__%s", s->map_name);
	snprintf(value, sizeof(value), "%u", bytes);
	if (!bpfobj__has_global(o, name))
		return -EINVAL;
	if ((err = bpf_map__set_value_size(s->pcring_map,
					   (uint32_t)sizeof(struct bpfrec_pcring_head) + bytes +
					   BPFREC_BREC_SIZE(BPFREC_PCRING_MAX_EVENT))))
		return err;
	return bpfobj__set_global(o, name, value);
}

int bpfobj__set_ringbuf_size(struct bpfobj *o, const char *map, uint32_t bytes)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o->obj, map);
	size_t i;

	if (!m || bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
		return -ENOENT;
	for (i = 0; i < o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		if (s->map != m)
			continue;
		s->size_set = 1;
		if (s->pcring_map)
			return set_pcring_bytes(o, s, bytes);
	}
	return bpf_map__set_max_entries(m, bytes);
}

int bpfobj__set_event_type(struct bpfobj *o, const char *map, const char *type)
{
	const struct btf *btf;
	struct bpfobj_stream *s = NULL;
	uint32_t tid;
	size_t i;

	for (i = 0; i < o->nstreams; i++)
		if (!strcmp(o->streams[i].map_name, map))
			s = &o->streams[i];
	if (!s)
		return -ENOENT;
	if (find_struct(o, type, &btf, &tid))
		return -ESRCH;
	s->l.nvariants = 0;
	s->l.discr_size = 0;
	s->type_id = tid;
	s->type_auto = 0;
	find_stack_members(btf, s->type_id, &s->l.ustack_offset, &s->l.kstack_offset);
	return describe_type(btf, s->type_id, s->type_name, sizeof(s->type_name), &s->l.type_size,
			     &s->l.ts_offset, &s->l.pid_offset);
}

static int snapshottable(enum bpf_map_type t, int *percpu)
{
	*percpu = t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
		  t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_LRU_HASH ||
	       *percpu;
}

/* A BTF type for `size` raw bytes: unsigned char[size]. */
static int bytes_type(struct btf *b, uint32_t size)
{
	int u8 = btf__find_by_name_kind(b, "unsigned char", BTF_KIND_INT);
	int u32 = btf__find_by_name_kind(b, "unsigned int", BTF_KIND_INT);

	if (u8 <= 0)
		u8 = btf__add_int(b, "unsigned char", 1, 0);
	if (u32 <= 0)
		u32 = btf__add_int(b, "unsigned int", 4, 0);
	if (u8 < 0 || u32 < 0)
		return -EINVAL;
	return btf__add_array(b, u32, u8, size);
}

/* A .bss or .data section of globals (libbpf names its map OBJ.bss,
 * OBJ.data, OBJ.data.NAME): results many tools keep in globals instead of
 * maps.  .rodata is the configuration, set before load: not snapshotted. */
static int globals_section(const struct bpf_map *map)
{
	const char *dot = strchr(bpf_map__name(map), '.');

	return bpf_map__is_internal(map) && dot && bpf_map__btf_value_type_id(map) &&
	       (!strcmp(dot, ".bss") || !strncmp(dot, ".data", 5));
}

/* Snapshotted: hash/array/per-CPU/LRU maps of the object's own, and its
 * .bss/.data globals. */
static int snap_wanted(const struct bpf_map *map, int *percpu)
{
	if (globals_section(map)) {
		*percpu = 0;
		return 1;
	}
	return snapshottable(bpf_map__type(map), percpu) && !bpf_map__is_internal(map) &&
	       strncmp(bpf_map__name(map), "bpfrec_", 7);
}

/* A struct with one member per variable of a globals section (its DATASEC
 * type id dsec), at the variable's offset: typed columns for its snapshot.
 * Its id, or -errno. */
static int globals_type(struct btf *b, uint32_t dsec, const char *map_name, uint32_t size)
{
	const struct btf_type *sec = btf__type_by_id(b, dsec);
	const struct btf_var_secinfo *vs;
	char tname[128];
	int id, i, n;

	if (!sec || !btf_is_datasec(sec))
		return -EINVAL;
	n = btf_vlen(sec);
	snprintf(tname, sizeof(tname), "bpfrec_globals__%s", map_name);
	for (i = 0; i < (int)strlen(tname); i++)
		if (tname[i] == '.')
			tname[i] = '_';
	id = btf__add_struct(b, tname, size);
	if (id < 0)
		return id;
	for (i = 0; i < n; i++) {
		const struct btf_type *var;
		int err;

		sec = btf__type_by_id(b, dsec);     /* adding may move the types */
		vs = btf_var_secinfos(sec) + i;
		var = btf__type_by_id(b, vs->type);
		if (!var || !btf_is_var(var))
			continue;
		err = btf__add_field(b, btf__name_by_offset(b, var->name_off), var->type,
				     vs->offset * 8, 0);
		if (err)
			return err;
	}
	return id;
}

int bpfobj__add_snapshot_streams(struct bpfobj *o)
{
	const struct btf *orig = bpf_object__btf(o->obj);
	struct bpf_map *map;
	size_t n = o->nstreams, want = 0;
	void *grown;
	int pc;

	bpf_object__for_each_map(map, o->obj)
		want += snap_wanted(map, &pc);
	if (!want || !orig)
		return 0;
	grown = realloc(o->streams, (n + want) * sizeof(*o->streams));
	if (!grown)
		return -ENOMEM;
	o->streams = grown;
	memset(o->streams + n, 0, want * sizeof(*o->streams));
	if (!ext_btf(o))
		return -errno;
	bpf_object__for_each_map(map, o->obj) {
		struct bpfobj_stream *s;
		uint32_t kt = bpf_map__btf_key_type_id(map), vt = bpf_map__btf_value_type_id(map);
		uint32_t ks = bpf_map__key_size(map), vs = bpf_map__value_size(map), align;
		char tname[128];
		int id, percpu;

		if (!snap_wanted(map, &percpu))
			continue;
		if (globals_section(map)) {
			id = globals_type(o->btf_ext, vt, bpf_map__name(map), vs);
			if (id < 0) {
				warn_msg("%s: %s: cannot describe its globals: %s", o->name,
					 bpf_map__name(map), strerror(-id));
				continue;
			}
			vt = id;
			if ((id = btf__find_by_name_kind(o->btf_ext, "unsigned int", BTF_KIND_INT)) > 0 ||
			    (id = btf__add_int(o->btf_ext, "unsigned int", 4, 0)) > 0)
				kt = id;
		}
		if (!kt && (id = bytes_type(o->btf_ext, ks)) > 0)
			kt = id;
		if (!vt && (id = bytes_type(o->btf_ext, vs)) > 0)
			vt = id;
		/* The value where the compiler would put it in struct {K key; V value;}. */
		align = vs >= 8 ? 8 : vs >= 4 ? 4 : vs >= 2 ? 2 : 1;
		if (btf__align_of(o->btf_ext, vt) > 0)
			align = btf__align_of(o->btf_ext, vt);
		s = &o->streams[o->nstreams];
		s->kind = STREAM_SNAPSHOT;
		s->lost_fd = -1;
		s->map = map;
		s->map_fd = bpf_map__fd(map);
		s->snap.percpu = percpu;
		s->snap.key_size = ks;
		s->snap.value_size = vs;
		s->snap.value_offset = (ks + align - 1) / align * align;
		s->l.ts_offset = -1;
		s->l.pid_offset = -1;
		s->l.ustack_offset = s->l.kstack_offset = -1;
		snprintf(s->map_name, sizeof(s->map_name), "%s", bpf_map__name(map));
		snprintf(s->name, sizeof(s->name), "%s", bpf_map__name(map));
		snprintf(tname, sizeof(tname), "bpfrec_snapshot__%s", bpf_map__name(map));
		id = btf__add_struct(o->btf_ext, tname, s->snap.value_offset + vs);
		if (id < 0 || btf__add_field(o->btf_ext, "key", kt, 0, 0) ||
		    btf__add_field(o->btf_ext, "value", vt, s->snap.value_offset * 8, 0)) {
			warn_msg("%s: map %s: cannot describe its snapshot: %s", o->name,
				 bpf_map__name(map), strerror(errno));
			continue;
		}
		s->type_id = (uint32_t)id;
		s->l.type_size = s->snap.value_offset + vs;
		snprintf(s->type_name, sizeof(s->type_name), "%.63s", tname);
		o->nstreams++;
	}
	o->btf_raw = btf__raw_data(o->btf_ext, &o->btf_bytes);
	return 0;
}

/* Reports what one per-CPU counter grew by since seen[]. */
static int poll_counter(struct bpfobj *o, int fd, uint64_t *seen, struct bpfobj_stream *s,
			void (*fn)(struct bpfobj_stream *s, int cpu, uint64_t delta, void *ctx),
			void *ctx)
{
	uint64_t vals[o->ncpus > 0 ? o->ncpus : 1];
	uint32_t key = 0;
	int cpu;

	if (bpf_map_lookup_elem(fd, &key, vals))
		return -errno;
	for (cpu = 0; cpu < o->ncpus; cpu++) {
		if (vals[cpu] > seen[cpu]) {
			fn(s, cpu, vals[cpu] - seen[cpu], ctx);
			seen[cpu] = vals[cpu];
		}
	}
	return 0;
}

struct ringloss_ctx {
	struct bpfobj *o;
	void (*fn)(struct bpfobj_stream *s, int cpu, uint64_t delta, void *ctx);
	void *ctx;
};

static void on_ring_lost(const struct bpf_map *map, uint64_t delta, void *vctx)
{
	struct ringloss_ctx *c = vctx;
	size_t i;

	for (i = 0; i < c->o->nstreams; i++)
		if (c->o->streams[i].map == map && c->o->streams[i].kind == STREAM_RINGBUF) {
			c->fn(&c->o->streams[i], -1, delta, c->ctx);   /* -1: no CPU known */
			return;
		}
}

int bpfobj__poll_lost(struct bpfobj *o,
		      void (*fn)(struct bpfobj_stream *s, int cpu, uint64_t delta, void *ctx),
		      void *ctx)
{
	struct ringloss_ctx rc = { o, fn, ctx };
	size_t i;
	int err = 0;

	if (o->ringloss && (err = ringloss__poll(o->ringloss, on_ring_lost, &rc)))
		return err;

	if (o->ncpus <= 0 || !o->nstreams)
		return 0;
	if (o->lost_fd >= 0)
		err = poll_counter(o, o->lost_fd, o->lost_seen, &o->streams[0], fn, ctx);
	for (i = 0; i < o->nstreams && !err; i++)
		if (o->streams[i].lost_fd >= 0)
			err = poll_counter(o, o->streams[i].lost_fd, o->streams[i].lost_seen,
					   &o->streams[i], fn, ctx);
	return err;
}

void bpfobj__close(struct bpfobj *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->nlinks; i++)
		bpf_link__destroy(o->links[i]);
	free(o->links);
	free(o->tps);
	bpf_object__close(o->obj);
	ringloss__free(o->ringloss);
	for (i = 0; i < o->nuprobes; i++) {
		free(o->uprobes[i].binary);
		free(o->uprobes[i].func);
	}
	free(o->uprobes);
	dwarfbtf__close(o->dwarf);
	btf__free(o->btf_ext);
	for (i = 0; i < o->nstreams; i++)
		free(o->streams[i].lost_seen);
	free(o->streams);
	free(o->lost_seen);
	free(o->path);
	progtab__free(&o->progs);
	free(o);
}

struct bpf_object *bpfobj__bpf_object(struct bpfobj *o)
{
	return o->obj;
}

struct btf *bpfobj__btf_extend(struct bpfobj *o)
{
	const struct btf *orig = bpf_object__btf(o->obj);
	const void *raw;
	uint32_t size;

	if (o->btf_ext)
		return o->btf_ext;
	raw = orig ? btf__raw_data(orig, &size) : NULL;
	o->btf_ext = raw ? btf__new(raw, size) : btf__new_empty();
	if (!o->btf_ext)
		return NULL;
	o->btf_raw = btf__raw_data(o->btf_ext, &o->btf_bytes);
	return o->btf_ext;
}

int bpfobj__add_variant(struct bpfobj *o, const char *map, uint32_t discr_offset,
			uint32_t discr_size, const struct bpfobj_variant *v)
{
	size_t i;

	for (i = 0; i < o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		if (strcmp(s->map_name, map))
			continue;
		if (s->l.nvariants == BPFOBJ_MAX_VARIANTS)
			return -E2BIG;
		s->l.discr_offset = discr_offset;
		s->l.discr_size = discr_size;
		s->l.variants[s->l.nvariants++] = *v;
		/* The types were added since: the capture's copy must have them. */
		if (o->btf_ext)
			o->btf_raw = btf__raw_data(o->btf_ext, &o->btf_bytes);
		return 0;
	}
	return -ENOENT;
}

int bpfobj__set_stream_type(struct bpfobj *o, const char *map, uint32_t type_id,
			    int32_t ts_offset)
{
	size_t i;
	int err;

	if (!o->btf_ext)
		return -EINVAL;
	for (i = 0; i < o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		if (strcmp(s->map_name, map))
			continue;
		err = describe_type(o->btf_ext, type_id, s->type_name, sizeof(s->type_name),
				    &s->l.type_size, &s->l.ts_offset, &s->l.pid_offset);
		if (err)
			return err;
		find_stack_members(o->btf_ext, type_id, &s->l.ustack_offset, &s->l.kstack_offset);
		s->type_id = type_id;
		s->l.ts_offset = ts_offset;
		s->l.nvariants = 0;
		s->l.discr_size = 0;
		s->l.zero_fill = 0;
		o->btf_raw = btf__raw_data(o->btf_ext, &o->btf_bytes);
		return 0;
	}
	return -ENOENT;
}

int bpfobj__add_btf_root(struct bpfobj *o, uint32_t type_id)
{
	if (!o->btf_ext)
		return -EINVAL;
	if (o->nbtf_roots == sizeof(o->btf_roots) / sizeof(o->btf_roots[0]))
		return -E2BIG;
	o->btf_roots[o->nbtf_roots++] = type_id;
	o->btf_raw = btf__raw_data(o->btf_ext, &o->btf_bytes);
	return 0;
}

size_t bpfobj__btf_roots(const struct bpfobj *o, const uint32_t **ids)
{
	*ids = o->btf_roots;
	return o->nbtf_roots;
}

int bpfobj__set_stream_zero_fill(struct bpfobj *o, const char *map)
{
	for (size_t i = 0; i < o->nstreams; i++) {
		struct bpfobj_stream *s = &o->streams[i];

		if (strcmp(s->map_name, map))
			continue;
		if (!s->l.type_size || s->l.discr_size)
			return -EINVAL;   /* one known type only */
		s->l.zero_fill = 1;
		return 0;
	}
	return -ENOENT;
}

const char *bpfobj__name(const struct bpfobj *o)
{
	return o->name;
}

const char *bpfobj__path(const struct bpfobj *o)
{
	return o->path;
}

int bpfobj__builtin(const struct bpfobj *o)
{
	return o->builtin;
}

const void *bpfobj__btf_raw(const struct bpfobj *o, uint32_t *bytes)
{
	*bytes = o->btf_bytes;
	return o->btf_raw;
}

size_t bpfobj__nstreams(const struct bpfobj *o)
{
	return o->nstreams;
}

struct bpfobj_stream *bpfobj__stream(const struct bpfobj *o, size_t i)
{
	return i < o->nstreams ? &o->streams[i] : NULL;
}

const char *bpfobj_stream__name(const struct bpfobj_stream *s)
{
	return s->name;
}

const char *bpfobj_stream__map_name(const struct bpfobj_stream *s)
{
	return s->map_name;
}

enum stream_kind bpfobj_stream__kind(const struct bpfobj_stream *s)
{
	return s->kind;
}

const char *bpfobj_stream__kind_name(const struct bpfobj_stream *s)
{
	static const char *const kinds[] = { "ringbuf", "perf", "snapshot" };

	return kinds[s->kind];
}

int bpfobj_stream__map_fd(const struct bpfobj_stream *s)
{
	return s->map_fd;
}

const char *bpfobj_stream__type_name(const struct bpfobj_stream *s)
{
	return s->type_name;
}

uint32_t bpfobj_stream__type_id(const struct bpfobj_stream *s)
{
	return s->type_id;
}

const struct bpfobj_layout *bpfobj_stream__layout(const struct bpfobj_stream *s)
{
	return &s->l;
}

struct bpfobj_snapshot bpfobj_stream__snapshot(const struct bpfobj_stream *s)
{
	struct bpfobj_snapshot snap = s->snap;

	snap.map_fd = s->map_fd;
	return snap;
}

int bpfobj_stream__staging(const struct bpfobj_stream *s, int *flush_fd, int *pending_fd,
			   int *stage_fd)
{
	if (!s->flush_prog)
		return 0;
	*flush_fd = bpf_program__fd(s->flush_prog);
	*pending_fd = bpf_map__fd(s->pending_map);
	*stage_fd = bpf_map__fd(s->stage_map);
	return 1;
}

int bpfobj_stream__pcring(const struct bpfobj_stream *s)
{
	return s->pcring_map ? bpf_map__fd(s->pcring_map) : -1;
}

int bpfobj_stream__loss_unobservable(const struct bpfobj_stream *s)
{
	return s->loss_unobservable;
}

const char *bpfobj_stream__loss_method(const struct bpfobj *o, const struct bpfobj_stream *s)
{
	switch (s->kind) {
	case STREAM_PERF:
		return "perf";
	case STREAM_SNAPSHOT:
		return NULL;
	default:
		break;
	}
	if (s->loss_unobservable)
		return "unobservable";
	if (s->lost_fd >= 0 || o->lost_fd >= 0 || o->counts_itself)
		return "program";
	if (o->ringloss)
		return "rewrite";
	return "unobservable";
}

struct progtab *bpfobj__progtab(struct bpfobj *o)
{
	return &o->progs;
}

void bpfobj_stream__set_capture_id(struct bpfobj_stream *s, int variant, uint32_t id)
{
	if (variant < 0)
		s->l.capture_id = id;
	else if ((uint32_t)variant < s->l.nvariants)
		s->l.variants[variant].capture_id = id;
}

void bpfobj__unique_stream_names(struct bpfobj *const *objs, size_t nobjs)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i, j, k, v;
	int suffix;

	for (i = 0; i < nobjs; i++)
		for (j = 0; j < objs[i]->nstreams; j++) {
			struct bpfobj_stream *s = &objs[i]->streams[j];

			if (n + 1 + s->l.nvariants > cap) {
				size_t grown_cap = (cap + 1 + s->l.nvariants) * 2;
				char **grown = realloc(names, grown_cap * sizeof(*grown));

				if (!grown)
					goto out;   /* names as they are: capw refuses a duplicate */
				names = grown;
				cap = grown_cap;
			}
			names[n++] = s->name;
			for (v = 0; v < s->l.nvariants; v++)
				names[n++] = s->l.variants[v].name;
		}
	for (i = 1; i < n; i++) {
		char base[64];

		snprintf(base, sizeof(base), "%.50s", names[i]);
		for (suffix = 2;; suffix++) {
			for (k = 0; k < i && strcasecmp(names[k], names[i]); k++)
				;
			if (k == i)
				break;
			snprintf(names[i], 64, "%.50s_%d", base, suffix);
		}
	}
out:
	free(names);
}
