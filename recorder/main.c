/* main.c - bpfrec: the command table. */
#include "cmds.h"
#include "probes.h"
#include "sysfs.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "record", cmd_record, "record events into a capture directory" },
	{ "probes", cmd_probes, "list the built-in probes and whether this kernel has them" },
	{ "list", cmd_list, "list the kernel's tracepoints, or one tracepoint's fields" },
	{ "help", cmd_help, "this text, or a command's: bpfrec help record" },
	{ "version", cmd_version, "print the version" },
	{ NULL },
};

static void usage(FILE *f)
{
	const struct cmd *c;

	fprintf(f, "usage: bpfrec COMMAND [OPTIONS]\n\n"
		   "bpfrec records BPF events (built-in probes or your own .bpf.o) into a\n"
		   "capture that bpfreplay prints and queries with SQL, offline, anywhere.\n\n");
	for (c = cmds; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\n'bpfrec COMMAND --help' for a command's options.  Example:\n"
		   "  sudo bpfrec record -o /tmp/cap -- ls /\n"
		   "  bpfreplay show /tmp/cap\n");
}

/* `bpfrec help [COMMAND]`: COMMAND's own --help, as `bpfrec COMMAND --help`. */
static int cmd_help(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name)) {
			char *hv[] = { argv[1], "--help", NULL };

			return c->fn(2, hv);
		}
	fprintf(stderr, "bpfrec help: '%s' is not a command (", argv[1]);
	for (c = cmds; c->name; c++)
		fprintf(stderr, "%s%s", c == cmds ? "" : ", ", c->name);
	fprintf(stderr, ").\n");
	return EXIT_USAGE;
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: bpfrec version\n\nPrints bpfrec's version.\n");
		return 0;
	}
	printf("bpfrec %s\n", BPFREC_VERSION);
	return 0;
}

int cmd_probes(int argc, char **argv)
{
	const struct builtin_probe *p;
	char cg[4096];
	int have_cgroup;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: bpfrec probes\n\nLists the built-in probes, and for each whether "
		       "this kernel can run it and why not (needs root: tracefs and BPF are\n"
		       "root's).\n\n  -h, --help   this text\n\nExample:\n  sudo bpfrec probes\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "bpfrec probes: unexpected '%s'\nTry 'bpfrec probes --help'.\n",
			argv[1]);
		return EXIT_USAGE;
	}
	/* Without root, tracefs and BPF look absent: every probe would be "no"
	 * for a reason that is not the kernel's. */
	if (geteuid() != 0) {
		warn_msg("probes needs root to look at this kernel (tracefs, BPF, cgroups): "
			 "run it with sudo");
		return EXIT_FAIL;
	}
	util_quiet = 1;
	have_cgroup = sysfs__cgroup2_root(cg, sizeof(cg)) == 0;
	for (p = builtin_probes; p->name; p++) {
		const char *why;

		if (p->hidden)
			continue;
		why = probes__unsupported(p, have_cgroup);
		printf("%-8s %-10s %s\n", p->name, why ? "no" : "yes", p->summary);
		if (why)
			printf("%-8s %-10s (%s)\n", "", "", why);
	}
	return 0;
}

/* argv deep-copied (argv itself if memory runs out); kept for the run. */
static char **dup_argv(int argc, char **argv)
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));

	for (int i = 0; copy && i < argc; i++)
		if (!(copy[i] = strdup(argv[i])))
			return argv;
	return copy ? copy : argv;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	bpfrec_argc = argc;
	/* A copy as given, for sessions.cmdline: option parsers tokenize
	 * their arguments in place (strtok_r on "exec,exit"). */
	bpfrec_argv = dup_argv(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(argc - 1, argv + 1);
	for (c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "bpfrec: '%s' is not a command.  See 'bpfrec --help'.\n", argv[1]);
	return EXIT_USAGE;
}
