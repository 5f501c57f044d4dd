/* tprec.c - tracepoints by name: options, resolution over tracefs, the
 * generic program loaded, configured and attached, loss per tracepoint. */
#include "tprec.h"
#include "progtab.h"
#include "sysrec.h"
#include "tpfilter.h"
#include "tpformat.h"
#include "tplayout.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.skel.h"

/* The map the generic program writes to, and its record's discriminator:
 * the raw record's common_type, right after the 8-byte time. */
#define TP_MAP "tp_events"
#define TP_DISCR_OFFSET TPLAYOUT_RAW_OFFSET
#define TP_DISCR_SIZE 2

struct tpspec {
	char *spec;                /* SYSTEM:NAME, globs allowed */
	const char *filter;        /* --filter after its -e, or NULL */
};

struct tpsel {
	struct tpspec *specs;      /* growable */
	size_t n, cap;
	size_t last_e;             /* specs of the last -e: [last_e, n) */
	uint32_t string_size;
	const char *syscalls;      /* --syscalls, or NULL */
	enum sysrec_hook hook;     /* --syscalls-hook */
};

struct tpsel *tpsel__new(void)
{
	struct tpsel *s = calloc(1, sizeof(*s));

	if (s)
		s->string_size = TPSEL_STRING_SIZE;
	return s;
}

void tpsel__free(struct tpsel *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		free(s->specs[i].spec);
	free(s->specs);
	free(s);
}

int tpsel__add(struct tpsel *s, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	s->last_e = s->n;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		char sys[TPFORMAT_NAME_MAX], name[TPFORMAT_NAME_MAX], why[512];

		if (tpformat__split(tok, sys, name, sizeof(sys), why, sizeof(why))) {
			warn_msg("-e %s", why);
			err = -EINVAL;
			break;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 8;
			struct tpspec *grown = realloc(s->specs, cap * sizeof(*grown));

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			s->specs = grown;
			s->cap = cap;
		}
		s->specs[s->n].filter = NULL;
		if (!(s->specs[s->n].spec = strdup(tok))) {
			err = -ENOMEM;
			break;
		}
		s->n++;
	}
	if (!err && s->n == s->last_e) {
		warn_msg("-e '%s': no tracepoint named (expected SYSTEM:NAME)", list);
		err = -EINVAL;
	}
	free(copy);
	return err;
}

int tpsel__set_filter(struct tpsel *s, const char *expr)
{
	size_t i;

	if (!s || s->last_e == s->n) {
		warn_msg("--filter '%s': give it after the -e SYSTEM:NAME it filters", expr);
		return -EINVAL;
	}
	for (i = s->last_e; i < s->n; i++) {
		if (s->specs[i].filter) {
			warn_msg("--filter '%s': -e %s has a filter already ('%s'): join them with &&",
				 expr, s->specs[i].spec, s->specs[i].filter);
			return -EINVAL;
		}
		s->specs[i].filter = expr;
	}
	return 0;
}

int tpsel__set_string_size(struct tpsel *s, const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (end == arg || *end || v < 1 || v > TP_MAX_SLOT) {
		warn_msg("--string-size %s: expected a number of bytes from 1 to %d", arg, TP_MAX_SLOT);
		return -EINVAL;
	}
	s->string_size = (uint32_t)v;
	return 0;
}

int tpsel__set_syscalls(struct tpsel *s, const char *list)
{
	if (s->syscalls) {
		warn_msg("--syscalls %s: give one list (--syscalls %s,%s)", list, s->syscalls, list);
		return -EINVAL;
	}
	s->syscalls = list;
	return 0;
}

int tpsel__set_syscalls_hook(struct tpsel *s, const char *arg)
{
	if (sysrec__parse_hook(arg, &s->hook)) {
		warn_msg("--syscalls-hook %s: expected auto, raw or classic", arg);
		return -EINVAL;
	}
	return 0;
}

uint32_t tpsel__string_size(const struct tpsel *s)
{
	return s ? s->string_size : TPSEL_STRING_SIZE;
}

int tpsel__empty(const struct tpsel *s)
{
	return !s || (!s->n && !s->syscalls);
}

/* ---- resolved tracepoints ---- */

