/* test_vtgroup - grouped scans (vtab.c VT_IDX_GROUP, vtgroup.h): the
 * table of distinct tuples alone (counts, SQLite's order, the memory
 * bound), then GROUP BY and DISTINCT over a fixture capture (capfix.h),
 * whose rows come grouped so that SQLite sorts nothing: the same rows as
 * the same statement with its columns hidden from the table (+col), also
 * when the distinct rows pass the memory (sorted runs on disk, merged),
 * and the plan without a sorter. */
#include "testutil.h"
#pragma GCC diagnostic ignored "-Wunused-function"   /* the fixture's helpers */
#include "fixtures/capfix.h"

#include <errno.h>

#include "vtab.h"
#include "vtgroup.h"

static char cap_path[4096];
static int stop_now;

static int interrupted_cb(void *ctx)
{
	(void)ctx;
	return stop_now;
}

static sqlite3 *open_db(size_t group_bytes)
{
	struct vtab_opts o = { .strict = 1, .interrupted = interrupted_cb,
			       .group_bytes = group_bytes };
	const char *path = cap_path;

	return tu_vtab_db(&o, &path, 1, NULL);
}

/* Every row of sql, in the order stepped: columns joined by '|', rows by
 * '\n'.  malloc'ed. */
static char *rows_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *out = calloc(1, 1);
	size_t len = 0;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *t = (const char *)sqlite3_column_text(st, c);
			size_t n = strlen(t ? t : "NULL") + 2;

			out = realloc(out, len + n + 1);
			CHECK(out);
			len += (size_t)snprintf(out + len, n + 1, "%s%s", c ? "|" : "", t ? t : "NULL");
		}
		out = realloc(out, len + 2);
		CHECK(out);
		out[len++] = '\n';
		out[len] = 0;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_finalize(st);
	return out;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rows_of with the rows sorted (several passes hand the groups out by
 * part, each part in order). */
static char *sorted_rows(sqlite3 *db, const char *sql)
{
	char *all = rows_of(db, sql), *line, *save = NULL, **v = NULL, *out;
	size_t n = 0, len = strlen(all);

	for (line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		v = realloc(v, (n + 1) * sizeof(*v));
		CHECK(v);
		v[n++] = line;
	}
	qsort(v, n, sizeof(*v), cmp_line);
	out = malloc(len + 2);
	CHECK(out);
	out[0] = 0;
	for (size_t i = 0, o = 0; i < n; i++)
		o += (size_t)sprintf(out + o, "%s\n", v[i]);
	free(v);
	free(all);
	return out;
}

/* Whether sql's plan sorts for its GROUP BY or ORDER BY. */
static int plan_sorts(sqlite3 *db, const char *sql)
{
	char eqp[2048];
	char *p;
	int sorts;

	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	p = rows_of(db, eqp);
	sorts = strstr(p, "TEMP B-TREE FOR GROUP BY") || strstr(p, "TEMP B-TREE FOR ORDER BY");
	free(p);
	return sorts;
}

