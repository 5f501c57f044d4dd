/* test_index - the index a capture gets is exactly schema/index.sql, and
 * the reader checks the format version. */
#include <errno.h>
#include <sqlite3.h>
#include <unistd.h>

#include "capr.h"
#include "capw.h"
#include "testutil.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	CHECK(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	return buf;
}

static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t cap = 1 << 16, n = 0;
	char *buf = calloc(1, cap);

	CHECK(p && buf);
	n = fread(buf, 1, cap - 1, p);
	buf[n] = 0;
	CHECK(pclose(p) == 0);
	return buf;
}

/* Skips whitespace and -- comments: where SQLite's stored text starts. */
static const char *skip_ws(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
			s++;
		if (s[0] == '-' && s[1] == '-') {
			while (*s && *s != '\n')
				s++;
			continue;
		}
		return s;
	}
}

static void expect_open_fails(const char *dir, const char *what)
{
	char err[512];
	struct capr *r = capr__open(dir, err, sizeof(err));

	if (r)
		fprintf(stderr, "capr__open succeeded, expected: %s\n", what);
	CHECK(r == NULL);
	fprintf(stderr, "expected: %s\n", err);
	CHECK(strstr(err, what) != NULL);
	CHECK(strstr(err, "index.db") != NULL);
}

int main(void)
{
	const char *src = getenv("BPFREC_SRC");
	char dir[4096], sqlpath[4200], cmd[9000], err[512];

	if (!src || !*src)
		src = ".";
	snprintf(sqlpath, sizeof(sqlpath), "%s/schema/index.sql", src);
	char *ddl = slurp(sqlpath);
	if (!ddl) {
		fprintf(stderr, "%s: not found (set BPFREC_SRC)\n", sqlpath);
		return 77;
	}

	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("index"));
	struct capw *w = capw__create(dir, NULL);
	CHECK(w != NULL);
	CHECK_EQ_INT(capw__close(w, 0), 0);

	/* 1. Every statement of index.sql is stored verbatim, in order. */
	sqlite3 *db;
	char path[4200];
	snprintf(path, sizeof(path), "%s/index.db", dir);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL "
				 "ORDER BY rowid", -1, &st, NULL) == SQLITE_OK);
	const char *p = skip_ws(ddl);
	int nstmt = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *sql = (const char *)sqlite3_column_text(st, 0);
		size_t n = strlen(sql);
		if (strncmp(p, sql, n) || p[n] != ';') {
			fprintf(stderr, "index.db holds:\n%s\nindex.sql says:\n%.*s\n", sql, (int)n, p);
			CHECK(0);
		}
		p = skip_ws(p + n + 1);
		nstmt++;
	}
	sqlite3_finalize(st);
	CHECK_EQ_INT(*p, 0);   /* nothing in index.sql left unapplied */
	CHECK(nstmt >= 9);

	/* Nothing else in the index's schema (no extra tables or triggers). */
	sqlite3 *mem;
	CHECK(sqlite3_open(":memory:", &mem) == SQLITE_OK);
	CHECK(sqlite3_exec(mem, ddl, NULL, NULL, NULL) == SQLITE_OK);
	const char *q = "SELECT group_concat(type||' '||name||' '||tbl_name||' '||ifnull(sql,''), "
			"char(10)) FROM (SELECT * FROM sqlite_schema ORDER BY name)";
	sqlite3_stmt *a, *b;
	CHECK(sqlite3_prepare_v2(db, q, -1, &a, NULL) == SQLITE_OK && sqlite3_step(a) == SQLITE_ROW);
	CHECK(sqlite3_prepare_v2(mem, q, -1, &b, NULL) == SQLITE_OK && sqlite3_step(b) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(a, 0), (const char *)sqlite3_column_text(b, 0));
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	sqlite3_close(mem);

	/* meta: the format version and the writer. */
	CHECK(sqlite3_prepare_v2(db, "SELECT group_concat(key||'='||value, ';') FROM "
				 "(SELECT * FROM meta ORDER BY key)", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0),
		  "format_version=1;writer=bpfrec " BPFREC_VERSION);
	sqlite3_finalize(st);
	/* journal_mode DELETE: a finished capture is one file. */
	CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "delete");
	sqlite3_finalize(st);
	sqlite3_close(db);
	snprintf(path, sizeof(path), "%s/index.db-journal", dir);
	CHECK(access(path, F_OK) != 0);

	/* 2. The same through the sqlite3 shell, as a user would look. */
	if (system("sqlite3 -version >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd), "sqlite3 '%s/index.db' .schema", dir);
		char *got = run(cmd);
		snprintf(cmd, sizeof(cmd), "sqlite3 :memory: '.read %s' .schema", sqlpath);
		char *want = run(cmd);
		CHECK(strlen(want) > 100);
		CHECK_STR(got, want);
		free(got);
		free(want);
	} else {
		fprintf(stderr, "note: no sqlite3 shell, .schema comparison skipped\n");
	}

	/* 3. The reader checks the version. */
	struct capr *r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);
	capr__close(r);

	poke_index(dir, "UPDATE meta SET value = '999' WHERE key = 'format_version'");
	expect_open_fails(dir, "format version 999 is newer than this build reads (1)");
	CHECK_EQ_INT(errno, EPROTONOSUPPORT);
	poke_index(dir, "UPDATE meta SET value = '1.5' WHERE key = 'format_version'");
	expect_open_fails(dir, "unknown format version '1.5'");
	poke_index(dir, "UPDATE meta SET value = '0' WHERE key = 'format_version'");
	expect_open_fails(dir, "unknown format version '0'");
	poke_index(dir, "DELETE FROM meta WHERE key = 'format_version'");
	expect_open_fails(dir, "no format_version");
	poke_index(dir, "DROP TABLE meta");
	expect_open_fails(dir, "not a bpfrec index");

	/* 4. Hostile schema objects are not run: a view (or trigger) is
	 * refused before any statement reads the file. */
	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("index2"));
	w = capw__create(dir, NULL);
	CHECK(w != NULL);
	CHECK_EQ_INT(capw__close(w, 0), 0);
	poke_index(dir, "CREATE VIEW v AS SELECT * FROM meta");
	expect_open_fails(dir, "the schema holds a view 'v', which bpfrec does not write");

	/* 5. A table of bpfrec's text is bpfrec's (capschema.c's short way);
	 * one of other text is compared column by column: the same
	 * definition in other words is read, an index left out is not. */
	snprintf(dir, sizeof(dir), "%s/cap", test_tmpdir("index3"));
	w = capw__create(dir, NULL);
	CHECK(w != NULL);
	CHECK_EQ_INT(capw__close(w, 0), 0);
	poke_index(dir, "DROP TABLE losses; CREATE TABLE losses (id INTEGER PRIMARY KEY, stream_id "
		   "INTEGER NOT NULL REFERENCES streams(id), cpu INTEGER, ts INTEGER NOT NULL, "
		   "count INTEGER NOT NULL)");
	r = capr__open(dir, err, sizeof(err));
	if (!r)
		fprintf(stderr, "%s\n", err);
	CHECK(r != NULL);
	capr__close(r);
	poke_index(dir, "DROP INDEX blocks_by_time");
	expect_open_fails(dir, "table 'blocks': its indexes differ from bpfrec's");
	poke_index(dir, "CREATE INDEX blocks_by_time ON blocks (min_ts, max_ts)");
	r = capr__open(dir, err, sizeof(err));
	CHECK(r != NULL);       /* bpfrec's very text again */
	capr__close(r);
	poke_index(dir, "DROP INDEX blocks_by_time; CREATE INDEX blocks_by_time ON blocks (max_ts, min_ts)");
	expect_open_fails(dir, "index 'blocks_by_time' of table 'blocks' differs from bpfrec's");

	free(ddl);
	printf("test_index: ok (%d statements)\n", nstmt);
	return 0;
}
