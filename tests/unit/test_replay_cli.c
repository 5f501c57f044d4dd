/* test_replay_cli - bpfreplay as a user runs it, on fixture captures
 * (capfix.h): golden output of info, show (order across streams and
 * blocks, every filter, table/CSV/JSONL) and sql, exit codes 0/1/2/3, a
 * damaged block reported while the rest is printed, and the loadable
 * extension in the stock sqlite3 shell (skipped if there is none). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* strerrorname_np */
#endif
#include "testutil.h"
#include "fixtures/capfix.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include "print.h"
#include "timefmt.h"

static char bin[PATH_MAX], ext[PATH_MAX], tmp[PATH_MAX / 2], cap[PATH_MAX], bad[PATH_MAX],
	trim[PATH_MAX], many[PATH_MAX];

struct run {
	int status;             /* exit status, or 128 + signal */
	char *out, *err;
};

static char *slurp(const char *path)
{
	size_t len = 0;
	uint8_t *b = btfgen_read_file(path, &len);
	char *s = malloc(len + 1);

	CHECK(s);
	if (b && len)
		memcpy(s, b, len);
	s[b ? len : 0] = 0;
	free(b);
	return s;
}

/* Runs argv (argv[0]: a path) with stdin from `in` (NULL: /dev/null). */
static struct run run_v(const char *in, const char *const *argv)
{
	char opath[PATH_MAX + 8], epath[PATH_MAX + 8], ipath[PATH_MAX + 8];
	struct run r = { 0 };
	pid_t pid;
	int st;

