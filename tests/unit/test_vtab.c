/* test_vtab - the SQL virtual tables over a fixture capture (capfix.h):
 * columns, every value of every row, metadata tables, ts/time pushdown
 * that agrees with SQLite's own comparisons, block pruning counted with
 * capr__blocks_decoded(), bpfrec_attach(), and both damage policies. */
#include "testutil.h"
#include "fixtures/capfix.h"

#include "capr.h"
#include "capview.h"
#include "vtab.h"

static char cap_path[4096], bad_path[4096];
static char warnings[8192];

static void warn_cb(void *ctx, const char *msg)
{
	size_t n = strlen(warnings);
	snprintf(warnings + n, sizeof(warnings) - n, "%s\n", msg);
}

static sqlite3 *open_db(struct vtab_reg **reg, int strict, const char *path)
{
	struct vtab_opts o = { .strict = strict, .warn = warn_cb };

	return tu_vtab_db(&o, &path, path ? 1 : 0, reg);
}

static const char *q_text(sqlite3 *db, const char *sql)
{
	static char buf[4096];
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) || sqlite3_step(st) != SQLITE_ROW) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0) ?
		 (const char *)sqlite3_column_text(st, 0) : "(null)");
	sqlite3_finalize(st);
	return buf;
}

static void test_columns(sqlite3 *db)
{
	CHECK_STR(q_text(db, "SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('alpha')"),
		  "ts:INTEGER,time:TEXT,cpu:INTEGER,stream:TEXT,ts_ns:INTEGER,pid:INTEGER,seq:INTEGER,comm:TEXT");
	CHECK_STR(q_text(db, "SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('beta')"),
		  "ts:INTEGER,time:TEXT,cpu:INTEGER,stream:TEXT,tgid:INTEGER,ret:INTEGER,big:INTEGER");
}

/* Every row of both tables, in ts order, against the values written. */
static void test_all_values(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	uint32_t i = 0, j = 0;
	char tb[TIMEFMT_LEN + 1];
	struct timeclock ck = { CAPFIX_BOOT_NS, CAPFIX_REAL_NS };

	CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT ts, time, cpu, stream, ts_ns, pid, seq, comm"
					" FROM alpha ORDER BY ts", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct fix_a a;
		capfix_a(i, &a);
		CHECK_EQ_U64(sqlite3_column_int64(st, 0), capfix_ts_a(i));
		CHECK_STR((const char *)sqlite3_column_text(st, 1),
			  timefmt__iso(timeclock__wall(&ck, capfix_ts_a(i)), tb, sizeof(tb)));
		CHECK_EQ_INT(sqlite3_column_type(st, 2), SQLITE_NULL);
		CHECK_STR((const char *)sqlite3_column_text(st, 3), "alpha");
		CHECK_EQ_U64(sqlite3_column_int64(st, 4), a.ts_ns);
		CHECK_EQ_INT(sqlite3_column_int64(st, 5), a.pid);
		CHECK_EQ_INT(sqlite3_column_int64(st, 6), a.seq);
		CHECK_STR((const char *)sqlite3_column_text(st, 7), a.comm);
		i++;
	}
	sqlite3_finalize(st);
	CHECK_EQ_INT(i, 3000);

	CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT ts, cpu, stream, tgid, ret, big FROM beta ORDER BY ts",
					-1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct fix_b b;
		capfix_b(j, &b);
		CHECK_EQ_U64(sqlite3_column_int64(st, 0), capfix_ts_b(j));
		CHECK_EQ_INT(sqlite3_column_int64(st, 1), j % 4);
		CHECK_STR((const char *)sqlite3_column_text(st, 2), "beta");
		CHECK_EQ_INT(sqlite3_column_int64(st, 3), b.tgid);
		CHECK_EQ_INT(sqlite3_column_int64(st, 4), b.ret);
		/* u64 above 2^63-1: the same 64 bits as a (negative) INTEGER */
		CHECK_EQ_U64((uint64_t)sqlite3_column_int64(st, 5), b.big);
		CHECK(sqlite3_column_int64(st, 5) < 0);
		j++;
	}
	sqlite3_finalize(st);
	CHECK_EQ_INT(j, 2000);

	CHECK_EQ_INT(q_int(db, "SELECT sum(seq) FROM alpha"), 2999 * 3000 / 2);
	/* A statement reading one column decodes only the words holding it:
	 * the same answers as one that reads them all. */
	CHECK_EQ_INT(q_int(db, "SELECT total(pid) FROM alpha"),
		     q_int(db, "SELECT total(pid) FROM alpha WHERE comm IS NULL OR comm IS NOT NULL"));
	CHECK_EQ_INT(q_int(db, "SELECT count(DISTINCT comm) FROM alpha"),
		     q_int(db, "SELECT count(DISTINCT comm) FROM alpha WHERE seq >= 0"));
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE comm = 'curl'"), 600);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM beta WHERE tgid = '101'"), 667);  /* affinity */
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha a JOIN beta b ON b.tgid = a.pid"
			       " WHERE a.seq < 10 AND b.ret > -10"), 20);
}

