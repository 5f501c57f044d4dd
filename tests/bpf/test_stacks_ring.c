/* test_stacks_ring.c - stacks in a flight recording: `--ring 1M -g` over
 * stackprog's connect() calls (and every syscall), until the ring has
 * dropped its first segments; then a snapshot (SIGUSR1) while the calls go
 * on, so that the newest block, which the ring always keeps, holds some
 * (after the calls, the few events of the command's end could make a
 * segment of their own that pushes the last one with connects out).  The
 * snapshot, the finished capture, and the capture rebuilt from catalog.db
 * after its index.db is deleted all name the surviving connects' frames
 * f3, f2, f1, main: the stack tables are written as the recording goes
 * (not only at its end) and catalog.db carries them. */
#include "usertest.h"
#include "stackutil.h"
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct ut u;
static char bpfreplay[4096];

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Every wait of the test ends by WAIT_S after its start, under ctest's
 * TIMEOUT (120 s), so that a wait that does not end says what it waited
 * for: on a loaded machine each step takes longer, but none is given a
 * fixed share of the time. */
#define WAIT_S 100
static struct timespec t_start;
static pid_t rec_pid;
static char errpath[128];

static double since_start(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t_start.tv_sec) + (now.tv_nsec - t_start.tv_nsec) / 1e9;
}

/* Waits for cond(arg) until WAIT_S after the start; fails the test if
 * bpfrec exits first or the time is up, with bpfrec's stderr. */
static void wait_for(int (*cond)(const char *), const char *arg, const char *what)
{
	double t0 = since_start();
	int status;

	while (!cond(arg)) {
		if (waitpid(rec_pid, &status, WNOHANG) == rec_pid) {
			fprintf(stderr, "FAIL: bpfrec exited (wait status %d) while the test waited for %s\n",
				status, what);
			su_sh("cat '%s' >&2%s", errpath, "");
			exit(1);
		}
		if (since_start() > WAIT_S) {
			fprintf(stderr, "FAIL: still waiting for %s after %.1f s (%d s after the "
				"test's start)\n", what, since_start() - t0, WAIT_S);
			kill(rec_pid, SIGTERM);
			waitpid(rec_pid, &status, 0);
			su_sh("cat '%s' >&2%s", errpath, "");
			exit(1);
		}
		sleep_ms(100);
	}
	fprintf(stderr, "%s after %.1f s\n", what, since_start() - t0);
}

static int exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* The live index says the ring dropped a segment. */
static int dropped(const char *cap)
{
	char cmd[4096], *out;
	int status, yes;

	snprintf(cmd, sizeof(cmd), "sqlite3 'file:%s/index.db?mode=ro' \"SELECT value FROM meta "
		 "WHERE key = 'ring_dropped_through'\" 2>/dev/null", cap);
	out = su_run_out(cmd, &status);
	yes = !status && atoi(out) > 0;
	free(out);
	return yes;
}

/* The connect events cap counts as lost (its index's losses). */
static long lost_connects(const char *cap)
{
	char cmd[4096], *out;
	int status;
	long n;

	snprintf(cmd, sizeof(cmd), "sqlite3 'file:%s/index.db?mode=ro' \"SELECT COALESCE(SUM(l.count), "
		 "0) FROM losses l JOIN streams s ON s.id = l.stream_id WHERE s.name = 'connect'\"",
		 cap);
	out = su_run_out(cmd, &status);
	n = status ? -1 : atol(out);
	free(out);
	return n;
}

/* Every connect of stackprog in cap has f3 f2 f1 main; returns how many.
 * None left in the ring because the recorder lost them (counted: a
 * machine too loaded for its drain) says nothing of the stacks: skipped. */
