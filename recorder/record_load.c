/* record_load.c - the probes and objects of a recording: chosen, set up
 * from the options, loaded and attached. */
#include "probes.h"
#include "record.h"
#include "stackcap.h"
#include "util.h"
#include "verifier.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Applies the --ringbuf-size options that name a ringbuf of o. */
static int apply_ringbuf_sizes(struct recorder *r, struct bpfobj *o, uint8_t *hit)
{
	int i, err;

	for (i = 0; i < r->o->nrb_sizes; i++) {
		const char *arg = r->o->rb_sizes[i], *eq = strchr(arg, '=');
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
		hit[i] = 1;
	}
	return 0;
}

struct bpfobj_opts record__obj_opts(struct recorder *r, int filter)
{
	struct bpfobj_opts oo = {
		.cgroup_fd = r->cgroup_fd,
		.cgroup_path = r->cgroup_path,
		.pid_map_fd = r->pid_map_fd,
		.filter_pids = filter && r->pid_map_fd >= 0,
		.btf_custom_path = r->o->kernel_btf,
		.stack_map_fd = stackcap__map_fd(r->stacks),
		.stack_flags = r->o->stack_flags,
		.sample_hz = r->o->sample_hz,
	};
	return oo;
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
int record__load_builtins(struct recorder *r)
{
	const struct builtin_probe *p;
	int have_cgroup = r->cgroup_fd >= 0;
	int err;

	for (p = builtin_probes; p->name; p++) {
		struct bpfobj_opts oo = record__obj_opts(r, 1);
		const char *why;
		struct bpfobj *obj;
		const void *elf;
		size_t size;

		if (p->hidden ? r->pid_map_fd < 0 : !probe_selected(r->o, p))
			continue;
		if (p->opt_in && !oo.stack_flags)
			oo.stack_flags = STACKCAP_USER | STACKCAP_KERNEL;
		why = probes__unsupported(p, have_cgroup);
		if (why) {
			if (r->o->probes_given) {
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
		r->objs[r->nobjs++] = obj;
		err = apply_ringbuf_sizes(r, obj, r->rb_hit);
		if (!err)
			err = bpfobj__load(obj);
		if (err) {
			if (r->o->probes_given || p->hidden)
				return err;
			info_msg("probe %s skipped: it did not load here (above)", p->name);
			bpfobj__close(obj);
			r->nobjs--;
		}
	}
	return 0;
}

/* --event MAP=STRUCT for the maps of o. */
static int apply_event_types(struct recorder *r, struct bpfobj *o)
{
	int i, err;

	for (i = 0; i < r->o->nevents; i++) {
		const char *arg = r->o->events[i], *eq = strchr(arg, '=');
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
		r->event_hit[i] = 1;
	}
	return 0;
}

/* Every --only/--skip name, --ringbuf-size and --event map must have
 * matched something: a typo must not record the wrong thing silently. */
static int check_all_matched(struct recorder *r)
{
	const struct record_opts *o = r->o;
	int i, err = 0;

	for (i = 0; i < o->nonly; i++)
		if (!r->only_hit[i] && (err = -ENOENT))
			warn_msg("--only %s: no program of that name in the --bpf objects", o->only[i]);
	for (i = 0; i < o->nskip; i++)
		if (!r->skip_hit[i] && (err = -ENOENT))
			warn_msg("--skip %s: no program of that name in the --bpf objects", o->skip[i]);
	for (i = 0; i < o->nrb_sizes; i++)
		if (!r->rb_hit[i] && (err = -ENOENT))
			warn_msg("--ringbuf-size %s: no ringbuf map of that name was loaded",
				 o->rb_sizes[i]);
	for (i = 0; i < o->nmap_sizes; i++)
		if (!r->map_size_hit[i] && (err = -ENOENT))
			warn_msg("--map-size %s: no map of that name in the --bpf objects",
				 o->map_sizes[i]);
	for (i = 0; i + 1 < o->nmap_puts; i += 2)
		if (!r->map_put_hit[i / 2] && (err = -ENOENT))
			warn_msg("--map-put %s: no map of that name in the --bpf objects",
				 o->map_puts[i]);
	for (i = 0; i < o->nts_fields; i++)
		if (!r->ts_hit[i] && (err = -ENOENT))
			warn_msg("--ts %s: no ringbuf or perf event array of that name in the --bpf "
				 "objects", o->ts_fields[i]);
	for (i = 0; i < o->nattaches; i++)
		if (!r->attach_hit[i] && (err = -ENOENT))
			warn_msg("--attach %s: no program of that name in the --bpf objects",
				 o->attaches[i]);
	for (i = 0; i < o->nevents; i++)
		if (!r->event_hit[i] && (err = -ENOENT))
			warn_msg("--event %s: no ringbuf or perf event array of that name in the "
				 "--bpf objects", o->events[i]);
	return err;
}

/* --map-size, --ts and --attach for the maps and programs of o (before
 * load; after --event, which --ts reads). */
static int apply_map_options(struct recorder *r, struct bpfobj *o)
{
	int i, err;

	for (i = 0; i < r->o->nmap_sizes; i++) {
		const char *arg = r->o->map_sizes[i], *eq = strchr(arg, '=');
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
		r->map_size_hit[i] = 1;
	}
	for (i = 0; i < r->o->nts_fields; i++) {
		const char *arg = r->o->ts_fields[i], *eq = strchr(arg, '=');
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
		r->ts_hit[i] = 1;
	}
	for (i = 0; i < r->o->nattaches; i++) {
		const char *arg = r->o->attaches[i], *eq = strchr(arg, '=');
		const char *colon = strrchr(eq, ':');
		char prog[128], bin[4096];

		snprintf(prog, sizeof(prog), "%.*s", (int)(eq - arg), arg);
		snprintf(bin, sizeof(bin), "%.*s", (int)(colon - eq - 1), eq + 1);
		err = bpfobj__set_uprobe_target(o, prog, bin, colon + 1);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		r->attach_hit[i] = 1;
	}
	return 0;
}

/* --map-put for the maps of o (after load, before attach). */
static int apply_map_puts(struct recorder *r, struct bpfobj *o)
{
	int i, err;

	for (i = 0; i + 1 < r->o->nmap_puts; i += 2) {
		const char *kv = r->o->map_puts[i + 1], *eq = strchr(kv, '=');
		char key[256];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		err = bpfobj__map_put(o, r->o->map_puts[i], key, eq + 1);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		r->map_put_hit[i / 2] = 1;
	}
	return 0;
}

/* Opens one --bpf object and applies the options that precede its load:
 * --only/--skip, the programs left out after failing to load (left), the
 * ringbuf sizes, the event types and the --set values it has a variable
 * for (set_hit[j] = 1).  NULL with errno. */
static struct bpfobj *open_user_object(struct recorder *r, const char *path, char *const *left,
				       int nleft, uint8_t *set_hit)
{
	struct bpfobj_opts oo = record__obj_opts(r, 0);
	struct bpfobj *obj = bpfobj__open_file(path, &oo);
	uint8_t left_hit[BPFOBJ_MAX_LEFT_OUT];
	int j, err;

	if (!obj)
		return NULL;
	bpfobj__select_programs(obj, r->o->only, r->o->nonly, r->o->skip, r->o->nskip,
				r->only_hit, r->skip_hit);
	bpfobj__select_programs(obj, NULL, 0, left, nleft, NULL, left_hit);
	err = apply_ringbuf_sizes(r, obj, r->rb_hit);
	if (!err)
		err = apply_event_types(r, obj);
	if (!err)
		err = apply_map_options(r, obj);
	for (j = 0; !err && j < r->o->nsets; j++) {
		const char *eq = strchr(r->o->sets[j], '=');
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - r->o->sets[j]), r->o->sets[j]);
		if (!bpfobj__has_global(obj, name))
			continue;
		err = bpfobj__set_global(obj, name, eq + 1);
		set_hit[j] = 1;
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
static int load_user_object(struct recorder *r, const char *path, uint8_t *set_hit,
			    struct bpfobj **out)
{
	char *left[BPFOBJ_MAX_LEFT_OUT];
	int nleft = 0, err;

	*out = NULL;
	for (;;) {
		struct bpfobj *obj = open_user_object(r, path, left, nleft, set_hit);
		char failed[128];

		if (!obj) {
			err = -errno;
			break;
		}
		err = bpfobj__load(obj);
		if (!err && (err = apply_map_puts(r, obj))) {
			bpfobj__close(obj);
			break;
		}
		if (!err) {
			*out = obj;
			break;
		}
		if (r->o->strict || nleft == BPFOBJ_MAX_LEFT_OUT ||
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
		nleft++;
	}
	while (nleft)
		free(left[--nleft]);
	return err;
}

/* Opens, sets up and loads every --bpf object (record__attach attaches
 * them).  --set applies to each object that has the variable; one that no
 * object has is an error. */
int record__load_user_objects(struct recorder *r)
{
	uint8_t set_hit[RECORD_MAX_SETS] = { 0 };
	int i, j, err;

	for (i = 0; i < r->o->nbpf; i++) {
		struct bpfobj *obj;

		err = load_user_object(r, r->o->bpf_files[i], set_hit, &obj);
		if (obj)
			r->objs[r->nobjs++] = obj;
		if (err)
			return err;
	}
	for (j = 0; j < r->o->nsets; j++)
		if (!set_hit[j]) {
			warn_msg("--set %s: no --bpf object has a global variable '%.*s' in .rodata, "
				 ".data or .bss", r->o->sets[j],
				 (int)(strchr(r->o->sets[j], '=') - r->o->sets[j]), r->o->sets[j]);
			return -ENOENT;
		}
	err = check_all_matched(r);
	if (err)
		return err;
	for (i = r->nobjs - r->o->nbpf; i < r->nobjs; i++) {
		struct bpfobj *obj = r->objs[i];

		err = bpfobj__add_snapshot_streams(obj);
		if (err)
			return err;
		if (!bpfobj__nstreams(obj))
			info_msg("%s: no ringbuf, perf event array or map to snapshot: nothing to record",
				 bpfobj__path(obj));
	}
	return 0;
}

/* Attaches every loaded object, once its streams are drained: from the
 * first event on, each one is either recorded or counted as lost (a perf
 * event array has no perf event before drain__add, and a ringbuf
 * reserve's loss counter has no reader).  A built-in probe of the default
 * set that does not attach here is skipped (its stream stays empty); one
 * named with --probe, the process tracker, and a --bpf object with no
 * program attached are errors. */
int record__attach(struct recorder *r)
{
	int i, err;

	for (i = 0; i < r->nobjs; i++) {
		struct bpfobj *obj = r->objs[i];

		err = bpfobj__attach(obj, bpfobj__builtin(obj) || r->o->strict);
		if (bpfobj__builtin(obj) && err < 0) {
			const struct builtin_probe *p = probes__find(bpfobj__name(obj));

			if (r->o->probes_given || (p && p->hidden))
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