static void test_meta(sqlite3 *db)
{
	CHECK_STR(q_text(db, "SELECT host || '|' || kernel_release || '|' || boot_id || '|' || cmdline"
			     " || '|' || tool_version || '|' || start_time FROM sessions"),
		  "fixhost|6.1.0-fix|f1xb00t|bpfrec record -o fix|bpfrec 0.1.0|"
		  "2024-05-01T12:00:00.999999000Z");
	CHECK_STR(q_text(db, "SELECT group_concat(name || ':' || kind || ':' || table_name || ':' ||"
			     " nrecords || ':' || lost, ',') FROM streams"),
		  "alpha:ringbuf:alpha:3000:3,beta:perf:beta:2000:17");
	CHECK_STR(q_text(db, "SELECT group_concat(stream || ':' || ifnull(cpu, 'null') || ':' || count"
			     " || ':' || time, ',') FROM losses"),
		  "alpha:null:3:2024-05-01T12:00:01.000001500Z,beta:2:17:2024-05-01T12:00:01.000005000Z");
	CHECK(q_int(db, "SELECT count(*) FROM blocks") > 40);
	CHECK_EQ_INT(q_int(db, "SELECT sum(nrecords) FROM block_streams"), 5000);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM blocks WHERE min_time > max_time"), 0);
	CHECK(q_int(db, "SELECT btf_bytes FROM objects WHERE name = 'fixprog'") > 100);
}

/* Blocks the index says hold alpha (or beta) records in [lo, hi]. */
static int64_t blocks_needed(sqlite3 *db, int stream, uint64_t lo, uint64_t hi)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM block_streams WHERE stream_id = %d"
		 " AND max_ts >= %llu AND min_ts <= %llu", stream, (unsigned long long)lo,
		 (unsigned long long)hi);
	return q_int(db, sql);
}

static void test_pruning(sqlite3 *db, struct vtab_reg *reg)
{
	struct capr *r = capview__capr(vtab__capture(reg, cap_path));
	int64_t nblocks = q_int(db, "SELECT count(*) FROM blocks");
	uint64_t before, lo = capfix_ts_a(1500), hi = capfix_ts_a(1509);
	char sql[512];

	/* ts BETWEEN: 10 rows, and only the blocks holding them */
	before = capr__blocks_decoded(r);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM alpha WHERE ts BETWEEN %llu AND %llu",
		 (unsigned long long)lo, (unsigned long long)hi);
	CHECK_EQ_INT(q_int(db, sql), 10);
	int64_t used = (int64_t)(capr__blocks_decoded(r) - before), need = blocks_needed(db, 1, lo, hi);
	fprintf(stderr, "ts range: %lld of %lld blocks decoded (index says %lld)\n",
		(long long)used, (long long)nblocks, (long long)need);
	CHECK_EQ_INT(used, need);
	CHECK(used >= 1 && used <= 3 && nblocks > 40);

	/* ts = */
	before = capr__blocks_decoded(r);
	snprintf(sql, sizeof(sql), "SELECT seq FROM alpha WHERE ts = %llu",
		 (unsigned long long)capfix_ts_a(2222));
	CHECK_EQ_INT(q_int(db, sql), 2222);
	CHECK_EQ_INT(capr__blocks_decoded(r) - before, blocks_needed(db, 1, capfix_ts_a(2222),
								      capfix_ts_a(2222)));

	/* time, as a prefix of the canonical form: 12:00:01.0015 to .0016 */
	before = capr__blocks_decoded(r);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM beta WHERE time >= '2024-05-01T12:00:01.0015'"
			       " AND time < '2024-05-01T12:00:01.0016'"), 67);
	used = (int64_t)(capr__blocks_decoded(r) - before);
	need = blocks_needed(db, 2, 2001500000, 2001599999);
	fprintf(stderr, "time range: %lld of %lld blocks decoded (index says %lld)\n",
		(long long)used, (long long)nblocks, (long long)need);
	CHECK_EQ_INT(used, need);
	CHECK(used <= 3);

	/* a full scan reads every block that holds the stream */
	before = capr__blocks_decoded(r);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM beta"), 2000);
	CHECK_EQ_INT(capr__blocks_decoded(r) - before,
		     q_int(db, "SELECT count(*) FROM block_streams WHERE stream_id = 2"));

	/* out of range, NULL: nothing decoded */
	before = capr__blocks_decoded(r);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE ts > 9000000000"), 0);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE ts < NULL"), 0);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE time < '2020'"), 0);
	CHECK_EQ_INT(capr__blocks_decoded(r) - before, 0);
}

