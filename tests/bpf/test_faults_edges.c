/* test_faults_edges - the accounting identity at the edges of a recording:
 * a producer (objs/burst.bpf.c, in a child process calling getppid() in a
 * loop) is already running when bpfrec starts and still running when it
 * stops.  For every stream, from the first event after attach to the last
 * before detach,
 *     produced == recorded + lost (counted)
 * exactly, where produced is the producer's own count of its attempts (map
 * `produced`, snapshotted by bpfrec after it detached the programs).  Ten
 * rounds, ringbuf and perf array in turn, stopped by SIGINT or --duration,
 * with buffers small enough that the producer overruns them at both edges.
 * No event is recorded twice: (cpu, seq) pairs are unique. */
#include "capload.h"
#include "faultutil.h"

#include <sys/syscall.h>

#define ROUNDS 10

/* A process calling getppid() until killed, with a short pause now and
 * then so that it does not take a whole core from the recorder. */
static pid_t start_producer(void)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		for (unsigned long i = 0;; i++) {
			syscall(SYS_getppid);
			if (i % 256 == 255)
				usleep(100);
		}
	}
	return pid;
}

static void round_once(const char *dir, int k)
{
	const char *objs = getenv("BPFREC_OBJS");
	int perf = k % 2, by_duration = k / 2 % 2;
	char cap[4096], objpath[4096], tgid[64], tag[64];
	uint64_t produced, events;
	struct bgrec b;
	struct evlist l;
	int status;

	snprintf(cap, sizeof(cap), "%s/round-%d", dir, k);
	snprintf(objpath, sizeof(objpath), "%s/%s.bpf.o", objs, perf ? "burst_perf" : "burst_rb");
	snprintf(tag, sizeof(tag), "edges-%d", k);
	pid_t prod = start_producer();
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)prod);
	fu_sleep_ms(20);   /* running before bpfrec attaches */
	fu_start(&b, tag, (char *[]){ "record", "-o", cap, "--no-status", "--probe", "none",
				      "--bpf", objpath, "--set", tgid, "--set", "per_call=4",
				      perf ? "--perf-pages" : "--ringbuf-size",
				      perf ? "1" : "events=4096",
				      by_duration ? "--duration" : NULL, "400ms", NULL });
	if (by_duration) {
		CHECK_EQ_INT(fu_stop(&b, 0), 0);
	} else {
		fu_sleep_ms(300);
		CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
	}
	/* Still producing after bpfrec detached. */
	fu_sleep_ms(10);
	CHECK(waitpid(prod, &status, WNOHANG) == 0);
	kill(prod, SIGKILL);
	CHECK(waitpid(prod, &status, 0) == prod);

	CHECK_EQ_INT(capload(cap, &l), 0);
	fu_tally(&l, &produced, &events);
	printf("round %d (%s, %s): produced %llu = %llu recorded + %llu lost%s\n", k,
	       perf ? "perf" : "ringbuf", by_duration ? "--duration" : "SIGINT",
	       (unsigned long long)produced, (unsigned long long)events,
	       (unsigned long long)l.lost, produced == events + l.lost ? "" : "  MISMATCH");
	CHECK(events > 0);
	CHECK_EQ_U64(events + l.lost, produced);
	capload_free(&l);
}

int main(void)
{
	const char *dir;

	fu_need_root_objs();
	dir = test_tmpdir("faults_edges");
	for (int k = 0; k < ROUNDS; k++)
		round_once(dir, k);
	printf("test_faults_edges: ok\n");
	return 0;
}
