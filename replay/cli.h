/* cli.h - bpfreplay's commands (one file each, cmd_<name>.c; report is export
 * --format html, in cmd_export.c) and the few
 * helpers they share.  Every command returns the process exit status:
 */
#ifndef BPFREC_REPLAY_CLI_H
#define BPFREC_REPLAY_CLI_H

#include <stdio.h>

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

/* "bpfreplay CMD: <message>\nTry 'bpfreplay CMD --help'.\n" on stderr;
 * returns EXIT_USAGE. */
struct capview;
/* --stream LIST (comma-separated names): calls mark(index, ctx) for each
 * stream named; an unknown name is a usage error of cmd that lists the
 * capture's streams (0 or the error's exit status). */
int cli__select_streams(struct capview *c, const char *cmd, const char *list,
			void (*mark)(size_t idx, void *ctx), void *ctx);
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