/* The pushdown never changes a result: compare with the same predicate on
 * an expression (+ts, +time) that SQLite cannot hand to xBestIndex. */
static void test_pushdown_agrees(sqlite3 *db)
{
	static const char *const ops[] = { "=", "<", "<=", ">", ">=" };
	uint64_t seed = 7;
	char a[1024], b[1024], tb[TIMEFMT_LEN + 1];
	struct timeclock ck = { CAPFIX_BOOT_NS, CAPFIX_REAL_NS };

	for (int n = 0; n < 300; n++) {
		const char *op = ops[test_rand(&seed) % 5], *op2 = ops[1 + test_rand(&seed) % 4];
		uint64_t v = CAPFIX_T0 - 5000 + test_rand(&seed) % 3010000;
		uint64_t v2 = v + test_rand(&seed) % 200000;
		const char *tbl = n % 2 ? "alpha" : "beta";
		char val[64], val2[64];

		switch (n % 5) {
		case 0:     /* integers */
			snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
			snprintf(val2, sizeof(val2), "%llu", (unsigned long long)v2);
			break;
		case 1:     /* reals */
			snprintf(val, sizeof(val), "%.1f", (double)v + 0.5);
			snprintf(val2, sizeof(val2), "%.3e", (double)v2);
			break;
		default: {  /* time text: whole, cut prefixes, and a non-canonical one */
			static const int cuts[] = { 30, 29, 26, 24, 21, 20, 19, 10, 4 };
			int c1 = cuts[test_rand(&seed) % 9], c2 = cuts[test_rand(&seed) % 9];
			timefmt__iso(timeclock__wall(&ck, v), tb, sizeof(tb));
			snprintf(val, sizeof(val), "'%.*s'", c1, tb);
			timefmt__iso(timeclock__wall(&ck, v2), tb, sizeof(tb));
			if (n % 17 == 0)
				tb[10] = ' ';
			snprintf(val2, sizeof(val2), "'%.*s'", c2, tb);
		}
		}
		const char *col = n % 5 >= 2 ? "time" : "ts";
		snprintf(a, sizeof(a), "SELECT count(*) || ':' || total(rowid) FROM %s"
			 " WHERE %s %s %s AND %s %s %s", tbl, col, op, val, col, op2, val2);
		snprintf(b, sizeof(b), "SELECT count(*) || ':' || total(rowid) FROM %s"
			 " WHERE +%s %s %s AND +%s %s %s", tbl, col, op, val, col, op2, val2);
		char ra[128];
		snprintf(ra, sizeof(ra), "%s", q_text(db, a));
		if (strcmp(ra, q_text(db, b))) {
			fprintf(stderr, "pushdown changed a result:\n  %s -> %s\n  %s -> %s\n", a, ra, b,
				q_text(db, b));
			exit(1);
		}
	}
	/* Edge values: a ts constraint with an integer >= 0 is applied by the
	 * table alone (omitted from SQLite's checks), a real whose value is an
	 * integer reaches the plan as one (2.001e+09), reals past 2^53 and
	 * 2^63, negatives, and a bound with a parameter. */
	static const char *const edges[] = {
		"ts > -1", "ts >= 0", "ts < 0", "ts <= 0", "ts = 0", "ts > 0",
		"ts <= 9223372036854775807", "ts > 9223372036854775807", "ts < 9223372036854775807",
		"ts < 1e30", "ts > -1e30", "ts >= 2.000001e+09", "ts > 2.000001e+09",
		"ts <= 2.000001e+09", "ts < 2.000001e+09", "ts = 2.000001e+09", "ts = 2000001000.0",
		"ts < 9007199254740993.0", "ts >= 2000001000 AND ts < 2000004000.5",
		"ts = 2000001000", "ts > 2000001000 AND ts <= 2000003000",
	};
	for (size_t k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
		for (int t = 0; t < 2; t++) {
			char e[256], ra[128];
			const char *p = edges[k];
			size_t o = 0;

			/* the same predicate with +ts: never pushed down */
			while (*p && o + 2 < sizeof(e)) {
				if (!strncmp(p, "ts ", 3) && (p == edges[k] || p[-1] == ' '))
					e[o++] = '+';
				e[o++] = *p++;
			}
			e[o] = 0;
			snprintf(a, sizeof(a), "SELECT count(*) || ':' || total(rowid) FROM %s WHERE %s",
				 t ? "alpha" : "beta", edges[k]);
			snprintf(b, sizeof(b), "SELECT count(*) || ':' || total(rowid) FROM %s WHERE %s",
				 t ? "alpha" : "beta", e);
			snprintf(ra, sizeof(ra), "%s", q_text(db, a));
			if (strcmp(ra, q_text(db, b))) {
				fprintf(stderr, "pushdown changed a result:\n  %s -> %s\n  %s -> %s\n",
					a, ra, b, q_text(db, b));
				exit(1);
			}
		}
	}
	/* BETWEEN and IN-free forms the planner rewrites */
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE ts BETWEEN 2000001000 AND 2000003000"), 3);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE 2000001000 <= ts AND 2000003000 >= ts"), 3);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE time = '2024-05-01T12:00:01.000001000Z'"), 1);
	/* time compares as instants (COLLATE bpfrec_time): a prefix names its
	 * first instant, SQLite's own datetime form and zones mean what they
	 * say (text comparison put '2024-05-01 12:00:01' before every row of
	 * that day: issue 16). */
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE time = '2024-05-01T12:00:01.000001'"), 1);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE time >= '2024-05-01 12:00:01.000001'"
			       " AND time <= '2024-05-01 12:00:01.000003'"), 3);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE time >= '2024-05-01 12:00:01.002'"),
		     q_int(db, "SELECT count(*) FROM alpha WHERE ts >= 2002000000"));
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE time < '2024-05-01 12:00:01.002'"),
		     q_int(db, "SELECT count(*) FROM alpha WHERE ts < 2002000000"));
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE time >= '2024-05-01T14:00:01.002+02:00'"),
		     q_int(db, "SELECT count(*) FROM alpha WHERE ts >= 2002000000"));
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE +time >= '2024-05-01 12:00:01.002'"),
		     q_int(db, "SELECT count(*) FROM alpha WHERE ts >= 2002000000"));
	CHECK(q_int(db, "SELECT count(*) FROM alpha WHERE ts >= 2002000000") > 0);
	CHECK(q_int(db, "SELECT count(*) FROM alpha WHERE ts < 2002000000") > 0);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM losses WHERE time >= '2000-01-01 00:00:00'"),
		     q_int(db, "SELECT count(*) FROM losses"));
}

