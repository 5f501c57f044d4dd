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

/* The command line's choices (cli_cmd.ctx). */
struct flame_args {
	struct flame_opts fo;
	int svg;
	const char *lists[64];      /* --stream values */
	size_t nlists;
	const char *out_path;
};

static int take_option(void *ctx, int ch, const char *arg)
{
	struct flame_args *fa = ctx;
	char *end;

	switch (ch) {
	case 's':
		if (fa->nlists == 64)
			return cli__usage_error("flame", "at most 64 --stream options");
		fa->lists[fa->nlists++] = arg;
		return 0;
	case 'p':
		errno = 0;
		fa->fo.pid = strtoll(arg, &end, 10);
		if (errno || *end || end == arg || fa->fo.pid < 0 || fa->fo.pid > UINT32_MAX)
			return cli__usage_error("flame", "--pid %s: expected a process id", arg);
		return 0;
	case 'u':
		fa->fo.user = 1;
		return 0;
	case 'k':
		fa->fo.kernel = 1;
		return 0;
	case 'S':
		fa->svg = 1;
		return 0;
	case 'o':
		fa->out_path = arg;
		return 0;
	}
	return CLI_NOT_MINE;
}

int cmd_flame(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stream", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", no_argument, NULL, 'u' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "svg", no_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL },
	};
	struct flame_args fa = { .fo = { .pid = -1 } };
	const struct cli_cmd cmd = {
		.name = "flame", .help = help, .shortopts = "s:p:o:", .longopts = opts,
		.take = take_option, .ctx = &fa, .captures = CLI_ONE_CAPTURE,
	};
	struct flame_opts *fo = &fa.fo;
	struct collect co = { .out = stdout };
	struct names nm = { 0 };
	uint64_t damaged = 0;
	struct capview *c = NULL;
	struct cli_args a;
	char err[1024] = "";
	int rc, e;

	if ((rc = cli__parse(&cmd, argc, argv, &a)) || a.help ||
	    (rc = cli__open(a.paths[0], &c)))
		goto out;
	co.svg = fa.svg;
	if (fa.nlists) {
		nm.c = c;
		nm.v = calloc(capview__nstreams(c) * 64 + 1, sizeof(*nm.v));
		if (!nm.v) {
			rc = EXIT_CAPTURE;
			goto out;
		}
		for (size_t i = 0; i < fa.nlists; i++)
			if ((rc = cli__select_streams(c, "flame", fa.lists[i], mark, &nm)))
				goto out;
		fo->streams = nm.v;
	}
	if (fa.out_path && !(co.out = fopen(fa.out_path, "w"))) {
		cli__warn("-o %s: %s", fa.out_path, strerror(errno));
		co.out = stdout;
		rc = EXIT_USAGE;
		goto out;
	}
	e = flame__folded(c, fo, on_stack, &co, &damaged, err, sizeof(err));
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
		cli__warn("-o %s: %s", fa.out_path, strerror(errno));
		rc = EXIT_CAPTURE;
	}
	for (size_t i = 0; i < co.n; i++)
		free(co.lines[i]);
	free(co.lines);
	free(co.counts);
	free(nm.v);
	capview__close(c);
	cli__args_free(&a);
	return rc;
}
