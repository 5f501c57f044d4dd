/* test_lt_objects.c - objects written the way bcc's libbpf-tools are
 * (objs/lt/, no bpfrec.h), recorded unmodified with --bpf:
 *   flood   events in reserved ringbuf slots, a struct only the DWARF has,
 *           no loss counting: overloaded, its loss is exact all the same
 *           (bpfrec counts the failed reserves itself) and every event
 *           decodes value by value;
 *   compat  the ringbuf-or-perf switch of compat.bpf.h: a perf event array
 *           used as a ringbuf, turned into one at load;
 *   twins   a raw_tp and a tracepoint program on one hook: named in a
 *           warning, both recorded; their counts in .bss snapshotted;
 *   fentry_mix  an fentry program beside a tracepoint: where fentry does not
 *           load, it is left out with its reason and the rest records
 *           (--strict: an error);
 *   filter_hist  a filter map filled with --map-put and a histogram sized
 *           with --map-size (max_entries 0 in the object);
 *   uprobe_nobin  SEC("uprobe")/SEC("uretprobe") with no binary, attached
 *           with --attach PROG=BINARY:FUNCTION to a function of this test;
 *   subprog  a ringbuf reserve in a non-inlined function: its loss is said
 *           to be unobservable, never printed as 0;
 *   compat again with --ts events=ts:mono: each record's time is its own
 *           bpf_ktime_get_ns() member converted to boot time;
 *   subprog overloaded: its possible-loss windows, the ring seen nearly
 *           full, around the calls that are missing;
 *   perfsample  a SEC("perf_event") sampler (a hash of counts per pid and
 *           comm, samples through a perf array): without --perf-event it is
 *           named with the option to give, a hardware event where the
 *           machine has no counter is refused in words, and with
 *           --perf-event do_sample=cpu-clock:199Hz the samples of a
 *           spinning child carry its pid, tid and comm, as many as its
 *           count in the map.
 * Each capture's programs table (where each program attached, or why not,
 * and the stream it writes) and stream_loss (how its loss is known) are
 * checked too.
 * The test process is the target (targ_tgid). */
#include "capload.h"
#include "faultutil.h"

#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#define CALLS 20000         /* getppid() calls in the flood */
#define PER_CALL 64         /* events each tries */

/* The rows of sql on the capture's index, "|" between columns and ";"
 * between rows, into a static buffer. */
static const char *q(const char *cap, const char *sql)
{
	static char out[8192];
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;

	out[0] = 0;
	snprintf(path, sizeof(path), "%s/index.db", cap);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	while (sqlite3_step(st) == SQLITE_ROW && n < sizeof(out) - 256) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *t = (const char *)sqlite3_column_text(st, i);

			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? "|" : n ? ";" : "",
					      t ? t : "NULL");
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

#define PROGS_SQL "SELECT p.name, p.state, coalesce(p.target, p.reason), s.name FROM programs p " \
		  "LEFT JOIN streams s ON s.id = p.stream_id ORDER BY p.id"
#define LOSS_SQL "SELECT s.name, l.method, coalesce(l.ring_bytes, 'NULL') FROM stream_loss l " \
		 "JOIN streams s ON s.id = l.stream_id ORDER BY s.id"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const char *ut_pid(void)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	return buf;
}

static const char *my_comm(void)
{
	static char comm[64];
	char buf[64];

	fu_slurp("/proc/self/comm", buf, sizeof(buf));
	snprintf(comm, sizeof(comm), "%.*s", (int)strcspn(buf, "\n"), buf);
	return comm;
}

