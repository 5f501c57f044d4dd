/* record_load.c - the probes, objects and tracepoints of a recording:
 * chosen, set up from the options, loaded and attached. */
#include "perfattach.h"
#include "perfspec.h"
#include "probes.h"
#include "progtab.h"
#include "record.h"
#include "stackcap.h"
#include "util.h"
#include "verifier.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which of the options that name a map or program matched one in some
 * object: a typo must not record the wrong thing silently. */
struct option_hits {
	uint8_t rb[RECORD_MAX_MAP_OPTS], event[RECORD_MAX_MAP_OPTS];
	uint8_t only[RECORD_MAX_PROG_NAMES], skip[RECORD_MAX_PROG_NAMES];
	uint8_t map_size[RECORD_MAX_MAP_OPTS], map_put[RECORD_MAX_MAP_OPTS];
	uint8_t attach[RECORD_MAX_MAP_OPTS], ts[RECORD_MAX_MAP_OPTS];
	uint8_t perf_event[RECORD_MAX_MAP_OPTS];
	uint8_t set[RECORD_MAX_SETS];
};

/* What one load needs: the options, the objects' shared options, what
 * matched. */
struct loader {
	const struct record_opts *o;
	struct bpfobj_opts base;
	struct option_hits hit;
	struct record_objs *objs;   /* where loaded objects go */
};

int record_objs__add(struct record_objs *objs, struct bpfobj *o)
{
	if (objs->n == objs->cap) {
		int cap = objs->cap ? objs->cap * 2 : 16;
		struct bpfobj **grown = realloc(objs->v, (size_t)cap * sizeof(*grown));

		if (!grown) {
			bpfobj__close(o);
			return -ENOMEM;
		}
		objs->v = grown;
		objs->cap = cap;
	}
	objs->v[objs->n++] = o;
	return 0;
}

size_t record_objs__nstreams(const struct record_objs *objs)
{
	size_t n = 0;
	int i;

	for (i = 0; i < objs->n; i++)
		n += bpfobj__nstreams(objs->v[i]);
	return n;
}

void record_objs__free(struct record_objs *objs)
{
	int i;

	for (i = 0; i < objs->n; i++)
		bpfobj__close(objs->v[i]);
	free(objs->v);
	memset(objs, 0, sizeof(*objs));
}

/* The options of one object: filter: whether it filters by the process
 * tree in the kernel (the built-ins and the tracepoints do). */
static struct bpfobj_opts obj_opts(const struct loader *l, int filter)
{
	struct bpfobj_opts oo = l->base;

	oo.filter_pids = filter && oo.pid_map_fd >= 0;
	return oo;
}

/* Applies the --ringbuf-size options that name a ringbuf of o. */
static int apply_ringbuf_sizes(struct loader *l, struct bpfobj *o)
{
	int i, err;

	for (i = 0; i < l->o->nrb_sizes; i++) {
		const char *arg = l->o->rb_sizes[i], *eq = strchr(arg, '=');
		char map[128];
		uint64_t v;

		snprintf(map, sizeof(map), "%.*s", (int)(eq - arg), arg);
		parse_size(eq + 1, &v);
		err = bpfobj__set_ringbuf_size(o, map, (uint32_t)v);
		if (err == -ENOENT)
			continue;
		if (err) {
			warn_msg("--ringbuf-size %s: %s", arg, strerror(-err));
			return err;
		}
		l->hit.rb[i] = 1;
	}
	return 0;
}

/* profile samples stacks: both kinds unless --stacks says which. */
int record__wants_stacks(const struct record_opts *o)
{
	int i;

	if (o->stack_flags)
		return 1;
	for (i = 0; i < o->nprobes; i++)
		if (!strcmp(o->probes[i], "profile"))
			return 1;
	return 0;
}

static int probe_selected(const struct record_opts *o, const struct builtin_probe *p)
{
	const char *name = p->name;
	int i;

	/* -e alone records its tracepoints, as perf record -e does. */
	if (!o->probes_given)
		return !p->opt_in && tpsel__empty(o->tpsel);
	for (i = 0; i < o->nprobes; i++)
		if (!strcmp(o->probes[i], name))
			return 1;
	return 0;
}

/* Opens and loads the built-in probes (record__attach attaches them).
 * With the default set, a probe the kernel cannot have is skipped with its
 * reason; one the user named is an error. */
