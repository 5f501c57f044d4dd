/* test_lossinfo.c - the capture's programs, stream_loss and loss_windows
 * tables (FORMAT.md "Programs and loss"): written by capw, shown by
 * bpfreplay info, queried by bpfreplay sql, carried into a bundle; "0 lost"
 * only where the capture proves it; what a hostile file puts there
 * (terminal escapes, made-up methods and states, windows ending before they
 * start) escaped or refused; a capture made before the tables existed (the
 * tables dropped) still opens, with its loss "not recorded"; a table with
 * other columns is refused by the schema check; catalog.db carries them
 * into an index rebuilt by recovery. */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* the helpers this test does not use */
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"
#pragma GCC diagnostic pop

#define NDEFINE(...) __VA_ARGS__ static const char ltypes_src[] = #__VA_ARGS__;
NDEFINE(
typedef unsigned int __u32; typedef unsigned long long __u64;
struct lev { __u64 ts_ns; __u32 pid; __u32 n; };
struct lev g_lev;
)

/* Three streams: "ring" (a ringbuf whose loss is unobservable: 2
 * windows), "exact" (a ringbuf counted by the rewrite, 4 lost), "perfed"
 * (perf, none lost); four programs. */
static void build(const char *dir, const char *btfdir)
{
	uint8_t *btf;
	struct blockbuf *bb = blockbuf__new(4096);
	uint32_t obj = 0, ring = 0, exact = 0, perfed = 0;
	struct capw *w = capfix_writer(dir, btfdir, ltypes_src, "tool", &btf, &obj);

	CHECK(bb);
	struct cap_stream_desc d1 = { "ring", "ringbuf", obj, "rb", "lev", 0, 0 };
	struct cap_stream_desc d2 = { "exact", "ringbuf", obj, "rb2", "lev", 0, 0 };
	struct cap_stream_desc d3 = { "perfed", "perf", obj, "pa", "lev", 0, 0 };
	CHECK(!capw__add_stream(w, &d1, &ring));
	CHECK(!capw__add_stream(w, &d2, &exact));
	CHECK(!capw__add_stream(w, &d3, &perfed));
	for (uint32_t i = 0; i < 6; i++) {
		struct lev e = { CAPFIX_T0 + i * 1000, 100 + i, i };

		CHECK(!blockbuf__add(bb, i % 3 == 0 ? ring : i % 3 == 1 ? exact : perfed,
				     CAP_CPU_UNKNOWN, e.ts_ns, &e, sizeof(e)));
	}
	CHECK(!capw__write_block(w, bb));
	CHECK(!capw__add_loss(w, exact, 0, CAPFIX_T0 + 500, 4));
	struct cap_program p[] = {
		{ obj, "on_open", "tp/syscalls/sys_enter_openat", "tracepoint", "attached",
		  "syscalls:sys_enter_openat", NULL, ring },
		{ obj, "on_read", "uprobe", "kprobe", "attached", "/bin/bash:readline", NULL, exact },
		{ obj, "on_fentry", "fentry/do_unlinkat", "tracing", "skipped", NULL,
		  "does not load here: Operation not supported", 0 },
		{ obj, "sample\033]0;pwn\007", "perf_event", "perf_event", "attached",
		  "cpu-clock:99Hz on 2 CPUs", NULL, perfed },
	};
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		CHECK(!capw__add_program(w, &p[i]));
	CHECK(!capw__set_stream_loss(w, ring, "unobservable", 65536));
	CHECK(!capw__set_stream_loss(w, exact, "rewrite", 4096));
	CHECK(!capw__set_stream_loss(w, perfed, "perf", 0));
	CHECK(!capw__add_loss_window(w, ring, CAPFIX_T0 + 1000, CAPFIX_T0 + 3000, 60000));
	CHECK(!capw__add_loss_window(w, ring, CAPFIX_T0 + 4000, CAPFIX_T0 + 5000, 50000));
	CHECK(!capw__close(w, CAPFIX_T0 + 9000));
	blockbuf__free(bb);
	free(btf);
}

static void sql_exec(const char *dir, const char *sql)
{
	char path[4200];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/index.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_close(db);
}

