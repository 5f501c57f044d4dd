/* tpfilter.c - a filter expression into tp_terms. */
#include "tpfilter.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *expr, *p;
	const struct tpformat *f;
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, const char *what)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), fmt, what);
	snprintf(ps->err, ps->errlen, "--filter '%s': %s", ps->expr, msg);
	return -EINVAL;
}

static void skip_space(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static int parse_op(struct parser *ps, __u8 *op)
{
	static const struct { const char *text; __u8 op; } ops[] = {
		{ "==", TP_EQ }, { "!=", TP_NE }, { "<=", TP_LE }, { ">=", TP_GE },
		{ "<", TP_LT }, { ">", TP_GT },
	};
	size_t i;

	skip_space(ps);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(ps->p, ops[i].text, strlen(ops[i].text))) {
			ps->p += strlen(ops[i].text);
			*op = ops[i].op;
			return 0;
		}
	if (*ps->p == '=')
		return fail(ps, "'=' is not a comparison: write '=='%s", "");
	if (*ps->p == '~')
		return fail(ps, "'~' (glob match) is not supported%s", "");
	return fail(ps, "expected a comparison (== != < <= > >=) at '%.32s'", ps->p);
}

/* The range of an integer field of size bytes, checked against v. */
static int fits(uint64_t v, int negative, uint32_t size, int is_signed)
{
	if (size >= 8)
		return !negative || is_signed;
	if (is_signed) {
		int64_t x = (int64_t)v, lim = (int64_t)1 << (size * 8 - 1);

		return x >= -lim && x < lim;
	}
	return !negative && v < (1ull << (size * 8));
}

static int parse_cmp(struct parser *ps, struct tp_term *t)
{
	char name[TPFORMAT_NAME_MAX];
	const struct tpfield *fl;
	size_t n;

	skip_space(ps);
	if (*ps->p == '(' || *ps->p == ')')
		return fail(ps, "parentheses are not supported (write a && c || b && c for "
			    "(a || b) && c)%s", "");
	n = 0;
	while (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_')
		n++;
	if (!n)
		return fail(ps, "expected a field name at '%.32s'", *ps->p ? ps->p : "the end");
	if (n >= sizeof(name))
		return fail(ps, "field name too long%s", "");
	snprintf(name, sizeof(name), "%.*s", (int)n, ps->p);
	ps->p += n;
	fl = tpformat__find(ps->f, name);
	if (!fl) {
		char why[256 + TPFORMAT_NAME_MAX];

		snprintf(why, sizeof(why), "field %s not in %s:%s (bpfrec list %s:%s shows its fields)",
			 name, tpformat__system(ps->f), tpformat__name(ps->f), tpformat__system(ps->f),
			 tpformat__name(ps->f));
		return fail(ps, "%s", why);
	}
	/* The kernel fills the common fields in after BPF has run: only the
	 * pid has another source (the current thread). */
	if (fl->is_common && strcmp(fl->name, "common_pid"))
		return fail(ps, "field %s is not known yet when the filter runs (only common_pid "
			    "of the common fields is)", fl->name);
	memset(t, 0, sizeof(*t));
	if (parse_op(ps, &t->op))
		return -EINVAL;
	skip_space(ps);
	t->off = (__u16)fl->offset;
	if (*ps->p == '"' || *ps->p == '\'') {
		char q = *ps->p++;
		const char *end = strchr(ps->p, q);

		if (fl->kind != TPF_STRING && fl->kind != TPF_LOC_STRING)
			return fail(ps, "field %s is not a string: compare it with a number", fl->name);
		if (t->op != TP_EQ && t->op != TP_NE)
			return fail(ps, "strings compare with == and != only (field %s)", fl->name);
		if (!end)
			return fail(ps, "unterminated string%s", "");
		if (end - ps->p >= TP_FILTER_STR) {
			char why[128];

			snprintf(why, sizeof(why), "a string to compare is at most %d bytes",
				 TP_FILTER_STR - 1);
			return fail(ps, "%s", why);
		}
		memcpy(t->str, ps->p, (size_t)(end - ps->p));
		t->flags = fl->kind == TPF_LOC_STRING ? TP_T_LOC : TP_T_STRING;
		if (fl->rel_loc)
			t->flags |= TP_T_REL;
		t->size = (__u16)fl->size;
		ps->p = end + 1;
		return 0;
	}
	if (fl->kind != TPF_INT && fl->kind != TPF_POINTER)
		return fail(ps, "field %s is not a number: compare a string field with a quoted "
			    "string, arrays not at all", fl->name);
	{
		int negative = *ps->p == '-';
		const char *start = ps->p + negative;
		char *end;
		uint64_t v;

		errno = 0;
		v = strtoull(start, &end, 0);
		if (end == start || errno || isalnum((unsigned char)*end) || *end == '_')
			return fail(ps, "expected a number or a quoted string at '%.32s'", ps->p);
		if (negative && v > (1ull << 63))
			return fail(ps, "%.32s is out of range", ps->p);
		if (negative)
			v = (uint64_t)-(int64_t)v;
		if (!fits(v, negative, fl->size, fl->is_signed)) {
			char why[256];

			snprintf(why, sizeof(why), "%.*s does not fit field %s (%u bytes, %s)",
				 (int)(end - ps->p), ps->p, fl->name, fl->size,
				 fl->is_signed ? "signed" : "unsigned");
			return fail(ps, "%s", why);
		}
		ps->p = end;
		t->value = v;
		t->size = (__u16)fl->size;
		t->flags = fl->is_signed ? TP_T_SIGNED : 0;
		if (fl->is_common)
			t->flags |= TP_T_PID;
	}
	return 0;
}

int tpfilter__compile(const char *expr, const struct tpformat *f, struct tp_conf *c, char *err,
		      size_t errlen)
{
	struct parser ps = { expr, expr, f, err, errlen };
	__u32 n = 0;
	int new_group = 0;

	for (;;) {
		if (n == TP_MAX_TERMS) {
			char why[64];

			snprintf(why, sizeof(why), "at most %d comparisons", TP_MAX_TERMS);
			return fail(&ps, "%s", why);
		}
		if (parse_cmp(&ps, &c->terms[n]))
			return -EINVAL;
		if (new_group)
			c->terms[n].flags |= TP_T_OR;
		n++;
		skip_space(&ps);
		if (!*ps.p)
			break;
		if (!strncmp(ps.p, "&&", 2)) {
			new_group = 0;
		} else if (!strncmp(ps.p, "||", 2)) {
			new_group = 1;
		} else {
			return fail(&ps, "expected && or || at '%.32s'", ps.p);
		}
		ps.p += 2;
	}
	c->nterms = n;
	return 0;
}
