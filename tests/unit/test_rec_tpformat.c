/* test_rec_tpformat.c - recorder/tpformat.c without root: format files
 * copied from a 6.x kernel's tracefs (tests/unit/fixtures/tracefs) parsed
 * field by field, a synthetic one with what the kernel's rarely use
 * (__rel_loc, an array bound that is an expression, a struct by value),
 * broken ones refused with the line, and globs expanded over the fixture
 * tree. */
#include <errno.h>
#include <stdlib.h>
#include "testutil.h"
#include "fixtures/tpfix.h"
#include "tpformat.h"

static void check_field(const struct tpformat *f, const char *name, enum tpfield_kind kind,
			uint32_t offset, uint32_t size, int is_signed, const char *type)
{
	const struct tpfield *fl = tpformat__find(f, name);

	if (!fl) {
		fprintf(stderr, "%s: no field %s\n", tpformat__name(f), name);
		exit(1);
	}
	CHECK_EQ_INT(fl->kind, kind);
	CHECK_EQ_INT(fl->offset, offset);
	CHECK_EQ_INT(fl->size, size);
	CHECK_EQ_INT(fl->is_signed, is_signed);
	CHECK_STR(fl->type, type);
}

static int collect(const char *system, const char *name, void *ctx)
{
	char *out = ctx;

	snprintf(out + strlen(out), 4096 - strlen(out), "%s:%s ", system, name);
	return 0;
}

