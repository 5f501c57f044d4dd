/* cmd_list.c - `bpfrec list [GLOB]`: the tracepoints this kernel has, and
 * one tracepoint's fields (as perf list and the tracefs format file). */
#include "cmds.h"
#include "sysfs.h"
#include "tpformat.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void list_usage(FILE *f)
{
	fprintf(f,
"usage: bpfrec list [GLOB]\n"
"\n"
"Lists the tracepoints of this kernel as SYSTEM:NAME (the names `bpfrec record\n"
"-e` takes).  GLOB is SYSTEM:NAME with shell wildcards, or a NAME glob in any\n"
"system.  A GLOB naming one tracepoint prints its fields: offset and size in\n"
"the raw record, the C type, and how bpfreplay shows it.\n"
"\n"
"Examples:\n"
"  bpfrec list                      # every tracepoint\n"
"  bpfrec list 'sched:*'\n"
"  bpfrec list '*switch*'\n"
"  bpfrec list sched:sched_process_exec\n");
}

static int print_name(const char *system, const char *name, void *ctx)
{
	printf("%s:%s\n", system, name);
	return 0;
}

static const char *kind_text(const struct tpfield *f)
{
	switch (f->kind) {
	case TPF_INT:
		return f->is_signed ? "integer" : "integer, unsigned";
	case TPF_POINTER:
		return "address";
	case TPF_ARRAY:
		return "array";
	case TPF_STRING:
		return "text";
	case TPF_LOC_STRING:
		return "text (__data_loc)";
	case TPF_LOC_ARRAY:
		return "array (__data_loc)";
	case TPF_BYTES:
		return "bytes";
	}
	return "";
}

static int print_fields(const char *dir, const char *system, const char *name)
{
	char err[512];
	struct tpformat *f = tpformat__load(dir, system, name, err, sizeof(err));
	size_t i;

	if (!f) {
		warn_msg("%s", err);
		return errno == ENOENT ? EXIT_USAGE : EXIT_FAIL;
	}
	printf("%s:%s  (id %u, fixed part %u bytes)\n", system, name, tpformat__id(f),
	       tpformat__fixed_size(f));
	printf("  %6s %4s  %-28s %-24s %s\n", "offset", "size", "type", "name", "recorded as");
	for (i = 0; i < tpformat__nfields(f); i++) {
		const struct tpfield *fl = tpformat__field(f, i);
		char type[160];

		if (fl->kind == TPF_LOC_STRING || fl->kind == TPF_LOC_ARRAY)
			snprintf(type, sizeof(type), "%s %s[]", fl->rel_loc ? "__rel_loc" : "__data_loc",
				 fl->type);
		else if (fl->kind == TPF_ARRAY || fl->kind == TPF_STRING)
			snprintf(type, sizeof(type), "%s[%u]", fl->type, fl->nelems);
		else
			snprintf(type, sizeof(type), "%s", fl->type);
		printf("  %6u %4u  %-28s %-24s %s\n", fl->offset, fl->size, type, fl->name,
		       kind_text(fl));
	}
	tpformat__free(f);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	const char *dir, *glob = argc > 1 ? argv[1] : "*:*";
	char system[TPFORMAT_NAME_MAX], name[TPFORMAT_NAME_MAX], err[512];
	int n;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		list_usage(stdout);
		return 0;
	}
	if (argc > 2) {
		list_usage(stderr);
		return EXIT_USAGE;
	}
	if (strchr(glob, ':') || strchr(glob, '/')) {
		if (tpformat__split(glob, system, name, sizeof(system), err, sizeof(err))) {
			warn_msg("list %s", err);
			return EXIT_USAGE;
		}
	} else {
		snprintf(system, sizeof(system), "*");
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1, glob);
	}
	if (sysfs__tracefs(&dir))
		return EXIT_FAIL;
	/* One exact name: its fields. */
	if (!strpbrk(glob, "*?[") && strcmp(system, "*"))
		return print_fields(dir, system, name);
	n = tpformat__expand(dir, system, name, print_name, NULL);
	if (n < 0) {
		warn_msg("%s/events: %s%s", dir, strerror(-n),
			 n == -EACCES ? " (listing tracepoints needs root)" : "");
		return EXIT_FAIL;
	}
	if (!n) {
		warn_msg("list %s: no tracepoint matches", glob);
		return EXIT_USAGE;
	}
	return 0;
}
