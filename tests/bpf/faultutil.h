/* faultutil.h - for the fault tests (test_faults_*): run bpfrec in the
 * background with its stderr in a file, wait for it to record, stop it;
 * tally what the producer objects recorded. */
#ifndef BPFREC_TEST_FAULTUTIL_H
#define BPFREC_TEST_FAULTUTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capload.h"
#include "testutil.h"

struct bgrec {
	pid_t pid;
	char errpath[4096];   /* bpfrec's stderr */
};

static inline void fu_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Reads a whole (small) file into buf, NUL-terminated; "" if absent. */
static inline const char *fu_slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = 0, got = 0;

	buf[0] = 0;
	if (fd < 0)
		return buf;
	while (got < (ssize_t)len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	close(fd);
	return buf;
}

/* Starts `bpfrec ARGS...` (NULL-terminated) in the background. */
static inline void fu_spawn(struct bgrec *b, const char *tag, char *const args[])
{
	char bpfrec[4096], *argv[40];
	int i;

	snprintf(bpfrec, sizeof(bpfrec), "%s/recorder/bpfrec", getenv("BPFREC_BUILD"));
	snprintf(b->errpath, sizeof(b->errpath), "%s/%s.stderr", getenv("BPFREC_TEST_TMP") ?: "/tmp",
		 tag);
	argv[0] = bpfrec;
	for (i = 0; args[i] && i < 38; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	/* Emptied here, not in the child: an old run's text must not count. */
	int fd = open(b->errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	b->pid = fork();
	CHECK(b->pid >= 0);
	if (b->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(fd, 2);
		dup2(null, 1);
		dup2(null, 0);
		execv(bpfrec, argv);
		_exit(127);
	}
	close(fd);
}

/* fu_spawn, then waits until bpfrec says it is recording (programs
 * attached, capture created).  Aborts the test if it exits first or takes
 * more than 30 s. */
static inline void fu_start(struct bgrec *b, const char *tag, char *const args[])
{
	char buf[16384];
	int i;

	fu_spawn(b, tag, args);
	for (i = 0; i < 3000; i++) {
		int status;

		if (strstr(fu_slurp(b->errpath, buf, sizeof(buf)), "recording to"))
			return;
		if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
			fprintf(stderr, "bpfrec exited before recording:\n%s\n", buf);
			exit(1);
		}
		fu_sleep_ms(10);
	}
	fprintf(stderr, "bpfrec did not start recording in 30 s:\n%s\n", buf);
	kill(b->pid, SIGKILL);
	exit(1);
}

/* Sends sig (0: none) and waits; returns the exit status, 128+N for a signal. */
static inline int fu_stop(struct bgrec *b, int sig)
{
	int status;

	char buf[65536];

	if (sig)
		kill(b->pid, sig);
	CHECK(waitpid(b->pid, &status, 0) == b->pid);
	/* In a sanitizer build, a report fails the test. */
	fu_slurp(b->errpath, buf, sizeof(buf));
	if (strstr(buf, "Sanitizer") || strstr(buf, "runtime error:")) {
		fprintf(stderr, "sanitizer report from bpfrec:\n%s\n", buf);
		exit(1);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Skips the test (exit 77) unless root and the built test objects exist. */
static inline const char *fu_need_root_objs(void)
{
	const char *objs = getenv("BPFREC_OBJS");

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		exit(77);
	}
	if (!objs || !getenv("BPFREC_BUILD")) {
		fprintf(stderr, "SKIPPED: BPFREC_OBJS/BPFREC_BUILD not set (run through ctest)\n");
		exit(77);
	}
	return objs;
}

static inline int fu_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* What the producer objects (objs/burst, objs/lost2) left in a capture:
 * *produced, the sum of the `produced` stream's values (the producer's own
 * count of its attempts), and *events, the `events` records, each (cpu,
 * seq) once (checked: no event recorded twice). */
static inline void fu_tally(const struct evlist *l, uint64_t *produced, uint64_t *events)
{
	uint64_t *keys = calloc(l->n + 1, sizeof(*keys));
	size_t nkeys = 0;

	CHECK(keys != NULL);
	*produced = *events = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->v[i].stream, "produced")) {
			*produced += (uint64_t)ev_int(&l->v[i], "value");
		} else if (!strcmp(l->v[i].stream, "events")) {
			(*events)++;
			keys[nkeys++] = (uint64_t)ev_int(&l->v[i], "cpu") << 48 |
					(uint64_t)ev_int(&l->v[i], "seq");
		}
	}
	qsort(keys, nkeys, sizeof(*keys), fu_cmp_u64);
	for (size_t i = 1; i < nkeys; i++)
		CHECK(keys[i] != keys[i - 1]);   /* no event twice */
	free(keys);
}

#endif
