/* cols.c - what a stream's columns are for, by name (export.h). */
#include <errno.h>
#include <string.h>

#include "export.h"
#include "symb.h"

static int col_of(const struct capview_stream *s, const char *name)
{
	for (size_t k = 0; k < s->ncols; k++)
		if (!strcmp(s->cols[k], name))
			return (int)k;
	return -1;
}

/* The first column of s holding a stack id of that kind, -1 if none. */
static int stack_col(const struct capview_stream *s, int kind)
{
	for (size_t k = 0; k < s->ncols; k++)
		if (evtype__col(s->et, k)->stack == kind)
			return (int)k;
	return -1;
}

void export__cols(const struct capview_stream *s, struct export_cols *c)
{
	static const char *const lat_names[] = { "latency_ns", "latency", "lat_ns", "duration_ns",
						 "dur_ns", NULL };

	c->pid = s->pid_col;
	c->tid = col_of(s, "tid");
	c->comm = col_of(s, "comm");
	c->lat = -1;
	for (size_t i = 0; lat_names[i] && c->lat < 0; i++)
		c->lat = col_of(s, lat_names[i]);
	c->ret = col_of(s, "ret");
	c->filename = col_of(s, "filename");
	c->ppid = col_of(s, "ppid");
	c->child_pid = col_of(s, "child_pid");
	c->child_comm = col_of(s, "child_comm");
	c->exit_code = col_of(s, "exit_code");
	c->ustack = stack_col(s, EVCOL_STACK_USER);
	c->kstack = stack_col(s, EVCOL_STACK_KERNEL);
	c->role = EXPORT_ROLE_NONE;
	if (!strcmp(s->name, "exec") || !strcmp(s->name, "sched_process_exec"))
		c->role = EXPORT_ROLE_EXEC;
	else if (!strcmp(s->name, "exit") || !strcmp(s->name, "sched_process_exit"))
		c->role = EXPORT_ROLE_EXIT;
	else if (c->child_pid >= 0)
		c->role = EXPORT_ROLE_FORK;
}

int export__col_int(struct capview_stream *s, int col, const struct cap_rec *rec, int64_t *out)
{
	struct evval v;

	if (col < 0 || evtype__decode(s->et, (size_t)col, rec->data, rec->len, &v) || v.is_null)
		return -1;
	*out = v.i;
	return 0;
}

void export__col_text(struct capview_stream *s, int col, const struct cap_rec *rec, char *buf,
		      size_t len)
{
	buf[0] = 0;
	if (col >= 0 && evtype__format(s->et, (size_t)col, rec->data, rec->len, buf, len) < 0)
		buf[0] = 0;
}

int export__fold_stack(struct capview *c, struct capview_stream *s, const struct export_cols *cols,
		       const struct cap_rec *rec, struct strbuf *out)
{
	int64_t us = -1, ks = -1, pid = -1;
	char comm[64], err[256];
	struct symb *sy;

	out->len = 0;
	if (cols->ustack < 0 && cols->kstack < 0)
		return 0;
	if (export__col_int(s, cols->ustack, rec, &us))
		us = -1;
	if (export__col_int(s, cols->kstack, rec, &ks))
		ks = -1;
	if (us < 0 && ks < 0)
		return 0;               /* none recorded (bpf_get_stackid's -errno) */
	if (capview__symb(c, &sy, err, sizeof(err)) || !sy)
		return 0;
	if (export__col_int(s, cols->pid, rec, &pid) || pid < 0 || pid > UINT32_MAX)
		pid = 0;
	export__col_text(s, cols->comm, rec, comm, sizeof(comm));
	if (symb__fold(sy, comm, (uint32_t)pid, us, ks, out))
		return -ENOMEM;
	return 1;
}
