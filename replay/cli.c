/* cli.c - helpers shared by bpfreplay's commands. */
#include "cli.h"

#include <sqlite3.h>
#include "capview.h"
#include "print.h"
#include "slice.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli__usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bpfreplay %s: ", cmd);
	cli__fputs_safe(msg, stderr);   /* it may name a capture's streams */
	fprintf(stderr, "\nTry 'bpfreplay %s --help'.\n", cmd);
	return EXIT_USAGE;
}

void cli__fputs_safe(const char *s, FILE *f)
{
	struct strbuf b = { 0 };

	if (print__add_safe(&b, s, strlen(s)) || !b.buf) {
		strbuf__free(&b);
		return;
	}
	fwrite(b.buf, 1, b.len, f);
	strbuf__free(&b);
}

void cli__warn(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bpfreplay: ");
	cli__fputs_safe(msg, stderr);   /* names from a capture may hold escapes */
	fputc('\n', stderr);
}

int cli__bad_option(const char *cmd, char **argv, int c)
{
	extern int optind, optopt;
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	int is_long = arg && arg[0] == '-' && arg[1] == '-';

	if (c == ':') {
		if (is_long)
			return cli__usage_error(cmd, "option '%s' needs a value", arg);
		return cli__usage_error(cmd, "option '-%c' needs a value", optopt);
	}
	if (optopt && !is_long)
		return cli__usage_error(cmd, "unknown option '-%c'", optopt);
	return cli__usage_error(cmd, "unknown option '%s'", arg ? arg : "?");
}

int cli__sql_error(const char *what, const char *msg, const char *sql, int offset)
{
	fflush(stdout);
	fprintf(stderr, "bpfreplay: %s: ", what);
	cli__fputs_safe(msg, stderr);   /* SQLite's message may quote a capture's names */
	fputc('\n', stderr);
	if (sql && offset >= 0 && (size_t)offset <= strlen(sql)) {
		const char *ls = sql + offset, *le;
		int line = 1, col;

		while (ls > sql && ls[-1] != '\n')
			ls--;
		for (const char *p = sql; p < ls; p++)
			line += *p == '\n';
		le = strchr(ls, '\n');
		if (!le)
			le = ls + strlen(ls);
		col = (int)(sql + offset - ls);
		/* The statement may hold escape sequences (typed or pasted): shown
		 * escaped, never sent to the terminal; the caret counts them. */
		char *stmt = strndup(ls, (size_t)(le - ls));
		int shown = 0;

		fprintf(stderr, "  at line %d, column %d:\n    ", line, col + 1);
		cli__fputs_safe(stmt ? stmt : "", stderr);
		struct strbuf pre = { 0 };

		/* the caret under the same escaped text */
		if (!print__add_safe(&pre, ls, (size_t)(sql + offset - ls)))
			shown = (int)pre.len;
		strbuf__free(&pre);
		fprintf(stderr, "\n    %*s^\n", shown, "");
		free(stmt);
	}
	return EXIT_QUERY;
}

int cli__select_streams(struct capview *c, const char *cmd, const char *list,
			void (*mark)(size_t idx, void *ctx), void *ctx)
{
	char *dup = strdup(list), *save = NULL;
	int rc = 0;

	if (!dup)
		return -ENOMEM;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct capview_stream *s = capview__stream_by_name(c, t);

		if (!s) {
			struct strbuf sb = { 0 };

			for (size_t i = 0; i < capview__nstreams(c); i++)
				strbuf__addf(&sb, "%s%s", i ? ", " : "", capview__stream(c, i)->name);
			rc = cli__usage_error(cmd, "--stream '%s': no such stream (the capture has: %s)",
					      t, sb.buf ? sb.buf : "none");
			strbuf__free(&sb);
			break;
		}
		mark((size_t)(s - capview__stream(c, 0)), ctx);
	}
	free(dup);
	return rc;
}

static int is_capture_dir(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/index.db", dir) >= (int)sizeof(p))
		return 0;
	return !lstat(p, &st) && S_ISREG(st.st_mode);
}

static int add_path(char ***paths, size_t *n, const char *a, const char *b)
{
	char **p = realloc(*paths, (*n + 1) * sizeof(*p));
	char *s;

	if (!p)
		return -ENOMEM;
	*paths = p;
	if (b ? asprintf(&s, "%s%s%s", a, a[strlen(a) - 1] == '/' ? "" : "/", b) < 0
	      : !(s = strdup(a)))
		return -ENOMEM;
	p[(*n)++] = s;
	return 0;
}

int cli__captures(const char *cmd, char *const *args, size_t n, char ***paths, size_t *npaths)
{
	int rc = 0;

	*paths = NULL;
	*npaths = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct stat st;
		struct dirent **ents = NULL;
		int nents, found = 0;

		if (stat(args[i], &st) || !S_ISDIR(st.st_mode) || is_capture_dir(args[i])) {
			rc = add_path(paths, npaths, args[i], NULL);
			continue;
		}
		nents = scandir(args[i], &ents, NULL, alphasort);
		for (int k = 0; k < nents; k++) {
			const char *name = ents[k]->d_name;
			size_t len = strlen(name);
			char sub[PATH_MAX];

			if (!rc && name[0] != '.' &&
			    snprintf(sub, sizeof(sub), "%s/%s", args[i], name) < (int)sizeof(sub) &&
			    !lstat(sub, &st) &&
			    ((S_ISDIR(st.st_mode) && is_capture_dir(sub)) ||
			     (S_ISREG(st.st_mode) && len > 7 && !strcmp(name + len - 7, ".bpfrec")))) {
				rc = add_path(paths, npaths, args[i], name);
				found++;
			}
			free(ents[k]);
		}
		free(ents);
		if (rc)
			break;
		if (nents < 0 || !found) {
			cli__captures_free(*paths, *npaths);
			*paths = NULL;
			*npaths = 0;
			return cli__usage_error(cmd, "%s: not a capture (no index.db), and it holds "
						"none (directories with index.db, *.bpfrec bundles)",
						args[i]);
		}
	}
	if (rc) {
		cli__captures_free(*paths, *npaths);
		*paths = NULL;
		*npaths = 0;
		cli__warn("out of memory");
		return EXIT_CAPTURE;
	}
	return 0;
}

