/* cmd_sql.c - bpfreplay sql: SQL over a capture.
 *
 * The queries run on an in-memory database whose main schema holds the
 * capture's tables (vtab.c: one virtual table per stream, plus sessions,
 * streams, losses, blocks, block_streams, objects, stacks, frames).  The capture itself is
 * only read.  Damaged blocks and records are skipped, reported on stderr and
 * make the exit status 3 after every result has been printed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "print.h"
#include "prompt.h"
#include "capview.h"
#include "damagesay.h"
#include "vtab.h"

static void help(void)
{
	printf("Usage: bpfreplay sql [-o table|csv|jsonl] CAPTURE... ['SQL' ...]\n"
	       "\n"
	       "Run SQL over a capture.  Each stream is a table named after the stream\n"
	       "(see 'bpfreplay info'), with the columns ts (ns, kernel clock), time (wall\n"
	       "time, UTC, ISO 8601 with ns), cpu (NULL if unknown), stream, then the\n"
	       "fields of the event type, decoded from the BTF stored in the capture.\n"
	       "Also: sessions, streams, losses, blocks, block_streams, objects, and\n"
	       "stacks / frames (the recorded stacks, named from the capture's symbols).\n"
	       "\n"
	       "With no SQL argument, statements are read from standard input; on a\n"
	       "terminal, interactively (.tables, .schema [TABLE], .mode FMT, .help, .quit):\n"
	       "line editing, history in ~/.bpfreplay_history, Tab completes table and\n"
	       "column names, Ctrl-C cancels the statement (or stops the running one).\n"
	       "Constraints on ts or time skip whole blocks of the capture: ts BETWEEN a AND b,\n"
	       "or time >= '2024-05-01T12:00:03' (a prefix of the time column's form).\n"
	       "A u64 above 2^63-1 reads as a negative INTEGER (the same 64 bits);\n"
	       "printf('%%llu', col) is not SQL: use 'bpfreplay show' to see it unsigned.\n"
	       "A GROUP BY or DISTINCT over more distinct rows than 16 MiB holds spills\n"
	       "sorted runs to an unnamed temporary file in $TMPDIR (an absolute path to\n"
	       "a directory; /tmp when unset), removed as it is made, as SQLite's own\n"
	       "sorter does.\n"
	       "\n"
	       "Several captures (the leading arguments that name files or directories;\n"
	       "a directory that is not a capture stands for the captures inside it):\n"
	       "each stream's table is the union of that stream in every capture that has\n"
	       "it, with two more columns, host and capture (the capture's directory or\n"
	       "bundle name); a stream whose columns differ between captures is refused,\n"
	       "naming both.  sessions, streams, losses, blocks, block_streams and objects\n"
	       "hold every capture's rows, with a capture column.  ts is each host's own\n"
	       "boot clock: compare time across hosts.\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output FMT  table (default), csv, jsonl\n"
	       "  -h, --help        this text\n"
	       "\n"
	       "Examples:\n"
	       "  bpfreplay sql ./cap 'SELECT comm, count(*) FROM exec GROUP BY comm ORDER BY 2 DESC'\n"
	       "  bpfreplay sql ./cap \"SELECT time, pid, ret FROM connect WHERE ret < 0\"\n"
	       "  bpfreplay sql -o csv ./cap 'SELECT * FROM exec WHERE ts BETWEEN 5e9 AND 6e9'\n"
	       "  echo 'SELECT count(*) FROM losses;' | bpfreplay sql ./cap\n"
	       "  bpfreplay sql ./web1 ./web2 'SELECT host, count(*) FROM exec GROUP BY host'\n"
	       "  bpfreplay sql ./fleet/ 'SELECT capture, host, start_time FROM sessions'\n"
	       "\n"
	       "Exit status: 0 ok, 1 SQL error (SQLite's message and where), 2 usage,\n"
	       "3 bad or damaged capture (damage is reported; the rest is printed).\n");
}

struct sqlrun {
	sqlite3 *db;
	struct vtab_reg *reg;
	enum print_fmt fmt;
	int out_err;
};

static void warn_cb(void *ctx, const char *msg)
{
	cli__warn("%s", msg);
}

static int interrupted_cb(void *ctx)
{
	(void)ctx;
	return prompt__pending();
}

/* Runs every statement of sql; prints each result.  0, EXIT_QUERY, or
 * EXIT_CAPTURE (output failed). */
