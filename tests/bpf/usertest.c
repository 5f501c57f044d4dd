#include "usertest.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void ut_init(struct ut *u, const char *name)
{
	const char *build = getenv("BPFREC_BUILD"), *objs = getenv("BPFREC_OBJS");

	if (geteuid() != 0) {
		printf("SKIPPED: needs root to load BPF programs\n");
		exit(77);
	}
	if (!build || !objs) {
		fprintf(stderr, "FAIL: BPFREC_BUILD and BPFREC_OBJS must be set (run through ctest)\n");
		exit(1);
	}
	memset(u, 0, sizeof(*u));
	snprintf(u->bpfrec, sizeof(u->bpfrec), "%s/recorder/bpfrec", build);
	snprintf(u->actor, sizeof(u->actor), "%s/tests/bpf/actor", build);
	snprintf(u->objs, sizeof(u->objs), "%s", objs);
	snprintf(u->dir, sizeof(u->dir), "%s", test_tmpdir(name));
}

const char *ut_path(struct ut *u, const char *name)
{
	static char buf[4][8192 + 16];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", u->dir, name);
	return buf[i];
}

const char *ut_obj(struct ut *u, const char *name)
{
	static char buf[4][8192 + 16];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s.bpf.o", u->objs, name);
	if (access(buf[i], R_OK)) {
		fprintf(stderr, "FAIL: %s: %s (not built?)\n", buf[i], strerror(errno));
		exit(1);
	}
	return buf[i];
}

int ut_bpfrec(struct ut *u, char *const args[])
{
	char *argv[64] = { u->bpfrec };
	int pipefd[2], status, i, waited = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	for (i = 0; args[i] && i < 62; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	CHECK(pipe(pipefd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(pipefd[1], 2);
		dup2(null, 1);
		close(pipefd[0]);
		close(pipefd[1]);
		alarm(30);   /* survives exec: a hung recorder ends the test */
		execv(u->bpfrec, argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], u->err + got, sizeof(u->err) - 1 - got)) > 0)
		got += (size_t)n;
	u->err[got] = 0;
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR && waited++ < 100)
		;
	/* In a sanitizer build a report may come with the exit status a
	 * failing test expects anyway: look at the words. */
	if (strstr(u->err, "Sanitizer") || strstr(u->err, "runtime error:")) {
		fprintf(stderr, "FAIL: bpfrec: sanitizer report:\n%s\n", u->err);
		exit(1);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ut_bpfrec_ok(struct ut *u, char *const args[])
{
	int rc = ut_bpfrec(u, args), want = 0, i;

	/* bpfrec exits with its command's status, and the actor's is 7. */
	for (i = 0; args[i]; i++)
		if (!strcmp(args[i], u->actor))
			want = 7;
	if (rc != want) {
		fprintf(stderr, "FAIL: bpfrec exited %d; its stderr:\n%s\n", rc, u->err);
		exit(1);
	}
}

void ut_err_has(struct ut *u, const char *const needles[])
{
	int i;

	for (i = 0; needles[i]; i++) {
		if (!strstr(u->err, needles[i])) {
			fprintf(stderr, "FAIL: bpfrec's stderr lacks \"%s\"; it was:\n%s\n", needles[i],
				u->err);
			exit(1);
		}
	}
}

void ut_want(const struct evlist *l, const char *stream, const char *field, const char *value,
	     size_t want)
{
	size_t n = ev_count(l, stream, field, value);

	if (n != want) {
		fprintf(stderr, "FAIL: %zu %s events with %s=%s, expected %zu; %s events:\n", n,
			stream, field ? field : "*", value ? value : "*", want, stream);
		ev_dump(l, stream);
		exit(1);
	}
}

const struct ev *ut_one(const struct evlist *l, const char *stream, const char *field,
			const char *value)
{
	ut_want(l, stream, field, value, 1);
	return ev_find(l, stream, field, value);
}

const char *ut_num(long long v)
{
	static char buf[4][32];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%lld", v);
	return buf[i];
}