void cli__captures_free(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

int cli__memdb(sqlite3 **db)
{
	static const int off_on[][2] = {
		{ SQLITE_DBCONFIG_DEFENSIVE, 1 },
		{ SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0 },
		{ SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0 },
	};

	*db = NULL;
	if (sqlite3_open_v2(":memory:", db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < sizeof(off_on) / sizeof(off_on[0]); i++)
		if (sqlite3_db_config(*db, off_on[i][0], off_on[i][1], NULL) != SQLITE_OK)
			goto fail;
	/* the SQL function load_extension() too (off by default: say it) */
	if (sqlite3_enable_load_extension(*db, 0) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sqlite3_close(*db);
	*db = NULL;
	return -EIO;
}

int cli__open(const char *path, struct capview **out)
{
	char err[1024];

	*out = capview__open(path, err, sizeof(err));
	if (!*out) {
		cli__warn("%s", err);
		return EXIT_CAPTURE;
	}
	return 0;
}

#define CLI_MAX_OPTS 32

/* Appends the { NULL }-ended table add to opts (n entries so far). */
static void add_opts(struct option *opts, size_t *n, const struct option *add)
{
	for (; add && add->name; add++) {
		if (*n + 1 >= CLI_MAX_OPTS)
			abort();   /* a command with more options: raise CLI_MAX_OPTS */
		opts[(*n)++] = *add;
	}
}

/* One option: 0, or the exit status of a usage error (printed). */
static int take_option(const struct cli_cmd *cmd, char **argv, int ch, const char *arg)
{
	int rc = CLI_NOT_MINE;

	if (ch == '?' || ch == ':')
		return cli__bad_option(cmd->name, argv, ch);
	if (ch == 'o' && cmd->fmt) {
		if (print__parse_fmt(arg, cmd->fmt))
			return cli__usage_error(cmd->name, "-o '%s': not a format (%s)", arg,
						cmd->fmt_names ? cmd->fmt_names : "table, csv, jsonl");
		return 0;
	}
	if (cmd->take)
		rc = cmd->take(cmd->ctx, ch, arg);
	if (rc == CLI_NOT_MINE && cmd->slice) {
		rc = slice_args__take(cmd->slice, cmd->name, ch, arg);
		if (rc == 1)
			rc = CLI_NOT_MINE;
	}
	return rc == CLI_NOT_MINE ? cli__bad_option(cmd->name, argv, ch) : rc;
}

int cli__parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a)
{
	static const struct option common[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL },
	}, slice[] = {
		SLICE_LONGOPTS,
		{ NULL },
	};
	struct option opts[CLI_MAX_OPTS];
	char shortopts[128];
	size_t nopts = 0;
	int ch, rc;

	memset(a, 0, sizeof(*a));
	add_opts(opts, &nopts, common);
	add_opts(opts, &nopts, cmd->longopts);
	add_opts(opts, &nopts, cmd->slice ? slice : NULL);
	opts[nopts] = (struct option){ NULL };
	snprintf(shortopts, sizeof(shortopts), ":h%s%s", cmd->shortopts ? cmd->shortopts : "",
		 cmd->slice ? SLICE_SHORTOPTS : "");

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (ch == 'h') {
			cmd->help();
			a->help = 1;
			return 0;
		}
		if ((rc = take_option(cmd, argv, ch, optarg)))
			return rc;
	}
	if (optind >= argc)
		return cli__usage_error(cmd->name, "no CAPTURE given");
	switch (cmd->captures) {
	case CLI_ONE_CAPTURE:
		if (optind + 1 != argc)
			return cli__usage_error(cmd->name, "one CAPTURE only ('%s' is extra)",
						argv[optind + 1]);
		if (add_path(&a->paths, &a->npaths, argv[optind], NULL)) {
			cli__warn("out of memory");
			return EXIT_CAPTURE;
		}
		return 0;
	case CLI_CAPTURES:
		return cli__captures(cmd->name, argv + optind, (size_t)(argc - optind), &a->paths,
				     &a->npaths);
	case CLI_CAPTURES_THEN_ARGS: {
		int ncaps = 1;

		while (optind + ncaps < argc && !access(argv[optind + ncaps], F_OK))
			ncaps++;
		a->rest = argv + optind + ncaps;
		a->nrest = (size_t)(argc - optind - ncaps);
		return cli__captures(cmd->name, argv + optind, (size_t)ncaps, &a->paths, &a->npaths);
	}
	}
	return 0;
}

void cli__args_free(struct cli_args *a)
{
	cli__captures_free(a->paths, a->npaths);
	a->paths = NULL;
	a->npaths = 0;
}