struct tp {
	struct tpformat *f;
	struct tplayout *l;
	struct tp_conf conf;
	const char *filter;
	char stream[64];           /* its table */
	char type_name[2 * TPFORMAT_NAME_MAX + 2];   /* SYSTEM:NAME */
	size_t obj;                /* index in objs, once loaded */
	uint32_t variant;          /* its place among the object's variants */
	size_t tpi;                /* its place among the object's tracepoints */
	const char *raw_prog;      /* recorded by this raw-tracepoint program
				    * instead of tp_record (raw_syscalls), or NULL */
};

struct tpobj {
	struct bpfobj *o;          /* owned by whoever take() gave it to */
	int lost_fd;
	uint64_t *seen;            /* [slot * ncpus + cpu]: loss already recorded */
};

struct tprec {
	struct tp *tps;            /* growable */
	size_t n, cap;
	struct tpobj *objs;
	size_t nobjs;
	int ncpus;
	uint32_t string_size;
	const char *tracing_dir;
	struct sysrec *sys;        /* --syscalls, or NULL */
	enum sysrec_hook hook;     /* --syscalls-hook: also for -e raw_syscalls */
	/* while resolving one spec */
	const struct tpspec *cur;
	int err;
};

static int add_one(const char *system, const char *name, void *ctx)
{
	struct tprec *t = ctx;
	char why[512];
	struct tpformat *f;
	struct tp *tp;
	size_t i;

	f = tpformat__load(t->tracing_dir, system, name, why, sizeof(why));
	if (!f) {
		warn_msg("-e %s: left out: %s", t->cur->spec, why);
		return 0;
	}
	for (i = 0; i < t->n; i++) {
		if (tpformat__id(t->tps[i].f) != tpformat__id(f))
			continue;
		/* Selected twice: the same recording, unless the filters differ. */
		if ((t->cur->filter || t->tps[i].filter) &&
		    (!t->cur->filter || !t->tps[i].filter || strcmp(t->cur->filter, t->tps[i].filter))) {
			warn_msg("-e %s: %s:%s is selected twice with different filters", t->cur->spec,
				 system, name);
			t->err = -EINVAL;
			tpformat__free(f);
			return 1;
		}
		tpformat__free(f);
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct tp *grown = realloc(t->tps, cap * sizeof(*grown));

		if (!grown) {
			tpformat__free(f);
			t->err = -ENOMEM;
			return 1;
		}
		t->tps = grown;
		t->cap = cap;
	}
	tp = &t->tps[t->n];
	memset(tp, 0, sizeof(*tp));
	tp->f = f;
	tp->filter = t->cur->filter;
	snprintf(tp->type_name, sizeof(tp->type_name), "%s:%s", system, name);
	tp->l = tplayout__new(f, t->string_size, why, sizeof(why));
	if (!tp->l) {
		warn_msg("-e %s: left out: %s", t->cur->spec, why);
		tpformat__free(f);
		return 0;
	}
	tplayout__conf(tp->l, &tp->conf);
	if (tp->filter && tpfilter__compile(tp->filter, f, &tp->conf, why, sizeof(why))) {
		warn_msg("%s", why);
		tplayout__free(tp->l);
		tpformat__free(f);
		t->err = -EINVAL;
		return 1;
	}
	t->n++;
	return 0;
}

/* Tables are named after the tracepoint; SYSTEM_NAME where two selected
 * systems have a tracepoint of the same name. */
static void name_streams(struct tprec *t)
{
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		const char *name = tpformat__name(t->tps[i].f);
		int clash = 0;

		for (j = 0; j < t->n; j++)
			clash |= j != i && !strcmp(name, tpformat__name(t->tps[j].f));
		if (clash)
			snprintf(t->tps[i].stream, sizeof(t->tps[i].stream), "%.31s_%.31s",
				 tpformat__system(t->tps[i].f), name);
		else
			snprintf(t->tps[i].stream, sizeof(t->tps[i].stream), "%.63s", name);
	}
}

