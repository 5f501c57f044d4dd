/* test_rec_prio - prio__boost (recorder/prio.c), without root: the calling
 * thread's nice value moves by the levels asked, clamped to -20..19; a
 * thread it creates afterwards inherits the new value; the process's other
 * threads and a child forked before keep theirs.  Lowering the priority
 * (negative levels) needs no permission, so that much is checked
 * everywhere; raising it is checked where permitted (root) and otherwise
 * must fail with EPERM or EACCES and change nothing. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prio.h"
#include "testutil.h"

static int nice_of(pid_t id)
{
	int v;

	CHECK_EQ_INT(tu_nice_of((int)id, &v), 0);
	return v;
}

static int my_nice(void)
{
	return nice_of((pid_t)syscall(SYS_gettid));
}

static void *report_nice(void *arg)
{
	*(int *)arg = my_nice();
	return NULL;
}

/* Runs in a thread of its own, so that the main thread's value is the
 * "other thread" that must not move. */
static void *boosted(void *arg)
{
	int base = *(int *)arg, before = 99, after = 99, child = 99, rc;
	pthread_t t;

	CHECK_EQ_INT(my_nice(), base);
	/* 3 levels lower priority: always permitted (base is at most 16) */
	CHECK_EQ_INT(prio__boost(-3, &before, &after), 0);
	CHECK_EQ_INT(before, base);
	CHECK_EQ_INT(after, base + 3);
	CHECK_EQ_INT(my_nice(), base + 3);
	/* a thread created now inherits it */
	CHECK_EQ_INT(pthread_create(&t, NULL, report_nice, &child), 0);
	CHECK_EQ_INT(pthread_join(t, NULL), 0);
	CHECK_EQ_INT(child, base + 3);
	/* clamped at 19 */
	CHECK_EQ_INT(prio__boost(-100, &before, &after), 0);
	CHECK_EQ_INT(before, base + 3);
	CHECK_EQ_INT(after, 19);
	CHECK_EQ_INT(my_nice(), 19);
	/* 0 levels: nothing to do, nothing refused */
	CHECK_EQ_INT(prio__boost(0, &before, &after), 0);
	CHECK_EQ_INT(after, 19);
	/* back up by 5: permitted with CAP_SYS_NICE; else refused, unchanged */
	rc = prio__boost(5, &before, &after);
	if (rc == 0) {
		CHECK_EQ_INT(before, 19);
		CHECK_EQ_INT(after, 14);
		CHECK_EQ_INT(my_nice(), 14);
		/* and clamped at -20 */
		CHECK_EQ_INT(prio__boost(100, NULL, &after), 0);
		CHECK_EQ_INT(after, -20);
		CHECK_EQ_INT(my_nice(), -20);
		printf("test_rec_prio: raising permitted: checked\n");
	} else {
		CHECK(rc == -EPERM || rc == -EACCES);
		CHECK_EQ_INT(before, 19);
		CHECK_EQ_INT(after, 19);
		CHECK_EQ_INT(my_nice(), 19);
		printf("test_rec_prio: raising not permitted here (%s): refused, unchanged\n",
		       strerror(-rc));
	}
	return NULL;
}

int main(void)
{
	int base = my_nice(), pipefd[2];
	pthread_t t;
	pid_t child;
	char c;

	if (base > 16) {
		fprintf(stderr, "test_rec_prio: SKIPPED: running at nice %d, no room to lower\n", base);
		return 77;
	}
	/* a child forked before the boost (the recorded command) */
	CHECK_EQ_INT(pipe(pipefd), 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		close(pipefd[1]);
		(void)!read(pipefd[0], &c, 1);   /* until the parent is done */
		_exit(0);
	}
	close(pipefd[0]);
	CHECK_EQ_INT(pthread_create(&t, NULL, boosted, &base), 0);
	CHECK_EQ_INT(pthread_join(t, NULL), 0);
	/* this thread and the child: as they were */
	CHECK_EQ_INT(my_nice(), base);
	CHECK_EQ_INT(nice_of(child), base);
	close(pipefd[1]);
	CHECK_EQ_INT(waitpid(child, NULL, 0), child);
	printf("test_rec_prio: ok\n");
	return 0;
}