	snprintf(opath, sizeof(opath), "%s/out", tmp);
	snprintf(epath, sizeof(epath), "%s/err", tmp);
	snprintf(ipath, sizeof(ipath), "%s/in", tmp);
	if (in) {
		FILE *f = fopen(ipath, "w");
		CHECK(f && fputs(in, f) >= 0 && !fclose(f));
	}
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		int i = open(in ? ipath : "/dev/null", O_RDONLY);
		int o = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (i < 0 || o < 0 || e < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp(opath);
	r.err = slurp(epath);
	return r;
}

#define RUN(in, ...) run_v(in, (const char *const[]){ bin, __VA_ARGS__, NULL })

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void expect(struct run r, int status, const char *out, const char *err_has)
{
	if (r.status != status || (out && strcmp(r.out, out)) || (err_has && !strstr(r.err, err_has))) {
		fprintf(stderr, "exit %d (expected %d)\n--- stdout:\n%.3000s\n--- expected:\n%.3000s\n"
			"--- stderr:\n%s\n--- expected in stderr: %s\n", r.status, status, r.out,
			out ? out : "(any)", r.err, err_has ? err_has : "(any)");
		exit(1);
	}
	run_free(&r);
}

/* ---- the expected events ---- */

enum { F_TABLE, F_CSV, F_JSONL };

struct want {
	int alpha, beta;                /* streams shown */
	uint64_t lo, hi;                /* ts, inclusive */
	int64_t pid;                    /* -1: any */
	int64_t skip_block_lo, skip_block_hi;  /* ts of alpha/beta records lost in a bad block: none */
};

static void line_a(struct strbuf *b, int fmt, uint32_t i, int both)
{
	struct fix_a a;
	char tb[TIMEFMT_LEN + 1];
	struct timeclock ck = { CAPFIX_BOOT_NS, CAPFIX_REAL_NS };
	struct pval comm;

	capfix_a(i, &a);
	timefmt__iso(timeclock__wall(&ck, capfix_ts_a(i)), tb, sizeof(tb));
	comm = (struct pval){ .kind = PV_TEXT, .s = a.comm, .len = strlen(a.comm) };
	switch (fmt) {
	case F_TABLE:
		/* ts_ns is the line's time: shown once */
		strbuf__addf(b, "%s alpha pid=%u seq=%u ", tb, a.pid, a.seq);
		print__logfmt_pair(b, "comm", &comm);
		strbuf__add(b, "\n", 1);
		break;
	case F_CSV:
		strbuf__addf(b, "%llu,%s,,alpha,%llu,%u,%u,", (unsigned long long)capfix_ts_a(i), tb,
			     (unsigned long long)a.ts_ns, a.pid, a.seq);
		if (strchr(a.comm, '"'))
			strbuf__add(b, "\"x y=\"\"z\"\"\"", 11);
		else
			strbuf__add(b, a.comm, strlen(a.comm));
		strbuf__add(b, both ? ",,,\n" : "\n", both ? 4 : 1);
		break;
	case F_JSONL:
		strbuf__addf(b, "{\"ts\":%llu,\"time\":\"%s\",\"cpu\":null,\"stream\":\"alpha\",\"ts_ns\":%llu,"
			     "\"pid\":%u,\"seq\":%u,\"comm\":", (unsigned long long)capfix_ts_a(i), tb,
			     (unsigned long long)a.ts_ns, a.pid, a.seq);
		print__json_string(b, a.comm, strlen(a.comm));
		strbuf__add(b, "}\n", 2);
		break;
	}
}

static void line_b(struct strbuf *b, int fmt, uint32_t j, int both)
{
	struct fix_b v;
	char tb[TIMEFMT_LEN + 1];
	struct timeclock ck = { CAPFIX_BOOT_NS, CAPFIX_REAL_NS };

	capfix_b(j, &v);
	/* fix_b.ret is -j: the C library's name for errno j, if it has one */
	const char *errname = v.ret < 0 ? strerrorname_np(-v.ret) : NULL;
	timefmt__iso(timeclock__wall(&ck, capfix_ts_b(j)), tb, sizeof(tb));
	switch (fmt) {
	case F_TABLE:   /* ret=-111 ECONNREFUSED: an errno by name too */
		strbuf__addf(b, "%s %s tgid=%u ret=%d%s%s big=%llu\n", tb, both ? "beta " : "beta",
			     v.tgid, v.ret, errname ? " " : "", errname ? errname : "",
			     (unsigned long long)v.big);
		break;
	case F_CSV:     /* the name alone where there is one, as enums */
		strbuf__addf(b, "%llu,%s,%u,beta,%s%u,", (unsigned long long)capfix_ts_b(j), tb, j % 4,
			     both ? ",,,," : "", v.tgid);
		if (errname)
			strbuf__addf(b, "%s,%llu\n", errname, (unsigned long long)v.big);
		else
			strbuf__addf(b, "%d,%llu\n", v.ret, (unsigned long long)v.big);
		break;
	case F_JSONL:
		strbuf__addf(b, "{\"ts\":%llu,\"time\":\"%s\",\"cpu\":%u,\"stream\":\"beta\",\"tgid\":%u,"
			     "\"ret\":", (unsigned long long)capfix_ts_b(j), tb, j % 4, v.tgid);
		if (errname)
			strbuf__addf(b, "\"%s\"", errname);
		else
			strbuf__addf(b, "%d", v.ret);
		strbuf__addf(b, ",\"big\":%llu}\n", (unsigned long long)v.big);
		break;
	}
}

/* The whole expected output of show for w, in fmt. */
static char *expected(const struct want *w, int fmt)
{
	struct strbuf b = { 0 };
	uint32_t i = 0, j = 0;
	int both = w->alpha && w->beta;
	struct fix_a a;
	struct fix_b v;

	if (fmt == F_CSV) {
		if (both)
			strbuf__add(&b, "ts,time,cpu,stream,ts_ns,pid,seq,comm,tgid,ret,big\n", 51);
		else if (w->alpha)
			strbuf__add(&b, "ts,time,cpu,stream,ts_ns,pid,seq,comm\n", 38);
		else
			strbuf__add(&b, "ts,time,cpu,stream,tgid,ret,big\n", 32);
	}
	while (i < 3000 || j < 2000) {
		int take_a = j >= 2000 || (i < 3000 && capfix_ts_a(i) < capfix_ts_b(j));
		uint64_t ts = take_a ? capfix_ts_a(i) : capfix_ts_b(j);

		if (ts < w->lo || ts > w->hi) {
			take_a ? i++ : j++;
			continue;
		}
		if (take_a) {
			capfix_a(i, &a);
			if (w->alpha && (w->pid < 0 || a.pid == w->pid))
				line_a(&b, fmt, i, both);
			i++;
		} else {
			capfix_b(j, &v);
			if (w->beta && (w->pid < 0 || v.tgid == w->pid))
				line_b(&b, fmt, j, both);
			j++;
		}
	}
	if (!b.buf)
		strbuf__add(&b, "", 0);
	return b.buf;
}

/* Runs of spaces as one: show's line format pads each KEY=VALUE to its
 * column (test_show_layout checks how); here the values are what count. */
static char *squeeze(char *s)
{
	char *o = s;

	for (const char *p = s; p && *p; p++)
		if (*p != ' ' || o == s || o[-1] != ' ')
			*o++ = *p;
	if (o)
		*o = 0;
	return s;
}

static void show_case(const struct want *w, int fmt, const char *err_has, ...)
{
	const char *argv[32] = { bin, "show", cap };
	int n = 3;
	va_list ap;
	char *exp = expected(w, fmt);

	va_start(ap, err_has);
	for (const char *a; (a = va_arg(ap, const char *)) && n < 30;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	struct run r = run_v(NULL, argv);
	if (fmt == F_TABLE) {
		squeeze(r.out);
		squeeze(exp);
	}
	expect(r, 0, exp, err_has);
	free(exp);
}

static void test_usage(void)
{
	expect(RUN(NULL, "--help"), 0, NULL, NULL);
	struct run r = RUN(NULL, "--help");
	CHECK(strstr(r.out, "info") && strstr(r.out, "show") && strstr(r.out, "sql") &&
	      strstr(r.out, "Examples:"));
	run_free(&r);
	static const char *const cmds[] = { "info", "show", "sql" };
	for (int i = 0; i < 3; i++) {
		r = RUN(NULL, cmds[i], "--help");
		CHECK_EQ_INT(r.status, 0);
		CHECK(strstr(r.out, "Usage: bpfreplay ") && strstr(r.out, "Examples:"));
		run_free(&r);
	}
	r = RUN(NULL, "help", "show");
	CHECK(r.status == 0 && strstr(r.out, "--since"));
	run_free(&r);
	expect(run_v(NULL, (const char *const[]){ bin, NULL }), 2, "", "Usage:");
	expect(RUN(NULL, "frobnicate"), 2, "", "unknown command 'frobnicate'");
	expect(RUN(NULL, "--frob"), 2, "", "unknown option '--frob'");
	expect(RUN(NULL, "show", cap, "--bogus"), 2, "", "unknown option '--bogus'");
	expect(RUN(NULL, "show", cap, "-x"), 2, "", "unknown option '-x'");
	expect(RUN(NULL, "show", cap, "--since"), 2, "", "option '--since' needs a value");
	expect(RUN(NULL, "show", cap, "--since", "yesterday"), 2, "", "--since 'yesterday': not a time");
	expect(RUN(NULL, "show", cap, "--pid", "12x"), 2, "", "--pid '12x'");
	expect(RUN(NULL, "show", cap, "-o", "xml"), 2, "", "-o 'xml'");
	expect(RUN(NULL, "show", cap, "--stream", "gamma"), 2, "",
	       "--stream 'gamma': no such stream (the capture has: alpha, beta)");
	expect(RUN(NULL, "show"), 2, "", "no CAPTURE given");
	{       /* several captures: one after the other */
		struct run r = RUN(NULL, "info", cap, cap);
		CHECK_EQ_INT(r.status, 0);
		CHECK(strstr(r.out, "\n\ncapture "));
		run_free(&r);
	}
	expect(RUN(NULL, "sql"), 2, "", "no CAPTURE given");
	expect(RUN(NULL, "sql", "-o", "yaml", cap, "SELECT 1"), 2, "", "-o 'yaml'");
}

static void test_info(void)
{
	struct run r = RUN(NULL, "info", cap);
	static const char *const has[] = {
		"host         fixhost\n", "kernel       6.1.0-fix\n", "boot id      f1xb00t\n",
		"command      bpfrec record -o fix\n", "recorded by  bpfrec 0.1.0\n",
		"start        2024-05-01T12:00:00.999999000Z  (ts 1999999000)\n",
		"end          2024-05-01T12:00:01.003000200Z  (ts 2003000200)\n",
		"duration     0.003001200 s\n",
		"first event  2024-05-01T12:00:01.000000000Z  (ts 2000000000)\n",
		"last event   2024-05-01T12:00:01.002999200Z  (ts 2002999200)\n",
		"events       5000 in ", "raw          ", "on disk      ", "ratio        ",
		"lost         20 events in 2 reports\n",
		"table  kind     map  type   columns  events  lost  loss_reports  first",
		"alpha  ringbuf  rb   fix_a        8    3000     3             1  "
		"2024-05-01T12:00:01.000000000Z  2024-05-01T12:00:01.002999000Z  not recorded\n",
		"beta   perf     pa   fix_b        7    2000    17             1  "
		"2024-05-01T12:00:01.000000700Z  2024-05-01T12:00:01.002999200Z  not recorded\n",
	};
	CHECK_EQ_INT(r.status, 0);
	for (size_t i = 0; i < sizeof(has) / sizeof(has[0]); i++) {
		if (!strstr(r.out, has[i])) {
			fprintf(stderr, "info lacks \"%s\":\n%s", has[i], r.out);
			exit(1);
		}
	}
	run_free(&r);
	r = RUN(NULL, "info", "-o", "jsonl", cap);
	CHECK(r.status == 0 && strstr(r.out, "{\"table\":\"beta\",\"kind\":\"perf\",\"map\":\"pa\","
				    "\"type\":\"fix_b\",\"columns\":7,\"events\":2000,\"lost\":17,"));
	run_free(&r);
	expect(RUN(NULL, "info", "/nonexistent/capture"), 3, "", "/nonexistent/capture");
}

static void test_show(void)
{
	struct want all = { 1, 1, 0, UINT64_MAX, -1 };
	struct want w;

	/* everything, in time order across streams and overlapping blocks */
	show_case(&all, F_TABLE, NULL, NULL);
	show_case(&all, F_JSONL, NULL, "-o", "jsonl", NULL);
	show_case(&all, F_CSV, NULL, "-o", "csv", NULL);
	/* streams */
	w = all, w.beta = 0;
	show_case(&w, F_TABLE, NULL, "--stream", "alpha", NULL);
	show_case(&w, F_CSV, NULL, "-s", "alpha", "-o", "csv", NULL);
	w = all;
	show_case(&w, F_TABLE, NULL, "--stream", "beta,alpha", NULL);
	w = all, w.alpha = 0;
	show_case(&w, F_JSONL, NULL, "--stream=beta", "--output=jsonl", NULL);
	/* time: relative to the first event, and absolute (any zone) */
	w = all, w.lo = CAPFIX_T0 + 1000000, w.hi = CAPFIX_T0 + 1100000;
	show_case(&w, F_TABLE, NULL, "--since", "+1ms", "--until", "1.1ms", NULL);
	show_case(&w, F_TABLE, NULL, "--since", "2024-05-01T14:00:01.001+02:00",
		  "--until", "2024-05-01T12:00:01.0011Z", NULL);
	w = all, w.lo = 2002999200 - 500000;
	show_case(&w, F_TABLE, NULL, "--since", "-500us", NULL);
	w = all, w.lo = 1, w.hi = 0;
	show_case(&w, F_TABLE, NULL, "--since", "2030-01-01", NULL);
	/* --pid: tgid in beta, pid in alpha */
	w = all, w.pid = 101;
	show_case(&w, F_TABLE, NULL, "--pid", "101", NULL);
	w.beta = 0, w.lo = CAPFIX_T0 + 5000, w.hi = CAPFIX_T0 + 2000000;
	show_case(&w, F_CSV, NULL, "-p", "101", "-s", "alpha", "--since", "+5us", "--until", "+2ms",
		  "-o", "csv", NULL);
	/* --where: SQL, with the stream's column names and types */
	expect(RUN(NULL, "show", cap, "--where", "seq % 1000 = 0 AND comm = 'init'"), 0, NULL,
	       "stream 'beta' left out: no such column: seq");
	struct run r = RUN(NULL, "show", cap, "--where", "seq % 1000 = 0");
	struct strbuf b = { 0 };
	line_a(&b, F_TABLE, 0, 0);
	line_a(&b, F_TABLE, 1000, 0);
	line_a(&b, F_TABLE, 2000, 0);
	CHECK_STR(squeeze(r.out), squeeze(b.buf));
	run_free(&r);
	strbuf__free(&b);
	r = RUN(NULL, "show", cap, "-w", "ret IN (-5, -6) OR big = -9223372036854775801", "-o", "jsonl");
	line_b(&b, F_JSONL, 5, 0);
	line_b(&b, F_JSONL, 6, 0);
	line_b(&b, F_JSONL, 7, 0);
	CHECK_STR(r.out, b.buf);
	run_free(&r);
	strbuf__free(&b);
	r = RUN(NULL, "show", cap, "--where", "time >= '2024-05-01T12:00:01.0029992' AND cpu IS NOT NULL");
	line_b(&b, F_TABLE, 1999, 1);   /* alpha is shown too: names padded */
	CHECK_STR(squeeze(r.out), squeeze(b.buf));
	CHECK_EQ_INT(r.status, 0);
	run_free(&r);
	strbuf__free(&b);
	/* a bad expression: exit 1, SQLite's message, where */
	expect(RUN(NULL, "show", cap, "--where", "pid = = 3"), 1, "",
	       "--where: near \"=\": syntax error\n  at line 1, column 7:\n    pid = = 3\n          ^\n");
	expect(RUN(NULL, "show", cap, "--where", "nosuch > 1"), 1, "", "no such column: nosuch");
	expect(RUN(NULL, "show", cap, "--where", "1; DROP TABLE x"), 1, "", "near \";\": syntax error");
	/* --pid: a stream without tgid/pid would be left out, saying so: both
	 * fixture streams have one, so nothing is said */
	r = RUN(NULL, "show", cap, "--pid", "999999");
	CHECK(r.status == 0 && !*r.out && !*r.err);
	run_free(&r);
}

static void test_sql(void)
{
	expect(RUN(NULL, "sql", "-o", "csv", cap, "SELECT seq, comm, pid FROM alpha WHERE seq < 5 ORDER BY seq"),
	       0, "seq,comm,pid\n0,init,100\n1,bash,101\n2,curl,102\n3,sshd,103\n4,\"x y=\"\"z\"\"\",104\n",
	       NULL);
	expect(RUN(NULL, "sql", cap, "SELECT stream, count(*) AS n, min(ts) FROM beta GROUP BY 1",
		   "SELECT 'x' AS a"),
	       0, "stream     n     min(ts)\n------  ----  ----------\nbeta    2000  2000000700\n"
		  "a\n-\nx\n", NULL);
	expect(RUN(NULL, "sql", "-o", "jsonl", cap,
		   "SELECT time, big FROM beta WHERE ts BETWEEN 2000000700 AND 2000002200 ORDER BY ts"),
	       0, "{\"time\":\"2024-05-01T12:00:01.000000700Z\",\"big\":-9223372036854775808}\n"
		  "{\"time\":\"2024-05-01T12:00:01.000002200Z\",\"big\":-9223372036854775807}\n", NULL);
	expect(RUN(NULL, "sql", "-o", "csv", cap,
		   "SELECT s.name, s.nrecords, s.lost, l.cpu FROM streams s LEFT JOIN losses l"
		   " ON l.stream_id = s.id ORDER BY s.id"),
	       0, "name,nrecords,lost,cpu\nalpha,3000,3,\nbeta,2000,17,2\n", NULL);
	/* statements from stdin (not a terminal), dot-commands too */
	expect(RUN("SELECT count(*) AS n\n  FROM alpha;\n.mode csv\nSELECT 1 AS one;\nSELECT 2 AS two",
		   "sql", cap), 0, "   n\n----\n3000\none\n1\ntwo\n2\n", NULL);
	struct run r = RUN(".tables\n", "sql", "-o", "csv", cap);
	CHECK(r.status == 0 && strstr(r.out, "alpha,table\n") && strstr(r.out, "losses,table\n"));
	run_free(&r);
	/* .schema TABLE: that table's columns, in order; .schema: every table's */
	r = RUN(".schema alpha\n", "sql", "-o", "csv", cap);
	CHECK(r.status == 0 && !strncmp(r.out, "table,column,type\nalpha,ts,INTEGER\nalpha,time,TEXT\n"
					"alpha,cpu,INTEGER\nalpha,stream,TEXT\nalpha,ts_ns,", 99) &&
	      strstr(r.out, "alpha,pid,INTEGER\n") && !strstr(r.out, "\nbeta,"));
	run_free(&r);
	r = RUN(".schema\n", "sql", "-o", "csv", cap);
	CHECK(r.status == 0 && strstr(r.out, "\nalpha,seq,INTEGER\n") && strstr(r.out, "\nbeta,") &&
	      strstr(r.out, "\nlosses,"));
	run_free(&r);
	/* .quit ends the statements; an unknown dot-command is an error (1) */
	expect(RUN("SELECT 1 AS one;\n.quit\nSELECT 2 AS two;\n", "sql", "-o", "csv", cap), 0,
	       "one\n1\n", NULL);
	expect(RUN(".nosuch\n", "sql", cap), 1, "", "unknown command .nosuch");
	/* errors: exit 1, the message and the position */
	expect(RUN(NULL, "sql", cap, "SELECT 1;\nSELECT nope FROM alpha"), 1, "1\n-\n1\n",
	       "sql: no such column: nope\n  at line 2, column 8:\n    SELECT nope FROM alpha\n"
	       "           ^\n");
	expect(RUN(NULL, "sql", cap, "SELEC 1"), 1, "", "near \"SELEC\": syntax error");
	expect(RUN("SELECT * FROM gamma;\nSELECT 1;\n", "sql", cap), 1, "", "no such table: gamma");
	expect(RUN(NULL, "sql", "/nonexistent/capture", "SELECT 1"), 3, "", "/nonexistent/capture");
}

/* A record that ends inside its trailing array (alpha 7: comm "curl" cut to
 * "cu") is data: verify, show and sql agree. */
static void test_trimmed(void)
{
	expect(RUN(NULL, "verify", trim), 0, NULL, NULL);
	expect(RUN(NULL, "sql", "-o", "csv", trim, "SELECT seq, comm, pid FROM alpha WHERE seq BETWEEN 6 AND 8"),
	       0, "seq,comm,pid\n6,bash,106\n7,cu,100\n8,sshd,101\n", NULL);
	struct run r = RUN(NULL, "show", "-o", "jsonl", "-s", "alpha", trim);
	CHECK_EQ_INT(r.status, 0);
	CHECK(strstr(r.out, "\"seq\":7,\"comm\":\"cu\"}"));
	CHECK(!strstr(r.out, "DAMAGED") && !strstr(r.err, "damaged"));
	run_free(&r);
}

static size_t count_lines(const char *text, const char *s);

static void test_damaged(void)
{
	/* block 10 flipped, alpha record 5 written 10 bytes long */
	struct run r = RUN(NULL, "show", bad);
	char line[256];
	size_t nl = 0;

	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.err, "block 10: damaged: "));
	CHECK(strstr(r.err, "1 damaged blocks, 1 damaged records"));
	snprintf(line, sizeof(line), "2024-05-01T12:00:01.000005000Z alpha DAMAGED: record of 10 bytes, "
		 "type fix_a needs 16\n");
	CHECK(strstr(r.out, line));
	for (const char *p = r.out; *p; p++)
		nl += *p == '\n';
	/* everything else is printed: 5000 lines but the lost block's */
	CHECK(nl > 4800 && nl < 5000);
	CHECK(strstr(r.out, "seq=2999 "));
	run_free(&r);

