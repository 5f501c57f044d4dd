/* cmd_export.c - bpfreplay export: a capture, or a slice of it, in another
 * tool's format.  A table of formats (name, summary, writer), each one file
 * in export/ against export/export.h; this file parses the options once,
 * opens the capture and its slice, the output, and runs the format.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export/export.h"
#include "capview.h"
#include "damagesay.h"
#include "slice.h"

static const struct export_format *const formats[] = {
	&export_perfetto,
	&export_chrome,
	&export_parquet,
	&export_jsonl_zst,
	&export_html,
	NULL,
};

struct export {
	const struct export_format *fmt;
	const char *out;
	FILE *file;                 /* EXPORT_TO_FILE */
	struct capview **caps;
	struct slice **slices;
	size_t ncaps;
	size_t cur;                 /* export__next's capture */
	struct slice_rec sr;        /* the record export__next last yielded */
	uint64_t row_group_rows;    /* --row-group-rows, 0: default */
};

static void help(void)
{
	printf("Usage: bpfreplay export [OPTIONS] --format FORMAT -o OUT CAPTURE...\n"
	       "\n"
	       "Write a capture, or the slice of it the options choose, in another tool's\n"
	       "format.  The output is written as the capture is read: memory stays\n"
	       "bounded on any capture.  Several captures may be given; a directory that\n"
	       "is not a capture stands for the captures inside it (directories holding\n"
	       "index.db, *.bpfrec bundles).  parquet and jsonl.zst write one file per\n"
	       "stream per capture, in partitions that Spark, Trino, ClickHouse and DuckDB\n"
	       "read as columns:  DIR/stream=NAME/host=HOST/date=YYYY-MM-DD/part-CAPTURE.parquet\n"
	       "(date: the UTC day the capture started; names from the capture %%-escaped).\n"
	       "\n"
	       "Formats:\n");
	for (size_t i = 0; formats[i]; i++)
		printf("  %-10s %s\n", formats[i]->name, formats[i]->summary);
	printf("\n"
	       "Options:\n"
	       "  -f, --format NAME   the output format (above)\n"
	       "  -o, --output OUT    the file to write ('-': standard output), or the\n"
	       "                      directory to create for a format that writes several\n"
	       "      --row-group-rows N  rows per Parquet row group (default 131072;\n"
	       "                      smaller groups let engines skip more on ts/time)\n"
	       "      --redact[=FIELDS]  redact as 'bpfreplay bundle --redact' does (the\n"
	       "                      same FIELDS and default): each capture is made a\n"
	       "                      redacted bundle in $TMPDIR first, then exported\n"
	       SLICE_HELP
	       "  -h, --help          this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay export ./cap --format perfetto -o trace.json\n"
	       "      then open trace.json in https://ui.perfetto.dev (Open trace file)\n"
	       "      or chrome://tracing (Load)\n"
	       "  bpfreplay export ./cap -f chrome -o - --stream connect --since +2s | gzip >t.json.gz\n"
	       "  bpfreplay export ./fleet/ --format parquet -o ./pq\n"
	       "      then in DuckDB: SELECT host, count(*) FROM read_parquet('pq/stream=exec/**/*.parquet',\n"
	       "      hive_partitioning = true) GROUP BY host\n"
	       "\n"
	       "Exit status: 0 ok, 1 bad --where, 2 usage, 3 bad or damaged capture, or the\n"
	       "output could not be written (damaged blocks and records are reported and\n"
	       "left out; everything else is written).\n");
}

size_t export__ncaptures(const struct export *x) { return x->ncaps; }
struct capview *export__capture(const struct export *x, size_t i) { return x->caps[i]; }
struct slice *export__slice(const struct export *x, size_t i) { return x->slices[i]; }
const struct export_format *export__format(const struct export *x) { return x->fmt; }
const char *export__out(const struct export *x) { return x->out; }
FILE *export__file(const struct export *x) { return x->file; }
uint64_t export__row_group_rows(const struct export *x) { return x->row_group_rows; }