static void test_table(void)
{
	struct vtgroup *g = vtgroup__new(2, 1 << 20);
	struct vgval v[2], out[2];
	uint64_t h1, h2;

	CHECK(g);
	/* (text, int) tuples, some repeated, added out of order */
	static const struct { const char *t; int null; int64_t i; } rows[] = {
		{ "b", 0, 2 }, { "a", 0, 7 }, { "b", 0, 2 }, { "", 0, -1 }, { NULL, 0, 3 },
		{ "ab", 0, 1 }, { "a", 0, 7 }, { "a", 1, 0 }, { "b", 0, -5 }, { "b", 0, 2 },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		vtgroup__key_start(g);
		v[0] = rows[r].t ? (struct vgval){ .type = VG_TEXT, .p = rows[r].t, .n = strlen(rows[r].t) }
				 : (struct vgval){ .type = VG_NULL };
		v[1] = rows[r].null ? (struct vgval){ .type = VG_NULL }
				    : (struct vgval){ .type = VG_INT, .i = rows[r].i };
		CHECK_EQ_INT(vtgroup__key_put(g, &v[0]), 0);
		CHECK_EQ_INT(vtgroup__key_put(g, &v[1]), 0);
		vtgroup__key_hash(g);
		CHECK_EQ_INT(vtgroup__add(g), 0);
	}
	CHECK_EQ_INT(vtgroup__count(g), 7);
	vtgroup__sort(g);
	/* SQLite's order: NULL first, integers before texts, texts by bytes
	 * then length */
	static const struct { const char *t; int null; int64_t i; uint64_t n; } want[] = {
		{ NULL, 0, 3, 1 }, { "", 0, -1, 1 }, { "a", 1, 0, 1 }, { "a", 0, 7, 2 },
		{ "ab", 0, 1, 1 }, { "b", 0, -5, 1 }, { "b", 0, 2, 3 },
	};
	for (size_t k = 0; k < 7; k++) {
		CHECK_EQ_U64(vtgroup__get(g, k, out), want[k].n);
		if (!want[k].t) {
			CHECK_EQ_INT(out[0].type, VG_NULL);
		} else {
			CHECK_EQ_INT(out[0].type, VG_TEXT);
			CHECK_EQ_INT(out[0].n, strlen(want[k].t));
			CHECK(!memcmp(out[0].p, want[k].t, out[0].n));
		}
		CHECK_EQ_INT(out[1].type, want[k].null ? VG_NULL : VG_INT);
		if (!want[k].null)
			CHECK_EQ_INT(out[1].i, want[k].i);
	}
	/* the same tuple, the same hash; a real is refused */
	vtgroup__reset(g);
	CHECK_EQ_INT(vtgroup__count(g), 0);
	v[0] = (struct vgval){ .type = VG_TEXT, .p = "xy", .n = 2 };
	v[1] = (struct vgval){ .type = VG_INT, .i = 9 };
	vtgroup__key_start(g);
	vtgroup__key_put(g, &v[0]);
	vtgroup__key_put(g, &v[1]);
	h1 = vtgroup__key_hash(g);
	v[0].p = "xyz";     /* the first two bytes the same, longer */
	v[0].n = 2;
	vtgroup__key_start(g);
	vtgroup__key_put(g, &v[0]);
	vtgroup__key_put(g, &v[1]);
	h2 = vtgroup__key_hash(g);
	CHECK_EQ_U64(h1, h2);
	v[1] = (struct vgval){ .type = VG_FLOAT, .f = 0.0 };
	CHECK_EQ_INT(vtgroup__key_put(g, &v[1]), -EINVAL);
	vtgroup__free(g);

	/* The bound: new tuples past max_bytes are refused, known ones still
	 * counted. */
	g = vtgroup__new(1, 16384);
	CHECK(g);
	int64_t i;
	int rc = 0;
	for (i = 0; i < 100000 && !rc; i++) {
		v[0] = (struct vgval){ .type = VG_INT, .i = i };
		vtgroup__key_start(g);
		vtgroup__key_put(g, &v[0]);
		vtgroup__key_hash(g);
		rc = vtgroup__add(g);
	}
	CHECK_EQ_INT(rc, -E2BIG);
	size_t n = vtgroup__count(g);
	CHECK(n > 100 && n < 1000);
	v[0].i = 0;
	vtgroup__key_start(g);
	vtgroup__key_put(g, &v[0]);
	vtgroup__key_hash(g);
	CHECK_EQ_INT(vtgroup__add(g), 0);
	CHECK_EQ_INT(vtgroup__count(g), n);
	vtgroup__sort(g);
	CHECK_EQ_U64(vtgroup__get(g, 0, out), 2);
	CHECK_EQ_INT(out[0].i, 0);
	vtgroup__free(g);
}

/* A grouped statement and the same with its columns hidden (+col: an
 * expression, so SQLite groups it with its sorter): the same rows.  Each
 * pair: the grouped form, the reference. */