int main(void)
{
	char err[512], sys[TPFORMAT_NAME_MAX], name[TPFORMAT_NAME_MAX], seen[4096];
	struct tpformat *f;
	const struct tpfield *fl;

	/* __data_loc string, common fields */
	f = tpfix_load("sched", "sched_process_exec");
	CHECK_EQ_INT(tpformat__id(f), 365);
	CHECK_EQ_INT(tpformat__nfields(f), 7);
	CHECK_EQ_INT(tpformat__fixed_size(f), 20);
	check_field(f, "common_type", TPF_INT, 0, 2, 0, "unsigned short");
	check_field(f, "common_pid", TPF_INT, 4, 4, 1, "int");
	CHECK(tpformat__find(f, "common_pid")->is_common);
	CHECK(!tpformat__find(f, "pid")->is_common);
	check_field(f, "filename", TPF_LOC_STRING, 8, 4, 0, "char");
	CHECK_EQ_INT(tpformat__find(f, "filename")->rel_loc, 0);
	check_field(f, "old_pid", TPF_INT, 16, 4, 1, "pid_t");
	tpformat__free(f);

	/* fixed char arrays, long */
	f = tpfix_load("sched", "sched_switch");
	check_field(f, "prev_comm", TPF_STRING, 8, 16, 0, "char");
	CHECK_EQ_INT(tpformat__find(f, "prev_comm")->nelems, 16);
	check_field(f, "prev_state", TPF_INT, 32, 8, 1, "long");
	check_field(f, "next_prio", TPF_INT, 60, 4, 1, "int");
	CHECK_EQ_INT(tpformat__fixed_size(f), 64);
	tpformat__free(f);

	/* syscalls: __syscall_nr, then 8-byte args; a pointer */
	f = tpfix_load("syscalls", "sys_enter_openat");
	check_field(f, "__syscall_nr", TPF_INT, 8, 4, 1, "int");
	check_field(f, "dfd", TPF_INT, 16, 8, 0, "int");
	check_field(f, "filename", TPF_POINTER, 24, 8, 0, "const char *");
	check_field(f, "mode", TPF_INT, 40, 8, 0, "umode_t");
	tpformat__free(f);

	/* a field named errno; a comm array */
	f = tpfix_load("signal", "signal_generate");
	check_field(f, "errno", TPF_INT, 12, 4, 1, "int");
	check_field(f, "comm", TPF_STRING, 20, 16, 0, "char");
	tpformat__free(f);

	/* a dynamic array (cpumask_t: unsigned longs) and void pointers */
	f = tpfix_load("ipi", "ipi_send_cpumask");
	check_field(f, "cpumask", TPF_LOC_ARRAY, 8, 4, 0, "cpumask_t");
	CHECK_EQ_INT(tpformat__find(f, "cpumask")->elem_size, 8);
	check_field(f, "callsite", TPF_POINTER, 16, 8, 0, "void *");
	tpformat__free(f);

	/* __u8 arrays are arrays, not text */
	f = tpfix_load("sock", "inet_sock_set_state");
	check_field(f, "saddr_v6", TPF_ARRAY, 40, 16, 0, "__u8");
	check_field(f, "skaddr", TPF_POINTER, 8, 8, 0, "const void *");
	tpformat__free(f);

	/* synthetic: the rare shapes */
	f = tpfix_load("fake", "rel_loc");
	check_field(f, "saddr", TPF_ARRAY, 8, 28, 0, "__u8");
	CHECK_EQ_INT(tpformat__find(f, "saddr")->nelems, 28);
	check_field(f, "ptr", TPF_POINTER, 40, 8, 0, "struct foo *");
	check_field(f, "value", TPF_BYTES, 48, 12, 0, "struct blob");
	check_field(f, "vals", TPF_LOC_ARRAY, 60, 4, 0, "unsigned int");
	fl = tpformat__find(f, "vals");
	CHECK_EQ_INT(fl->rel_loc, 1);
	CHECK_EQ_INT(fl->elem_size, 4);
	CHECK_EQ_INT(fl->elem_signed, 0);
	tpformat__free(f);

	/* broken files: refused with the line and the reason */
	CHECK(tpformat__load(tpfix_tracing(), "fake", "broken", err, sizeof(err)) == NULL);
	CHECK(errno == EINVAL);
	CHECK(strstr(err, "fake:broken") && strstr(err, "line 5") && strstr(err, "offset"));
	CHECK(tpformat__load(tpfix_tracing(), "sched", "nope", err, sizeof(err)) == NULL);
	CHECK(errno == ENOENT);
	CHECK(strstr(err, "sched:nope: no such tracepoint") != NULL);
	CHECK(tpformat__load(tpfix_tracing(), "../etc", "passwd", err, sizeof(err)) == NULL);
	CHECK(tpformat__parse("name: x\nID: 1\nformat:\n", "s", "x", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "no field: line") != NULL);
	CHECK(tpformat__parse("name: y\nID: 1\nformat:\n", "s", "x", err, sizeof(err)) == NULL);
	CHECK(tpformat__parse("name: x\nID: 1\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n"
			      "\tfield:int a;\toffset:4;\tsize:4;\tsigned:1;\n", "s", "x", err,
			      sizeof(err)) == NULL);
	CHECK(strstr(err, "field a appears twice") != NULL);
	CHECK(tpformat__parse("name: x\nID: 1\nformat:\n\tfield:int a;\toffset:9000;\tsize:4;\tsigned:1;\n",
			      "s", "x", err, sizeof(err)) == NULL);
	CHECK(tpformat__parse("name: x\nID: 1\nformat:\n\tfield:__data_loc char[] s;\toffset:0;\tsize:8;\tsigned:0;\n",
			      "s", "x", err, sizeof(err)) == NULL);
	CHECK(tpformat__parse("name: x\nID: 1\nformat:\n\tfield:int 9a;\toffset:0;\tsize:4;\tsigned:1;\n",
			      "s", "x", err, sizeof(err)) == NULL);

	/* specs and globs */
	CHECK_EQ_INT(tpformat__split("sched:sched_switch", sys, name, sizeof(sys), err, sizeof(err)), 0);
	CHECK_STR(sys, "sched");
	CHECK_STR(name, "sched_switch");
	CHECK_EQ_INT(tpformat__split("syscalls/sys_enter_open*", sys, name, sizeof(sys), err,
				     sizeof(err)), 0);
	CHECK_STR(name, "sys_enter_open*");
	CHECK_EQ_INT(tpformat__split("sched_switch", sys, name, sizeof(sys), err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "expected SYSTEM:NAME") != NULL);
	CHECK_EQ_INT(tpformat__split("sched:", sys, name, sizeof(sys), err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(tpformat__split("a:b:c", sys, name, sizeof(sys), err, sizeof(err)), -EINVAL);
	seen[0] = 0;
	CHECK_EQ_INT(tpformat__expand(tpfix_tracing(), "sched", "*", collect, seen), 3);
	CHECK_STR(seen, "sched:sched_process_exec sched:sched_process_fork sched:sched_switch ");
	seen[0] = 0;
	CHECK_EQ_INT(tpformat__expand(tpfix_tracing(), "*", "sys_*_openat", collect, seen), 2);
	CHECK_STR(seen, "syscalls:sys_enter_openat syscalls:sys_exit_openat ");
	CHECK_EQ_INT(tpformat__expand(tpfix_tracing(), "nope*", "*", collect, seen), 0);
	CHECK_EQ_INT(tpformat__expand("/nonexistent", "*", "*", collect, seen), -ENOENT);
	puts("test_rec_tpformat: ok");
	return 0;
}
