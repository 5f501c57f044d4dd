/* test_sql_prompt.c - bpfreplay sql's interactive prompt as a person uses
 * it, driven through tmux (a real terminal): arrow keys edit the line, Up
 * recalls history (capture-pane shows the recalled line), the history is
 * kept in ~/.bpfreplay_history across sessions, Tab completes a table name
 * and a column name, Ctrl-C cancels the statement being typed and stops a
 * running one without leaving the prompt, and an SQL error's echo never
 * sends escape bytes to the terminal.  Skipped (77) without tmux. */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"
#pragma GCC diagnostic pop

#include <time.h>

static char sock[128], home[4096];

/* tmux -L sock ARGS (a shell command line: our own paths and keys only). */
static int tmux(const char *args)
{
	char cmd[16384];

	snprintf(cmd, sizeof(cmd), "tmux -L %s %s >/dev/null 2>&1", sock, args);
	return system(cmd);
}

/* The pane's text, NUL terminated (static). */
static const char *pane(void)
{
	static char out[65536];
	char cmd[512];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "tmux -L %s capture-pane -p -S -200", sock);
	p = popen(cmd, "r");
	CHECK(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	pclose(p);
	return out;
}

/* Waits (10 s at most) until the pane holds needle; fails the test if not. */
static void wait_for(const char *needle, int line)
{
	for (int i = 0; i < 1000; i++) {
		if (strstr(pane(), needle))
			return;
		usleep(10000);
	}
	fprintf(stderr, "test_sql_prompt.c:%d: the pane never showed \"%s\":\n%s\n", line, needle,
		pane());
	tmux("kill-server");
	exit(1);
}
#define WAIT_FOR(s) wait_for(s, __LINE__)

/* The last non-empty line of the pane. */
static const char *last_line(void)
{
	static char buf[4096];
	const char *p = pane(), *end = p + strlen(p), *s;

	while (end > p && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (s = end; s > p && s[-1] != '\n'; s--)
		;
	snprintf(buf, sizeof(buf), "%.*s", (int)(end - s), s);
	return buf;
}

/* Waits (10 s at most) until the last line starts with want. */
static void wait_last(const char *want, int line)
{
	for (int i = 0; i < 1000; i++) {
		if (!strncmp(last_line(), want, strlen(want)))
			return;
		usleep(10000);
	}
	fprintf(stderr, "test_sql_prompt.c:%d: the last line is \"%s\", not \"%s\"\n", line,
		last_line(), want);
	tmux("kill-server");
	exit(1);
}
#define WAIT_LAST(s) wait_last(s, __LINE__)

static void start(const char *cap)
{
	char args[16384];

	snprintf(args, sizeof(args), "new-session -d -x 160 -y 50 \"env HOME=%s TERM=xterm %s sql %s\"",
		 home, clirun_bin, cap);
	CHECK_EQ_INT(tmux(args), 0);
	WAIT_FOR("bpfreplay>");   /* capture-pane drops trailing blanks */
}

int main(void)
{
	const char *tmp = test_tmpdir("sql_prompt");
	char cap[4096], btfdir[4096], path[8192];
	char *hist;

	if (system("command -v tmux >/dev/null 2>&1")) {
		fprintf(stderr, "SKIPPED: no tmux (tools/setup.sh installs it)\n");
		return 77;
	}
	snprintf(sock, sizeof(sock), "bpfrec-prompt-%d", (int)getpid());
	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	snprintf(home, sizeof(home), "%s/home", tmp);
	mkdir(home, 0755);
	capfix_build(cap, btfdir, (struct capfix_opts){ .short_a = -1 });
	clirun_init(tmp);

	start(cap);
	/* A statement; then one edited with Left before Enter. */
	tmux("send-keys 'SELECT 40+1\\;' Enter");
	WAIT_FOR(" 41\nbpfreplay>");
	tmux("send-keys 'SELECT 3\\;' Left 9 Enter");   /* SELECT 39; */
	WAIT_FOR("bpfreplay> SELECT 39;\n");
	WAIT_FOR("\n39\nbpfreplay>");
	/* Tab completes a table name (the capture's stream alpha). */
	tmux("send-keys 'SELECT count(*) FROM alp' Tab");
	WAIT_FOR("FROM alpha");
	tmux("send-keys '\\;' Enter");
	WAIT_FOR(" 3000\nbpfreplay>");
	/* ... and a column name (beta's big) */
	tmux("send-keys 'SELECT count(bi' Tab");
	WAIT_FOR("SELECT count(big");
	tmux("send-keys ') FROM beta\\;' Enter");
	WAIT_FOR(" 2000\nbpfreplay>");
	/* Ctrl-C drops the statement being typed: the next one runs alone. */
	tmux("send-keys 'SELECT 1 +' Enter");
	WAIT_FOR("      ...>");
	tmux("send-keys C-c");
	WAIT_FOR("^C\n");
	tmux("send-keys 'SELECT 5*5 AS twentyfive\\;' Enter");
	WAIT_FOR(" 25\nbpfreplay>");
	CHECK(!strstr(pane(), "syntax error"));
	/* ... and stops one running, back at the prompt. */
	tmux("send-keys 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) "
	     "SELECT count(*) FROM c\\;' Enter");
	/* (again until it lands: an interrupt before the statement starts is
	 * no interrupt for SQLite) */
	for (int i = 0; i < 40 && !strstr(pane(), "interrupted"); i++) {
		usleep(250000);
		tmux("send-keys C-c");
	}
	WAIT_FOR("interrupted");
	tmux("send-keys 'SELECT 6*7 AS answer\\;' Enter");
	WAIT_FOR(" 42\nbpfreplay>");
	/* Up recalls the last statements: the pane shows them on the prompt line. */
	tmux("send-keys Up");
	WAIT_LAST("bpfreplay> SELECT 6*7 AS answer;");
	tmux("send-keys Up");
	WAIT_LAST("bpfreplay> WITH RECURSIVE c(x)");
	tmux("send-keys Down");
	WAIT_LAST("bpfreplay> SELECT 6*7 AS answer;");
	tmux("send-keys C-u '.quit' Enter");
	for (int i = 0; i < 500 && !tmux("has-session"); i++)
		usleep(10000);

	/* The history survives: a new session recalls the last session's lines
	 * (.quit is the last). */
	snprintf(path, sizeof(path), "%s/.bpfreplay_history", home);
	hist = clirun_slurp(path, NULL);
	CHECK(strstr(hist, "SELECT") && strstr(hist, "answer"));
	free(hist);
	/* A server of its own: the first one may still be exiting after its
	 * last session ended, and a new-session that reaches it fails (seen
	 * once on a loaded machine). */
	snprintf(sock, sizeof(sock), "bpfrec-prompt-%d-again", (int)getpid());
	start(cap);
	tmux("send-keys Up Up");
	WAIT_LAST("bpfreplay> SELECT 6*7 AS answer;");
	tmux("send-keys Enter");
	WAIT_FOR(" 42\nbpfreplay>");
	tmux("kill-server");

	/* An error's echo: the statement's escape bytes shown as \x1b, never
	 * sent to the terminal (it would answer them into the shell). */
	struct clirun r = CLIRUN("sql", cap, "SELECT \033[6n FROM alpha");
	CHECK_EQ_INT(r.status, 1);
	CHECK(!strchr(r.err, '\033'));
	CHECK(strstr(r.err, "SELECT \\x1b[6n FROM alpha\n"));
	CHECK(strstr(r.err, "\n           ^\n"));   /* under the escape */
	clirun_free(&r);
	puts("test_sql_prompt: ok");
	return 0;
}