static void record_flood(const char *dir, const char *objs)
{
	char cap[4096], obj[4096], tgid[64], err[16384];
	struct bgrec b;
	struct evlist l;
	uint64_t attempts = 0, events = 0, *keys;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	size_t i, nkeys = 0;

	snprintf(cap, sizeof(cap), "%s/flood", dir);
	snprintf(obj, sizeof(obj), "%s/lt_flood.bpf.o", objs);
	snprintf(tgid, sizeof(tgid), "targ_tgid=%d", (int)getpid());
	fu_start(&b, "lt-flood", (char *[]){ "record", "-o", cap, "--no-status", "--probe", "none",
					     "--bpf", obj, "--set", tgid, "--set", "per_call=64",
					     "--ringbuf-size", "events=4096", NULL });
	for (i = 0; i < CALLS; i++)
		syscall(SYS_getppid);
	fu_sleep_ms(300);
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
	fu_slurp(b.errpath, err, sizeof(err));
	/* found by its name in the DWARF: the object does not say */
	CHECK(!strstr(err, "recorded as bytes"));
	CHECK(!strstr(err, "unobservable"));

	CHECK_EQ_INT(capload(cap, &l), 0);
	keys = calloc(l.n + 1, sizeof(*keys));
	CHECK(keys != NULL);
	for (i = 0; i < l.n; i++) {
		const struct ev *e = &l.v[i];

		if (!strcmp(e->stream, "attempts")) {
			attempts += (uint64_t)ev_int(e, "value");
			continue;
		}
		CHECK_STR(e->stream, "events");
		CHECK(!e->damaged);
		CHECK_EQ_INT(e->len, 32);
		CHECK(ev_int(e, "seq") >= 1 && ev_int(e, "seq") <= (long long)CALLS * PER_CALL);
		CHECK(ev_int(e, "call") >= 0 && ev_int(e, "call") < PER_CALL);
		CHECK(ev_int(e, "cpu") >= 0 && ev_int(e, "cpu") < ncpu);
		CHECK_STR(ev_get(e, "comm"), my_comm());
		keys[nkeys++] = (uint64_t)ev_int(e, "cpu") << 48 | (uint64_t)ev_int(e, "seq");
		events++;
	}
	qsort(keys, nkeys, sizeof(*keys), cmp_u64);
	for (i = 1; i < nkeys; i++)
		CHECK(keys[i] != keys[i - 1]);          /* no event twice */
	free(keys);
	printf("flood: tried %llu, recorded %llu + lost %llu\n", (unsigned long long)attempts,
	       (unsigned long long)events, (unsigned long long)l.lost);
	CHECK_EQ_U64(attempts, (uint64_t)CALLS * PER_CALL);
	CHECK(events > 0 && l.lost > 0);                /* overloaded indeed */
	CHECK_EQ_U64(events + l.lost, attempts);        /* and every loss counted */
	capload_free(&l);
	/* counted exactly by the rewrite: said so, and no windows */
	CHECK_STR(q(cap, LOSS_SQL), "events|rewrite|4096");
	CHECK_STR(q(cap, "SELECT count(*) FROM loss_windows"), "0");
	CHECK(strstr(err, " lost\n") && !strstr(err, "unobservable"));
}

static void record_compat(const char *dir, const char *objs)
{
	char cap[4096], obj[4096], tgid[64], err[16384];
	struct bgrec b;
	struct evlist l;
	int k;

	snprintf(cap, sizeof(cap), "%s/compat", dir);
	snprintf(obj, sizeof(obj), "%s/lt_compat.bpf.o", objs);
	snprintf(tgid, sizeof(tgid), "targ_tgid=%d", (int)getpid());
	fu_start(&b, "lt-compat", (char *[]){ "record", "-o", cap, "--no-status", "--probe", "none",
					      "--bpf", obj, "--set", tgid, NULL });
	for (k = 0; k < 5; k++)
		syscall(SYS_getpgid, 1000 + k);
	fu_sleep_ms(300);
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
	fu_slurp(b.errpath, err, sizeof(err));
	CHECK(strstr(err, "map events is a perf event array its programs use as a ringbuf"));

	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_U64(l.lost, 0);
	CHECK_EQ_INT(ev_count(&l, "events", NULL, NULL), 5);
	for (k = 0; k < 5; k++) {
		char asked[16];
		const struct ev *e;

		snprintf(asked, sizeof(asked), "%d", 1000 + k);
		CHECK_EQ_INT(ev_count(&l, "events", "asked", asked), 1);
		e = ev_find(&l, "events", "asked", asked);
		CHECK_EQ_INT(ev_int(e, "tgid"), getpid());
		CHECK_STR(ev_get(e, "comm"), my_comm());
		CHECK_EQ_INT(e->len, 32);
	}
	capload_free(&l);
	printf("compat: 5 events through the map turned into a ringbuf\n");
}