static long check_connects(const char *cap, const char *what)
{
	char q[8192], *out, *lines[8];
	long all = -1, named = -1, frames = -1;
	int status;

	snprintf(q, sizeof(q), "%s sql -o csv %s \"SELECT count(*), "
		 "(SELECT count(*) FROM connect c JOIN frames f ON f.stack_id = c.ustack_id AND "
		 "f.pid = c.pid AND f.depth < 4 AND f.symbol = (CASE f.depth WHEN 0 THEN 'f3' "
		 "WHEN 1 THEN 'f2' WHEN 2 THEN 'f1' ELSE 'main' END) WHERE c.comm = 'stackprog'), "
		 "(SELECT count(*) FROM frames) FROM connect WHERE comm = 'stackprog'\"", bpfreplay,
		 cap);
	out = su_run_out(q, &status);
	if (status || su_csv_lines(out, lines, 8) != 1 ||
	    sscanf(lines[0], "%ld,%ld,%ld", &all, &named, &frames) != 3)
		all = -1;
	if (!all && lost_connects(cap) > 0) {
		fprintf(stderr, "SKIPPED: %s: no connect of stackprog left in the ring, the recorder "
			"lost %ld on this loaded machine\n", what, lost_connects(cap));
		exit(77);
	}
	if (all <= 0 || named != 4 * all) {
		fprintf(stderr, "%s: %ld connects of stackprog, %ld of their first 4 frames named "
			"f3 f2 f1 main (want 4 each), %ld frames in all\n", what, all, named, frames);
		exit(1);
	}
	free(out);
	return all;
}

int main(void)
{
	const char *prog = getenv("BPFREC_STACKPROG");
	char work[64], bin[128], cap[128], snap[256], script[512];
	char q[8192], *out;
	long n_snap, n_end, n_rebuilt;
	int status, errfd;
	pid_t pid;

	ut_init(&u, "stacks_ring");
	if (!prog) {
		fprintf(stderr, "SKIPPED: BPFREC_STACKPROG not set\n");
		return 77;
	}
	if (system("command -v sqlite3 >/dev/null")) {
		fprintf(stderr, "SKIPPED: sqlite3 is missing\n");
		return 77;
	}
	snprintf(bpfreplay, sizeof(bpfreplay), "%s/replay/bpfreplay", getenv("BPFREC_BUILD"));
	snprintf(work, sizeof(work), "/tmp/bpfrec-stacks-ring-XXXXXX");
	CHECK(mkdtemp(work));
	snprintf(bin, sizeof(bin), "%s/stackprog", work);
	snprintf(cap, sizeof(cap), "%s/cap", work);
	snprintf(snap, sizeof(snap), "%s/snapshot-1", cap);
	snprintf(errpath, sizeof(errpath), "%s/stderr", work);
	su_sh("cp '%s' '%s'", prog, bin);
	/* The command ends when the test says (SIGTERM), not after an amount
	 * of work or time of its own that a slow machine could use up before
	 * the test is done; timeout ends it should the test not. */
	snprintf(script, sizeof(script), "exec timeout %d %s loop 1000000000 >/dev/null",
		 3 * WAIT_S, bin);

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	rec_pid = pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (errfd < 0 || dup2(errfd, 2) < 0)
			_exit(126);
		execl(u.bpfrec, "bpfrec", "record", "-q", "-o", cap, "--ring", "1M", "-g",
		      "--probe", "connect", "--syscalls", "all", "--", "/bin/sh", "-c", script,
		      (char *)NULL);
		_exit(127);
	}
	wait_for(dropped, cap, "the ring to drop a segment");
	CHECK(!kill(pid, SIGUSR1));
	wait_for(exists, snap, "snapshot-1");
	CHECK(!kill(pid, SIGTERM));   /* to the command: sleep ends, bpfrec stops */
	CHECK(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 128 + SIGTERM) {
		fprintf(stderr, "FAIL: bpfrec %s %d, want exit %d (the command's SIGTERM)\n",
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), 128 + SIGTERM);
		su_sh("cat '%s' >&2%s", errpath, "");
		return 1;
	}

	n_snap = check_connects(snap, "snapshot after the ring dropped segments");
	CHECK(dropped(snap));
	n_end = check_connects(cap, "the finished capture");
	/* the index is lost: rebuilt from catalog.db and the segments */
	snprintf(q, sizeof(q), "%s/index.db", cap);
	CHECK(!unlink(q));
	snprintf(q, sizeof(q), "%s recover %s >/dev/null 2>&1", bpfreplay, cap);
	CHECK(!system(q));
	n_rebuilt = check_connects(cap, "the capture rebuilt from catalog.db");
	snprintf(q, sizeof(q), "%s info %s 2>&1", bpfreplay, cap);
	out = su_run_out(q, &status);
	free(out);
	su_sh("rm -rf '%s' %s", work, "");
	printf("ok: %ld, %ld and %ld connects named f3 f2 f1 main in the snapshot, the finished "
	       "ring capture and the one rebuilt from catalog.db\n", n_snap, n_end, n_rebuilt);
	return 0;
}