static int run_sql(struct sqlrun *r, const char *sql)
{
	const char *p = sql;

	while (*p) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		struct printer *pr = NULL;
		int rc, ncols;

		rc = sqlite3_prepare_v2(r->db, p, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			int off = sqlite3_error_offset(r->db);
			return cli__sql_error("sql", sqlite3_errmsg(r->db), sql,
					      off >= 0 ? (int)(p - sql) + off : -1);
		}
		if (!st) {              /* whitespace or a comment */
			p = tail;
			continue;
		}
		ncols = sqlite3_column_count(st);
		if (ncols > 0) {
			const char **names = calloc((size_t)ncols, sizeof(*names));
			for (int i = 0; names && i < ncols; i++)
				names[i] = sqlite3_column_name(st, i);
			pr = names ? printer__new(stdout, r->fmt, (size_t)ncols, names) : NULL;
			free(names);
			if (!pr) {
				sqlite3_finalize(st);
				cli__warn("out of memory");
				return EXIT_CAPTURE;
			}
		}
		struct pval *vals = calloc((size_t)ncols + 1, sizeof(*vals));
		while (vals && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int i = 0; i < ncols; i++) {
				struct pval *v = &vals[i];
				memset(v, 0, sizeof(*v));
				switch (sqlite3_column_type(st, i)) {
				case SQLITE_INTEGER:
					v->kind = PV_INT;
					v->i = sqlite3_column_int64(st, i);
					break;
				case SQLITE_FLOAT:
					v->kind = PV_REAL;
					v->f = sqlite3_column_double(st, i);
					break;
				case SQLITE_TEXT:
					v->kind = PV_TEXT;
					v->s = (const char *)sqlite3_column_text(st, i);
					v->len = (size_t)sqlite3_column_bytes(st, i);
					break;
				case SQLITE_BLOB:
					v->kind = PV_BLOB;
					v->s = sqlite3_column_blob(st, i);
					v->len = (size_t)sqlite3_column_bytes(st, i);
					break;
				default:
					v->kind = PV_NULL;
				}
			}
			if (pr && printer__row(pr, vals)) {
				r->out_err = 1;
				break;
			}
		}
		free(vals);
		if (pr && printer__end(pr))
			r->out_err = 1;
		printer__free(pr);
		if (r->out_err) {
			sqlite3_finalize(st);
			cli__warn("write error on standard output");
			return EXIT_CAPTURE;
		}
		if (rc != SQLITE_DONE) {
			int off = sqlite3_error_offset(r->db);
			char *msg = strdup(sqlite3_errmsg(r->db));
			sqlite3_finalize(st);
			rc = cli__sql_error("sql", msg ? msg : "error", sql,
					    off >= 0 ? (int)(p - sql) + off : -1);
			free(msg);
			return rc;
		}
		sqlite3_finalize(st);
		p = tail;
	}
	return 0;
}

/* Dot-commands of the prompt (and of statements read from stdin). */
static int dot_command(struct sqlrun *r, char *line, int *quit)
{
	char *cmd = strtok(line, " \t\r\n"), *arg = strtok(NULL, " \t\r\n");

	if (!strcmp(cmd, ".quit") || !strcmp(cmd, ".exit")) {
		*quit = 1;
		return 0;
	}
	if (!strcmp(cmd, ".help")) {
		printf(".tables          list the tables\n"
		       ".schema [TABLE]  their columns\n"
		       ".mode FMT        table, csv or jsonl\n"
		       ".quit            leave\n"
		       "Anything else is SQL, run when it ends with ';'.\n");
		return 0;
	}
	if (!strcmp(cmd, ".tables"))
		return run_sql(r, "SELECT name, type FROM sqlite_schema ORDER BY type DESC, name");
	if (!strcmp(cmd, ".schema")) {
		char *q = sqlite3_mprintf("SELECT m.name AS \"table\", p.name AS column, p.type"
					  " FROM sqlite_schema m, pragma_table_info(m.name) p"
					  " WHERE %s%Q ORDER BY m.type DESC, m.name, p.cid",
					  arg ? "m.name = " : "1 OR 1 = ", arg ? arg : "1");
		int rc = q ? run_sql(r, q) : EXIT_QUERY;
		sqlite3_free(q);
		return rc;
	}
	if (!strcmp(cmd, ".mode")) {
		if (!arg || print__parse_fmt(arg, &r->fmt))
			fprintf(stderr, "bpfreplay: .mode table|csv|jsonl\n");
		return 0;
	}
	fprintf(stderr, "bpfreplay: unknown command %s (.help lists them)\n", cmd);
	return EXIT_QUERY;
}

/* Reads statements from f, or from the prompt (pr, interactive): complete
 * statements (sqlite3_complete) run as they arrive; a line starting with
 * '.' is a dot-command.  Interactive: errors are reported and the prompt
 * goes on, Ctrl-C drops the statement being typed or stops the one
 * running; otherwise the first error stops. */