static void copy_capture(const char *from, const char *to)
{
	char cmd[9000];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -r '%s' '%s'", to, from, to);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	const char *tmp = test_tmpdir("lossinfo");
	char cap[4096], btfdir[4096], old[4096], bad[4096], hostile[4096], bundle[4096];
	struct clirun r;

	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	build(cap, btfdir);
	clirun_init(tmp);

	/* info: how each stream's loss is known; the lost count NULL where
	 * loss is unobservable and nothing was counted; the programs with
	 * where they attached or why not; the windows */
	r = CLIRUN("info", cap);
	CHECK_EQ_INT(r.status, 0);
	if (!strstr(r.out, "  NULL             0  ") ||
	    !strstr(r.out, "unobservable: lost is a lower bound; 2 possible-loss windows\n") ||
	    !strstr(r.out, "     4             1  ") ||
	    !strstr(r.out, "exact (failed ringbuf calls counted by bpfrec)\n") ||
	    !strstr(r.out, "exact (perf's lost counts)\n") ||
	    !strstr(r.out, "and unknown on 1 stream(s) whose loss is unobservable") ||
	    !strstr(r.out, "tool    on_open") || !strstr(r.out, "syscalls:sys_enter_openat") ||
	    !strstr(r.out, "/bin/bash:readline") ||
	    !strstr(r.out, "skipped   does not load here: Operation not supported") ||
	    !strstr(r.out, "sample\\x1b]0;pwn\\x07") || strchr(r.out, '\033') ||
	    !strstr(r.out, "ring    2024-05-01T12:00:01.000001000Z  2024-05-01T12:00:01.000003000Z"
			   "  0.000002       60000") ||
	    !strstr(r.out, "0.000001       50000")) {
		fprintf(stderr, "info:\n%s\n", r.out);
		return 1;
	}
	clirun_free(&r);

	/* info -o json: the same programs and windows, escaped as JSON */
	r = CLIRUN("info", "-o", "json", cap);
	CHECK_EQ_INT(r.status, 0);
	if (!strstr(r.out, "\"programs\":[{\"object\":\"tool\",\"program\":\"on_open\","
			   "\"section\":") ||
	    !strstr(r.out, "\"state\":\"attached\",\"where_or_why\":\"syscalls:sys_enter_openat\","
			   "\"stream\":\"ring\"}") ||
	    !strstr(r.out, "\"state\":\"skipped\",\"where_or_why\":\"does not load here: "
			   "Operation not supported\"") ||
	    !strstr(r.out, "sample\\u001b]0;pwn\\u0007") || strchr(r.out, '\033') ||
	    !strstr(r.out, "\"loss_windows\":[{\"stream\":\"ring\",\"start\":"
			   "\"2024-05-01T12:00:01.000001000Z\",\"end\":\"2024-05-01T12:00:01.000003000Z\","
			   "\"seconds\":") ||
	    !strstr(r.out, ",\"peak_bytes\":60000},{\"stream\":\"ring\"") ||
	    !strstr(r.out, ",\"peak_bytes\":50000}],\"streams\":[")) {
		fprintf(stderr, "info -o json:\n%s\n", r.out);
		return 1;
	}
	clirun_free(&r);

	/* SQL over the same tables */
	r = CLIRUN("sql", "-o", "csv", cap, "SELECT name, state, coalesce(target, reason), stream "
		   "FROM programs WHERE name LIKE 'on_%' ORDER BY id");
	EXPECT(r, 0, "on_open,attached,syscalls:sys_enter_openat,ring\n"
		     "on_read,attached,/bin/bash:readline,exact\n"
		     "on_fentry,skipped,does not load here: Operation not supported,\n", NULL);
	r = CLIRUN("sql", "-o", "csv", cap, "SELECT stream, method, ring_bytes FROM stream_loss");
	EXPECT(r, 0, "ring,unobservable,65536\nexact,rewrite,4096\nperfed,perf,\n", NULL);
	r = CLIRUN("sql", "-o", "csv", cap, "SELECT stream, end_ns - start_ns, peak_bytes, "
		   "start_time FROM loss_windows");
	EXPECT(r, 0, "ring,2000,60000,2024-05-01T12:00:01.000001000Z\n"
		     "ring,1000,50000,2024-05-01T12:00:01.000004000Z\n", NULL);

	/* a bundle keeps them */
	snprintf(bundle, sizeof(bundle), "%s/b.bpfrec", tmp);
	EXPECT(CLIRUN("bundle", cap, "-o", bundle), 0, NULL, NULL);
	r = CLIRUN("sql", "-o", "csv", bundle, "SELECT count(*) FROM programs UNION ALL "
		   "SELECT count(*) FROM stream_loss UNION ALL SELECT count(*) FROM loss_windows");
	EXPECT(r, 0, "4\n3\n2\n", NULL);

	/* a capture from before these tables: opens, loss "not recorded",
	 * counts as they are, empty tables in SQL */
	snprintf(old, sizeof(old), "%s/old", tmp);
	copy_capture(cap, old);
	sql_exec(old, "DROP TABLE programs; DROP TABLE stream_loss; DROP TABLE loss_windows;");
	r = CLIRUN("info", old);
	if (r.status || !strstr(r.out, "     4             1  ") ||
	    !strstr(r.out, "not recorded\n") || strstr(r.out, "unobservable") ||
	    strstr(r.out, "programs (")) {
		fprintf(stderr, "info of an old capture:\n%s\n%s\n", r.out, r.err);
		return 1;
	}
	clirun_free(&r);
	EXPECT(CLIRUN("info", "-o", "json", old), 0, "\"programs\":[],\"loss_windows\":[],", NULL);
	EXPECT(CLIRUN("sql", old, "SELECT count(*) FROM programs"), 0, "0", NULL);
	EXPECT(CLIRUN("verify", old), 0, NULL, NULL);

	/* hostile rows: a made-up method reads as not recorded, a made-up
	 * state as "?", a window ending before its start gets no duration */
	snprintf(hostile, sizeof(hostile), "%s/hostile", tmp);
	copy_capture(cap, hostile);
	sql_exec(hostile, "PRAGMA ignore_check_constraints = ON;"
		 "UPDATE stream_loss SET method = 'perf' || char(27) || '[2J' WHERE stream_id = 1;"
		 "UPDATE programs SET state = 'pwned' WHERE id = 1;"
		 "UPDATE loss_windows SET end_ns = start_ns - 5 WHERE id = 1;");
	r = CLIRUN("info", hostile);
	if (r.status || strchr(r.out, '\033') || !strstr(r.out, "ring    ") ||
	    !strstr(r.out, "  ?         syscalls") || !strstr(r.out, "  NULL           60000")) {
		fprintf(stderr, "info of a hostile capture:\n%s\n%s\n", r.out, r.err);
		return 1;
	}
	clirun_free(&r);
	EXPECT(CLIRUN("info", "-o", "json", hostile), 0, "\"seconds\":null,\"peak_bytes\":60000}",
	       NULL);

	/* a programs table that is not bpfrec's: refused before anything runs */
	snprintf(bad, sizeof(bad), "%s/bad", tmp);
	copy_capture(cap, bad);
	sql_exec(bad, "DROP TABLE programs; CREATE TABLE programs (id INTEGER PRIMARY KEY, x TEXT);");
	EXPECT(CLIRUN("info", bad), 3, NULL, "table 'programs'");

	/* catalog.db carries them: an index.db rebuilt from it has them all */
	char rebuilt[4200], idx[4300];
	uint64_t added = 0;

	snprintf(rebuilt, sizeof(rebuilt), "%s/rebuilt", tmp);
	copy_capture(cap, rebuilt);
	snprintf(idx, sizeof(idx), "%s/index.db", rebuilt);
	CHECK_EQ_INT(unlink(idx), 0);
	CHECK_EQ_INT(capw__recover(rebuilt, &added), 0);
	r = CLIRUN("sql", "-o", "csv", rebuilt, "SELECT count(*) FROM programs UNION ALL "
		   "SELECT count(*) FROM stream_loss UNION ALL SELECT count(*) FROM loss_windows "
		   "UNION ALL SELECT max(end_ns) - min(start_ns) FROM loss_windows");
	EXPECT(r, 0, "4\n3\n2\n4000\n", NULL);
	printf("test_lossinfo: ok\n");
	return 0;
}