	r = RUN(NULL, "show", bad, "-o", "jsonl");
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.err, "damaged record: 10 bytes, type fix_a needs 16"));
	CHECK(!strstr(r.out, "DAMAGED"));
	run_free(&r);

	r = RUN(NULL, "sql", bad, "SELECT count(*) FROM beta WHERE ts > 2002500000");
	CHECK_EQ_INT(r.status, 0);          /* that range does not touch the damage */
	CHECK_STR(r.out, "count(*)\n--------\n     333\n");
	run_free(&r);
	r = RUN(NULL, "sql", bad, "SELECT count(*) FROM alpha");
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.err, "block 10: damaged") && strstr(r.err, "1 damaged blocks"));
	run_free(&r);
	/* the events table: the short record reported and counted too (it
	 * was skipped unsaid), once, whatever tables read it */
	r = RUN(NULL, "sql", bad, "SELECT count(*) FROM events");
	CHECK_EQ_INT(r.status, 3);
	CHECK(strstr(r.err, "damaged record at 2024-05-01T12:00:01.000005000Z in stream alpha: 10 "
			    "bytes, type fix_a needs 16; skipped\n"));
	CHECK(strstr(r.err, ": 1 damaged blocks, 1 damaged records were skipped"));
	run_free(&r);
	r = RUN(NULL, "sql", bad, "SELECT count(*) FROM events; SELECT count(*) FROM alpha");
	CHECK_EQ_INT(r.status, 3);
	CHECK_EQ_INT(count_lines(r.err, "damaged record at"), 1);
	CHECK(strstr(r.err, ": 1 damaged blocks, 1 damaged records were skipped"));
	run_free(&r);
	r = RUN(NULL, "sql", bad, "SELECT count(*) FROM events WHERE ts > 2002500000");
	CHECK_EQ_INT(r.status, 0);          /* that range does not touch the damage */
	CHECK_STR(r.err, "");
	run_free(&r);

	/* an index that is not one */
	char junk[PATH_MAX + 16];
	snprintf(junk, sizeof(junk), "%s/junk", tmp);
	mkdir(junk, 0755);
	snprintf(junk, sizeof(junk), "%s/junk/index.db", tmp);
	FILE *f = fopen(junk, "w");
	CHECK(f && fputs("not sqlite at all, not at all, not at all, not at all", f) >= 0 && !fclose(f));
	snprintf(junk, sizeof(junk), "%s/junk", tmp);
	expect(RUN(NULL, "show", junk), 3, "", "junk");
	expect(RUN(NULL, "sql", junk, "SELECT 1"), 3, "", "junk");
}

