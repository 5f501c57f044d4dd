/* progtab.c - see progtab.h. */
#include "bpfobj.h"
#include "capw.h"
#include "progtab.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct progtab_entry *progtab__find(struct progtab *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].name, name))
			return &t->e[i];
	return NULL;
}

int progtab__note(struct progtab *t, const struct bpf_program *prog, enum progtab_state st,
		  const char *target, const char *reason_fmt, ...)
{
	struct progtab_entry *e = progtab__find(t, bpf_program__name(prog));
	const char *type = libbpf_bpf_prog_type_str(bpf_program__type(prog));
	va_list ap;

	if (!e) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 8;
			struct progtab_entry *grown = realloc(t->e, cap * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			t->e = grown;
			t->cap = cap;
		}
		e = &t->e[t->n++];
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", bpf_program__name(prog));
	snprintf(e->section, sizeof(e->section), "%s", bpf_program__section_name(prog));
	snprintf(e->type, sizeof(e->type), "%s", type ? type : "unknown");
	e->state = st;
	if (target)
		snprintf(e->target, sizeof(e->target), "%s", target);
	if (reason_fmt) {
		va_start(ap, reason_fmt);
		vsnprintf(e->reason, sizeof(e->reason), reason_fmt, ap);
		va_end(ap);
	}
	return 0;
}

const char *progtab__state_name(enum progtab_state st)
{
	switch (st) {
	case PROGTAB_ATTACHED:
		return "attached";
	case PROGTAB_LOADED:
		return "loaded";
	default:
		return "skipped";
	}
}

void progtab__target_of(const char *sec, char *out, size_t len)
{
	static const char *const tps[] = { "tp/", "tracepoint/", NULL };
	const char *slash = strchr(sec, '/');
	int i;

	out[0] = 0;
	if (!slash || !slash[1])
		return;
	for (i = 0; tps[i]; i++)
		if (!strncmp(sec, tps[i], strlen(tps[i]))) {
			const char *name = strchr(slash + 1, '/');

			/* tp/SYSTEM/NAME: perf's spelling, SYSTEM:NAME */
			if (name)
				snprintf(out, len, "%.*s:%s", (int)(name - slash - 1), slash + 1,
					 name + 1);
			else
				snprintf(out, len, "%s", slash + 1);
			return;
		}
	snprintf(out, len, "%s", slash + 1);
}

void progtab__free(struct progtab *t)
{
	if (!t)
		return;
	free(t->e);
	t->e = NULL;
	t->n = t->cap = 0;
	free(t->perf);
	t->perf = NULL;
	t->nperf = 0;
}

int progtab__note_left_out(struct bpfobj *o, const char *name, const char *reason)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(bpfobj__bpf_object(o), name);

	if (!prog)
		return -ENOENT;
	return progtab__note(bpfobj__progtab(o), prog, PROGTAB_SKIPPED, NULL, "%s", reason);
}

/* The stream prog writes: the first ringbuf or perf array whose map its
 * (relocated) instructions load, else the first snapshotted map they
 * load.  0: none known. */
static uint32_t stream_of(struct bpfobj *o, const struct bpf_program *prog)
{
	const struct bpf_insn *in = bpf_program__insns(prog);
	size_t n = bpf_program__insn_cnt(prog);
	uint32_t snap = 0;

	for (size_t i = 0; in && i + 1 < n; i++) {
		if (in[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (in[i].src_reg == BPF_PSEUDO_MAP_FD || in[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
			for (size_t k = 0; k < bpfobj__nstreams(o); k++) {
				const struct bpfobj_stream *s = bpfobj__stream(o, k);
				enum stream_kind kind = bpfobj_stream__kind(s);
				int fd = kind == STREAM_SNAPSHOT ? bpfobj_stream__snapshot(s).map_fd :
					 bpfobj_stream__map_fd(s);
				uint32_t id = bpfobj_stream__layout(s)->capture_id;

				if (fd < 0 || fd != in[i].imm || !id)
					continue;
				if (kind != STREAM_SNAPSHOT)
					return id;
				if (!snap)
					snap = id;
			}
		}
		i++;   /* the second half of the 16-byte load */
	}
	return snap;
}

int progtab__rows(struct bpfobj *o, uint32_t object_id,
		  int (*emit)(void *ctx, const struct cap_program *p), void *ctx)
{
	struct progtab *t = bpfobj__progtab(o);
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, bpfobj__bpf_object(o)) {
		struct progtab_entry *e = progtab__find(t, bpf_program__name(prog));
		const char *type = libbpf_bpf_prog_type_str(bpf_program__type(prog));
		struct cap_program p = {
			.object_id = object_id,
			.name = bpf_program__name(prog),
			.section = bpf_program__section_name(prog),
			.type = type ? type : "unknown",
			.state = "skipped",
			.reason = "not loaded",
		};

		if (e) {
			p.state = progtab__state_name(e->state);
			p.target = e->state == PROGTAB_ATTACHED && e->target[0] ? e->target : NULL;
			p.reason = e->state == PROGTAB_SKIPPED && e->reason[0] ? e->reason : NULL;
			if (e->state == PROGTAB_SKIPPED && !p.reason)
				p.reason = "unknown";
		}
		if (e && e->state != PROGTAB_SKIPPED)
			p.stream_id = stream_of(o, prog);
		if ((err = emit(ctx, &p)))
			return err;
	}
	return 0;
}