struct tprec *tprec__resolve(const struct tpsel *s, const char *tracing_dir)
{
	struct tprec *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	t->tracing_dir = tracing_dir;
	t->string_size = tpsel__string_size(s);
	t->hook = s ? s->hook : SYSREC_HOOK_AUTO;
	for (i = 0; s && i < s->n && !t->err; i++) {
		char sys[TPFORMAT_NAME_MAX], name[TPFORMAT_NAME_MAX], why[512];
		int n;

		t->cur = &s->specs[i];
		tpformat__split(s->specs[i].spec, sys, name, sizeof(sys), why, sizeof(why));
		n = tpformat__expand(tracing_dir, sys, name, add_one, t);
		if (t->err)
			break;
		if (n < 0) {
			warn_msg("-e %s: %s/events: %s", s->specs[i].spec, tracing_dir, strerror(-n));
			t->err = n;
		} else if (n == 0) {
			if (strpbrk(s->specs[i].spec, "*?["))
				warn_msg("-e %s: no tracepoint matches (bpfrec list shows them)",
					 s->specs[i].spec);
			else
				warn_msg("-e %s: no such tracepoint in this kernel (bpfrec list shows them)",
					 s->specs[i].spec);
			t->err = -EINVAL;
		}
	}
	if (!t->err && s && s->n && !t->n) {
		warn_msg("-e: no tracepoint could be read: nothing to record");
		t->err = -EINVAL;
	}
	if (!t->err && s && s->syscalls &&
	    !(t->sys = sysrec__resolve(s->syscalls, t->string_size, s->hook, tracing_dir)))
		t->err = -errno;
	if (t->err) {
		int err = t->err;

		tprec__free(t);
		errno = -err;
		return NULL;
	}
	name_streams(t);
	return t;
}

/* 1 if f has a field called name at offset off, of size bytes. */
static int has_field(const struct tpformat *f, const char *name, uint32_t off, uint32_t size)
{
	for (size_t i = 0; i < tpformat__nfields(f); i++) {
		const struct tpfield *fl = tpformat__field(f, i);

		if (!strcmp(fl->name, name))
			return fl->offset == off && fl->size == size;
	}
	return 0;
}

/* The raw-tracepoint program of tp.bpf.c that records tp instead of
 * tp_record, or NULL: raw_syscalls:sys_enter and sys_exit, laid out as
 * that program fills them in, where the object has the program (x86-64)
 * and sysrec__raw_hooks says so (--syscalls-hook, -g, the kernel). */
static const char *raw_program(struct tprec *t, struct bpf_object *bo, const struct tp *tp,
			       uint32_t stack_flags)
{
	const struct tpformat *f = tp->f;
	const char *prog = NULL, *why;

	if (strcmp(tpformat__system(f), "raw_syscalls"))
		return NULL;
	if (!strcmp(tpformat__name(f), "sys_enter") && tpformat__fixed_size(f) == 64 &&
	    has_field(f, "id", 8, 8) && has_field(f, "args", 16, 48))
		prog = "tp_record_raw_enter";
	else if (!strcmp(tpformat__name(f), "sys_exit") && tpformat__fixed_size(f) == 24 &&
		 has_field(f, "id", 8, 8) && has_field(f, "ret", 16, 8))
		prog = "tp_record_raw_exit";
	if (!prog || !bpf_object__find_program_by_name(bo, prog))
		return NULL;
	return sysrec__raw_hooks(t->hook, stack_flags, &why) ? prog : NULL;
}

/* Before load: which program records each tracepoint of [first, last):
 * the raw ones where raw_program says so (their slots set), tp_record for
 * the rest; a program with nothing to record is not loaded.  0 or -errno. */
static int choose_programs(struct tprec *t, struct bpfobj *o, size_t first, size_t last,
			   uint32_t stack_flags)
{
	static const char *const raw[] = { "tp_record_raw_enter", "tp_record_raw_exit" };
	struct bpf_object *bo = bpfobj__bpf_object(o);
	struct bpf_program *p;
	size_t i, nclassic = 0;
	int used[2] = { 0, 0 }, err;

	for (i = first; i < last; i++) {
		struct tp *tp = &t->tps[i];
		char slot[24];
		int k;

		tp->raw_prog = raw_program(t, bo, tp, stack_flags);
		if (!tp->raw_prog) {
			nclassic++;
			continue;
		}
		k = !strcmp(tp->raw_prog, raw[1]);
		used[k] = 1;
		snprintf(slot, sizeof(slot), "%u", (unsigned)(i - first));
		err = bpfobj__set_global(o, k ? "tp_raw_exit_slot" : "tp_raw_enter_slot", slot);
		if (err)
			return err;
	}
	for (i = 0; i < 2; i++)
		if ((p = bpf_object__find_program_by_name(bo, raw[i])))
			bpf_program__set_autoload(p, used[i]);
	if (!nclassic && (p = bpf_object__find_program_by_name(bo, "tp_record")))
		bpf_program__set_autoload(p, false);
	return 0;
}