static char last_cap[4096];   /* the capture record_obj made last */
static int nopts;

/* Records obj (NAME.bpf.o) with the test as its target while fn runs; the
 * exit status, stderr in err. */
static int record_obj(const char *dir, const char *objs, const char *name, char *const extra[],
		      void (*fn)(void), char *err, size_t errlen)
{
	char cap[4096], obj[4096], tgid[64], tag[64];
	char *args[24] = { "record", "-o", cap, "--no-status", "--probe", "none", "--bpf", obj,
			   "--set", tgid, NULL };
	struct bgrec b;
	int n = 10, status;

	/* with options: a capture of its own each time (last_cap names it) */
	if (extra)
		snprintf(cap, sizeof(cap), "%s/%s-opts%d", dir, name, ++nopts);
	else
		snprintf(cap, sizeof(cap), "%s/%s", dir, name);
	snprintf(last_cap, sizeof(last_cap), "%s", cap);
	snprintf(obj, sizeof(obj), "%s/lt_%s.bpf.o", objs, name);
	snprintf(tgid, sizeof(tgid), "targ_tgid=%d", (int)getpid());
	snprintf(tag, sizeof(tag), "lt-%s%s", name, extra ? "-opts" : "");
	for (int i = 0; extra && extra[i] && n < 22; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	fu_spawn(&b, tag, args);
	for (int i = 0; i < 3000; i++) {
		fu_slurp(b.errpath, err, errlen);
		if (strstr(err, "recording to"))
			break;
		if (waitpid(b.pid, &status, WNOHANG) == b.pid) {
			fu_slurp(b.errpath, err, errlen);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		}
		fu_sleep_ms(10);
	}
	fn();
	fu_sleep_ms(300);
	status = fu_stop(&b, SIGINT);
	fu_slurp(b.errpath, err, errlen);
	return status;
}

static void five_getpgid(void)
{
	for (int k = 0; k < 5; k++)
		syscall(SYS_getpgid, 1000 + k);
}

static void record_twins(const char *dir, const char *objs)
{
	char err[16384], cap[4096];
	struct evlist l;
	size_t n1, n2;

	CHECK_EQ_INT(record_obj(dir, objs, "twins", NULL, five_getpgid, err, sizeof(err)), 0);
	CHECK(strstr(err, "programs twin_raw (SEC raw_tp/sys_enter) and twin_tp (SEC "
			  "tp/raw_syscalls/sys_enter) are both attached to the tracepoint sys_enter"));
	snprintf(cap, sizeof(cap), "%s/twins", dir);
	CHECK_EQ_INT(capload(cap, &l), 0);
	n1 = ev_count(&l, "events", "variant", "1");
	n2 = ev_count(&l, "events", "variant", "2");
	/* the 5 getpgid() calls, each seen by both */
	CHECK_EQ_INT(n1, 5);
	CHECK_EQ_INT(n2, 5);
	CHECK_EQ_INT(ev_count(&l, "events", "tgid", ut_pid()), n1 + n2);
	/* the counts the programs kept in .bss, snapshotted with typed columns */
	/* both in the programs table, each with its hook and its stream */
	CHECK_STR(q(cap, PROGS_SQL), "twin_raw|attached|sys_enter|events;"
		  "twin_tp|attached|raw_syscalls:sys_enter|events");
	CHECK_EQ_INT(ev_count(&l, "lt_twins.bss", NULL, NULL), 1);
	CHECK_EQ_INT(ev_int(ev_find(&l, "lt_twins.bss", NULL, NULL), "value_raw_calls"), n1);
	CHECK_EQ_INT(ev_int(ev_find(&l, "lt_twins.bss", NULL, NULL), "value_tp_calls"), n2);
	capload_free(&l);
	printf("twins: warned, %zu events each\n", n1);
}

static void record_fentry_mix(const char *dir, const char *objs)
{
	char err[16384], cap[4096];
	struct evlist l;
	int k;

	CHECK_EQ_INT(record_obj(dir, objs, "fentry_mix", NULL, five_getpgid, err, sizeof(err)), 0);
	snprintf(cap, sizeof(cap), "%s/fentry_mix", dir);
	CHECK_EQ_INT(capload(cap, &l), 0);
	if (strstr(err, "program getpgid_fentry left out: it does not load here")) {
		CHECK_EQ_INT(ev_count(&l, "events", "from_fentry", "1"), 0);
		/* the capture says which program was left out, and why */
		CHECK_STR(q(cap, "SELECT state, substr(reason, 1, 18), target FROM programs WHERE "
			    "name = 'getpgid_fentry'"), "skipped|does not load here|NULL");
		printf("fentry_mix: fentry left out (this kernel has no fentry), tracepoint recorded\n");
	} else {
		CHECK_EQ_INT(ev_count(&l, "events", "from_fentry", "1"), 5);
	}
	CHECK_EQ_INT(ev_count(&l, "events", "from_fentry", "0"), 5);
	CHECK_STR(q(cap, "SELECT p.state, p.target, s.name FROM programs p JOIN streams s ON "
		    "s.id = p.stream_id WHERE p.section LIKE 'tracepoint/%'"),
		  "attached|syscalls:sys_enter_getpgid|events");
	for (k = 0; k < 5; k++) {
		char asked[16];

		snprintf(asked, sizeof(asked), "%d", 1000 + k);
		CHECK_EQ_INT(ev_count(&l, "events", "asked", asked), 1);
	}
	capload_free(&l);
	/* --strict: the program that does not load fails the recording */
	if (strstr(err, "left out")) {
		CHECK_EQ_INT(record_obj(dir, objs, "fentry_mix", (char *[]){ "--strict", NULL },
					five_getpgid, err, sizeof(err)), 1);
		CHECK(!strstr(err, "left out"));
		CHECK(strstr(err, "getpgid_fentry"));
	}
}

static void record_filter_hist(const char *dir, const char *objs)
{
	char err[16384], put[32];
	struct evlist l;
	int k;

	snprintf(put, sizeof(put), "%d=1", (int)getpid());
	CHECK_EQ_INT(record_obj(dir, objs, "filter_hist",
				(char *[]){ "--map-size", "hist=16", "--map-put", "follow", put, NULL },
				five_getpgid, err, sizeof(err)), 0);
	CHECK_EQ_INT(capload(last_cap, &l), 0);
	CHECK_EQ_INT(ev_count(&l, "events", NULL, NULL), 5);
	CHECK_EQ_INT(ev_count(&l, "events", "tgid", ut_pid()), 5);
	/* the histogram: 16 slots, getpgid(1000..1004) in slots 8..12 */
	CHECK_EQ_INT(ev_count(&l, "hist", NULL, NULL), 16);
	for (k = 0; k < 16; k++) {
		char key[16];

		snprintf(key, sizeof(key), "%d", k);
		CHECK_EQ_INT(ev_int(ev_find(&l, "hist", "key", key), "value"), k >= 8 && k <= 12);
		if (k >= 8 && k <= 12)
			CHECK_EQ_INT(ev_count(&l, "events", "slot", key), 1);
	}
	CHECK_EQ_INT(ev_count(&l, "follow", "key", ut_pid()), 1);
	capload_free(&l);
	/* a map-put of a value its type cannot hold: refused by name */
	CHECK_EQ_INT(record_obj(dir, objs, "filter_hist",
				(char *[]){ "--map-size", "hist=16", "--map-put", "follow", "1=300",
					    NULL }, five_getpgid, err, sizeof(err)), 1);
	CHECK(strstr(err, "--map-put follow value"));
	printf("filter_hist: 5 events of the followed pid, 16 histogram slots\n");
}

__attribute__((noinline, used)) long lt_uprobe_target(long a, long b)
{
	__asm__ volatile("" ::: "memory");
	return a * 1000 + b;
}

static void three_calls(void)
{
	long sum = 0;

	for (long i = 1; i <= 3; i++)
		sum += lt_uprobe_target(i, -i);
	CHECK_EQ_INT(sum, 5994);
}

static void record_uprobe_nobin(const char *dir, const char *objs)
{
	char err[16384], self[4096], a1[4200], a2[4200], want[8600];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct evlist l;

	CHECK(n > 0);
	self[n] = 0;
	/* without --attach: named, with the option to give */
	CHECK_EQ_INT(record_obj(dir, objs, "uprobe_nobin", (char *[]){ "--duration", "1", NULL },
				three_calls, err, sizeof(err)), 1);
	CHECK(strstr(err, "names no binary: give --attach on_entry=BINARY:FUNCTION"));
	snprintf(a1, sizeof(a1), "on_entry=%s:lt_uprobe_target", self);
	snprintf(a2, sizeof(a2), "on_return=%s:lt_uprobe_target", self);
	CHECK_EQ_INT(record_obj(dir, objs, "uprobe_nobin",
				(char *[]){ "--attach", a1, "--attach", a2, NULL }, three_calls, err,
				sizeof(err)), 0);
	CHECK_EQ_INT(capload(last_cap, &l), 0);
	CHECK_EQ_INT(ev_count(&l, "events", "is_ret", "0"), 3);
	CHECK_EQ_INT(ev_count(&l, "events", "is_ret", "1"), 3);
	for (long i = 1; i <= 3; i++) {
		char a[16], ret[16];

		snprintf(a, sizeof(a), "%ld", i);
		snprintf(ret, sizeof(ret), "%ld", i * 1000 - i);
		CHECK_EQ_INT(ev_int(ev_find(&l, "events", "a", a), "b"), -i);
		CHECK_EQ_INT(ev_count(&l, "events", "ret", ret), 1);
	}
	CHECK_EQ_INT(ev_count(&l, "events", "tgid", ut_pid()), 6);
	capload_free(&l);
	snprintf(want, sizeof(want), "on_entry|attached|%s:lt_uprobe_target|events;"
		 "on_return|attached|%s:lt_uprobe_target|events", self, self);
	CHECK_STR(q(last_cap, PROGS_SQL), want);
	printf("uprobe_nobin: attached by --attach, 3 entries and 3 returns\n");
}

static void record_ts_mono(const char *dir, const char *objs)
{
	char err[16384];
	struct evlist l;
	struct timespec b, m;
	int64_t delta;
	uint64_t prev = 0;
	size_t i, n = 0;

	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_MONOTONIC, &m);
	delta = ((int64_t)b.tv_sec - m.tv_sec) * 1000000000 + (b.tv_nsec - m.tv_nsec);
	CHECK_EQ_INT(record_obj(dir, objs, "compat", (char *[]){ "--ts", "events=ts:mono", NULL },
				five_getpgid, err, sizeof(err)), 0);
	CHECK_EQ_INT(capload(last_cap, &l), 0);
	for (i = 0; i < l.n; i++) {
		const struct ev *e = &l.v[i];
		int64_t want;

		if (strcmp(e->stream, "events"))
			continue;
		want = ev_int(e, "ts") + delta;
		/* the two clocks read a few us apart, here and in bpfrec */
		CHECK(llabs((long long)e->ts_ns - (long long)want) < 1000000);
		CHECK(e->ts_ns > prev);         /* each its own time, in order */
		prev = e->ts_ns;
		n++;
	}
	CHECK_EQ_INT(n, 5);
	capload_free(&l);
	/* a member that is not there, or not 64 bits: named */
	CHECK_EQ_INT(record_obj(dir, objs, "compat", (char *[]){ "--ts", "events=when", NULL },
				five_getpgid, err, sizeof(err)), 1);
	CHECK(strstr(err, "--ts events=when: struct event has no member when"));
	CHECK_EQ_INT(record_obj(dir, objs, "compat", (char *[]){ "--ts", "events=tgid", NULL },
				five_getpgid, err, sizeof(err)), 1);
	CHECK(strstr(err, "is not a 64-bit integer"));
	printf("ts: 5 events timed by their own monotonic member\n");
}

