/* test_agg.c - percentile(X, P) and median(X) on a connection with the
 * capture tables (vtab__register): values worked out by hand, NULLs
 * skipped, bad arguments rejected with a message. */
#include "testutil.h"
#include "vtab.h"

#include <math.h>

static sqlite3 *db;

static double q_real(const char *sql, int *is_null)
{
	sqlite3_stmt *st;
	double v = NAN;

	CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
	*is_null = sqlite3_column_type(st, 0) == SQLITE_NULL;
	v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void near(const char *sql, double want)
{
	int is_null;
	double v = q_real(sql, &is_null);

	if (is_null || fabs(v - want) > 1e-9) {
		fprintf(stderr, "%s: %.17g (null %d), expected %.17g\n", sql, v, is_null, want);
		exit(1);
	}
}

static void fails(const char *sql, const char *msg)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	CHECK(rc == SQLITE_ERROR);
	if (!strstr(sqlite3_errmsg(db), msg)) {
		fprintf(stderr, "%s: '%s', expected '%s'\n", sql, sqlite3_errmsg(db), msg);
		exit(1);
	}
}

int main(void)
{
	int is_null;

	CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
	CHECK(vtab__register(db, NULL));
	CHECK_EQ_INT(sqlite3_exec(db, "CREATE TABLE t(x); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
				      "SELECT i+1 FROM c WHERE i < 100) INSERT INTO t SELECT i FROM c "
				      "ORDER BY random(); INSERT INTO t VALUES (NULL), (NULL);",
				  NULL, NULL, NULL), SQLITE_OK);
	/* 1..100 (shuffled): rank p/100*(n-1) between the two nearest */
	near("SELECT median(x) FROM t", 50.5);
	near("SELECT percentile(x, 90) FROM t", 90.1);
	near("SELECT percentile(x, 99) FROM t", 99.01);
	near("SELECT percentile(x, 0) FROM t", 1);
	near("SELECT percentile(x, 100) FROM t", 100);
	near("SELECT percentile(x, 25.5) FROM t", 26.245);
	near("SELECT median(x) FROM (SELECT 7 x)", 7);
	near("SELECT median(x) FROM (SELECT 1.5 x UNION ALL SELECT 2.5 UNION ALL SELECT -4)", 1.5);
	near("SELECT median(x) FROM t WHERE x <= 4", 2.5);
	/* per group */
	near("SELECT max(m) FROM (SELECT x % 2 g, median(x) m FROM t GROUP BY g)", 51);   /* evens 2..100 */
	q_real("SELECT median(x) FROM t WHERE x > 1000", &is_null);
	CHECK(is_null);
	fails("SELECT percentile(x, 101) FROM t", "P must be a number from 0 to 100");
	fails("SELECT percentile(x, 'high') FROM t", "P must be a number");
	fails("SELECT percentile(x, x) FROM t", "the same for every row");
	fails("SELECT median(x) FROM (SELECT 'abc' x)", "median(X): X must be a number");
	sqlite3_close(db);
	puts("test_agg: ok");
	return 0;
}
