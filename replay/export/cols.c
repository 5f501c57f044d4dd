/* cols.c - what a stream's columns are for, by name (export.h). */
#include <string.h>

#include "export.h"

static int col_of(const struct rcap_stream *s, const char *name)
{
	for (size_t k = 0; k < s->ncols; k++)
		if (!strcmp(s->cols[k], name))
			return (int)k;
	return -1;
}

static int stack_col(const struct rcap_stream *s)
{
	for (size_t k = 0; k < s->ncols; k++) {
		const char *n = s->cols[k];
		size_t len = strlen(n);

		if (evtype__col(s->et, k)->kind != EVCOL_TEXT)
			continue;
		if (!strcmp(n, "stack") || (len > 6 && !strcmp(n + len - 6, "_stack")))
			return (int)k;
	}
	return -1;
}

void export__cols(const struct rcap_stream *s, struct export_cols *c)
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
	c->stack = stack_col(s);
	c->role = EXPORT_ROLE_NONE;
	if (!strcmp(s->name, "exec") || !strcmp(s->name, "sched_process_exec"))
		c->role = EXPORT_ROLE_EXEC;
	else if (!strcmp(s->name, "exit") || !strcmp(s->name, "sched_process_exit"))
		c->role = EXPORT_ROLE_EXIT;
	else if (c->child_pid >= 0)
		c->role = EXPORT_ROLE_FORK;
}

int export__col_int(struct rcap_stream *s, int col, const struct cap_rec *rec, int64_t *out)
{
	struct evval v;

	if (col < 0 || evtype__decode(s->et, (size_t)col, rec->data, rec->len, &v) || v.is_null)
		return -1;
	*out = v.i;
	return 0;
}

void export__col_text(struct rcap_stream *s, int col, const struct cap_rec *rec, char *buf,
		      size_t len)
{
	buf[0] = 0;
	if (col >= 0 && evtype__format(s->et, (size_t)col, rec->data, rec->len, buf, len) < 0)
		buf[0] = 0;
}