static void record_subprog(const char *dir, const char *objs)
{
	char err[16384], cap[4096];
	struct evlist l;

	CHECK_EQ_INT(record_obj(dir, objs, "subprog", NULL, five_getpgid, err, sizeof(err)), 0);
	CHECK(strstr(err, "ringbuf events: some of its reserve/output calls are out of bpfrec's "
			  "reach"));
	/* never "0 lost": unobservable, and the ring was never nearly full */
	CHECK(strstr(err, "events  loss unobservable, 0 possible-loss windows"));
	CHECK(!strstr(err, "events  0 lost"));
	snprintf(cap, sizeof(cap), "%s/subprog", dir);
	CHECK_EQ_INT(capload(cap, &l), 0);
	CHECK_EQ_INT(ev_count(&l, "events", "tgid", ut_pid()), 5);
	capload_free(&l);
	CHECK_STR(q(cap, LOSS_SQL), "events|unobservable|65536");
	CHECK_STR(q(cap, "SELECT count(*) FROM loss_windows"), "0");
	CHECK_STR(q(cap, PROGS_SQL), "on_getpgid|attached|syscalls:sys_enter_getpgid|events");
	printf("subprog: 5 events, loss said to be unobservable\n");
}

#define SUB_CALLS 20000

static void many_getpgid(void)
{
	for (int k = 0; k < SUB_CALLS; k++)
		syscall(SYS_getpgid, k);
}