int export__next(struct export *x, struct export_rec *r)
{
	while (x->cur < x->ncaps) {
		struct slice_rec *sr = &x->sr;
		int rc = slice__next(x->slices[x->cur], sr);

		if (rc < 0)
			return rc;
		if (rc == 0) {
			x->cur++;
			continue;
		}
		if (sr->damaged) {
			char tb[TIMEFMT_LEN + 1];
			const struct capview_session *se = capview__session(x->caps[x->cur]);

			char nb[160];
			const char *note = slice__say_record(x->slices[x->cur], sr->s, sr->rec.stream,
							     nb, sizeof(nb));

			if (!note)
				continue;   /* counted: the closing line says how many */
			timefmt__iso(timeclock__wall(&se->clock, sr->rec.ts_ns), tb, sizeof(tb));
			if (sr->s)
				cli__warn("%s %s: damaged record: %" PRIu32 " bytes, type %s needs %"
					  PRIu32 "; left out%s", tb, sr->s->name, sr->rec.len,
					  evtype__name(sr->s->et), evtype__size(sr->s->et), note);
			else
				cli__warn("%s: damaged record: unknown stream id %" PRIu32 "; left out%s",
					  tb, sr->rec.stream, note);
			continue;
		}
		*r = (struct export_rec){ .cap = x->cur, .s = sr->s, .rec = &sr->rec };
		return 1;
	}
	return 0;
}

struct loss_walk {
	struct export *x;
	size_t cap;
	int (*fn)(void *ctx, const struct export_loss *l);
	void *ctx;
};

static int loss_row(void *ctx, size_t ncols, const struct pval *vals)
{
	struct loss_walk *w = ctx;
	struct export_loss l = { .cap = w->cap, .cpu = CAP_CPU_UNKNOWN };

	if (!vals || ncols != 4)
		return 0;
	l.s = capview__stream_by_id(w->x->caps[w->cap], vals[0].i);
	if (!l.s || !slice__has_stream(w->x->slices[w->cap], l.s))
		return 0;
	if (vals[1].kind == PV_INT && vals[1].i >= 0 && vals[1].i < UINT32_MAX)
		l.cpu = (uint32_t)vals[1].i;
	l.ts_ns = (uint64_t)vals[2].i;
	l.count = vals[3].i > 0 ? (uint64_t)vals[3].i : 0;
	return w->fn(w->ctx, &l);
}