static int load_builtins(struct loader *l, struct record_objs *objs)
{
	const struct builtin_probe *p;
	int have_cgroup = l->base.cgroup_fd >= 0;
	int err;

	for (p = builtin_probes; p->name; p++) {
		struct bpfobj_opts oo = obj_opts(l, 1);
		const char *why;
		struct bpfobj *obj;
		const void *elf;
		size_t size;

		if (p->hidden ? l->base.pid_map_fd < 0 : !probe_selected(l->o, p))
			continue;
		if (p->opt_in && !oo.stack_flags)
			oo.stack_flags = STACKCAP_USER | STACKCAP_KERNEL;
		why = probes__unsupported(p, have_cgroup);
		if (why) {
			if (l->o->probes_given) {
				warn_msg("probe %s: %s", p->name, why);
				return -EOPNOTSUPP;
			}
			info_msg("probe %s skipped: %s", p->name, why);
			continue;
		}
		elf = p->elf(&size);
		obj = bpfobj__open_mem(p->name, elf, size, &oo);
		if (!obj)
			return -errno;
		err = apply_ringbuf_sizes(l, obj);
		if (!err)
			err = bpfobj__load(obj);
		if (err && !l->o->probes_given && !p->hidden) {
			info_msg("probe %s skipped: it did not load here (above)", p->name);
			bpfobj__close(obj);
			continue;
		}
		/* Kept on failure too: closed with the rest. */
		if (record_objs__add(objs, obj))
			return -ENOMEM;
		if (err)
			return err;
	}
	return 0;
}

/* --event MAP=STRUCT for the maps of o. */
static int apply_event_types(struct loader *l, struct bpfobj *o)
{
	int i, err;

	for (i = 0; i < l->o->nevents; i++) {
		const char *arg = l->o->events[i], *eq = strchr(arg, '=');
		char map[128];

		snprintf(map, sizeof(map), "%.*s", (int)(eq - arg), arg);
		err = bpfobj__set_event_type(o, map, eq + 1);
		if (err == -ENOENT)
			continue;
		if (err == -ESRCH) {
			warn_msg("--event %s: %s has no struct or union %s in its BTF nor in its "
				 "DWARF", arg, bpfobj__path(o), eq + 1);
			return err;
		}
		l->hit.event[i] = 1;
	}
	return 0;
}

/* Every --only/--skip name, --ringbuf-size and --event map must have
 * matched something: a typo must not record the wrong thing silently. */
static int check_all_matched(const struct loader *l)
{
	const struct record_opts *o = l->o;
	const struct option_hits *hit = &l->hit;
	int i, err = 0;

	for (i = 0; i < o->nonly; i++)
		if (!hit->only[i] && (err = -ENOENT))
			warn_msg("--only %s: no program of that name in the --bpf objects", o->only[i]);
	for (i = 0; i < o->nskip; i++)
		if (!hit->skip[i] && (err = -ENOENT))
			warn_msg("--skip %s: no program of that name in the --bpf objects", o->skip[i]);
	for (i = 0; i < o->nrb_sizes; i++)
		if (!hit->rb[i] && (err = -ENOENT))
			warn_msg("--ringbuf-size %s: no ringbuf map of that name was loaded",
				 o->rb_sizes[i]);
	for (i = 0; i < o->nmap_sizes; i++)
		if (!hit->map_size[i] && (err = -ENOENT))
			warn_msg("--map-size %s: no map of that name in the --bpf objects",
				 o->map_sizes[i]);
	for (i = 0; i + 1 < o->nmap_puts; i += 2)
		if (!hit->map_put[i / 2] && (err = -ENOENT))
			warn_msg("--map-put %s: no map of that name in the --bpf objects",
				 o->map_puts[i]);
	for (i = 0; i < o->nts_fields; i++)
		if (!hit->ts[i] && (err = -ENOENT))
			warn_msg("--ts %s: no ringbuf or perf event array of that name in the --bpf "
				 "objects", o->ts_fields[i]);
	for (i = 0; i < o->nattaches; i++)
		if (!hit->attach[i] && (err = -ENOENT))
			warn_msg("--attach %s: no program of that name in the --bpf objects",
				 o->attaches[i]);
	for (i = 0; i < o->nperf_events; i++)
		if (!hit->perf_event[i] && (err = -ENOENT))
			warn_msg("--perf-event %s: no program of that name in the --bpf objects",
				 o->perf_events[i]);
	for (i = 0; i < o->nevents; i++)
		if (!hit->event[i] && (err = -ENOENT))
			warn_msg("--event %s: no ringbuf or perf event array of that name in the "
				 "--bpf objects", o->events[i]);
	return err;
}

/* --map-size, --ts and --attach for the maps and programs of o (before
 * load; after --event, which --ts reads). */