/* The same object on a ring of 4096 bytes (256 records of 16 bytes) that
 * 20000 calls overflow: the loss cannot be counted, but the windows say
 * when it was possible: some, each with the ring seen nearly full. */
static void record_subprog_windows(const char *dir, const char *objs)
{
	char err[16384], sql[512];
	struct evlist l;
	uint8_t *seen = calloc(SUB_CALLS, 1);
	size_t n = 0, i;
	long nwin;

	CHECK(seen != NULL);
	CHECK_EQ_INT(record_obj(dir, objs, "subprog", (char *[]){ "--ringbuf-size", "events=4096",
								 NULL }, many_getpgid, err,
				sizeof(err)), 0);
	CHECK_EQ_INT(capload(last_cap, &l), 0);
	for (i = 0; i < l.n; i++) {
		const struct ev *e = &l.v[i];
		long long k = ev_int(e, "asked");

		if (strcmp(e->stream, "events"))
			continue;
		CHECK_EQ_INT(ev_int(e, "tgid"), getpid());
		CHECK(k >= 0 && k < SUB_CALLS && !seen[k]);     /* each call once at most */
		seen[k] = 1;
		n++;
	}
	capload_free(&l);
	free(seen);
	CHECK(n > 0 && n < SUB_CALLS);                          /* overloaded indeed */
	CHECK_STR(q(last_cap, LOSS_SQL), "events|unobservable|4096");
	nwin = atol(q(last_cap, "SELECT count(*) FROM loss_windows"));
	CHECK(nwin >= 1);
	/* every window inside the session, ordered, nearly full at its peak */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM loss_windows w, sessions s WHERE "
		 "w.start_ns <= w.end_ns AND w.start_ns >= s.start_ns AND w.end_ns <= s.end_ns "
		 "AND w.peak_bytes >= 3072 AND w.peak_bytes <= 4096");
	CHECK_EQ_INT(atol(q(last_cap, sql)), nwin);
	snprintf(sql, sizeof(sql), "events  loss unobservable, %ld possible-loss window%s", nwin,
		 nwin == 1 ? "" : "s");
	CHECK(strstr(err, sql));
	printf("subprog overloaded: %zu of %d calls recorded, loss unobservable, %ld window(s)\n", n,
	       SUB_CALLS, nwin);
}