int export__losses(struct export *x, int (*fn)(void *ctx, const struct export_loss *l),
		   void *ctx)
{
	for (size_t i = 0; i < x->ncaps; i++) {
		struct loss_walk w = { x, i, fn, ctx };
		uint64_t lo, hi;
		char sql[256], err[512] = "";
		int rc;

		slice__bounds(x->slices[i], &lo, &hi);
		/* the bounds are numbers of ours, never text from the capture */
		snprintf(sql, sizeof(sql), "SELECT stream_id, cpu, ts, count FROM losses"
			 " WHERE ts >= %" PRId64 " AND ts <= %" PRId64 " ORDER BY ts, id",
			 (int64_t)(lo > INT64_MAX ? INT64_MAX : lo),
			 (int64_t)(hi > INT64_MAX ? INT64_MAX : hi));
		rc = capview__query(x->caps[i], sql, loss_row, &w, err, sizeof(err));
		if (rc == -EBADMSG) {
			cli__warn("%s: losses: %s", capview__path(x->caps[i]), err);
			return -EIO;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static const struct export_format *format_by_name(const char *name)
{
	for (size_t i = 0; formats[i]; i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

static int bad_format(const char *name)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; formats[i]; i++)
		strbuf__addf(&sb, "%s%s", i ? ", " : "", formats[i]->name);
	int rc = cli__usage_error("export", "--format '%s': not a format (%s)", name,
				  sb.buf ? sb.buf : "");
	strbuf__free(&sb);
	return rc;
}

static void report_help(void)
{
	printf("Usage: bpfreplay report [OPTIONS] -o REPORT.html CAPTURE\n"
	       "\n"
	       "Write one self-contained HTML page about a capture (or the slice of it\n"
	       "the options choose), to open in any browser and to send: it loads\n"
	       "nothing from the network.  It shows:\n"
	       "  - the session: host, kernel, command, start, end, duration (and what a\n"
	       "    bundle was sliced and redacted by)\n"
	       "  - events per second per stream over time, and losses over time\n"
	       "  - the top processes and commands by events\n"
	       "  - failed calls by errno, for streams with a `ret` column (ret < 0)\n"
	       "  - latency p50/p90/p99/max and a histogram, for streams with a latency\n"
	       "    column (latency_ns, latency, lat_ns, duration_ns, dur_ns)\n"
	       "  - the process tree (exec, fork and exit streams), e.g. of `-- COMMAND`\n"
	       "  - a flame graph of the stacks recorded (bpfrec record -g, --probe profile)\n"
	       "  - a zoomable timeline: process lifetimes and a sample of the events\n"
	       "A report of a redacted bundle shows only the redacted values.\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output FILE   the page to write ('-': standard output)\n"
	       SLICE_HELP
	       "  -h, --help          this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay report ./cap -o report.html\n"
	       "  bpfreplay report share.bpfrec -o report.html --since +10s --until +20s\n"
	       "\n"
	       "Exit status: 0 ok, 1 bad --where, 2 usage, 3 bad or damaged capture, or the\n"
	       "page could not be written.\n");
}

/* --redact: each capture becomes a redacted bundle first, made by `bpfreplay
 * bundle --redact` itself (so the redaction is the bundle's, value for
 * value), in a private temporary directory under the capture's own name
 * (the export's file names come from it); the export then reads the
 * bundles.  paths[i] is replaced; tmpdirs[i] is what to remove. */
static int redact_captures(const char *cmd, char **paths, size_t npaths, const char **redacts,
			   size_t nredacts, char **tmpdirs)
{
	const char *tmp = getenv("TMPDIR");

	for (size_t i = 0; i < npaths; i++) {
		char dir[PATH_MAX], *out = NULL, *args[64], *owned[64];
		size_t len;
		const char *name = capview__name_of(paths[i], &len);
		int n = 0, rc, saved;

		snprintf(dir, sizeof(dir), "%s/bpfreplay-redact-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir) || !(tmpdirs[i] = strdup(dir)) ||
		    asprintf(&out, "%s/%.*s.bpfrec", dir, (int)len, len ? name : "capture") < 0) {
			cli__warn("%s: --redact: temporary bundle: %s", cmd, strerror(errno));
			return EXIT_CAPTURE;
		}
		args[n++] = (char *)"bundle";
		args[n++] = paths[i];
		args[n++] = (char *)"-o";
		args[n++] = out;
		int nowned = 0;
		for (size_t k = 0; k < nredacts && n < 62; k++)
			if (asprintf(&owned[nowned], "--redact=%s", redacts[k]) >= 0)
				args[n++] = owned[nowned++];
		args[n] = NULL;
		/* the bundle's summary goes to stderr: stdout may be the export */
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		rc = cmd_bundle(n, args);
		fflush(stdout);
		if (saved >= 0) {
			dup2(saved, STDOUT_FILENO);
			close(saved);
		}
		for (int k = 0; k < nowned; k++)  /* getopt reorders args: free by owned */
			free(owned[k]);
		free(paths[i]);
		paths[i] = out;             /* removed with tmpdirs[i] */
		if (rc)
			return rc;
	}
	return 0;
}

static void remove_redacted(char **paths, size_t npaths, char **tmpdirs)
{
	for (size_t i = 0; tmpdirs && i < npaths; i++) {
		if (!tmpdirs[i])
			continue;
		unlink(paths[i]);
		rmdir(tmpdirs[i]);
		free(tmpdirs[i]);
	}
	free(tmpdirs);
}

/* The command line's own choices (cli_cmd.ctx). */
struct export_args {
	const char *cmd;
	struct export *x;
	const struct export_format *fixed;   /* report: html, and no --format */
	const char **redacts;               /* --redact values ("default" for none) */
	size_t nredacts;
};

static int take_option(void *ctx, int ch, const char *arg)
{
	struct export_args *ea = ctx;
	char *end;

	switch (ch) {
	case 'f':
		if (!(ea->x->fmt = format_by_name(arg)))
			return bad_format(arg);
		return 0;
	case 'o':
		ea->x->out = arg;
		return 0;
	case 'X':
		ea->redacts[ea->nredacts++] = arg ? arg : "default";
		return 0;
	case 'R':
		errno = 0;
		ea->x->row_group_rows = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || !ea->x->row_group_rows ||
		    ea->x->row_group_rows > (1ull << 30) || arg[0] == '-')
			return cli__usage_error(ea->cmd, "--row-group-rows '%s': not a number of "
						"rows from 1 to 2^30", arg);
		return 0;
	}
	return CLI_NOT_MINE;
}

/* export, or one format under a command name of its own (report). */
static int run(int argc, char **argv, const char *cmd, const struct export_format *fixed)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },   /* not report's: first */
		{ "output", required_argument, NULL, 'o' },
		{ "row-group-rows", required_argument, NULL, 'R' },
		{ "redact", optional_argument, NULL, 'X' },
		{ NULL },
	};
	struct export x = { .fmt = fixed };
	struct slice_args sa = { 0 };
	struct export_args ea = {
		.cmd = cmd, .x = &x, .fixed = fixed,
		.redacts = calloc((size_t)argc + 1, sizeof(*ea.redacts)),
	};
	const struct cli_cmd cli = {
		.name = cmd, .help = fixed ? report_help : help, .shortopts = fixed ? "o:" : "f:o:",
		.longopts = fixed ? opts + 1 : opts, .take = take_option, .ctx = &ea, .slice = &sa,
		.captures = CLI_CAPTURES,
	};
	struct cli_args a = { 0 };
	char **tmpdirs = NULL;
	int rc = 0, created = 0;

	if (!ea.redacts) {
		rc = EXIT_CAPTURE;
		goto out;
	}
	if ((rc = cli__parse(&cli, argc, argv, &a)) || a.help)
		goto out;
	if (!x.fmt) {
		rc = cli__usage_error("export", "no --format given (bpfreplay export --help lists them)");
		goto out;
	}
	if (!x.out) {
		rc = cli__usage_error(cmd, "no -o OUT given (a file, or '-' for standard output)");
		goto out;
	}
	if (x.fmt->to == EXPORT_TO_DIR && !strcmp(x.out, "-")) {
		rc = cli__usage_error("export", "--format %s writes a directory: -o DIR, not '-'",
				      x.fmt->name);
		goto out;
	}
	if (fixed && a.npaths > 1) {
		/* a report tells one session's story */
		rc = cli__usage_error(cmd, "one CAPTURE only (%zu given)", a.npaths);
		goto out;
	}
	if (ea.nredacts) {
		if (!(tmpdirs = calloc(a.npaths, sizeof(*tmpdirs)))) {
			rc = EXIT_CAPTURE;
			goto out;
		}
		if ((rc = redact_captures(cmd, a.paths, a.npaths, ea.redacts, ea.nredacts, tmpdirs)))
			goto out;
	}
	x.ncaps = a.npaths;
	x.caps = calloc(x.ncaps, sizeof(*x.caps));
	x.slices = calloc(x.ncaps, sizeof(*x.slices));
	if (!x.caps || !x.slices) {
		cli__warn("%s: out of memory", cmd);
		rc = EXIT_CAPTURE;
		goto out;
	}
	for (size_t i = 0; i < x.ncaps; i++) {
		if ((rc = cli__open(a.paths[i], &x.caps[i])) ||
		    (rc = slice__open(x.caps[i], &sa, cmd, &x.slices[i])))
			goto out;
	}
	if (x.fmt->to == EXPORT_TO_FILE) {
		if (!strcmp(x.out, "-")) {
			x.file = stdout;
		} else {
			x.file = fopen(x.out, "w");
			if (!x.file) {
				cli__warn("-o %s: %s", x.out, strerror(errno));
				rc = EXIT_CAPTURE;
				goto out;
			}
			created = 1;
		}
	}

	int r = x.fmt->write(&x);
	if (x.file) {
		if (fflush(x.file) || ferror(x.file))
			r = r ? r : -EIO;
		if (x.file != stdout && fclose(x.file))
			r = r ? r : -EIO;
		x.file = NULL;
	}
	if (r == -EINVAL) {
		rc = EXIT_QUERY;     /* --where failed; SQLite's message is printed */
	} else if (r == -EIO) {
		cli__warn("-o %s: write error (disk full, or a closed pipe?)", x.out);
		rc = EXIT_CAPTURE;
	} else if (r) {
		cli__warn("export --format %s: %s", x.fmt->name, strerror(-r));
		rc = EXIT_CAPTURE;
	} else {
		uint64_t dblocks = 0, drecs = 0, nunsaid = 0;

		for (size_t i = 0; i < x.ncaps; i++) {
			dblocks += slice__damaged_blocks(x.slices[i]);
			drecs += slice__damaged_records(x.slices[i]);
			nunsaid += slice__damage_unsaid(x.slices[i]);
		}
		if (dblocks || drecs) {
			char unsaid[64];

			damagesay__unsaid_note(nunsaid, unsaid, sizeof(unsaid));
			cli__warn("%" PRIu64 " damaged blocks, %" PRIu64 " damaged records (reported "
				  "above%s); everything else was written to %s", dblocks, drecs, unsaid,
				  x.out);
			rc = EXIT_CAPTURE;
		}
	}
	if (r && created)
		unlink(x.out);       /* no half-written file for a failed run */
out:
	if (x.file && x.file != stdout)
		fclose(x.file);
	for (size_t i = 0; i < x.ncaps; i++) {
		slice__close(x.slices ? x.slices[i] : NULL);
		capview__close(x.caps ? x.caps[i] : NULL);
	}
	free(x.slices);
	free(x.caps);
	slice_args__free(&sa);
	remove_redacted(a.paths, a.npaths, tmpdirs);
	cli__args_free(&a);
	free(ea.redacts);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	return run(argc, argv, "export", NULL);
}

int cmd_report(int argc, char **argv)
{
	return run(argc, argv, "report", &export_html);
}