static const char *const pairs[][2] = {
	{ "SELECT comm, count(*) FROM alpha GROUP BY comm",
	  "SELECT +comm, count(*) FROM alpha GROUP BY +comm" },
	{ "SELECT DISTINCT comm FROM alpha", "SELECT DISTINCT +comm FROM alpha" },
	{ "SELECT pid, comm, count(*) FROM alpha GROUP BY comm, pid",
	  "SELECT +pid, +comm, count(*) FROM alpha GROUP BY +comm, +pid" },
	{ "SELECT count(*) FROM alpha GROUP BY pid", "SELECT count(*) FROM alpha GROUP BY +pid" },
	{ "SELECT DISTINCT pid, stream FROM alpha", "SELECT DISTINCT +pid, +stream FROM alpha" },
	{ "SELECT seq % 3, count(*) FROM alpha GROUP BY seq",
	  "SELECT +seq % 3, count(*) FROM alpha GROUP BY +seq" },
	{ "SELECT tgid, big, count(*) FROM beta GROUP BY tgid, big",
	  "SELECT +tgid, +big, count(*) FROM beta GROUP BY +tgid, +big" },
	{ "SELECT cpu, count(*) FROM beta GROUP BY cpu",
	  "SELECT +cpu, count(*) FROM beta GROUP BY +cpu" },
	{ "SELECT cpu, count(*) FROM alpha GROUP BY cpu",    /* all NULL */
	  "SELECT +cpu, count(*) FROM alpha GROUP BY +cpu" },
	{ "SELECT comm, count(*) c FROM alpha GROUP BY comm HAVING c > 599 LIMIT 2",
	  "SELECT +comm, count(*) c FROM alpha GROUP BY +comm HAVING c > 599 LIMIT 2" },
	/* rowids stay distinct */
	{ "SELECT comm, count(DISTINCT rowid) FROM alpha GROUP BY comm",
	  "SELECT +comm, count(*) FROM alpha GROUP BY +comm" },
};

/* Pairs whose order matters: SQLite takes a grouped scan's order for an
 * ORDER BY of the same columns (any directions, any order of them) and
 * sorts nothing more, so the rows must come in that order, also across
 * passes.  Compared row by row, in order. */
static const char *const ordered[][2] = {
	{ "SELECT comm, count(*) FROM alpha GROUP BY comm ORDER BY comm DESC",
	  "SELECT +comm, count(*) FROM alpha GROUP BY +comm ORDER BY 1 DESC" },
	{ "SELECT seq, count(*) FROM alpha GROUP BY seq ORDER BY seq",
	  "SELECT +seq, count(*) FROM alpha GROUP BY +seq ORDER BY 1" },
	{ "SELECT seq FROM alpha GROUP BY seq ORDER BY seq DESC",
	  "SELECT +seq FROM alpha GROUP BY +seq ORDER BY 1 DESC" },
	{ "SELECT pid, comm, count(*) FROM alpha GROUP BY comm, pid ORDER BY comm DESC, pid",
	  "SELECT +pid, +comm, count(*) FROM alpha GROUP BY +comm, +pid ORDER BY 2 DESC, 1" },
	{ "SELECT pid, seq, count(*) FROM alpha GROUP BY seq, pid ORDER BY seq, pid DESC",
	  "SELECT +pid, +seq, count(*) FROM alpha GROUP BY +seq, +pid ORDER BY 2, 1 DESC" },
	{ "SELECT seq, pid FROM alpha GROUP BY pid, seq ORDER BY pid DESC, seq DESC",
	  "SELECT +seq, +pid FROM alpha GROUP BY +pid, +seq ORDER BY 2 DESC, 1 DESC" },
};

static void test_scans(sqlite3 *db, int several)
{
	for (size_t k = 0; k < sizeof(ordered) / sizeof(ordered[0]); k++) {
		char *a = rows_of(db, ordered[k][0]);
		char *b = rows_of(db, ordered[k][1]);

		if (strcmp(a, b) || !*a) {
			fprintf(stderr, "grouped scan's order differs (%s):\n%s\n->\n%.300s\n%s\n->\n%.300s\n",
				several ? "several passes" : "one pass", ordered[k][0], a, ordered[k][1], b);
			exit(1);
		}
		free(a);
		free(b);
	}
	/* (the folded ORDER BY: no sorter for it either) */
	CHECK(!plan_sorts(db, ordered[0][0]));
	CHECK(!plan_sorts(db, ordered[1][0]));
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		/* as sets: SQLite's DISTINCT keeps the scan's order */
		char *a = sorted_rows(db, pairs[k][0]);
		char *b = sorted_rows(db, pairs[k][1]);

		if (strcmp(a, b) || !*a) {
			fprintf(stderr, "grouped scan differs:\n%s\n->\n%s\n%s\n->\n%s\n", pairs[k][0],
				a, pairs[k][1], b);
			exit(1);
		}
		/* (SQLite keeps its own DISTINCT step after a grouped scan,
		 * which then hands it one row per tuple) */
		if (strncmp(pairs[k][0], "SELECT DISTINCT", 15)) {
			CHECK(!plan_sorts(db, pairs[k][0]));
			CHECK(plan_sorts(db, pairs[k][1]));
		}
		free(a);
		free(b);
	}
	/* the counts themselves, in the sorter's order with one pass */
	char *r = rows_of(db, "SELECT comm, count(*) FROM alpha GROUP BY comm");
	if (!several)
		CHECK_STR(r, "bash|600\ncurl|600\ninit|600\nsshd|600\nx y=\"z\"|600\n");
	free(r);
	CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM (SELECT DISTINCT seq FROM alpha)"), 3000);
	CHECK_EQ_INT(q_int(db, "SELECT sum(n) FROM (SELECT count(*) n FROM alpha GROUP BY seq)"), 3000);
	/* what a grouped scan cannot give is left to SQLite's sorter: a
	 * column read beside the groups, time (compared as instants), and
	 * expressions */
	CHECK(plan_sorts(db, "SELECT comm, max(pid) FROM alpha GROUP BY comm"));
	CHECK(plan_sorts(db, "SELECT time, count(*) FROM alpha GROUP BY time"));
	CHECK(plan_sorts(db, "SELECT comm, count(*) FROM alpha WHERE pid > 101 GROUP BY comm"));
	CHECK(plan_sorts(db, "SELECT lower(comm), count(*) FROM alpha GROUP BY lower(comm)"));
	CHECK(plan_sorts(db, "SELECT comm FROM alpha ORDER BY comm"));
}