/* A child named lt-spinner that, once fd gives a byte, spins on the CPU
 * until it has used 0.4 s of it (a loaded machine only stretches that). */
static pid_t spinner(int *gate)
{
	int p[2];
	pid_t pid;

	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct timespec t;
		char c;

		close(p[1]);
		prctl(PR_SET_NAME, "lt-spinner");
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		do {
			/* user-mode work between the clock reads (a syscall) */
			for (volatile unsigned k = 0; k < 1000000; k++)
				;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		} while (t.tv_sec == 0 && t.tv_nsec < 400000000);
		_exit(0);
	}
	close(p[0]);
	*gate = p[1];
	return pid;
}

static void record_perfsample(const char *dir, const char *objs)
{
	char cap[4096], obj[4096], pidset[64], err[16384], want[256], spid[32];
	long ncpu = sysconf(_SC_NPROCESSORS_CONF), nonline = sysconf(_SC_NPROCESSORS_ONLN);
	struct bgrec b;
	struct evlist l;
	size_t i, n = 0, user = 0;
	int gate, status;
	pid_t child;

	snprintf(obj, sizeof(obj), "%s/lt_perfsample.bpf.o", objs);
	/* no event given: said how to give one; nothing else attached */
	CHECK_EQ_INT(record_obj(dir, objs, "perfsample", (char *[]){ "--duration", "1", NULL },
				five_getpgid, err, sizeof(err)), 1);
	CHECK(strstr(err, "program do_sample (SEC perf_event) runs on a perf event its own "
			  "loader would open: give --perf-event do_sample=EVENT[:RATE]"));
	/* a hardware event: refused in words where the machine has no counter */
	status = record_obj(dir, objs, "perfsample", (char *[]){ "--duration", "1", "--perf-event",
								 "do_sample=cycles:100000", NULL },
			    five_getpgid, err, sizeof(err));
	if (strstr(err, "this machine has no hardware counter for cycles"))
		CHECK_EQ_INT(status, 1);
	else
		CHECK_EQ_INT(status, 0);
	/* cpu-clock at 199 Hz on the spinner */
	child = spinner(&gate);
	snprintf(cap, sizeof(cap), "%s/perfsample", dir);
	snprintf(pidset, sizeof(pidset), "targ_tgid=%d", (int)child);
	snprintf(spid, sizeof(spid), "%d", (int)child);
	fu_start(&b, "lt-perfsample", (char *[]){ "record", "-o", cap, "--no-status", "--probe",
						  "none", "--bpf", obj, "--set", pidset,
						  "--perf-event", "do_sample=cpu-clock:199Hz",
						  NULL });
	CHECK(write(gate, "x", 1) == 1);
	close(gate);
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	fu_sleep_ms(300);
	CHECK_EQ_INT(fu_stop(&b, SIGINT), 0);
	fu_slurp(b.errpath, err, sizeof(err));
	CHECK_EQ_INT(capload(cap, &l), 0);
	for (i = 0; i < l.n; i++) {
		const struct ev *e = &l.v[i];

		if (strcmp(e->stream, "events"))
			continue;
		CHECK_EQ_INT(ev_int(e, "pid"), child);
		CHECK_EQ_INT(ev_int(e, "tid"), child);
		CHECK_STR(ev_get(e, "comm"), "lt-spinner");
		CHECK(ev_int(e, "cpu") >= 0 && ev_int(e, "cpu") < ncpu);
		CHECK(e->cpu == (uint32_t)ev_int(e, "cpu"));    /* the sample's own CPU */
		user += ev_int(e, "kernel") == 0;
		n++;
	}
	/* 0.4 s of its CPU at 199 Hz: about 80 samples, most in user mode */
	CHECK(n >= 20 && n <= 200);
	CHECK(user * 2 >= n);
	/* the map counted every sample the perf array carried (none lost) */
	CHECK_EQ_INT(ev_count(&l, "counts", NULL, NULL), 1);
	CHECK_STR(ev_get(ev_find(&l, "counts", "key_pid", spid), "key_comm"), "lt-spinner");
	CHECK_EQ_U64((uint64_t)ev_int(ev_find(&l, "counts", "key_pid", spid), "value"), n + l.lost);
	CHECK_EQ_U64(l.lost, 0);
	capload_free(&l);
	snprintf(want, sizeof(want), "do_sample|attached|cpu-clock:199Hz on %ld CPU%s|events",
		 nonline, nonline == 1 ? "" : "s");
	CHECK_STR(q(cap, PROGS_SQL), want);
	CHECK_STR(q(cap, LOSS_SQL), "events|perf|NULL");
	printf("perfsample: %zu samples of the spinner (%zu in user mode), counted alike in the "
	       "map\n", n, user);
}

int main(void)
{
	const char *objs = fu_need_root_objs(), *dir = test_tmpdir("lt_objects");

	record_flood(dir, objs);
	record_compat(dir, objs);
	record_twins(dir, objs);
	record_fentry_mix(dir, objs);
	record_filter_hist(dir, objs);
	record_uprobe_nobin(dir, objs);
	record_ts_mono(dir, objs);
	record_subprog(dir, objs);
	record_subprog_windows(dir, objs);
	record_perfsample(dir, objs);
	printf("test_lt_objects: ok\n");
	return 0;
}