static void test_attach_function(void)
{
	struct vtab_reg *reg;
	sqlite3 *db = open_db(&reg, 1, NULL);
	char sql[4200];
	char *err = NULL;

	snprintf(sql, sizeof(sql), "SELECT bpfrec_attach('%s')", cap_path);
	CHECK_STR(q_text(db, sql), "alpha,beta,events,sessions,streams,losses,blocks,block_streams,objects,stacks,frames,programs,stream_loss,loss_windows,users,groups");
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM temp.alpha"), 3000);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM main.sqlite_schema"), 0);   /* all in temp */
	/* twice: the tables exist */
	CHECK(sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK);
	CHECK(err && strstr(err, "already exists"));
	sqlite3_free(err);
	/* one table by hand, another schema, the stream named explicitly */
	snprintf(sql, sizeof(sql), "CREATE VIRTUAL TABLE temp.b2 USING bpfrec('%s', 'beta', 'skip_damaged')",
		 cap_path);
	CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM b2 WHERE ret > -10"), 10);
	/* errors name the cause */
	snprintf(sql, sizeof(sql), "CREATE VIRTUAL TABLE temp.x USING bpfrec('%s', 'gamma')", cap_path);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK);
	CHECK(err && strstr(err, "no stream 'gamma'") && strstr(err, "alpha, beta"));
	sqlite3_free(err);
	CHECK(sqlite3_exec(db, "SELECT bpfrec_attach('/nonexistent/cap')", NULL, NULL, &err) != SQLITE_OK);
	CHECK(err && strstr(err, "/nonexistent/cap"));
	sqlite3_free(err);
	snprintf(sql, sizeof(sql), "SELECT bpfrec_attach('%s', 'temp', 'lenient')", cap_path);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK);
	CHECK(err && strstr(err, "skip_damaged"));
	sqlite3_free(err);
	sqlite3_close(db);
}

