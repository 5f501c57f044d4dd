/* test_export - bpfreplay export on a fixture capture of process activity
 * (procfix.h): --format perfetto and chrome parse as JSON, hold every record
 * of the slice once (counts per stream equal SQL's counts over the virtual
 * tables, for the whole capture and for slices by time, stream, pid and
 * --where), with pids, tids and names right, slices that nest and process
 * lifetimes that begin and end (checked by check_trace.py); values by
 * value for one connect; the losses as counters; usage errors. */
#include "testutil.h"
#include "fixtures/procfix.h"
#include "fixtures/clirun.h"

#include "vtab.h"

static char tmp[PATH_MAX / 2], cap[PATH_MAX], out[PATH_MAX], checker[PATH_MAX];
static sqlite3 *db;

/* Runs check_trace.py on out with the expected counts "exec=N ...". */
static void check_trace(const char *counts, const char *extra)
{
	char cmd[16384];
	int st;

	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' %s %s", checker, out, counts,
		 extra ? extra : "");
	st = system(cmd);
	if (st != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		exit(1);
	}
}

static void counts_where(char *buf, size_t len, const char *where)
{
	const char *streams[] = { "exec", "exit", "connect", "sys" };
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < 4; i++) {
		char sql[1024];
		int64_t c;

		sqlite3_stmt *st = NULL;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s", streams[i], where);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) &&
		    strstr(sqlite3_errmsg(db), "no such column"))
			continue;   /* as export: a stream without the column is left out */
		sqlite3_finalize(st);
		c = q_int(db, sql);
		if (c)
			n += snprintf(buf + n, len - n, "%s=%lld ", streams[i], (long long)c);
	}
}

static void test_whole(const char *fmt)
{
	char counts[512];

	EXPECT(CLIRUN("export", cap, "--format", fmt, "-o", out), 0, NULL, NULL);
	counts_where(counts, sizeof(counts), "1");
	/* the fixture's own arithmetic agrees with SQL's */
	CHECK_STR(counts, "exec=5 exit=5 connect=10 sys=80 ");
	check_trace(counts, "--comm 1000=init --comm 1003=make --comm 4194305='bpfrec: losses'");
}

static void test_slices(void)
{
	char counts[512], where[512];
	uint64_t lo = PROCFIX_T0 + 1000000, hi = PROCFIX_T0 + 3500000;

	/* time: relative to the first event (T0) */
	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", out, "--since", "+1ms", "--until",
		      "+3.5ms"), 0, NULL, NULL);
	snprintf(where, sizeof(where), "ts >= %llu AND ts <= %llu", (unsigned long long)lo,
		 (unsigned long long)hi);
	counts_where(counts, sizeof(counts), where);
	CHECK(strstr(counts, "sys=48"));    /* processes 1, 2, 3: 3 * 16 */
	check_trace(counts, NULL);

	/* stream, pid (two), where */
	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", out, "-s", "sys,connect", "-p", "1002",
		      "--pid", "1003", "-w", "ret < 0"), 0, NULL, NULL);
	counts_where(counts, sizeof(counts),
		     "stream IN ('sys', 'connect') AND pid IN (1002, 1003) AND ret < 0");
	CHECK_STR(counts, "connect=2 sys=8 ");
	check_trace(counts, NULL);

	/* a --where only one stream can evaluate: the others are left out */
	EXPECT(CLIRUN("export", cap, "-f", "chrome", "-o", out, "-w", "filename LIKE '%cu%'"), 0,
	       NULL, "stream 'sys' left out");
	check_trace("exec=1", NULL);
}

/* One connect, value by value, and the loss counters. */
static void test_values(void)
{
	char stdout_path[PATH_MAX];
	char *json;

	snprintf(stdout_path, sizeof(stdout_path), "%s/clirun.out", clirun_tmp);
	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", "-", "-s", "connect,sys", "-p", "1001"),
	       0, NULL, NULL);
	json = clirun_slurp(stdout_path, NULL);
	/* T(1) + 110 us = 5.001110000 s; latency 20 us */
	CHECK(strstr(json, "{\"ph\":\"X\",\"dur\":20.000,\"name\":\"connect\",\"cat\":\"connect\","
			   "\"pid\":1001,\"tid\":1001,\"ts\":5001110.000,\"args\":{\"ts\":5001110000,"
			   "\"ts_ns\":5001110000,\"latency_ns\":20000,\"pid\":1001,\"tid\":1001,\"fd\":3,"
			   "\"ret\":-111,\"family\":2,\"port\":80,\"__pad\":0,"
			   "\"addr\":\"00000000000000000000ffff7f000001\",\"comm\":\"bash\"}}"));
	/* the overlapping connect is cut at the end of its sys call (150+40 us) */
	CHECK(strstr(json, "{\"ph\":\"X\",\"dur\":10.000,\"name\":\"connect\",\"cat\":\"connect\","
			   "\"pid\":1001,\"tid\":1001,\"ts\":5001180.000,"));
	CHECK(strstr(json, "\"comm\":\"bash\",\"clipped\":true}}"));
	/* the extra thread: its own track, named */
	CHECK(strstr(json, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1001,\"tid\":501001,"
			   "\"args\":{\"name\":\"bash\"}}"));
	free(json);

	/* losses of the selected streams only */
	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", "-", "-s", "connect"), 0, NULL, NULL);
	json = clirun_slurp(stdout_path, NULL);
	CHECK(!strstr(json, "\"ph\":\"C\""));
	free(json);

	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", "-", "-s", "sys"), 0, NULL, NULL);
	json = clirun_slurp(stdout_path, NULL);
	CHECK(strstr(json, "{\"ph\":\"C\",\"name\":\"lost: sys\",\"pid\":4194305,\"ts\":5000200.000,"
			   "\"args\":{\"lost\":5}}"));
	CHECK(strstr(json, "{\"ph\":\"C\",\"name\":\"lost: sys\",\"pid\":4194305,\"ts\":5002000.000,"
			   "\"args\":{\"lost\":12}}"));
	CHECK(!strstr(json, "lost: exec"));
	/* the session */
	CHECK(strstr(json, "\"host\":\"prochost\",\"kernel\":\"6.1.0-proc\""));
	free(json);
}

