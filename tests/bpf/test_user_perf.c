/* test_user_perf.c - a user's perf event array (objs/uperf.bpf.c:
 * bpf_perf_event_output of a 24-byte struct on process exit).  The kernel
 * pads the raw sample to 28 bytes; bpfrec keeps the bytes and replay decodes
 * by the BTF size, with the CPU and time of the perf sample. */
#include "testutil.h"
#include "usertest.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct ut u;
	struct evlist l;
	const struct ev *e;
	const char *cap, *kv;
	long long pid, child;
	struct timespec t0, t1;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	size_t i;

	ut_init(&u, "user_perf");
	cap = ut_path(&u, "cap");
	kv = ut_path(&u, "actor.kv");
	clock_gettime(CLOCK_BOOTTIME, &t0);
	ut_bpfrec_ok(&u, (char *[]){ "record", "-q", "-o", (char *)cap, "--probe", "none", "--bpf",
				     (char *)ut_obj(&u, "uperf"), "--", u.actor, (char *)kv, NULL });
	clock_gettime(CLOCK_BOOTTIME, &t1);
	pid = kv_get(kv, "pid");
	child = kv_get(kv, "child_pid");
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);

	ut_want(&l, "exits", NULL, NULL, 2);
	for (i = 0; i < l.n; i++) {
		e = &l.v[i];
		CHECK(!e->damaged);
		CHECK_EQ_INT(e->len, 28);               /* 24 bytes + perf's padding */
		CHECK_STR(ev_get(e, "magic"), "81985529216486895");   /* 0x0123456789abcdef */
		CHECK(e->cpu < (unsigned)ncpu);         /* the sample's CPU */
		/* the sample's kernel time, CLOCK_BOOTTIME, within the run */
		CHECK(e->ts_ns >= (unsigned long long)t0.tv_sec * 1000000000ull + t0.tv_nsec);
		CHECK(e->ts_ns <= (unsigned long long)t1.tv_sec * 1000000000ull + t1.tv_nsec);
	}
	e = ut_one(&l, "exits", "pid", ut_num(pid));
	CHECK_EQ_INT(ev_int(e, "exit_code"), 7);
	CHECK_EQ_INT(ev_int(e, "tid"), pid);
	CHECK(ev_int(e, "ppid") > 1 && ev_int(e, "ppid") != pid);   /* bpfrec */
	e = ut_one(&l, "exits", "pid", ut_num(child));
	CHECK_EQ_INT(ev_int(e, "exit_code"), 0);
	CHECK_EQ_INT(ev_int(e, "ppid"), pid);
	CHECK(e->ts_ns <= ev_find(&l, "exits", "pid", ut_num(pid))->ts_ns);

	capload_free(&l);
	printf("ok: uperf: 2 exits (0 and 7) from 28-byte samples decoded as 24-byte structs, "
	       "with CPU and time\n");
	return 0;
}