static void test_damage(void)
{
	struct vtab_reg *reg;
	sqlite3 *db = open_db(&reg, 0, bad_path);
	uint64_t blocks, recs;
	int64_t in_bad = q_int(db, "SELECT nrecords FROM block_streams WHERE block_id = 10 AND stream_id = 1");

	CHECK(in_bad > 0);
	/* lenient: everything but the damaged block and the short record */
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha"), 3000 - 1 - in_bad);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha WHERE seq = 5"), 0);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM alpha"), 3000 - 1 - in_bad);   /* counted once */
	vtab__damage(reg, &blocks, &recs);
	CHECK_EQ_U64(blocks, 1);
	CHECK_EQ_U64(recs, 1);
	CHECK(strstr(warnings, "block 10: damaged"));
	CHECK(strstr(warnings, "10 bytes, type fix_a needs 16"));
	sqlite3_close(db);

	/* strict: the statement fails and names the block */
	db = open_db(&reg, 1, bad_path);
	sqlite3_stmt *st = NULL;
	int rc;
	CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT count(*) FROM beta", -1, &st, NULL), SQLITE_OK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	CHECK_EQ_INT(rc, SQLITE_CORRUPT);
	CHECK(strstr(sqlite3_errmsg(db), "block 10 damaged"));
	sqlite3_finalize(st);
	/* a range that avoids the bad block works */
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM beta WHERE ts > 2002500000"), 333);
	sqlite3_close(db);
}

/* A stream named like a metadata table gets "_events" appended. */
static void test_reserved_name(const char *tmp)
{
	char path[4200], btfdir[4200], *err = NULL;
	struct capfix_opts o = { .short_a = -1, .n_a = 10, .n_b = 10, .name_b = "losses" };
	struct vtab_reg *reg;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/reserved", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	capfix_build(path, btfdir, o);
	db = open_db(&reg, 1, NULL);
	CHECK_EQ_INT(vtab__attach(reg, path, "temp", &err), SQLITE_OK);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM losses_events WHERE stream = 'losses'"), 10);
	CHECK_EQ_INT(q_int(db, "SELECT sum(count) FROM losses"), 20);
	CHECK_STR(q_text(db, "SELECT table_name FROM streams WHERE name = 'losses'"), "losses_events");
	sqlite3_close(db);
}

/* The events table bounds each capture's ts by its ts and time
 * constraints (fewer blocks decoded) and never changes a result: the same
 * predicates on +ts and +time, which SQLite cannot hand over, agree. */