/* Lines of text that have s in them. */
static size_t count_lines(const char *text, const char *s)
{
	size_t n = 0;

	for (const char *l = text, *end; *l; l = *end ? end + 1 : end) {
		const char *hit = strstr(l, s);

		end = strchrnul(l, '\n');
		n += hit && hit <= end && (hit < end || !*s);
	}
	return n;
}

/* 60 of the 63 blocks damaged (2..61, one segment): the first 5 are said,
 * the 5th saying that the segment's further ones are only counted; the
 * closing line has them all.  show, export and sql alike (sql's stream
 * tables and its events table: it said 20, then one line for the rest,
 * with no count of them). */
static void test_many_damaged(void)
{
	char out[PATH_MAX + 16];
	struct run r = RUN(NULL, "show", many);

	CHECK_EQ_INT(r.status, 3);
	CHECK_EQ_INT(count_lines(r.err, ": damaged: "), 5);
	for (int b = 2; b <= 6; b++) {
		char want[64];

		snprintf(want, sizeof(want), "block %d: damaged: ", b);
		CHECK_EQ_INT(count_lines(r.err, want), 1);
	}
	CHECK_EQ_INT(count_lines(r.err, "block 6: damaged: "), 1);
	CHECK_EQ_INT(count_lines(r.err, "records are skipped; further damaged blocks of segment 1 "
				 "are only counted"), 1);
	CHECK(strstr(r.err, "block 6: damaged: ") < strstr(r.err, "further damaged blocks"));
	CHECK(strstr(r.err, ": 60 damaged blocks, 0 damaged records (reported above, 55 of them "
			    "only counted); everything else was printed\n"));
	CHECK_EQ_INT(count_lines(r.err, ""), 6);   /* nothing else on stderr */
	run_free(&r);

	snprintf(out, sizeof(out), "%s/many.json", tmp);
	r = RUN(NULL, "export", "-f", "chrome", "-o", out, many);
	CHECK_EQ_INT(r.status, 3);
	CHECK_EQ_INT(count_lines(r.err, ": damaged: "), 5);
	CHECK(strstr(r.err, "60 damaged blocks, 0 damaged records (reported above, 55 of them only "
			    "counted); everything else was written to "));
	run_free(&r);

	/* sql: its events table (the slice's callback) and a stream table
	 * (its own cursor) */
	static const char *const queries[] = { "SELECT count(*) FROM events",
					       "SELECT count(*) FROM alpha" };
	for (int q = 0; q < 2; q++) {
		r = RUN(NULL, "sql", many, queries[q]);
		CHECK_EQ_INT(r.status, 3);
		CHECK_EQ_INT(count_lines(r.err, ": damaged: "), 5);
		CHECK_EQ_INT(count_lines(r.err, "block 6: damaged: "), 1);
		CHECK_EQ_INT(count_lines(r.err, "records are skipped; further damaged blocks of "
					 "segment 1 are only counted"), 1);
		CHECK(strstr(r.err, ": 60 damaged blocks, 0 damaged records were skipped (reported "
				    "above, 55 of them only counted)\n"));
		CHECK_EQ_INT(count_lines(r.err, ""), 6);
		run_free(&r);
	}

	/* Two captures, the same segment and stream ids: each report names
	 * its capture (the path as given), each capture's segment has its own
	 * five said, and each capture its closing line.  The damaged record
	 * of bad is said in its capture's name too. */
	char many2[PATH_MAX + 8], cmd[4 * PATH_MAX], want[PATH_MAX + 160];
	snprintf(many2, sizeof(many2), "%s2", many);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", many2, many, many2);
	CHECK(system(cmd) == 0);
	r = RUN(NULL, "sql", many, bad, many2, "SELECT count(*) FROM alpha; "
		"SELECT count(*) FROM events");
	CHECK_EQ_INT(r.status, 3);
	CHECK_EQ_INT(count_lines(r.err, ": damaged: "), 11);
	for (int k = 0; k < 2; k++) {
		const char *path = k ? many2 : many;

		for (int b = 2; b <= 6; b++) {
			snprintf(want, sizeof(want), "%s: block %d: damaged: ", path, b);
			CHECK_EQ_INT(count_lines(r.err, want), 1);
		}
		snprintf(want, sizeof(want), "%s: block 6: damaged: ", path);
		CHECK(strstr(strstr(r.err, want), "further damaged blocks of segment 1 are only "
				"counted\n"));
		snprintf(want, sizeof(want), "%s: 60 damaged blocks, 0 damaged records were skipped "
			 "(reported above, 55 of them only counted)\n", path);
		CHECK_EQ_INT(count_lines(r.err, want), 1);
	}
	snprintf(want, sizeof(want), "%s: block 10: damaged: ", bad);
	CHECK_EQ_INT(count_lines(r.err, want), 1);
	snprintf(want, sizeof(want), "%s: block ", bad);
	CHECK(strstr(r.err, want) && strstr(strstr(r.err, want), ": damaged record at "
					    "2024-05-01T12:00:01.000005000Z in stream alpha: 10 "
					    "bytes, type fix_a needs 16; skipped\n"));
	snprintf(want, sizeof(want), "%s: 1 damaged blocks, 1 damaged records were skipped "
		 "(reported above)\n", bad);
	CHECK_EQ_INT(count_lines(r.err, want), 1);
	/* their order: as the captures were given */
	snprintf(want, sizeof(want), "%s: 60 damaged", many);
	char *first = strstr(r.err, want);
	snprintf(want, sizeof(want), "%s: 1 damaged", bad);
	char *second = strstr(r.err, want);
	snprintf(want, sizeof(want), "%s: 60 damaged", many2);
	CHECK(first && first < second && second < strstr(r.err, want));
	CHECK_EQ_INT(count_lines(r.err, ""), 11 + 1 + 3);
	run_free(&r);
}