static int read_loop(struct sqlrun *r, FILE *f, struct prompt *pr)
{
	char *line = NULL, *buf = NULL;
	size_t cap = 0, blen = 0;
	int rc = 0, quit = 0, interactive = pr != NULL;

	if (interactive)
		fprintf(stderr, "bpfreplay %s: SQL over a capture; .help for help, .quit to leave, "
			"Ctrl-C cancels a statement\n", BPFREC_VERSION);
	for (;;) {
		ssize_t n;

		if (pr) {
			int cancelled;

			free(line);
			line = prompt__read(pr, blen != 0, &cancelled);
			if (!line)
				break;
			if (cancelled) {
				blen = 0;
				continue;
			}
			prompt__remember(pr, line);
			n = (ssize_t)strlen(line);
			/* the editor strips the newline; statements keep their lines */
			char *nl = realloc(line, (size_t)n + 2);
			if (!nl) {
				rc = EXIT_CAPTURE;
				break;
			}
			line = nl;
			line[n++] = '\n';
			line[n] = 0;
		} else {
			n = getline(&line, &cap, f);
			if (n < 0)
				break;
		}
		if (!blen && line[0] == '.') {
			int drc = dot_command(r, line, &quit);
			if (quit)
				break;
			if (drc && !interactive) {
				rc = drc;
				break;
			}
			continue;
		}
		char *nb = realloc(buf, blen + (size_t)n + 1);
		if (!nb) {
			rc = EXIT_CAPTURE;
			break;
		}
		buf = nb;
		memcpy(buf + blen, line, (size_t)n + 1);
		blen += (size_t)n;
		if (sqlite3_complete(buf)) {
			int qrc = run_sql(r, buf);
			blen = 0;
			if (pr)
				prompt__interrupted(pr);   /* SQLite said "interrupted" */
			if (qrc == EXIT_CAPTURE || (qrc && !interactive)) {
				rc = qrc;
				break;
			}
		}
	}
	if (!rc && blen && strspn(buf, " \t\r\n") != blen)
		rc = run_sql(r, buf);   /* the last statement may lack its ';' */
	if (interactive)
		fputc('\n', stdout);
	free(line);
	free(buf);
	return rc;
}

/* The closing line of a capture with damage (vtab__damage_each). */
static void say_damage(void *ctx, const char *path, uint64_t blocks, uint64_t records,
		       uint64_t unsaid)
{
	char note[64];

	(void)ctx;
	damagesay__unsaid_note(unsaid, note, sizeof(note));
	cli__warn("%s: %" PRIu64 " damaged blocks, %" PRIu64 " damaged records were skipped "
		  "(reported above%s)", path, blocks, records, note);
}

int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL },
	};
	struct sqlrun r = { .fmt = PRINT_TABLE };
	const struct cli_cmd cmd = {
		.name = "sql", .help = help, .shortopts = "o:", .longopts = opts,
		.fmt = &r.fmt, .captures = CLI_CAPTURES_THEN_ARGS,
	};
	struct vtab_opts vo = { .strict = 0, .warn = warn_cb, .interrupted = interrupted_cb };
	struct cli_args a;
	char *err = NULL;
	uint64_t dblocks, drecs;
	int rc = cli__parse(&cmd, argc, argv, &a);

	if (rc || a.help)
		goto out;
	if (cli__memdb(&r.db)) {
		cli__warn("sqlite: cannot open an in-memory database");
		rc = EXIT_CAPTURE;
		goto out;
	}
	r.reg = vtab__register(r.db, &vo);
	if (!r.reg) {
		cli__warn("sqlite: cannot register the bpfrec module: %s", sqlite3_errmsg(r.db));
		rc = EXIT_CAPTURE;
		goto out;
	}
	if (vtab__attach_many(r.reg, (const char *const *)a.paths, a.npaths, "main", &err) !=
	    SQLITE_OK) {
		cli__warn("%s", err ? err : "cannot open the capture");
		sqlite3_free(err);
		rc = EXIT_CAPTURE;
		goto out;
	}
	if (a.nrest) {
		for (size_t i = 0; i < a.nrest && !rc; i++)
			rc = run_sql(&r, a.rest[i]);
	} else {
		struct prompt *pr = isatty(0) && isatty(1) ? prompt__new(r.db) : NULL;

		rc = read_loop(&r, stdin, pr);
		prompt__free(pr);
	}
	vtab__damage(r.reg, &dblocks, &drecs);
	if (dblocks || drecs) {
		vtab__damage_each(r.reg, say_damage, NULL);
		if (!rc)
			rc = EXIT_CAPTURE;
	}
out:
	sqlite3_close(r.db);
	cli__args_free(&a);
	return rc;
}