static void test_events_pushdown(sqlite3 *db, struct vtab_reg *reg)
{
	struct capr *r = capview__capr(vtab__capture(reg, cap_path));
	struct timeclock ck = { CAPFIX_BOOT_NS, CAPFIX_REAL_NS };
	static const char *const ops[] = { "=", "<", "<=", ">", ">=" };
	char a[512], b[512], ra[128], tb[TIMEFMT_LEN + 1];
	uint64_t seed = 11, before, all, some;

	before = capr__blocks_decoded(r);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM events"), 5000);
	all = capr__blocks_decoded(r) - before;
	before = capr__blocks_decoded(r);
	/* alpha 2000001000, 2000002000, 2000003000; beta 2000002200 */
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM events WHERE ts BETWEEN 2000001000 AND 2000003000"),
		     4);
	some = capr__blocks_decoded(r) - before;
	fprintf(stderr, "events, ts range: %llu of %llu blocks decoded\n",
		(unsigned long long)some, (unsigned long long)all);
	CHECK(some > 0 && some * 4 < all);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM events WHERE time >= '2024-05-01T12:00:01.000001' "
			   "AND time <= '2024-05-01T12:00:01.000003Z'"), 4);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM events WHERE ts < 0 OR ts = 1"), 0);
	for (int n = 0; n < 200; n++) {
		const char *op = ops[test_rand(&seed) % 5], *op2 = ops[1 + test_rand(&seed) % 4];
		uint64_t v = CAPFIX_T0 - 5000 + test_rand(&seed) % 3010000;
		uint64_t v2 = v + test_rand(&seed) % 200000;
		char val[64], val2[64];
		const char *col = n % 3 ? "ts" : "time";

		if (n % 3 == 1) {
			snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
			snprintf(val2, sizeof(val2), "%.1f", (double)v2 + 0.5);
		} else if (n % 3 == 2) {
			snprintf(val, sizeof(val), "%.3e", (double)v);
			snprintf(val2, sizeof(val2), "%llu", (unsigned long long)v2);
		} else {
			timefmt__iso(timeclock__wall(&ck, v), tb, sizeof(tb));
			snprintf(val, sizeof(val), "'%.*s'", 21 + (int)(test_rand(&seed) % 10), tb);
			timefmt__iso(timeclock__wall(&ck, v2), tb, sizeof(tb));
			snprintf(val2, sizeof(val2), "'%s'", tb);
		}
		snprintf(a, sizeof(a), "SELECT count(*) || ':' || total(pid) || ':' || "
			 "ifnull(min(ts), '') FROM events WHERE %s %s %s AND %s %s %s",
			 col, op, val, col, op2, val2);
		snprintf(b, sizeof(b), "SELECT count(*) || ':' || total(pid) || ':' || "
			 "ifnull(min(ts), '') FROM events WHERE +%s %s %s AND +%s %s %s",
			 col, op, val, col, op2, val2);
		snprintf(ra, sizeof(ra), "%s", q_text(db, a));
		if (strcmp(ra, q_text(db, b))) {
			fprintf(stderr, "events pushdown changed a result:\n  %s -> %s\n  %s -> %s\n",
				a, ra, b, q_text(db, b));
			exit(1);
		}
	}
}

int main(void)
{
	const char *tmp = test_tmpdir("test_vtab");
	char btfdir[4200];
	struct capfix_opts o = { .short_a = -1 };
	struct vtab_reg *reg;

	snprintf(cap_path, sizeof(cap_path), "%s/cap", tmp);
	snprintf(bad_path, sizeof(bad_path), "%s/bad", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	capfix_build(cap_path, btfdir, o);
	o.short_a = 5;
	capfix_build(bad_path, btfdir, o);
	capfix_damage_block(bad_path, 10);

	sqlite3 *db = open_db(&reg, 1, cap_path);
	test_columns(db);
	test_all_values(db);
	test_meta(db);
	test_pruning(db, reg);
	test_pushdown_agrees(db);
	test_events_pushdown(db, reg);
	/* SQLITE_VTAB_DIRECTONLY: not from a (non-temp) schema's views */
	char *err = NULL;
	CHECK_EQ_INT(sqlite3_exec(db, "CREATE VIEW v AS SELECT count(*) FROM alpha", NULL, NULL, NULL),
		     SQLITE_OK);
	CHECK(sqlite3_exec(db, "SELECT * FROM v", NULL, NULL, &err) != SQLITE_OK);
	CHECK(err && strstr(err, "unsafe use of virtual table"));
	sqlite3_free(err);
	sqlite3_close(db);
	test_attach_function();
	test_damage();
	test_reserved_name(tmp);
	printf("test_vtab: ok\n");
	return 0;
}
