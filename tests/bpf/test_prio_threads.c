/* test_prio_threads - the recorder's threads' nice values while it records
 * the built-in probes: the drain (the main thread) RECORD_DRAIN_AHEAD
 * levels ahead of the writers (bpfrec-writer), and those --priority-boost
 * levels ahead of bpfrec's start (recorder/record.c's boost_threads and
 * boost_drain); with --priority-boost 0 every thread keeps the start's.
 * The threads are listed in /proc/PID/task, their values read with
 * getpriority as top shows them. */
#include "capload.h"
#include "faultutil.h"
#include "record.h"

#include <dirent.h>

static int clamp_nice(int n)
{
	return n < -20 ? -20 : n > 19 ? 19 : n;
}

/* The thread's comm (/proc/pid/task/tid/comm) and nice value: 0, or -1
 * when it is gone. */
static int thread_nice(pid_t pid, const char *tid, char *comm, size_t len, int *nice)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, tid);
	if (!(f = fopen(path, "r")))
		return -1;
	if (!fgets(comm, (int)len, f))
		comm[0] = 0;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	return tu_nice_of(atoi(tid), nice) ? -1 : 0;
}

/* Whether bpfrec's threads have the nice values wanted: the main thread
 * drain_nice, at least one bpfrec-writer and each writer_nice.  Prints
 * them when print. */
static int threads_as_wanted(pid_t pid, int drain_nice, int writer_nice, int print)
{
	char path[64], comm[64];
	struct dirent *d;
	int ok = 1, writers = 0, nice;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(dir = opendir(path)))
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || thread_nice(pid, d->d_name, comm, sizeof(comm), &nice))
			continue;
		if (print)
			printf("  thread %s (%s): nice %d\n", d->d_name, comm, nice);
		if (atoi(d->d_name) == (int)pid)
			ok &= nice == drain_nice;
		else if (!strcmp(comm, "bpfrec-writer"))
			ok &= nice == writer_nice, writers++;
	}
	closedir(dir);
	return ok && writers > 0;
}

static void check_boost(const char *dir, const char *boost, int drain_nice, int writer_nice)
{
	char cap[4096], tag[64];
	struct bgrec b;
	int i, ok = 0;

	snprintf(cap, sizeof(cap), "%s/boost-%s", dir, boost);
	snprintf(tag, sizeof(tag), "prio-%s", boost);
	fu_start(&b, tag, (char *[]){ "record", "-o", cap, "--no-status", "--priority-boost",
				      (char *)boost, "--duration", "3s", NULL });
	/* the drain's boost follows the writers' start: give it a moment */
	for (i = 0; i < 100 && !ok; i++) {
		ok = threads_as_wanted(b.pid, drain_nice, writer_nice, 0);
		if (!ok)
			fu_sleep_ms(10);
	}
	printf("--priority-boost %s: want the drain at %d, the writers at %d\n", boost,
	       drain_nice, writer_nice);
	threads_as_wanted(b.pid, drain_nice, writer_nice, 1);
	CHECK(ok);
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
}

int main(void)
{
	const char *dir;
	int start;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIPPED: needs root to load BPF programs\n");
		return 77;
	}
	dir = test_tmpdir("prio_threads");
	CHECK_EQ_INT(tu_nice_of(getpid(), &start), 0);
	check_boost(dir, "4", clamp_nice(clamp_nice(start - 4) - RECORD_DRAIN_AHEAD),
		    clamp_nice(start - 4));
	check_boost(dir, "0", start, start);
	printf("test_prio_threads: ok\n");
	return 0;
}