static int apply_map_options(struct loader *l, struct bpfobj *o)
{
	int i, err;

	for (i = 0; i < l->o->nmap_sizes; i++) {
		const char *arg = l->o->map_sizes[i], *eq = strchr(arg, '=');
		char map[128];
		uint64_t n;

		snprintf(map, sizeof(map), "%.*s", (int)(eq - arg), arg);
		parse_size(eq + 1, &n);
		err = bpfobj__set_map_size(o, map, (uint32_t)n);
		if (err == -ENOENT)
			continue;
		if (err) {
			warn_msg("--map-size %s: %s", arg, err == -EINVAL ?
				 "a ringbuf: give its size with --ringbuf-size" : strerror(-err));
			return err;
		}
		l->hit.map_size[i] = 1;
	}
	for (i = 0; i < l->o->nts_fields; i++) {
		const char *arg = l->o->ts_fields[i], *eq = strchr(arg, '=');
		const char *colon = strchr(eq, ':');
		char map[128], field[128];

		snprintf(map, sizeof(map), "%.*s", (int)(eq - arg), arg);
		snprintf(field, sizeof(field), "%.*s", colon ? (int)(colon - eq - 1) : (int)strlen(eq + 1),
			 eq + 1);
		err = bpfobj__set_ts_member(o, map, field, colon && !strcmp(colon, ":mono"));
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		l->hit.ts[i] = 1;
	}
	for (i = 0; i < l->o->nattaches; i++) {
		const char *arg = l->o->attaches[i], *eq = strchr(arg, '=');
		const char *colon = strrchr(eq, ':');
		char prog[128], bin[4096];

		snprintf(prog, sizeof(prog), "%.*s", (int)(eq - arg), arg);
		snprintf(bin, sizeof(bin), "%.*s", (int)(colon - eq - 1), eq + 1);
		err = bpfobj__set_uprobe_target(o, prog, bin, colon + 1);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		l->hit.attach[i] = 1;
	}
	for (i = 0; i < l->o->nperf_events; i++) {
		const char *arg = l->o->perf_events[i], *eq = strchr(arg, '=');
		struct perfspec spec;
		char prog[128], why[512];

		snprintf(prog, sizeof(prog), "%.*s", (int)(eq - arg), arg);
		if (perfspec__parse(eq + 1, &spec, why, sizeof(why)))
			return -EINVAL;         /* checked by record__parse_args */
		err = perfattach__set(o, prog, &spec);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		l->hit.perf_event[i] = 1;
	}
	return 0;
}

/* --map-put for the maps of o (after load, before attach). */
static int apply_map_puts(struct loader *l, struct bpfobj *o)
{
	int i, err;

	for (i = 0; i + 1 < l->o->nmap_puts; i += 2) {
		const char *kv = l->o->map_puts[i + 1], *eq = strchr(kv, '=');
		char key[256];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		err = bpfobj__map_put(o, l->o->map_puts[i], key, eq + 1);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		l->hit.map_put[i / 2] = 1;
	}
	return 0;
}

/* Opens one --bpf object and applies the options that precede its load:
 * --only/--skip, the programs left out after failing to load (left), the
 * ringbuf sizes, the event types and the --set values it has a variable
 * for.  NULL with errno. */
