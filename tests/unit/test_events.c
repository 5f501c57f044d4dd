/* test_events - the table `events` (replay/sql/events.c): every stream's
 * records with their common columns (ts, time, cpu, stream, pid, tid, comm)
 * in time order, value by value against the fixture's formulas (capfix.h);
 * an events-per-interval GROUP BY; two captures merged with host and
 * capture columns; a stream named "events" keeps its table (all_events). */
#include "testutil.h"
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"

static char tmp[PATH_MAX / 2];

static void test_rows(const char *cap)
{
	struct clirun r = CLIRUN("sql", "-o", "csv", cap,
				 "SELECT ts, stream, cpu, pid, tid, comm, time FROM events");
	uint32_t na = 0, nb = 0;
	uint64_t last = 0;
	char *save = NULL, *line;

	CHECK_EQ_INT(r.status, 0);
	line = strtok_r(r.out, "\n", &save);
	CHECK_STR(line, "ts,stream,cpu,pid,tid,comm,time");
	while ((line = strtok_r(NULL, "\n", &save))) {
		unsigned long long ts;
		char stream[16], rest[128], want[256];
		int n = 0;

		CHECK(sscanf(line, "%llu,%15[^,],%n", &ts, stream, &n) == 2);
		snprintf(rest, sizeof(rest), "%s", line + n);
		CHECK(ts > last);                      /* time order, no two alike */
		last = ts;
		if (!strcmp(stream, "alpha")) {
			struct fix_a a;
			capfix_a(na, &a);
			CHECK_EQ_U64(ts, capfix_ts_a(na));
			/* ringbuf: no cpu; pid without tgid: no thread */
			snprintf(want, sizeof(want), ",%u,,%s%s%s,", a.pid,
				 strchr(a.comm, '"') ? "\"" : "",
				 strchr(a.comm, '"') ? "x y=\"\"z\"\"" : a.comm,
				 strchr(a.comm, '"') ? "\"" : "");
			na++;
		} else {
			CHECK_STR(stream, "beta");
			struct fix_b b;
			capfix_b(nb, &b);
			CHECK_EQ_U64(ts, capfix_ts_b(nb));
			snprintf(want, sizeof(want), "%u,%u,,,", nb % 4, b.tgid);
			nb++;
		}
		if (strncmp(rest, want, strlen(want))) {
			fprintf(stderr, "events row '%s': expected it to start '%s'\n", rest, want);
			exit(1);
		}
		CHECK(strstr(rest, ",2024-05-01T12:00:01."));
	}
	CHECK_EQ_INT(na, 3000);
	CHECK_EQ_INT(nb, 2000);
	clirun_free(&r);

	/* events per ms: alpha one each us (1000), beta one each 1.5 us (667, 666, 667) */
	EXPECT(CLIRUN("sql", "-o", "csv", cap, "SELECT (ts - 2000000000) / 1000000 AS ms, "
		      "count(*) FROM events GROUP BY ms ORDER BY ms"), 0,
	       "ms,count(*)\n0,1667\n1,1666\n2,1667\n", NULL);
	EXPECT(CLIRUN("sql", "-o", "csv", cap, "SELECT stream, count(*), min(time) FROM events "
		      "WHERE pid = 101 GROUP BY stream"), 0,
	       "stream,count(*),min(time)\nalpha,429,2024-05-01T12:00:01.000001000Z\n"
	       "beta,667,2024-05-01T12:00:01.000002200Z\n", NULL);
}

int main(void)
{
	char cap[PATH_MAX], cap2[PATH_MAX], btf[PATH_MAX];
	struct capfix_opts o = { .short_a = -1 };

	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("events"));
	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(cap2, sizeof(cap2), "%s/other", tmp);
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	clirun_init(tmp);
	(void)capfix_damage_block;
	capfix_build(cap, btf, o);
	test_rows(cap);

	/* Two captures: 10000 rows, each capture's 5000 under its name; a
	 * stream named "events" keeps its table, and this one is all_events. */
	o.name_b = "events";
	capfix_build(cap2, btf, o);
	EXPECT(CLIRUN("sql", "-o", "csv", cap, cap2, "SELECT capture, host, stream, count(*) "
		      "FROM all_events GROUP BY 1, 3 ORDER BY 1, 3"), 0,
	       "capture,host,stream,count(*)\ncap,fixhost,alpha,3000\ncap,fixhost,beta,2000\n"
	       "other,fixhost,alpha,3000\nother,fixhost,events,2000\n", NULL);
	EXPECT(CLIRUN("sql", "-o", "csv", cap2, "SELECT count(*) FROM events"), 0,
	       "count(*)\n2000\n", NULL);
	EXPECT(CLIRUN("sql", "-o", "csv", cap2, "SELECT count(*) FROM all_events"), 0,
	       "count(*)\n5000\n", NULL);
	printf("test_events: ok\n");
	return 0;
}
