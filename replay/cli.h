/* cli.h - bpfreplay's commands (one file each, cmd_<name>.c; report is export
 * --format html, in cmd_export.c) and the helpers they share: one parser
 * for their command lines (cli__parse), the opening of a capture, messages.
 * Every command returns the process exit status:
 */
#ifndef BPFREC_REPLAY_CLI_H
#define BPFREC_REPLAY_CLI_H

#include <stdio.h>

#include "print.h"

#define EXIT_QUERY   1   /* SQL error: SQLite's message and the position */
#define EXIT_USAGE   2   /* bad option or argument */
#define EXIT_CAPTURE 3   /* the capture cannot be opened, or holds damage */

/* argv[0] is the command name. */
int cmd_info(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_flame(int argc, char **argv);
int cmd_report(int argc, char **argv);   /* cmd_export.c: export --format html */
struct capview;
/* bpfreplay info's lines for a bundle (what was sliced, redacted); nothing
 * for a capture directory.  cmd_bundle.c. */
void cmd_bundle__info(struct capview *c);
/* The same as a JSON object (its keys and values as strings), or null when c
 * is not a bundle: appended to b (print.h). */
struct strbuf;
void cmd_bundle__info_json(struct capview *c, struct strbuf *b);

/* --stream LIST (comma-separated names): calls mark(index, ctx) for each
 * stream named; an unknown name is a usage error of cmd that lists the
 * capture's streams (0 or the error's exit status). */
int cli__select_streams(struct capview *c, const char *cmd, const char *list,
			void (*mark)(size_t idx, void *ctx), void *ctx);
/* "bpfreplay CMD: <message>\nTry 'bpfreplay CMD --help'.\n" on stderr;
 * returns EXIT_USAGE. */
int cli__usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "bpfreplay: <message>\n" on stderr; control bytes but newline and tab
 * shown as \xNN (a hostile capture's names must not drive the terminal). */
void cli__warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fputs, with control bytes but newline and tab shown as \xNN: for text
 * that comes from a capture. */
void cli__fputs_safe(const char *s, FILE *f);
/* Names the offending option after getopt_long returned c ('?': unknown,
 * ':': missing value; the optstring starts with ':' and opterr is 0). */
int cli__bad_option(const char *cmd, char **argv, int c);

/* A command's command line, parsed the same way for every command:
 * -h/--help, the options the command declares (its own table, so that its
 * source lists them: tests/unit/test_cli_help.c reads it), the slice
 * options (slice.h) when it takes them, then its CAPTURE arguments.
 * Errors name the option and the value (cli__bad_option). */
enum cli_captures {
	CLI_ONE_CAPTURE,            /* exactly one CAPTURE, kept as given */
	CLI_CAPTURES,               /* CAPTURE...: expanded by cli__captures */
	CLI_CAPTURES_THEN_ARGS,     /* CAPTURE... ARG...: the captures are the leading
				     * arguments that name an existing file or
				     * directory (the first always: its error is
				     * capview__open's), the rest are left to the
				     * command */
};

#define CLI_NOT_MINE (-1)           /* cli_cmd.take: not one of the command's options */

struct option;
struct slice_args;
struct cli_cmd {
	const char *name;                   /* "info": in messages */
	void (*help)(void);                 /* prints the --help text */
	const char *shortopts;              /* the command's own ("qF:"), or NULL */
	const struct option *longopts;      /* the command's own, { NULL }-ended, or NULL */
	/* One of the command's own options (getopt_long's ch and optarg): 0,
	 * CLI_NOT_MINE, or the exit status of a usage error (printed). */
	int (*take)(void *ctx, int ch, const char *arg);
	void *ctx;
	enum print_fmt *fmt;                /* non-NULL: its option 'o' is a printer's
					     * format (print__parse_fmt) */
	const char *fmt_names;              /* those named in -o's error (NULL: "table,
					     * csv, jsonl") */
	struct slice_args *slice;           /* non-NULL: the slice options, into it */
	enum cli_captures captures;
};

struct cli_args {
	int help;                   /* --help was printed: the command exits 0 */
	char **paths;               /* the captures */
	size_t npaths;
	char **rest;                /* CLI_CAPTURES_THEN_ARGS: what follows (in argv) */
	size_t nrest;
};

/* 0 and *a (free with cli__args_free, also after an error), or the exit
 * status of a usage error (printed).  After --help or an error *a holds no
 * captures. */
int cli__parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a);
void cli__args_free(struct cli_args *a);

/* capview__open, its reason printed when it fails: 0 and *out, or
 * EXIT_CAPTURE. */
int cli__open(const char *path, struct capview **out);

/* The captures named by args (n of them): a capture directory (it holds
 * index.db) or a bundle file stands for itself; any other directory for
 * the captures directly inside it (directories holding index.db, files
 * named *.bpfrec), in name order; a path that does not exist is kept, for
 * capview__open to say so.  A directory holding no capture is a usage error of
 * cmd.  0 and *paths (free with cli__captures_free), or the exit status. */
int cli__captures(const char *cmd, char *const *args, size_t n, char ***paths, size_t *npaths);
void cli__captures_free(char **paths, size_t n);

/* bpfreplay's own SQLite connection (an in-memory database for the
 * capture's tables and the user's SQL): SQLITE_DBCONFIG_DEFENSIVE on (no
 * writable_schema, no shadow-table writes), extension loading off in the
 * C API and in SQL, untrusted schema.  0 or -EIO. */
struct sqlite3;
int cli__memdb(struct sqlite3 **db);

/* Prints an SQL error with its position: the statement's line, and a caret
 * under the offset (sqlite3_error_offset, -1: unknown).  Returns EXIT_QUERY. */
int cli__sql_error(const char *what, const char *msg, const char *sql, int offset);

#endif
