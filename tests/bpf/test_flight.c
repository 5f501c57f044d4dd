/* test_flight - bpfrec's flight recorder: --ring SIZE keeps the newest
 * SIZE of events on disk while a fast load runs through many times that,
 * SIGUSR1 writes DIR/snapshot-N (a complete capture of what is held then),
 * --ring-time S keeps the last S; losses are recorded as usual.  Usage
 * errors name the option. */
#include "capload.h"
#include "capr.h"
#include "faultutil.h"

#include <dirent.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static uint64_t seg_bytes(const char *cap)
{
	char path[4200];
	DIR *d = opendir(cap);
	struct dirent *de;
	uint64_t n = 0;

	CHECK(d != NULL);
	while ((de = readdir(d))) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", cap, de->d_name);
		if (!strncmp(de->d_name, "seg-", 4) && stat(path, &sb) == 0)
			n += (uint64_t)sb.st_size;
	}
	closedir(d);
	return n;
}

/* Every event of the burst stream, decoded; returns how many (aborts on a
 * damaged block) and the newest and oldest event time. */
static size_t events(const char *cap, uint64_t *min_ts, uint64_t *max_ts)
{
	struct evlist l;
	size_t i, n = 0;

	CHECK_EQ_INT(capload(cap, &l), 0);
	*min_ts = UINT64_MAX;
	*max_ts = 0;
	for (i = 0; i < l.n; i++) {
		if (strcmp(l.v[i].stream, "events"))
			continue;
		CHECK(!l.v[i].damaged);
		n++;
		*min_ts = l.v[i].ts_ns < *min_ts ? l.v[i].ts_ns : *min_ts;
		*max_ts = l.v[i].ts_ns > *max_ts ? l.v[i].ts_ns : *max_ts;
	}
	capload_free(&l);
	return n;
}

/* A process calling getppid() in a loop, pausing pause_us after each. */
static pid_t producer(int pause_us)
{
	pid_t p = fork();

	CHECK(p >= 0);
	if (p == 0)
		for (;;) {
			syscall(SYS_getppid);
			if (pause_us)
				usleep(pause_us);
		}
	return p;
}

int main(void)
{
	const char *objs = fu_need_root_objs(), *dir = test_tmpdir("flight");
	char cap[4096], snap[4200], obj[4096], tgid[64], err[16384];
	struct bgrec b;
	uint64_t lo, hi, slo, shi, end;
	size_t n, ns;
	pid_t load;

	snprintf(obj, sizeof(obj), "%s/burst_rb.bpf.o", objs);

	/* Usage errors. */
	snprintf(cap, sizeof(cap), "%s/bad", dir);
	{
		struct bgrec e;
		char *const bad1[] = { "record", "-o", cap, "--ring", "100k", NULL };
		char *const bad2[] = { "record", "-o", cap, "--ring-time", "0.5s", NULL };

		fu_spawn(&e, "flight-bad1", bad1);
		CHECK_EQ_INT(fu_stop(&e, 0), 2);
		CHECK(strstr(fu_slurp(e.errpath, err, sizeof(err)),
			     "--ring 100k: expected a size of at least 1M"));
		fu_spawn(&e, "flight-bad2", bad2);
		CHECK_EQ_INT(fu_stop(&e, 0), 2);
		CHECK(strstr(fu_slurp(e.errpath, err, sizeof(err)), "--ring-time 0.5s"));
	}

	/* --ring 1M through ~30 MB of events; a snapshot in the middle. */
	load = producer(0);
	snprintf(cap, sizeof(cap), "%s/ring", dir);
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)load);
	fu_start(&b, "flight-ring", (char *[]){ "record", "-o", cap, "--no-status", "--probe",
						"none", "--bpf", obj, "--set", tgid, "--set",
						"per_call=16", "--set", "random_words=2",
						"--ringbuf-size", "events=16M", "--ring", "1M", NULL });
	for (int i = 0; i < 30; i++) {   /* 3 s: the ring never holds more than 1 MiB */
		fu_sleep_ms(100);
		CHECK(seg_bytes(cap) <= (1u << 20));
		if (i == 15)
			kill(b.pid, SIGUSR1);
	}
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
	end = (uint64_t)q_int_capture(cap, "SELECT end_ns FROM sessions");
	kill(load, SIGKILL);
	waitpid(load, NULL, 0);
	fu_slurp(b.errpath, err, sizeof(err));
	fprintf(stderr, "%s", err);
	snprintf(snap, sizeof(snap), "%s/snapshot-1", cap);
	CHECK(strstr(err, "snapshot: "));
	CHECK(strstr(err, "flight recorder: "));
	CHECK(seg_bytes(cap) <= (1u << 20));
	n = events(cap, &lo, &hi);
	int64_t dropped = q_int_capture(cap, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = "
				     "'ring_dropped_records'");
	printf("--ring 1M: %zu events held (%.2f s), %lld dropped, %llu bytes of segments\n", n,
	       (hi - lo) / 1e9, (long long)dropped, (unsigned long long)seg_bytes(cap));
	CHECK(n > 0 && dropped > (int64_t)n);
	CHECK(end - hi < 1500000000ull);   /* the newest were kept */
	/* The snapshot: complete, finished, older than what the ring holds now. */
	ns = events(snap, &slo, &shi);
	printf("snapshot-1: %zu events (%.2f s), ends %.2f s before the recording\n", ns,
	       (shi - slo) / 1e9, (end - shi) / 1e9);
	CHECK(ns > 0 && shi < hi);
	CHECK(q_int_capture(snap, "SELECT end_ns FROM sessions") > 0);
	CHECK(q_int_capture(snap, "SELECT count(*) FROM streams") ==
	      q_int_capture(cap, "SELECT count(*) FROM streams"));

	/* --ring-time 2s over 4 s. */
	load = producer(20);
	snprintf(cap, sizeof(cap), "%s/time", dir);
	snprintf(tgid, sizeof(tgid), "target_tgid=%d", (int)load);
	fu_start(&b, "flight-time", (char *[]){ "record", "-o", cap, "--no-status", "--probe",
						"none", "--bpf", obj, "--set", tgid, "--set",
						"per_call=1", "--ringbuf-size", "events=16M",
						"--ring-time", "2s", "--duration", "4s", NULL });
	CHECK_EQ_INT(fu_stop(&b, 0), 0);
	kill(load, SIGKILL);
	waitpid(load, NULL, 0);
	end = (uint64_t)q_int_capture(cap, "SELECT end_ns FROM sessions");
	uint64_t start = (uint64_t)q_int_capture(cap, "SELECT start_ns FROM sessions");
	n = events(cap, &lo, &hi);
	printf("--ring-time 2s: %zu events from %.2f s to %.2f s of a %.2f s recording\n", n,
	       (lo - start) / 1e9, (hi - start) / 1e9, (end - start) / 1e9);
	/* Held: the last 2 s, plus at most a segment's span (0.25 s) and a
	 * flush (1 s) of slack; dropped: what is older. */
	CHECK(n > 0);
	CHECK(end - lo <= 2000000000ull + 250000000ull + 1000000000ull);
	CHECK(lo - start >= 500000000ull);
	printf("test_flight: ok\n");
	return 0;
}
