/* agg.c - see agg.h.  Every value is kept (8 bytes each) and sorted once at
 * the end: exact, and a million latencies cost 8 MB. */
#include "agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pct {
	double *v;
	size_t n, cap;
	double p;       /* 0..100; -1 until the first row */
	int failed;
};

static void pct_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct pct *a = sqlite3_aggregate_context(ctx, sizeof(*a));
	double p = 50;
	int t = sqlite3_value_numeric_type(argv[0]);

	if (!a)
		return sqlite3_result_error_nomem(ctx);
	if (a->failed)
		return;
	if (argc == 2) {
		int pt = sqlite3_value_numeric_type(argv[1]);

		p = sqlite3_value_double(argv[1]);
		if ((pt != SQLITE_INTEGER && pt != SQLITE_FLOAT) || !(p >= 0 && p <= 100) ||
		    (a->n && p != a->p)) {
			a->failed = 1;
			return sqlite3_result_error(ctx, "percentile(X, P): P must be a number from 0 "
						    "to 100, the same for every row", -1);
		}
	}
	a->p = p;
	if (t == SQLITE_NULL)
		return;
	if (t != SQLITE_INTEGER && t != SQLITE_FLOAT) {
		a->failed = 1;
		return sqlite3_result_error(ctx, argc == 2 ? "percentile(X, P): X must be a number"
						: "median(X): X must be a number", -1);
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		double *v = sqlite3_realloc64(a->v, cap * sizeof(*v));

		if (!v) {
			a->failed = 1;
			return sqlite3_result_error_nomem(ctx);
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = sqlite3_value_double(argv[0]);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static void pct_final(sqlite3_context *ctx)
{
	struct pct *a = sqlite3_aggregate_context(ctx, 0);

	if (!a)
		return;   /* no rows: NULL */
	if (!a->failed && a->n) {
		double idx, lo;
		size_t i;

		qsort(a->v, a->n, sizeof(*a->v), cmp_double);
		idx = a->p / 100.0 * (double)(a->n - 1);
		lo = floor(idx);
		i = (size_t)lo;
		if (i + 1 < a->n)
			sqlite3_result_double(ctx, a->v[i] + (idx - lo) * (a->v[i + 1] - a->v[i]));
		else
			sqlite3_result_double(ctx, a->v[i]);
	}
	sqlite3_free(a->v);
	a->v = NULL;
}

int agg__register(sqlite3 *db)
{
	int rc = sqlite3_create_function_v2(db, "percentile", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS,
					    NULL, NULL, pct_step, pct_final, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "median", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL,
						NULL, pct_step, pct_final, NULL);
	return rc;
}