static void test_extension(void)
{
	char load[PATH_MAX + 16], att[PATH_MAX + 64];

#ifdef __SANITIZE_ADDRESS__
	/* an ASan-built module cannot be loaded into the stock (non-ASan) shell */
	fprintf(stderr, "note: sanitizer build: extension test skipped\n");
	return;
#endif
	if (access(ext, R_OK) || access("/usr/bin/sqlite3", X_OK)) {
		fprintf(stderr, "note: no /usr/bin/sqlite3 or no %s: extension test skipped\n", ext);
		return;
	}
	snprintf(load, sizeof(load), ".load %.*s", (int)(strlen(ext) - 3), ext);   /* no ".so" */
	snprintf(att, sizeof(att), "SELECT bpfrec_attach('%s')", cap);
	expect(run_v(NULL, (const char *const[]){ "/usr/bin/sqlite3", ":memory:", load, att,
		   "SELECT count(*), sum(seq) FROM alpha WHERE time >= '2024-05-01T12:00:01.001'"
		   " AND time < '2024-05-01T12:00:01.002'", "SELECT host FROM sessions", NULL }),
	       0, "alpha,beta,events,sessions,streams,losses,blocks,block_streams,objects,stacks,frames,programs,stream_loss,loss_windows,users,groups\n1000|1499500\nfixhost\n",
	       NULL);
	/* strict by default: damage fails the statement, naming the block */
	snprintf(att, sizeof(att), "SELECT bpfrec_attach('%s')", bad);
	struct run r = run_v(NULL, (const char *const[]){ "/usr/bin/sqlite3", ":memory:", load, att,
				  "SELECT count(*) FROM beta", NULL });
	CHECK(r.status != 0 && strstr(r.err, "block 10 damaged"));
	run_free(&r);

	/* Python's sqlite3 module, as the README shows it (Debian's python3:
	 * built with load_extension). */
	if (access("/usr/bin/python3", X_OK)) {
		fprintf(stderr, "note: no /usr/bin/python3: Python extension test skipped\n");
		return;
	}
	char py[3 * PATH_MAX];
	snprintf(py, sizeof(py),
		 "import sqlite3, sys\n"
		 "con = sqlite3.connect(':memory:')\n"
		 "con.enable_load_extension(True)\n"
		 "con.load_extension(sys.argv[1])\n"
		 "con.execute('SELECT bpfrec_attach(?)', (sys.argv[2],)).fetchall()\n"
		 "n, s = con.execute(\"SELECT count(*), sum(seq) FROM alpha WHERE time >= "
		 "'2024-05-01T12:00:01.001' AND time < '2024-05-01T12:00:01.002'\").fetchone()\n"
		 "print(n, s, con.execute('SELECT host FROM sessions').fetchone()[0])\n");
	snprintf(load, sizeof(load), "%.*s", (int)(strlen(ext) - 3), ext);
	expect(run_v(NULL, (const char *const[]){ "/usr/bin/python3", "-c", py, load, cap, NULL }),
	       0, "1000 1499500 fixhost\n", NULL);
}