/* Adds the one-value tuple v, spilling the table first when it is full
 * (as the grouped scan does); 1 when it spilled. */
static int add_spilling(struct vtgroup *g, const struct vgval *v)
{
	int rc, spilled = 0;

	vtgroup__key_start(g);
	CHECK_EQ_INT(vtgroup__key_put(g, v), 0);
	vtgroup__key_hash(g);
	rc = vtgroup__add(g);
	if (rc == -E2BIG) {
		CHECK_EQ_INT(vtgroup__spill(g), 0);
		spilled = 1;
		rc = vtgroup__add(g);
	}
	CHECK_EQ_INT(rc, 0);
	return spilled;
}

/* More distinct tuples than the memory holds: runs spilled as the table
 * fills, merged in order with each tuple's rows counted over all runs. */
static void test_runs(void)
{
	struct vtgroup *g = vtgroup__new(1, 4096);
	struct vgval v, out;
	uint64_t n, total = 0;
	int64_t last = -1;
	size_t distinct = 0, spills = 0;
	uint64_t want[2000] = { 0 };
	int rc;

	CHECK(g);
	for (int round = 0; round < 3; round++) {
		for (int64_t i = 0; i < 5000; i++) {
			v = (struct vgval){ .type = VG_INT, .i = (i * 7919) % 2000 };
			want[v.i]++;
			spills += add_spilling(g, &v);
		}
	}
	CHECK(spills > 10);
	CHECK_EQ_INT(vtgroup__merge_start(g), 0);
	while ((rc = vtgroup__merge_next(g, &out, &n)) == 1) {
		CHECK_EQ_INT(out.type, VG_INT);
		CHECK(out.i > last);            /* in order, each once */
		last = out.i;
		CHECK(out.i >= 0 && out.i < 2000);
		CHECK_EQ_U64(n, want[out.i]);
		total += n;
		distinct++;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(distinct, 2000);
	CHECK_EQ_U64(total, 15000);
	/* a reset drops the runs: the table alone again */
	vtgroup__reset(g);
	v = (struct vgval){ .type = VG_INT, .i = 5 };
	vtgroup__key_start(g);
	vtgroup__key_put(g, &v);
	vtgroup__key_hash(g);
	CHECK_EQ_INT(vtgroup__add(g), 0);
	CHECK_EQ_INT(vtgroup__merge_start(g), 0);
	CHECK_EQ_INT(vtgroup__merge_next(g, &out, &n), 1);
	CHECK_EQ_INT(out.i, 5);
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_INT(vtgroup__merge_next(g, &out, &n), 0);
	vtgroup__free(g);
}

/* Tuples of a third of the table's memory: every one spills alone, a run
 * each.  A merge of all runs at once would hold each run's head (20
 * KiB here, up to a row's size in a capture whose rows are large and
 * distinct: GBs for a file of some MB), so the runs are merged in passes
 * of what max_bytes holds.  Each tuple comes twice, in two runs; every
 * tuple must come out once, in order, counted 2. */
enum { NT = 300, TLEN = 20000 };

static struct vtgroup *fill_large(size_t max_bytes)
{
	struct vtgroup *g = vtgroup__new(1, max_bytes);
	static char text[TLEN];
	struct vgval v;

	CHECK(g);
	memset(text, 'x', sizeof(text));
	for (int round = 0; round < 2; round++) {
		for (long i = 0; i < NT; i++) {
			long k = (i * 7 + round * 13) % NT;   /* every value, in another order */

			snprintf(text, 16, "%06ld", k);   /* (its NUL is part of the text) */
			v = (struct vgval){ .type = VG_TEXT, .p = text, .n = TLEN };
			add_spilling(g, &v);
		}
	}
	return g;
}

static int always(void *ctx)
{
	(void)ctx;
	return 1;
}

static void test_runs_large(void)
{
	const size_t max_bytes = 65536;
	struct vtgroup *g = fill_large(max_bytes);
	struct vgval out;
	uint64_t n;
	size_t distinct = 0;
	long last = -1;
	int rc;

	CHECK_EQ_INT(vtgroup__merge_start(g), 0);
	while ((rc = vtgroup__merge_next(g, &out, &n)) == 1) {
		long k = strtol(out.p, NULL, 10);

		CHECK_EQ_INT(out.type, VG_TEXT);
		CHECK_EQ_U64(out.n, TLEN);
		CHECK(k > last);
		last = k;
		CHECK_EQ_U64(n, 2);
		distinct++;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_U64(distinct, NT);
	/* at most max_bytes of read-ahead, or two runs' largest records
	 * (a merge needs two heads at least): not NT heads */
	if (vtgroup__merge_peak(g) > 2 * max_bytes)
		fprintf(stderr, "merge held %zu bytes of runs at once\n", vtgroup__merge_peak(g));
	CHECK(vtgroup__merge_peak(g) <= 2 * max_bytes);
	vtgroup__free(g);
	/* Ctrl-C reaches the merge passes */
	g = fill_large(max_bytes);
	vtgroup__on_stop(g, always, NULL);
	CHECK_EQ_INT(vtgroup__merge_start(g), -EINTR);
	vtgroup__free(g);
}

/* One tuple larger than the table's memory is refused, not counted: a
 * union of 60 text members over one 32 MiB record (a block of some KB,
 * zstd's work) made each row's tuple ~2 GiB, copied into a key and an
 * arena of as much (4 GiB and more for a file of some KB). */
static void test_tuple_limit(void)
{
	struct vtgroup *g = vtgroup__new(2, 4096);
	static char text[5000];
	struct vgval v;

	CHECK(g);
	memset(text, 'y', sizeof(text));
	vtgroup__key_start(g);
	v = (struct vgval){ .type = VG_TEXT, .p = text, .n = 5000 };
	CHECK_EQ_INT(vtgroup__key_put(g, &v), -E2BIG);
	/* two values that pass it together */
	vtgroup__key_start(g);
	v.n = 3000;
	CHECK_EQ_INT(vtgroup__key_put(g, &v), 0);
	CHECK_EQ_INT(vtgroup__key_put(g, &v), -E2BIG);
	/* within it: counted */
	vtgroup__key_start(g);
	v.n = 1000;
	CHECK_EQ_INT(vtgroup__key_put(g, &v), 0);
	CHECK_EQ_INT(vtgroup__key_put(g, &v), 0);
	vtgroup__key_hash(g);
	CHECK_EQ_INT(vtgroup__add(g), 0);
	CHECK_EQ_U64(vtgroup__count(g), 1);
	vtgroup__free(g);
}

/* The inverse of x * c (mod 2^64) for an odd c. */
static uint64_t mul_inv(uint64_t c)
{
	uint64_t x = c;   /* Newton: each step doubles the bits that are right */

	for (int i = 0; i < 6; i++)
		x *= 2 - c * x;
	return x;
}

/* Integers whose tuples (type byte 1, then the 8 bytes) had, under the
 * table's first hash (vtgroup.c hash_bytes, unseeded), hashes with their
 * low 24 bits 0: one slot, whatever the table's size up to 16 M slots.
 * Computed backwards from the hashes; one in 256 of them has the type
 * byte right. */
static size_t colliding_ints(int64_t *out, size_t n)
{
	const uint64_t c1 = 0xff51afd7ed558ccdull, c2 = 0xc4ceb9fe1a85ec53ull,
		       c3 = 0x94d049bb133111ebull, h0 = 0x9e3779b97f4a7c15ull ^ 9;
	size_t k = 0;

	for (uint64_t r = 1; k < n && r < (1ull << 40); r++) {
		uint64_t h = r << 24;

		h ^= h >> 32;                      /* h ^ h >> 32 */
		h *= mul_inv(c3);
		h ^= h >> 29 ^ h >> 58;            /* h ^= h >> 29 */
		h *= mul_inv(c2);                  /* (h ^ tail byte 0) * c2 */
		h ^= h >> 32;                      /* h ^= h >> 32 */
		uint64_t x = h * mul_inv(c1) ^ h0; /* (h0 ^ x) * c1 */
		if ((x & 0xff) == VG_INT)
			out[k++] = (int64_t)(x >> 8);   /* its 8th byte 0: the tail */
	}
	return k;
}

/* Values an attacker chose so that their hashes share a slot must not make
 * each add probe every value before it (20,000 of them: 2 x 10^8 probes,
 * a capture of some MB of such values hours): the table's hash is seeded
 * per table, unknown to whoever wrote the capture. */
static void test_hash_flood(void)
{
	enum { N = 20000 };
	static int64_t vals[N];
	struct vtgroup *g = vtgroup__new(1, 64u << 20);
	struct vgval v;

	CHECK(g);
	CHECK_EQ_U64(colliding_ints(vals, N), N);
	for (size_t i = 0; i < N; i++) {
		v = (struct vgval){ .type = VG_INT, .i = vals[i] };
		vtgroup__key_start(g);
		CHECK_EQ_INT(vtgroup__key_put(g, &v), 0);
		vtgroup__key_hash(g);
		CHECK_EQ_INT(vtgroup__add(g), 0);
	}
	CHECK_EQ_U64(vtgroup__count(g), N);
	if (vtgroup__probes(g) > 20u * N)
		fprintf(stderr, "%d adds probed %zu slots\n", N, vtgroup__probes(g));
	CHECK(vtgroup__probes(g) <= 20u * N);
	printf("test_vtgroup: %d values chosen to share a slot: %zu probes\n", N,
	       vtgroup__probes(g));
	vtgroup__free(g);
}

int main(void)
{
	const char *tmp = test_tmpdir("test_vtgroup");
	char btfdir[4200];
	struct capfix_opts o = { .short_a = -1 };
	sqlite3 *db;

	snprintf(cap_path, sizeof(cap_path), "%s/cap", tmp);
	snprintf(btfdir, sizeof(btfdir), "%s/btf", tmp);
	capfix_build(cap_path, btfdir, o);

	test_table();
	test_runs();
	test_runs_large();
	test_tuple_limit();
	test_hash_flood();
	db = open_db(0);
	test_scans(db, 0);
	sqlite3_close(db);
	/* 3000 distinct seqs in 8 KiB passes: the scan splits into passes,
	 * each counting the tuples after the last one's */
	db = open_db(8192);
	test_scans(db, 1);
	/* Ctrl-C (vtab_opts.interrupted) stops the counting pass */
	sqlite3_stmt *st = NULL;
	stop_now = 1;
	CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT seq, count(*) FROM alpha GROUP BY seq", -1, &st,
					NULL), SQLITE_OK);
	CHECK_EQ_INT(sqlite3_step(st), SQLITE_INTERRUPT);
	sqlite3_finalize(st);
	/* ... and a scan that decodes blocks but finds no row in them (ts
	 * T0 + 500 lies inside the first block, between two records): a
	 * hostile capture's many blocks of other streams or damaged records
	 * keep a scan inside one xFilter/xNext as long, where SQLite's own
	 * interrupt is not looked at.  Grouped and plain alike. */
	static const char *const none[] = {
		"SELECT seq, count(*) FROM alpha WHERE ts = 2000000500 GROUP BY seq",
		"SELECT seq FROM alpha WHERE ts = 2000000500",
		"SELECT * FROM events WHERE ts = 2000000500",
	};
	for (size_t k = 0; k < sizeof(none) / sizeof(none[0]); k++) {
		stop_now = 0;
		CHECK_EQ_INT(sqlite3_prepare_v2(db, none[k], -1, &st, NULL), SQLITE_OK);
		CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE);   /* no row: not interrupted */
		sqlite3_reset(st);
		stop_now = 1;
		CHECK_EQ_INT(sqlite3_step(st), SQLITE_INTERRUPT);
		sqlite3_finalize(st);
	}
	stop_now = 0;
	sqlite3_close(db);
	printf("test_vtgroup: ok\n");
	return 0;
}
