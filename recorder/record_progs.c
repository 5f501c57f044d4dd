/* record_progs.c - what the capture says about its programs (where each
 * attached, or why not) and about each stream's loss: how it is known,
 * and when loss was possible where it cannot be counted (FORMAT.md
 * "Programs and loss").  Sent to the writer thread as the recording goes,
 * so that a snapshot, catalog.db and a recording killed midway have them;
 * what is left is written at the end. */
#include "losswin.h"
#include "pipeline.h"
#include "progtab.h"
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rows of one send, copied: the writer thread writes them while the
 * drain thread goes on.  Owned by whoever holds it; progrows_write frees. */
struct progrows {
	struct cap_program *prog;
	size_t nprog, prog_cap;
	struct lossrow {
		uint32_t stream;
		char *method;
		uint64_t ring_bytes;
	} *loss;
	size_t nloss, loss_cap;
	struct winrow {
		uint32_t stream;
		struct losswin_span span;
	} *win;
	size_t nwin, win_cap;
};

struct progsync {
	int programs_sent;         /* programs and loss methods are in */
	size_t nstreams;
	size_t *windows_sent;      /* per stream, in record_objs order */
	/* gather's working copy of windows_sent, kept only when every row
	 * was gathered: a failure partway (out of memory) frees the rows, and
	 * their windows must then still count as unsent. */
	size_t *windows_next;
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 8;
	void *g;

	if (n < *cap)
		return 0;
	if (!(g = realloc(*v, c * size)))
		return -ENOMEM;
	*v = g;
	*cap = c;
	return 0;
}

static void progrows_free(struct progrows *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nprog; i++) {
		free((char *)r->prog[i].name);
		free((char *)r->prog[i].section);
		free((char *)r->prog[i].type);
		free((char *)r->prog[i].state);
		free((char *)r->prog[i].target);
		free((char *)r->prog[i].reason);
	}
	for (size_t i = 0; i < r->nloss; i++)
		free(r->loss[i].method);
	free(r->prog);
	free(r->loss);
	free(r->win);
	free(r);
}

static char *dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*err = -ENOMEM;
	return d;
}

/* progtab__rows' emit: a copy of p */
static int add_program(void *ctx, const struct cap_program *p)
{
	struct progrows *r = ctx;
	struct cap_program *c;
	int err = 0;

	if (grow((void **)&r->prog, &r->prog_cap, r->nprog, sizeof(*r->prog)))
		return -ENOMEM;
	c = &r->prog[r->nprog++];
	*c = (struct cap_program){ .object_id = p->object_id, .stream_id = p->stream_id };
	c->name = dup_or_null(p->name, &err);
	c->section = dup_or_null(p->section, &err);
	c->type = dup_or_null(p->type, &err);
	c->state = dup_or_null(p->state, &err);
	c->target = dup_or_null(p->target, &err);
	c->reason = dup_or_null(p->reason, &err);
	return err;
}

static int add_loss(struct progrows *r, uint32_t stream, const char *method, uint64_t ring_bytes)
{
	if (grow((void **)&r->loss, &r->loss_cap, r->nloss, sizeof(*r->loss)))
		return -ENOMEM;
	r->loss[r->nloss] = (struct lossrow){ stream, strdup(method), ring_bytes };
	return r->loss[r->nloss++].method ? 0 : -ENOMEM;
}

/* Stream s's loss method (first) and the windows past *sent: those that
 * can no longer change, or all of them when end_ns (the recording's end,
 * which closes an open one) is given. */
static int stream_rows(struct progrows *r, struct drain *d, struct bpfobj *o,
		       struct bpfobj_stream *s, int first, size_t *sent, uint64_t end_ns)
{
	const char *method = bpfobj_stream__loss_method(o, s);
	const struct bpfobj_layout *l = bpfobj_stream__layout(s);
	const struct losswin *win;
	uint64_t ring_bytes;
	size_t upto;
	int err;

	if (!method || !l->capture_id)
		return 0;
	win = drain__loss_windows(d, s, end_ns, &ring_bytes);
	if (first) {
		if ((err = add_loss(r, l->capture_id, method, ring_bytes)))
			return err;
		/* the variants' losses are counted as their map's */
		for (uint32_t v = 0; v < l->nvariants; v++)
			if (l->variants[v].capture_id &&
			    (err = add_loss(r, l->variants[v].capture_id, method, 0)))
				return err;
	}
	if (!win)
		return 0;
	/* While recording, the last window may still change: while open, and
	 * when there is no room for another (losswin.c stretches it). */
	upto = win->n;
	if (!end_ns && upto && (win->open || upto >= win->cap))
		upto--;
	for (; *sent < upto; (*sent)++) {
		if (grow((void **)&r->win, &r->win_cap, r->nwin, sizeof(*r->win)))
			return -ENOMEM;
		r->win[r->nwin++] = (struct winrow){ l->capture_id, win->w[*sent] };
	}
	return 0;
}

