/* cmd_flame.c - bpfreplay flame: folded stacks (the collapsed format of
 * flamegraph.pl, speedscope and inferno) or an SVG flame graph, from the
 * stacks a capture holds (bpfrec record -g, --probe profile). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flame.h"
#include "capview.h"

static void help(void)
{
	printf("Usage: bpfreplay flame [OPTIONS] CAPTURE\n"
	       "\n"
	       "Folded stacks, one line per distinct stack: comm;outermost;...;innermost COUNT\n"
	       "(kernel frames last, suffixed _[k]), counting the events of every stream\n"
	       "with stacks (--probe profile samples, -g events).  flamegraph.pl,\n"
	       "speedscope and inferno read it; --svg draws the flame graph itself.\n"
	       "Names come from the symbols in the capture: no binary is needed.\n"
	       "\n"
	       "Options:\n"
	       "  -s, --stream NAME   only this stream (repeat, or NAME,NAME,...)\n"
	       "  -p, --pid N         only events of process N\n"
	       "      --user          user frames only\n"
	       "      --kernel        kernel frames only\n"
	       "      --svg           an SVG flame graph instead of the folded text\n"
	       "  -o, --output FILE   write there instead of standard output\n"
	       "  -h, --help          this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay flame ./cap > cap.folded && flamegraph.pl cap.folded > cap.svg\n"
	       "  bpfreplay flame ./cap -s profile --svg -o cap.svg\n"
	       "\n"
	       "Exit status: 0 ok, 2 usage, 3 bad or damaged capture.\n");
}

struct collect {
	FILE *out;
	int svg;
	char **lines;
	uint64_t *counts;
	size_t n, cap;
};

static int on_stack(void *ctx, const char *stack, uint64_t count)
{
	struct collect *co = ctx;

	if (!co->svg)
		return fprintf(co->out, "%s %llu\n", stack, (unsigned long long)count) < 0 ? -EIO : 0;
	if (co->n == co->cap) {
		size_t cap = co->cap ? co->cap * 2 : 256;
		char **l = realloc(co->lines, cap * sizeof(*l));
		uint64_t *c = l ? realloc(co->counts, cap * sizeof(*c)) : NULL;

		if (l)
			co->lines = l;
		if (!l || !c)
			return -ENOMEM;
		co->counts = c;
		co->cap = cap;
	}
	co->lines[co->n] = strdup(stack);
	if (!co->lines[co->n])
		return -ENOMEM;
	co->counts[co->n++] = count;
	return 0;
}

struct names {
	struct capview *c;
	const char **v;
	size_t n;
};

static void mark(size_t idx, void *ctx)
{
	struct names *nm = ctx;

	nm->v[nm->n++] = capview__stream(nm->c, idx)->name;
}

int cmd_flame(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "stream", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", no_argument, NULL, 'u' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "svg", no_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL },
	};
	struct flame_opts fo = { .pid = -1 };
	struct collect co = { .out = stdout };
	struct names nm = { 0 };
	const char *lists[64], *out_path = NULL;
	size_t nlists = 0;
	uint64_t damaged = 0;
	struct capview *c = NULL;
	char err[1024] = "", *end;
	int ch, rc = 0, e;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hs:p:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			return 0;
		case 's':
			if (nlists == 64)
				return cli__usage_error("flame", "at most 64 --stream options");
			lists[nlists++] = optarg;
			break;
		case 'p':
			errno = 0;
			fo.pid = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || fo.pid < 0 || fo.pid > UINT32_MAX)
				return cli__usage_error("flame", "--pid %s: expected a process id", optarg);
			break;
		case 'u':
			fo.user = 1;
			break;
		case 'k':
			fo.kernel = 1;
			break;
		case 'S':
			co.svg = 1;
			break;
		case 'o':
			out_path = optarg;
			break;
		default:
			return cli__bad_option("flame", argv, ch);
		}
	}
	if (optind + 1 != argc)
		return cli__usage_error("flame", optind >= argc ? "no CAPTURE given"
					: "one CAPTURE only ('%s' is extra)", argv[optind + 1]);
	c = capview__open(argv[optind], err, sizeof(err));
	if (!c) {
		cli__warn("%s", err);
		return EXIT_CAPTURE;
	}
	if (nlists) {
		nm.c = c;
		nm.v = calloc(capview__nstreams(c) * 64 + 1, sizeof(*nm.v));
		if (!nm.v) {
			rc = EXIT_CAPTURE;
			goto out;
		}
		for (size_t i = 0; i < nlists; i++)
			if ((rc = cli__select_streams(c, "flame", lists[i], mark, &nm)))
				goto out;
		fo.streams = nm.v;
	}
	if (out_path && !(co.out = fopen(out_path, "w"))) {
		cli__warn("-o %s: %s", out_path, strerror(errno));
		co.out = stdout;
		rc = EXIT_USAGE;
		goto out;
	}
	e = flame__folded(c, &fo, on_stack, &co, &damaged, err, sizeof(err));
	if (!e && co.svg)
		e = flame__svg(co.out, "Flame graph", co.lines, co.counts, co.n);
	if (e) {
		cli__warn("%s", e == -EIO ? "write failed" : *err ? err : strerror(-e));
		rc = EXIT_CAPTURE;
	} else if (damaged) {
		cli__warn("%llu damaged blocks skipped", (unsigned long long)damaged);
		rc = EXIT_CAPTURE;
	}
out:
	if (co.out != stdout && fclose(co.out) && !rc) {
		cli__warn("-o %s: %s", out_path, strerror(errno));
		rc = EXIT_CAPTURE;
	}
	for (size_t i = 0; i < co.n; i++)
		free(co.lines[i]);
	free(co.lines);
	free(co.counts);
	free(nm.v);
	capview__close(c);
	return rc;
}
