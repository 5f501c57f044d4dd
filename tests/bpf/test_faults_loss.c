/* test_faults_loss - loss is exact: a producer (objs/burst.bpf.c) overloads
 * a 4 KiB ringbuf and a one-page perf buffer; the capture's events plus its
 * losses equal what the producer tried to emit, which it counts itself
 * (map `produced`, snapshotted into the capture at the end).
 *
 * Who counts what (bpf/bpfrec.h): a failed bpf_ringbuf_output/reserve is
 * counted by the program (BPFREC_LOST_COUNTER).  A bpf_perf_event_output
 * that finds the buffer full returns -ENOSPC *and* is counted by perf
 * (the buffer's lost count, reported as PERF_RECORD_LOST): the program must
 * not count -ENOSPC, or each such loss is recorded twice.  No event is
 * recorded twice either: (cpu, seq) pairs are unique. */
#include "capload.h"
#include "faultutil.h"

#include <sched.h>
#include <sys/syscall.h>

#define CALLS 20000         /* getppid() calls in the burst */
#define PER_CALL 64         /* events each call tries to emit */
/* 1 once recorder/drain.c counts perf losses from lost_samples: the tail
 * of a burst is then exact too, without a later sample. */
#ifndef PERF_TAIL_STRICT
#define PERF_TAIL_STRICT 1
#endif

/* settle: after the burst, wait for the recorder to drain the buffers, then
 * emit one event on every CPU (getpgid): it fits and carries perf's
 * PERF_RECORD_LOST for the burst's tail on that CPU.  Without it that tail is reported only by a recorder
 * that reads the buffers' lost_samples counts (PERF_FORMAT_LOST). */
static void run(const char *dir, const char *obj, int perf, int settle, int strict)
{
	char cap[4096], objpath[4096], tgid[64], tag[64];
	const char *objs = getenv("BPFREC_OBJS");
	struct bgrec b;
	struct evlist l;
	uint64_t produced, events;
	long single = 0;

	snprintf(cap, sizeof(cap), "%s/%s%s", dir, obj, settle ? "-settled" : "");
	snprintf(objpath, sizeof(objpath), "%s/%s.bpf.o", objs, obj);
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)getpid());
	snprintf(tag, sizeof(tag), "loss-%s-%d", obj, settle);
	fu_start(&b, tag, (char *[]){ "record", "-o", cap, "--no-status", "--probe", "none",
				      "--bpf", objpath, "--set", tgid, "--set", "per_call=64",
				      perf ? "--perf-pages" : "--ringbuf-size",
				      perf ? "1" : "events=4096", NULL });
	for (int i = 0; i < CALLS; i++)
		syscall(SYS_getppid);
	if (settle) {
		/* One call on every CPU: each buffer has its own pending count. */
		cpu_set_t all, one;
		int c;

		CHECK(sched_getaffinity(0, sizeof(all), &all) == 0);
		fu_sleep_ms(200);
		for (c = 0; c < CPU_SETSIZE; c++) {
			if (!CPU_ISSET(c, &all))
				continue;
			CPU_ZERO(&one);
			CPU_SET(c, &one);
			CHECK(sched_setaffinity(0, sizeof(one), &one) == 0);
			syscall(SYS_getpgid, 0);
			single++;
		}
		CHECK(sched_setaffinity(0, sizeof(all), &all) == 0);
	}
	fu_sleep_ms(200);
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);

	CHECK_EQ_INT(capload(cap, &l), 0);
	fu_tally(&l, &produced, &events);
	printf("%s%s: produced %llu, recorded %llu events + %llu lost = %llu", obj,
	       settle ? " (settled)" : "", (unsigned long long)produced,
	       (unsigned long long)events, (unsigned long long)l.lost,
	       (unsigned long long)(events + l.lost));
	if (events + l.lost < produced)
		printf(" (%llu lost but never reported)",
		       (unsigned long long)(produced - events - l.lost));
	printf("\n");
	CHECK_EQ_U64(produced, (uint64_t)CALLS * PER_CALL + single);   /* the producer saw every call */
	CHECK(events > 0 && l.lost > 0);                      /* overloaded indeed */
	if (strict)
		CHECK_EQ_U64(events + l.lost, produced);
	else
		CHECK(events + l.lost <= produced);   /* never counted twice */
	capload_free(&l);
}

int main(void)
{
	const char *dir;

	fu_need_root_objs();
	dir = test_tmpdir("faults_loss");
	run(dir, "burst_rb", 0, 0, 1);
	run(dir, "burst_perf", 1, 1, 1);
	/* The burst's tail with nothing after it: exact only when the recorder
	 * reads perf's lost_samples (see settle above). */
	run(dir, "burst_perf", 1, 0, PERF_TAIL_STRICT);
	printf("test_faults_loss: ok\n");
	return 0;
}