/* Everything not yet sent, as rows; NULL with -errno in *err (or with 0:
 * nothing to send). */
static struct progrows *gather(struct progsync *ps, const struct record_objs *objs,
			       struct drain *d, uint64_t end_ns, int *err)
{
	struct progrows *r = calloc(1, sizeof(*r));
	size_t k = 0;

	*err = r ? 0 : -ENOMEM;
	memcpy(ps->windows_next, ps->windows_sent, ps->nstreams * sizeof(*ps->windows_sent));
	for (int i = 0; r && !*err && i < objs->n; i++) {
		struct bpfobj *o = objs->v[i];
		uint32_t object_id = bpfobj__progtab(o)->object_id;

		if (object_id && !ps->programs_sent)
			*err = progtab__rows(o, object_id, add_program, r);
		for (size_t j = 0; !*err && j < bpfobj__nstreams(o); j++, k++)
			if (object_id && k < ps->nstreams)
				*err = stream_rows(r, d, o, bpfobj__stream(o, j), !ps->programs_sent,
						   &ps->windows_next[k], end_ns);
	}
	if (!*err && r && !r->nprog && !r->nloss && !r->nwin) {
		progrows_free(r);
		return NULL;
	}
	if (*err) {
		progrows_free(r);
		return NULL;
	}
	memcpy(ps->windows_sent, ps->windows_next, ps->nstreams * sizeof(*ps->windows_sent));
	ps->programs_sent = 1;
	return r;
}

/* Writes r's rows (in the open batch: the next commit has them). */
static int progrows_write(struct progrows *r, struct capw *cap)
{
	int err = 0;

	for (size_t i = 0; !err && i < r->nprog; i++)
		err = capw__add_program(cap, &r->prog[i]);
	for (size_t i = 0; !err && i < r->nloss; i++)
		err = capw__set_stream_loss(cap, r->loss[i].stream, r->loss[i].method,
					    r->loss[i].ring_bytes);
	for (size_t i = 0; !err && i < r->nwin; i++)
		err = capw__add_loss_window(cap, r->win[i].stream, r->win[i].span.start_ns,
					    r->win[i].span.end_ns, r->win[i].span.peak_bytes);
	return err;
}

/* pipeline__call's fn: on the writer thread */
static int write_and_free(void *ctx, struct capw *cap)
{
	struct progrows *r = ctx;
	int err = r ? progrows_write(r, cap) : 0;

	progrows_free(r);
	return err;
}

struct progsync *progsync__new(const struct record_objs *objs)
{
	struct progsync *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->nstreams = record_objs__nstreams(objs);
	ps->windows_sent = calloc(ps->nstreams ? ps->nstreams : 1, sizeof(*ps->windows_sent));
	ps->windows_next = calloc(ps->nstreams ? ps->nstreams : 1, sizeof(*ps->windows_next));
	if (!ps->windows_sent || !ps->windows_next) {
		free(ps->windows_sent);
		free(ps->windows_next);
		free(ps);
		errno = ENOMEM;
		return NULL;
	}
	return ps;
}

int progsync__send(struct progsync *ps, const struct record_objs *objs, struct drain *d,
		   struct pipeline *pl)
{
	struct progrows *r;
	int err;

	if (!ps || !d || !pl)
		return 0;
	r = gather(ps, objs, d, 0, &err);
	if (r)
		pipeline__call(pl, write_and_free, r);
	return err;
}

int progsync__finish(struct progsync *ps, const struct record_objs *objs, struct drain *d,
		     struct capw *cap, uint64_t end_ns)
{
	struct progrows *r;
	int err;

	if (!ps || !d)
		return 0;
	r = gather(ps, objs, d, end_ns ? end_ns : 1, &err);
	if (r)
		err = write_and_free(r, cap);
	return err;
}

void progsync__free(struct progsync *ps)
{
	if (!ps)
		return;
	free(ps->windows_sent);
	free(ps->windows_next);
	free(ps);
}