/* After load: why the programs choose_programs left out are. */
static void note_left_out(struct bpfobj *o)
{
	static const char *const names[] = { "tp_record", "tp_record_raw_enter",
					     "tp_record_raw_exit" };
	struct bpf_object *bo = bpfobj__bpf_object(o);

	for (size_t i = 0; i < 3; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(bo, names[i]);

		if (p && !bpf_program__autoload(p))
			progtab__note_left_out(o, names[i], i ? "no -e raw_syscalls tracepoint it "
					       "records (on its raw tracepoint where the kernel's BTF has "
					       "it, unless --syscalls-hook classic, or kernel stacks are "
					       "taken and the hook is auto)" :
					       "every -e tracepoint is recorded by a raw one");
	}
}

/* One object for tracepoints [first, last). */
static int load_object(struct tprec *t, size_t first, size_t last, const struct bpfobj_opts *opts,
		       int (*take)(struct bpfobj *o, void *ctx), void *ctx)
{
	struct tpobj *to = &t->objs[t->nobjs];
	struct bpf_object *bo;
	struct btf *btf;
	const void *elf;
	size_t size, i;
	int conf_fd, slots_fd, err;

	elf = tp_bpf__elf_bytes(&size);
	to->o = bpfobj__open_mem("tracepoints", elf, size, opts);
	if (!to->o)
		return -errno;
	to->lost_fd = -1;
	t->nobjs++;
	err = take(to->o, ctx);
	if (err)
		return err;
	err = choose_programs(t, to->o, first, last, opts->stack_flags);
	if (!err)
		err = bpfobj__load(to->o);
	if (err)
		return err;
	note_left_out(to->o);
	bo = bpfobj__bpf_object(to->o);
	conf_fd = bpf_object__find_map_fd_by_name(bo, "tp_confs");
	slots_fd = bpf_object__find_map_fd_by_name(bo, "tp_slots");
	to->lost_fd = bpf_object__find_map_fd_by_name(bo, "tp_lost");
	btf = bpfobj__btf_extend(to->o);
	to->seen = calloc((size_t)TP_PER_OBJECT * (size_t)t->ncpus, sizeof(uint64_t));
	if (conf_fd < 0 || slots_fd < 0 || to->lost_fd < 0 || !btf || !to->seen)
		return -ENOMEM;
	for (i = first; i < last; i++) {
		struct tp *tp = &t->tps[i];
		struct bpfobj_variant v = { 0 };
		__u32 key = tpformat__id(tp->f);
		int id;

		tp->obj = t->nobjs - 1;
		tp->variant = (uint32_t)(i - first);
		tp->conf.slot = tp->variant;
		if (opts->stack_flags) {
			char why[512];

			err = tplayout__add_stacks(tp->l, why, sizeof(why));
			if (err) {
				warn_msg("-e %s", why);
				return err;
			}
			tplayout__conf(tp->l, &tp->conf);
		}
		id = tplayout__add_btf(tp->l, btf, tp->type_name);
		if (id < 0) {
			warn_msg("-e %s: describing its record in BTF: %s", tp->type_name, strerror(-id));
			return id;
		}
		v.value = key;
		snprintf(v.name, sizeof(v.name), "%s", tp->stream);
		snprintf(v.type_name, sizeof(v.type_name), "%.63s", tp->type_name);
		v.type_id = (uint32_t)id;
		v.type_size = tplayout__rec_size(tp->l);
		v.ts_offset = 0;
		/* The process filter ran in the kernel: the tgid (of the stack
		 * slot) only tells the stacks whose addresses they are. */
		v.pid_offset = tp->conf.stack_off ? (int32_t)tp->conf.stack_off : -1;
		v.ustack_offset = tp->conf.stack_off ? (int32_t)tp->conf.stack_off + 4 : -1;
		v.kstack_offset = tp->conf.stack_off ? (int32_t)tp->conf.stack_off + 8 : -1;
		err = bpfobj__add_variant(to->o, TP_MAP, TP_DISCR_OFFSET, TP_DISCR_SIZE, &v);
		if (err)
			return err;
		/* The program finds its configuration by slot (the cookie), a
		 * lost record's slot by its common_type (the tracefs ID). */
		if (bpf_map_update_elem(conf_fd, &tp->conf.slot, &tp->conf, BPF_ANY) ||
		    bpf_map_update_elem(slots_fd, &key, &tp->conf.slot, BPF_ANY)) {
			err = -errno;
			warn_msg("-e %s: configuring the program: %s", tp->type_name, strerror(-err));
			return err;
		}
		/* A raw program attaches by its section and knows its slot. */
		if (tp->raw_prog)
			continue;
		/* The cookie tells the program which tracepoint fired; the
		 * recorder attaches once every stream is drained. */
		err = bpfobj__add_tracepoint(to->o, tpformat__system(tp->f), tpformat__name(tp->f),
					     tp->conf.slot);
		if (err < 0)
			return err;
		tp->tpi = (size_t)err;
	}
	return 0;
}

