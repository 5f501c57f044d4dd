/* sqltime.c - times one SQL statement the way any SQLite client would run
 * it, for the SQL benchmark (run.sh): the same program, the same library
 * and the same clock for the plain table and for the capture.
 *
 *   sqltime [-r REPS] [-o ROWS] [--ext LIB --attach CAPTURE] DB 'SQL'
 *
 * Each repetition opens DB (read-only; ":memory:" for a capture), loads the
 * extension LIB and runs bpfrec_attach(CAPTURE) when asked (not timed), then
 * times the statement from prepare to finalize, every row stepped
 * (CLOCK_MONOTONIC, and the process's user + system CPU time, which other
 * load on the machine disturbs less).  Prints the best wall time and the
 * best CPU time in seconds; the rows of the first
 * repetition go to ROWS, one a line, columns joined by '|' as the sqlite3
 * shell prints them.  Exit 1 on any SQLite error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sqlite3.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "sqltime: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close(db);
	return -1;
}

/* One repetition: the statement's wall and CPU time in *secs, *cpus. */
static int run_once(const char *path, const char *ext, const char *cap, const char *sql,
		    FILE *rows, double *secs, double *cpus)
{
	int flags = !strcmp(path, ":memory:") ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *err = NULL;
	double t0, c0;
	int rc;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		return fail(db, path);
	if (ext) {
		char *q = sqlite3_mprintf("SELECT bpfrec_attach(%Q)", cap);

		sqlite3_enable_load_extension(db, 1);
		if (sqlite3_load_extension(db, ext, NULL, &err) != SQLITE_OK) {
			fprintf(stderr, "sqltime: %s: %s\n", ext, err ? err : "?");
			sqlite3_free(err);
			sqlite3_close(db);
			return -1;
		}
		rc = q ? sqlite3_exec(db, q, NULL, NULL, NULL) : SQLITE_NOMEM;
		sqlite3_free(q);
		if (rc != SQLITE_OK)
			return fail(db, cap);
	}
	c0 = cpu();
	t0 = now();
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(db, sql);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; rows && i < sqlite3_column_count(st); i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			fprintf(rows, "%s%s", i ? "|" : "", v ? (const char *)v : "");
		}
		if (rows)
			fputc('\n', rows);
	}
	sqlite3_finalize(st);
	*secs = now() - t0;
	*cpus = cpu() - c0;
	if (rc != SQLITE_DONE)
		return fail(db, sql);
	sqlite3_close(db);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ext", required_argument, NULL, 'e' },
		{ "attach", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ext = NULL, *cap = NULL, *out = NULL;
	double best = 0, best_cpu = 0;
	int reps = 3, c;

	while ((c = getopt_long(argc, argv, "r:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reps = atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'e': ext = optarg; break;
		case 'a': cap = optarg; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || reps < 1 || !ext != !cap)
		goto usage;
	for (int r = 0; r < reps; r++) {
		FILE *rows = r || !out ? NULL : fopen(out, "w");
		double t, tc;

		if (!r && out && !rows) {
			perror(out);
			return 1;
		}
		c = run_once(argv[optind], ext, cap, argv[optind + 1], rows, &t, &tc);
		if (rows)
			fclose(rows);
		if (c)
			return 1;
		best = !r || t < best ? t : best;
		best_cpu = !r || tc < best_cpu ? tc : best_cpu;
	}
	printf("%.6f %.6f\n", best, best_cpu);
	return 0;
usage:
	fprintf(stderr, "Usage: sqltime [-r REPS] [-o ROWS] [--ext LIB --attach CAPTURE] DB 'SQL'\n");
	return 2;
}