/* Stacks go into args, named and folded as bpfreplay flame folds them. */
static void test_stacks(const char *scap)
{
	char stdout_path[PATH_MAX];
	char *json;

	snprintf(stdout_path, sizeof(stdout_path), "%s/clirun.out", clirun_tmp);
	EXPECT(CLIRUN("export", scap, "-f", "perfetto", "-o", "-", "-s", "prof", "-p", "1002"), 0,
	       NULL, NULL);
	json = clirun_slurp(stdout_path, NULL);
	/* k = 0 (at T(2) + 101 us): user stack 1 only; k = 1: user stack 2 and
	 * kernel stack 3 */
	CHECK(strstr(json, "\"ts\":5002101.000,\"args\":{\"ts\":5002101000,\"ts_ns\":5002101000,"
			   "\"pid\":1002,\"tid\":1002,\"comm\":\"curl\",\"ustack_id\":1,\"kstack_id\":-14,"
			   "\"stack\":\"curl;main;run;work\"}}"));
	CHECK(strstr(json, "\"ustack_id\":2,\"kstack_id\":3,\"stack\":\"curl;main;run;io;read;"
			   "vfs_read_[k]\"}}"));
	free(json);
}

/* Two captures in one trace: their own tracks (pids shifted), hosts in the
 * process names, one wall-clock axis. */
static void test_two(const char *cap2)
{
	char stdout_path[PATH_MAX];
	char *json;

	snprintf(stdout_path, sizeof(stdout_path), "%s/clirun.out", clirun_tmp);
	EXPECT(CLIRUN("export", cap, cap2, "-f", "perfetto", "-o", out), 0, NULL, NULL);
	check_trace("exec=10 exit=10 connect=20 sys=160", "--span 4194306 --comm 1000='init @prochost' "
		    "--comm 4195306='init @otherhost' --comm 8388611='bpfrec: losses @otherhost'");
	EXPECT(CLIRUN("export", cap, cap2, "-f", "perfetto", "-o", "-", "-s", "connect", "-p", "1001"),
	       0, NULL, NULL);
	json = clirun_slurp(stdout_path, NULL);
	/* T(1) + 110 us is 12:00:04.001110 on both: 1.110 ms after the first record */
	CHECK(strstr(json, "\"pid\":1001,\"tid\":1001,\"ts\":1110.000,\"args\":{\"ts\":5001110000,"));
	CHECK(strstr(json, "\"pid\":4195307,\"tid\":4195307,\"ts\":1110.000,\"args\":{\"ts\":5001110000,"));
	CHECK(strstr(json, "\"captures\":[{\"host\":\"prochost\","));
	free(json);
}

static void test_usage(void)
{
	EXPECT(CLIRUN("export", "--help"), 0, "perfetto", NULL);
	EXPECT(CLIRUN("export", "--help"), 0, "chrome", NULL);
	EXPECT(CLIRUN("export", cap, "-o", out), 2, NULL, "no --format given");
	EXPECT(CLIRUN("export", cap, "-f", "svg", "-o", out), 2, NULL,
	       "--format 'svg': not a format (perfetto, chrome");
	EXPECT(CLIRUN("export", cap, "-f", "perfetto"), 2, NULL, "no -o OUT given");
	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", out, "-s", "nope"), 2, NULL,
	       "--stream 'nope': no such stream");
	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", out, "--since", "soon"), 2, NULL,
	       "--since 'soon': not a time");
	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", out, "-w", "nosuch = 1"), 1, NULL,
	       "no such column");
	/* a failed export leaves no file behind */
	CHECK(access(out, F_OK) != 0);
	EXPECT(CLIRUN("export", cap, "-f", "perfetto", "-o", "/nonexistent/dir/t.json"), 3, NULL,
	       "-o /nonexistent/dir/t.json: No such file or directory");
	EXPECT(CLIRUN("help", "export"), 0, "--format", NULL);
}

int main(void)
{
	char btf[PATH_MAX + 8], scap[PATH_MAX], cap2[PATH_MAX];
	const char *src = getenv("BPFREC_SRC");
	struct vtab_opts vo = { .strict = 1 };
	const char *caps[1] = { cap };

	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("export"));
	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	snprintf(out, sizeof(out), "%s/trace.json", tmp);
	snprintf(checker, sizeof(checker), "%s/tests/unit/check_trace.py", src ? src : "..");
	procfix_build(cap, btf, (struct procfix_opts){ 0 });
	snprintf(scap, sizeof(scap), "%s/stacks", tmp);
	procfix_build(scap, btf, (struct procfix_opts){ .stacks = 1 });
	snprintf(cap2, sizeof(cap2), "%s/other", tmp);
	procfix_build(cap2, btf, (struct procfix_opts){ .host = "otherhost" });
	clirun_init(tmp);

	db = tu_vtab_db(&vo, caps, 1, NULL);

	test_usage();
	test_whole("perfetto");
	test_whole("chrome");
	test_slices();
	test_values();
	test_stacks(scap);
	test_two(cap2);
	sqlite3_close(db);
	printf("test_export: ok\n");
	return 0;
}