static struct bpfobj *open_user_object(struct loader *l, const char *path, char *const *left,
				       int nleft)
{
	struct bpfobj_opts oo = obj_opts(l, 0);
	struct bpfobj *obj = bpfobj__open_file(path, &oo);
	uint8_t left_hit[BPFOBJ_MAX_LEFT_OUT];
	int j, err;

	if (!obj)
		return NULL;
	bpfobj__select_programs(obj, l->o->only, l->o->nonly, l->o->skip, l->o->nskip,
				l->hit.only, l->hit.skip);
	bpfobj__select_programs(obj, NULL, 0, left, nleft, NULL, left_hit);
	err = apply_ringbuf_sizes(l, obj);
	if (!err)
		err = apply_event_types(l, obj);
	if (!err)
		err = apply_map_options(l, obj);
	for (j = 0; !err && j < l->o->nsets; j++) {
		const char *eq = strchr(l->o->sets[j], '=');
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - l->o->sets[j]), l->o->sets[j]);
		if (!bpfobj__has_global(obj, name))
			continue;
		err = bpfobj__set_global(obj, name, eq + 1);
		l->hit.set[j] = 1;
	}
	if (err) {
		bpfobj__close(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

/* Loads one --bpf object.  A program that does not load is left out with
 * its reason and the object opened again without it, so that the rest
 * records (libbpf loads an object whole or not at all); with --strict, or
 * when no program would be left, the failure is the object's. */
static int load_user_object(struct loader *l, const char *path, struct bpfobj **out)
{
	char *left[BPFOBJ_MAX_LEFT_OUT], *why[BPFOBJ_MAX_LEFT_OUT];
	int nleft = 0, err;

	*out = NULL;
	for (;;) {
		struct bpfobj *obj = open_user_object(l, path, left, nleft);
		char failed[128];

		if (!obj) {
			err = -errno;
			break;
		}
		err = bpfobj__load(obj);
		if (!err && (err = apply_map_puts(l, obj))) {
			bpfobj__close(obj);
			break;
		}
		if (!err) {
			for (int k = 0; k < nleft; k++)
				progtab__note_left_out(obj, left[k], why[k]);
			*out = obj;
			break;
		}
		if (l->o->strict || nleft == BPFOBJ_MAX_LEFT_OUT ||
		    !verifier__failed_program(failed, sizeof(failed)) ||
		    bpfobj__nprograms(obj) <= 1) {
			bpfobj__close(obj);
			break;
		}
		warn_msg("%s: program %s left out: it does not load here (above); the rest of the "
			 "object records (--strict makes this an error)", path, failed);
		bpfobj__close(obj);
		if (!(left[nleft] = strdup(failed))) {
			err = -ENOMEM;
			break;
		}
		if (asprintf(&why[nleft], "does not load here: %s", strerror(-err)) < 0) {
			free(left[nleft]);
			err = -ENOMEM;
			break;
		}
		nleft++;
	}
	while (nleft) {
		nleft--;
		free(left[nleft]);
		free(why[nleft]);
	}
	return err;
}

/* Opens, sets up and loads every --bpf object (record__attach attaches
 * them).  --set applies to each object that has the variable; one that no
 * object has is an error. */
static int load_user_objects(struct loader *l, struct record_objs *objs)
{
	int i, j, first = objs->n, err;

	for (i = 0; i < l->o->nbpf; i++) {
		struct bpfobj *obj;

		err = load_user_object(l, l->o->bpf_files[i], &obj);
		if (obj && record_objs__add(objs, obj))
			return -ENOMEM;
		if (err)
			return err;
	}
	for (j = 0; j < l->o->nsets; j++)
		if (!l->hit.set[j]) {
			warn_msg("--set %s: no --bpf object has a global variable '%.*s' in .rodata, "
				 ".data or .bss", l->o->sets[j],
				 (int)(strchr(l->o->sets[j], '=') - l->o->sets[j]), l->o->sets[j]);
			return -ENOENT;
		}
	for (i = first; i < objs->n; i++) {
		struct bpfobj *obj = objs->v[i];

		err = bpfobj__add_snapshot_streams(obj);
		if (err)
			return err;
		if (!bpfobj__nstreams(obj))
			info_msg("%s: no ringbuf, perf event array or map to snapshot: nothing to record",
				 bpfobj__path(obj));
	}
	return 0;
}

/* A tracepoint or syscall object (tprec.c), before its load: kept, and
 * --ringbuf-size tp_events=... / sys_events=... applies to it. */
static int take_object(struct bpfobj *o, void *ctx)
{
	struct loader *l = ctx;
	int err = record_objs__add(l->objs, o);

	return err ? err : apply_ringbuf_sizes(l, o);
}

int record__load_objects(const struct record_opts *o, const struct bpfobj_opts *base,
			 struct tprec *tp, struct record_objs *objs)
{
	struct loader *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	l->o = o;
	l->base = *base;
	l->objs = objs;
	err = load_builtins(l, objs);
	if (!err)
		err = load_user_objects(l, objs);
	if (!err && tp) {
		struct bpfobj_opts oo = obj_opts(l, 1);

		err = tprec__load(tp, &oo, take_object, l);
	}
	if (!err)
		err = check_all_matched(l);
	free(l);
	return err;
}

/* Attaches every loaded object, once its streams are drained: from the
 * first event on, each one is either recorded or counted as lost (a perf
 * event array has no perf event before drain__add, and a ringbuf
 * reserve's loss counter has no reader).  A built-in probe of the default
 * set that does not attach here is skipped (its stream stays empty); one
 * named with --probe, the process tracker, and a --bpf object with no
 * program attached are errors. */
int record__attach(const struct record_opts *o, struct record_objs *objs)
{
	int i, err;

	for (i = 0; i < objs->n; i++) {
		struct bpfobj *obj = objs->v[i];

		err = bpfobj__attach(obj, bpfobj__builtin(obj) || o->strict);
		if (bpfobj__builtin(obj) && err < 0) {
			const struct builtin_probe *p = probes__find(bpfobj__name(obj));

			if (o->probes_given || (p && p->hidden))
				return err;
			bpfobj__detach(obj);
			info_msg("probe %s skipped: it did not attach here (above)", bpfobj__name(obj));
			continue;
		}
		if (err < 0)
			return err;
		if (err == 0 && !bpfobj__builtin(obj)) {
			warn_msg("%s: no program attached", bpfobj__path(obj));
			return -ENOENT;
		}
	}
	return 0;
}