int tprec__load(struct tprec *t, const struct bpfobj_opts *opts,
		int (*take)(struct bpfobj *o, void *ctx), void *ctx)
{
	size_t first, nobjs = (t->n + TP_PER_OBJECT - 1) / TP_PER_OBJECT;
	int err;

	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0)
		return t->ncpus < 0 ? t->ncpus : -EINVAL;
	t->objs = calloc(nobjs ? nobjs : 1, sizeof(*t->objs));
	if (!t->objs)
		return -ENOMEM;
	for (first = 0; first < t->n; first += TP_PER_OBJECT) {
		size_t last = first + TP_PER_OBJECT < t->n ? first + TP_PER_OBJECT : t->n;

		err = load_object(t, first, last, opts, take, ctx);
		if (err < 0)
			return err;
	}
	return t->sys ? sysrec__load(t->sys, opts, take, ctx) : 0;
}

static int attached(const struct tprec *t, const struct tp *tp)
{
	struct bpfobj *o = t->objs[tp->obj].o;

	if (tp->raw_prog) {
		struct progtab_entry *e = progtab__find(bpfobj__progtab(o), tp->raw_prog);

		return e && e->state == PROGTAB_ATTACHED;
	}
	return bpfobj__tracepoint_attached(o, tp->tpi);
}

void tprec__poll_lost(struct tprec *t, struct drain *d, uint64_t now_ns)
{
	uint64_t vals[t && t->ncpus > 0 ? t->ncpus : 1];
	size_t i;
	int cpu;

	for (i = 0; t && i < t->n; i++) {
		struct tp *tp = &t->tps[i];
		struct tpobj *to = &t->objs[tp->obj];
		struct bpfobj_stream *s;
		__u32 key = tp->variant;

		if (!attached(t, tp) || to->lost_fd < 0 || bpf_map_lookup_elem(to->lost_fd, &key, vals))
			continue;
		s = bpfobj__stream(to->o, 0);
		for (cpu = 0; cpu < t->ncpus; cpu++) {
			uint64_t *seen = &to->seen[(size_t)tp->variant * (size_t)t->ncpus + (size_t)cpu];
			uint64_t delta = vals[cpu] - *seen;

			if (vals[cpu] <= *seen)
				continue;
			*seen = vals[cpu];
			if (d)
				drain__loss(d, s, (int)tp->variant, (uint32_t)cpu, now_ns, delta);
		}
	}
}

void tprec__summary(const struct tprec *t, const struct drain *d)
{
	size_t i;

	for (i = 0; t && i < t->n; i++) {
		const struct tp *tp = &t->tps[i];
		struct drain_stats st = { 0 };

		if (!attached(t, tp))
			continue;
		if (d)
			drain__stats(d, bpfobj__stream(t->objs[tp->obj].o, 0), (int)tp->variant, &st);
		info_msg("    %-24s %10llu events  %llu lost", tp->stream,
			 (unsigned long long)st.events, (unsigned long long)st.lost);
	}
}

void tprec__free(struct tprec *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nobjs; i++)
		free(t->objs[i].seen);
	free(t->objs);
	for (i = 0; i < t->n; i++) {
		tplayout__free(t->tps[i].l);
		tpformat__free(t->tps[i].f);
	}
	free(t->tps);
	sysrec__free(t->sys);
	free(t);
}
