/* test_cli_help.c - every level of both tools has its help, and every
 * option a command parses is in its help: the long options are read from
 * the command's own source (its getopt_long table), so an option added
 * without a help line fails here.  Also `help COMMAND` is `COMMAND --help`,
 * `help nosuch` is a usage error (2), and `version` is a command. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char out[65536];

/* Runs the shell command line, stdout into out; returns the exit status. */
static int run(const char *cmdline)
{
	FILE *p = popen(cmdline, "r");
	size_t n;
	int st;

	CHECK(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Every `{ "NAME", no_argument|required_argument|optional_argument` in the
 * file must appear as --NAME in help; returns how many were checked. */
static int check_options(const char *src, const char *help, const char *what)
{
	char path[4096], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", getenv("BPFREC_SRC"), src);
	f = fopen(path, "r");
	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		char name[128], opt[140], kind[32];
		const char *p = strstr(line, "{ \"");

		if (!p || sscanf(p, "{ \"%127[^\"]\", %31[a-z_]", name, kind) != 2 ||
		    !strstr(kind, "_argument"))
			continue;
		snprintf(opt, sizeof(opt), "--%s", name);
		if (!strstr(help, opt)) {
			fprintf(stderr, "%s: option %s (%s) is not in its --help\n", what, opt, src);
			exit(1);
		}
		n++;
	}
	fclose(f);
	return n;
}

int main(void)
{
	const char *b = getenv("BPFREC_BUILD");
	static const char *const replay_cmds[] = { "info", "show", "sql", "verify", "recover",
						   "bundle", NULL };
	char bpfrec[4096], bpfreplay[4096], cmd[8192], help[65536];

	if (!b || !getenv("BPFREC_SRC")) {
		fprintf(stderr, "SKIPPED: needs BPFREC_BUILD and BPFREC_SRC (run under ctest)\n");
		return 77;
	}
	snprintf(bpfreplay, sizeof(bpfreplay), "%s/replay/bpfreplay", b);
	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", b);

	/* bpfreplay: each command's options in its help; help CMD == CMD --help. */
	for (int i = 0; replay_cmds[i]; i++) {
		char src[64];

		snprintf(cmd, sizeof(cmd), "%s %s --help", bpfreplay, replay_cmds[i]);
		CHECK_EQ_INT(run(cmd), 0);
		snprintf(help, sizeof(help), "%s", out);
		snprintf(src, sizeof(src), "replay/cmd_%s.c", replay_cmds[i]);
		CHECK(check_options(src, help, replay_cmds[i]) >= 1);   /* --help at least */
		snprintf(cmd, sizeof(cmd), "%s help %s", bpfreplay, replay_cmds[i]);
		CHECK_EQ_INT(run(cmd), 0);
		CHECK_STR(out, help);
	}
	snprintf(cmd, sizeof(cmd), "%s help nosuch 2>/dev/null", bpfreplay);
	CHECK_EQ_INT(run(cmd), 2);
	snprintf(cmd, sizeof(cmd), "%s version", bpfreplay);
	CHECK_EQ_INT(run(cmd), 0);
	CHECK(!strncmp(out, "bpfreplay ", 10));
	snprintf(cmd, sizeof(cmd), "%s help", bpfreplay);
	CHECK_EQ_INT(run(cmd), 0);
	CHECK(strstr(out, "version") && strstr(out, "help"));

	/* bpfrec (built only with BPF support). */
	if (access(bpfrec, X_OK) == 0) {
		snprintf(cmd, sizeof(cmd), "%s record --help", bpfrec);
		CHECK_EQ_INT(run(cmd), 0);
		snprintf(help, sizeof(help), "%s", out);
		CHECK(check_options("recorder/record_opts.c", help, "record") >= 20);
		snprintf(cmd, sizeof(cmd), "%s help record", bpfrec);
		CHECK_EQ_INT(run(cmd), 0);
		CHECK_STR(out, help);   /* not the top-level help */
		snprintf(cmd, sizeof(cmd), "%s help probes", bpfrec);
		CHECK_EQ_INT(run(cmd), 0);
		CHECK(strstr(out, "usage: bpfrec probes"));
		snprintf(cmd, sizeof(cmd), "%s help nosuch 2>/dev/null", bpfrec);
		CHECK_EQ_INT(run(cmd), 2);
		snprintf(cmd, sizeof(cmd), "%s version", bpfrec);
		CHECK_EQ_INT(run(cmd), 0);
		CHECK(!strncmp(out, "bpfrec ", 7));
	}
	puts("test_cli_help: ok");
	return 0;
}
