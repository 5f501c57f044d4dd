/* test_rec_tpfilter.c - recorder/tpfilter.c without root: --filter
 * expressions compiled against fixture formats into the terms the
 * generic program evaluates, and refused with the field or token named. */
#include <errno.h>
#include <stdlib.h>
#include "testutil.h"
#include "fixtures/tpfix.h"
#include "tpfilter.h"

static void refused(const char *expr, const struct tpformat *f, const char *want)
{
	struct tp_conf c;
	char err[512] = "";

	memset(&c, 0, sizeof(c));
	if (tpfilter__compile(expr, f, &c, err, sizeof(err)) != -EINVAL || !strstr(err, want)) {
		fprintf(stderr, "filter %s: expected an error with '%s', got '%s'\n", expr, want, err);
		exit(1);
	}
}

int main(void)
{
	struct tpformat *sw, *ex;
	struct tp_conf c;
	char err[512];

	sw = tpfix_load("sched", "sched_switch");
	ex = tpfix_load("sched", "sched_process_exec");

	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(tpfilter__compile("prev_pid == 42", sw, &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.nterms, 1);
	CHECK_EQ_INT(c.terms[0].off, 24);
	CHECK_EQ_INT(c.terms[0].size, 4);
	CHECK_EQ_INT(c.terms[0].op, TP_EQ);
	CHECK_EQ_INT(c.terms[0].flags, TP_T_SIGNED);
	CHECK_EQ_U64(c.terms[0].value, 42);

	/* && binds tighter: a && b || c && d is two groups */
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(tpfilter__compile("prev_pid==1&&next_pid != 2 || prev_prio < -5 && "
				       "prev_comm == \"ping\"", sw, &c, err, sizeof(err)), 0);
	CHECK_EQ_INT(c.nterms, 4);
	CHECK_EQ_INT(c.terms[0].flags, TP_T_SIGNED);
	CHECK_EQ_INT(c.terms[1].flags, TP_T_SIGNED);
	CHECK_EQ_INT(c.terms[1].op, TP_NE);
	CHECK_EQ_INT(c.terms[2].flags, TP_T_SIGNED | TP_T_OR);
	CHECK_EQ_INT(c.terms[2].op, TP_LT);
	CHECK_EQ_U64(c.terms[2].value, (uint64_t)-5);
	CHECK_EQ_INT(c.terms[3].flags, TP_T_STRING);
	CHECK_EQ_INT(c.terms[3].size, 16);
	CHECK_EQ_INT(c.terms[3].off, 8);
	CHECK_STR(c.terms[3].str, "ping");

	/* a __data_loc string; hex; the common fields */
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(tpfilter__compile("filename != '/bin/true' && common_pid >= 0x10", ex, &c, err,
				       sizeof(err)), 0);
	CHECK_EQ_INT(c.terms[0].flags, TP_T_LOC);
	CHECK_EQ_INT(c.terms[0].off, 8);
	CHECK_STR(c.terms[0].str, "/bin/true");
	CHECK_EQ_INT(c.terms[1].op, TP_GE);
	CHECK_EQ_U64(c.terms[1].value, 16);
	CHECK_EQ_INT(c.terms[1].off, 4);
	CHECK_EQ_INT(c.terms[1].flags, TP_T_SIGNED | TP_T_PID);

	/* refused, naming what is wrong */
	refused("prev_pid = 1", sw, "'=' is not a comparison");
	refused("pid == 1", sw, "field pid not in sched:sched_switch");
	refused("prev_pid == x", sw, "expected a number");
	refused("prev_pid == 1 &", sw, "expected && or ||");
	refused("(prev_pid == 1)", sw, "parentheses are not supported");
	refused("prev_comm < \"a\"", sw, "strings compare with == and != only");
	refused("prev_comm == 3", sw, "field prev_comm is not a number");
	refused("prev_pid == \"a\"", sw, "field prev_pid is not a string");
	refused("prev_comm == \"0123456789012345678901234567890123\"", sw, "at most 31 bytes");
	refused("prev_comm == \"abc", sw, "unterminated string");
	refused("next_pid == 2147483648", sw, "2147483648 does not fit field next_pid (4 bytes, signed)");
	refused("prev_state == -9223372036854775809", sw, "out of range");
	refused("prev_pid == 4294967296", sw, "does not fit");
	refused("", sw, "expected a field name at 'the end'");
	refused("prev_pid == 1 && prev_pid == 1 && prev_pid == 1 && prev_pid == 1 && prev_pid == 1 "
		"&& prev_pid == 1 && prev_pid == 1 && prev_pid == 1 && prev_pid == 1", sw,
		"at most 8 comparisons");
	refused("prev_comm ~ \"a*\"", sw, "glob match");
	refused("common_flags == 1", sw, "field common_flags is not known yet when the filter runs");
	tpformat__free(sw);
	tpformat__free(ex);
	puts("test_rec_tpfilter: ok");
	return 0;
}
