/* prompt.c - see prompt.h. */
#include "prompt.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <editline/readline.h>

#define HISTORY_LINES 1000

struct prompt {
	sqlite3 *db;
	char *history;              /* ~/.bpfreplay_history, NULL: no HOME */
	char **words;               /* completion candidates */
	size_t nwords, cap;
	struct sigaction old_int;
};

static volatile sig_atomic_t sigint_seen;
static sqlite3 *sigint_db;
static struct prompt *the_prompt;   /* for the completion callback */

/* No SA_RESTART: the editor's read() returns EINTR, so readline() gives
 * up the line; a running statement stops at its next step. */
static void on_sigint(int sig)
{
	(void)sig;
	sigint_seen = 1;
	if (sigint_db)
		sqlite3_interrupt(sigint_db);
}

static int add_word(struct prompt *p, const char *w)
{
	/* Names come from a capture: only plain identifiers are offered, so
	 * completion never types control bytes into the line. */
	for (const char *c = w; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.')
			return 0;
	for (size_t i = 0; i < p->nwords; i++)
		if (!strcmp(p->words[i], w))
			return 0;
	if (p->nwords == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		char **n = realloc(p->words, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->words = n;
		p->cap = cap;
	}
	p->words[p->nwords] = strdup(w);
	return p->words[p->nwords] ? (p->nwords++, 0) : -ENOMEM;
}

static void load_words(struct prompt *p)
{
	static const char *const fixed[] = {
		"SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "HAVING", "LIMIT", "JOIN",
		"LEFT", "ON", "AND", "OR", "NOT", "BETWEEN", "DISTINCT", "COUNT", "AS", "DESC",
		"ASC", "WITH", "UNION", "ALL", "CASE", "WHEN", "THEN", "ELSE", "END", "NULL",
		"LIKE", "IN", "IS", "count", "sum", "avg", "min", "max", "total", "median",
		"percentile", "errno_name", "signal_name", "af_name", "user_name", "group_name",
		".tables", ".schema", ".mode", ".help", ".quit", NULL,
	};
	sqlite3_stmt *st = NULL;

	for (int i = 0; fixed[i]; i++)
		add_word(p, fixed[i]);
	if (sqlite3_prepare_v2(p->db, "SELECT m.name, c.name FROM sqlite_schema m "
				      "LEFT JOIN pragma_table_info(m.name) c", -1, &st, NULL))
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < 2; i++)
			if (sqlite3_column_text(st, i))
				add_word(p, (const char *)sqlite3_column_text(st, i));
	sqlite3_finalize(st);
}

static char *next_word(const char *text, int state)
{
	static size_t i;
	size_t len = strlen(text);

	if (!state)
		i = 0;
	while (the_prompt && i < the_prompt->nwords) {
		const char *w = the_prompt->words[i++];

		if (!strncasecmp(w, text, len))
			return strdup(w);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	return rl_completion_matches(text, next_word);
}

struct prompt *prompt__new(sqlite3 *db)
{
	struct prompt *p = calloc(1, sizeof(*p));
	const char *home = getenv("HOME");
	struct sigaction sa = { .sa_handler = on_sigint };

	if (!p)
		return NULL;
	p->db = db;
	if (home && *home && asprintf(&p->history, "%s/.bpfreplay_history", home) < 0)
		p->history = NULL;
	rl_readline_name = "bpfreplay";
	rl_attempted_completion_function = complete;
	/* A table name is followed by a space, but "exec." is not split. */
	rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{(,)*+-/%";
	using_history();
	if (p->history)
		read_history(p->history);   /* none yet is fine */
	load_words(p);
	the_prompt = p;
	sigint_db = db;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &p->old_int);
	return p;
}

char *prompt__read(struct prompt *p, int continuation, int *cancelled)
{
	char *line;

	(void)p;
	*cancelled = 0;
	sigint_seen = 0;
	line = readline(continuation ? "      ...> " : "bpfreplay> ");
	if (sigint_seen) {
		/* Ctrl-C: the line, and the statement it belonged to, are dropped;
		 * a fresh prompt follows. */
		sigint_seen = 0;
		free(line);
		fputs("^C\n", stdout);
		fflush(stdout);
		*cancelled = 1;
		return strdup("");
	}
	return line;
}

void prompt__remember(struct prompt *p, const char *line)
{
	HIST_ENTRY *last;

	(void)p;
	if (!line[strspn(line, " \t")])
		return;
	last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
	if (!last || !last->line || strcmp(last->line, line))
		add_history(line);
}

int prompt__interrupted(struct prompt *p)
{
	int seen = sigint_seen;

	(void)p;
	sigint_seen = 0;
	return seen;
}

int prompt__pending(void)
{
	return sigint_seen;
}

void prompt__free(struct prompt *p)
{
	if (!p)
		return;
	if (p->history) {
		stifle_history(HISTORY_LINES);
		if (write_history(p->history) == 0)
			history_truncate_file(p->history, HISTORY_LINES);
	}
	sigaction(SIGINT, &p->old_int, NULL);
	sigint_db = NULL;
	the_prompt = NULL;
	for (size_t i = 0; i < p->nwords; i++)
		free(p->words[i]);
	free(p->words);
	free(p->history);
	free(p);
}