int main(void)
{
	const char *b = getenv("BPFREC_BUILD");
	struct capfix_opts o = { .short_a = -1 };
	char btf[PATH_MAX + 8];

	if (b && *b) {
		snprintf(bin, sizeof(bin), "%s/replay/bpfreplay", b);
		snprintf(ext, sizeof(ext), "%s/replay/libbpfrec_sqlite.so", b);
	} else {                /* tests/test_replay_cli -> replay/bpfreplay */
		char self[PATH_MAX / 2];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		CHECK(n > 0);
		self[n] = 0;
		*strrchr(self, '/') = 0;
		snprintf(bin, sizeof(bin), "%s/../replay/bpfreplay", self);
		snprintf(ext, sizeof(ext), "%s/../replay/libbpfrec_sqlite.so", self);
	}
	if (access(bin, X_OK)) {
		fprintf(stderr, "%s: not built\n", bin);
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("replay_cli"));
	snprintf(cap, sizeof(cap), "%s/cap", tmp);
	snprintf(bad, sizeof(bad), "%s/bad", tmp);
	snprintf(trim, sizeof(trim), "%s/trim", tmp);
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	capfix_build(cap, btf, o);
	o.trim_a = 7;
	capfix_build(trim, btf, o);
	o.trim_a = 0;
	o.short_a = 5;
	capfix_build(bad, btf, o);
	capfix_damage_block(bad, 10);
	snprintf(many, sizeof(many), "%s/many", tmp);
	o.short_a = -1;
	capfix_build(many, btf, o);
	for (int b = 2; b <= 61; b++)
		capfix_damage_block(many, b);

	test_usage();
	test_info();
	test_show();
	test_sql();
	test_trimmed();
	test_damaged();
	test_many_damaged();
	test_extension();
	printf("test_replay_cli: ok\n");
	return 0;
}
