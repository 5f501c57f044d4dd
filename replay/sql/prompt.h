/* prompt.h - the line editor of `bpfreplay sql`'s interactive prompt
 * (libedit, the BSD-licensed readline of Debian's libedit-dev): arrow keys
 * and editing, history kept in ~/.bpfreplay_history (the last 1000 lines),
 * tab completion of the database's table and column names, SQL keywords
 * and dot-commands, and Ctrl-C that cancels the statement being typed (or
 * interrupts the one running), never the prompt.
 *
 * One prompt per process (the line editor and the SIGINT handler are
 * process-wide).
 */
#ifndef BPFREC_REPLAY_PROMPT_H
#define BPFREC_REPLAY_PROMPT_H

#include <sqlite3.h>

struct prompt;

/* Reads the history; the completion words come from db's schema now (the
 * capture's tables are attached first).  Ctrl-C from here on interrupts
 * db's running statement.  NULL with errno on failure. */
struct prompt *prompt__new(sqlite3 *db);

/* One line (malloc'ed, without its newline), or NULL at end of input.
 * *cancelled is set when Ctrl-C ended the line: the statement typed so far
 * is to be dropped.  continuation: the statement so far is incomplete. */
char *prompt__read(struct prompt *p, int continuation, int *cancelled);

/* Remembers line (a non-empty one) in the history. */
void prompt__remember(struct prompt *p, const char *line);

/* Ctrl-C seen while a statement ran (then cleared). */
int prompt__interrupted(struct prompt *p);
/* Ctrl-C seen since the last prompt__interrupted, not cleared: for work
 * inside one SQLite call to stop early (vtab_opts.interrupted). */
int prompt__pending(void);

/* Writes the history back; restores the SIGINT disposition.  NULL is fine. */
void prompt__free(struct prompt *p);

#endif
