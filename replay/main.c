/* main.c - bpfreplay: read a bpfrec capture offline (no root, no BPF).
 *
 * A command table; global options before the command; each command parses
 * its own options and has its own --help.  Exit status: 0 ok, 1 query error,
 * 2 usage, 3 bad capture (see cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "info", cmd_info, "describe a capture: session, streams and their tables, losses, sizes" },
	{ "show", cmd_show, "print events in time order, decoded from the capture's BTF" },
	{ "sql",  cmd_sql,  "query a capture with SQL (one virtual table per stream)" },
	{ "verify", cmd_verify, "check every block and the index; report damage" },
	{ "recover", cmd_recover, "index the blocks a crash left out of the index" },
	{ "bundle", cmd_bundle, "a capture or a slice of it in one file, for a bug report" },
	{ "export", cmd_export, "a capture or a slice of it in another tool's format (Perfetto)" },
	{ "flame", cmd_flame, "folded stacks or an SVG flame graph of the stacks recorded" },
	{ "report", cmd_report, "a one-file HTML report: rates, losses, top, errors, latency, tree" },
	{ NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpfreplay [--help] [--version] COMMAND [OPTIONS] CAPTURE ...\n"
		"\n"
		"Read a capture written by `bpfrec record`: no root and no BPF needed; the\n"
		"events are decoded with the BTF stored in the capture.\n"
		"\n"
		"Commands:\n");
	for (const struct cmd *c = cmds; c->name; c++)
		fprintf(f, "  %-7s %s\n", c->name, c->summary);
	fprintf(f, "  %-7s %s\n  %-7s %s\n", "help", "this text, or a command's: bpfreplay help show",
		"version", "print the version");
	fprintf(f,
		"\n"
		"Examples:\n"
		"  bpfreplay info ./cap\n"
		"  bpfreplay show ./cap --stream exec --since +2s --until +5s\n"
		"  bpfreplay show ./cap --pid 1234 -o jsonl\n"
		"  bpfreplay sql ./cap 'SELECT comm, count(*) FROM exec GROUP BY comm'\n"
		"  bpfreplay export ./cap --format perfetto -o trace.json\n"
		"  bpfreplay flame ./cap --svg -o flame.svg\n"
		"  bpfreplay report ./cap -o report.html\n"
		"\n"
		"Run 'bpfreplay COMMAND --help' for a command's options.\n"
		"Exit status: 0 ok, 1 query error, 2 usage error, 3 bad or damaged capture.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("bpfreplay %s\n", BPFREC_VERSION);
			return 0;
		}
		fprintf(stderr, "bpfreplay: unknown option '%s'\nTry 'bpfreplay --help'.\n",
			argv[i]);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		/* `bpfreplay help CMD` is `bpfreplay CMD --help`. */
		if (i + 1 < argc && strcmp(argv[i + 1], "help") && strcmp(argv[i + 1], "-h") &&
		    strcmp(argv[i + 1], "--help")) {
			char *hv[] = { argv[i + 1], "--help", NULL };
			for (const struct cmd *c = cmds; c->name; c++)
				if (!strcmp(c->name, argv[i + 1]))
					return c->fn(2, hv);
			fprintf(stderr, "bpfreplay help: '%s' is not a command (", argv[i + 1]);
			for (const struct cmd *c = cmds; c->name; c++)
				fprintf(stderr, "%s%s", c == cmds ? "" : ", ", c->name);
			fprintf(stderr, ", help, version).\n");
			return EXIT_USAGE;
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[i], "version")) {
		if (i + 1 < argc && (!strcmp(argv[i + 1], "-h") || !strcmp(argv[i + 1], "--help"))) {
			printf("usage: bpfreplay version\n\nPrints bpfreplay's version.\n");
			return 0;
		}
		printf("bpfreplay %s\n", BPFREC_VERSION);
		return 0;
	}
	for (const struct cmd *c = cmds; c->name; c++)
		if (!strcmp(c->name, argv[i]))
			return c->fn(argc - i, argv + i);
	fprintf(stderr, "bpfreplay: unknown command '%s'\nTry 'bpfreplay --help'.\n", argv[i]);
	return EXIT_USAGE;
}
