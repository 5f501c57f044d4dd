/* test_hostile - captures crafted by an attacker, opened by every reader.
 *
 * A capture is hostile input on the machine that opens it (README,
 * "Reliability").  Each attack below starts from a valid fixture capture
 * (capfix.h), changes its index.db, catalog.db or a bundle as an attacker
 * would (declared types and column names that are SQL, stream names with
 * quotes or terminal escapes, ...), and then runs every bpfreplay command
 * on it, the loadable extension in the stock sqlite3 shell and in Python.
 * Every run must, within a time limit:
 *   - exit 0 (the payload shown as inert text) or 3 with a message;
 *   - write no canary file (the payloads try VACUUM INTO and ATTACH there);
 *   - leave no database attached to the host connection;
 *   - print no raw control byte (but newline and tab) on stdout or stderr.
 */
#include "testutil.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"   /* helpers of other tests */
#include "fixtures/capfix.h"
#include "fixtures/clirun.h"
#pragma GCC diagnostic pop

#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>

#define TIME_LIMIT_S 20         /* per command; a run killed by it fails the test */

static char tmp[PATH_MAX / 2], base[PATH_MAX], canary[PATH_MAX], ext[PATH_MAX];

/* Replaces every "@C@" in s with the canary directory (malloc'ed). */
static char *with_canary(const char *s)
{
	size_t n = strlen(s) + 1, cl = strlen(canary);
	for (const char *p = s; (p = strstr(p, "@C@")); p += 3)
		n += cl;
	char *out = malloc(n), *o = out;
	CHECK(out);
	while (*s) {
		if (!strncmp(s, "@C@", 3)) {
			memcpy(o, canary, cl);
			o += cl;
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	return out;
}

static void copy_file(const char *from, const char *to)
{
	size_t len = 0;
	char *buf = clirun_slurp(from, &len);
	FILE *f = fopen(to, "wb");

	CHECK(f && fwrite(buf, 1, len, f) == len && !fclose(f));
	free(buf);
}

/* A fresh copy of the fixture capture as tmp/name. */
static const char *fresh(const char *name)
{
	static char dir[PATH_MAX];
	char from[PATH_MAX + 300], to[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	CHECK(!mkdir(dir, 0755));
	CHECK((d = opendir(base)));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s", base, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", dir, e->d_name);
		copy_file(from, to);
	}
	closedir(d);
	return dir;
}

/* Runs sql (with @C@ for the canary directory) on dir/file, as an attacker
 * editing the file with any SQLite client would (schema text included). */
static void craft(const char *dir, const char *file, const char *sql)
{
	char path[PATH_MAX + 64];
	char *s = with_canary(sql);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	poke_db(path, s);
	free(s);
}

static void check_no_canary(const char *what)
{
	DIR *d = opendir(canary);
	struct dirent *e;

	CHECK(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		fprintf(stderr, "%s: canary file %s/%s was written\n", what, canary, e->d_name);
		exit(1);
	}
	closedir(d);
}

static void check_no_ctrl(const char *what, const char *stream, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
			fprintf(stderr, "%s: raw control byte 0x%02x on %s at offset %zu:\n%.2000s\n",
				what, *p, stream, (size_t)((const char *)p - s), s);
			exit(1);
		}
	}
}

/* One bpfreplay command on a crafted capture: exit 0 or 3 (3 with a
 * message), in time, no canary, no control byte.  Returns the status. */
static int run_cmd(const char *what, const char *err_has, const char *const *args)
{
	struct clirun r = clirun_v(args);

	/* verify reports on stdout, the others on stderr */
	if ((r.status != 0 && r.status != 3) || (r.status == 3 && !*r.err && !*r.out) ||
	    (err_has && !strstr(r.err, err_has) && !strstr(r.out, err_has))) {
		fprintf(stderr, "%s: %s: exit %d (expected 0, or 3 with a message%s%s)\n--- stdout:\n"
			"%.3000s\n--- stderr:\n%.3000s\n", what, args[0], r.status,
			err_has ? " holding: " : "", err_has ? err_has : "", r.out, r.err);
		exit(1);
	}
	check_no_ctrl(what, "stdout", r.out);
	check_no_ctrl(what, "stderr", r.err);
	check_no_canary(what);
	int st = r.status;
	clirun_free(&r);
	return st;
}
#define RUN_CMD(what, err_has, ...) run_cmd(what, err_has, (const char *const[]){ __VA_ARGS__, NULL })

/* Runs argv with stdin from a file holding `in`; *out gets stdout. */
static int run_tool(const char *in, const char *const *argv, char **out)
{
	char ipath[PATH_MAX], opath[PATH_MAX];
	int st;

	snprintf(ipath, sizeof(ipath), "%s/tool.in", tmp);
	snprintf(opath, sizeof(opath), "%s/tool.out", tmp);
	FILE *f = fopen(ipath, "w");
	CHECK(f && fputs(in, f) >= 0 && !fclose(f));
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		int i = open(ipath, O_RDONLY);
		int o = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int n = open("/dev/null", O_WRONLY);
		if (i < 0 || o < 0 || n < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(n, 2) < 0)
			_exit(126);
		alarm(TIME_LIMIT_S);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	*out = clirun_slurp(opath, NULL);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The extension inside the stock sqlite3 shell and inside Python: the
 * capture opens or is refused, and afterwards the host connection holds
 * only "main" and "temp", and no canary was written. */
static void run_extension(const char *what, const char *dir)
{
	char in[3 * PATH_MAX], *out = NULL;
	int st;

#ifdef __SANITIZE_ADDRESS__
	return;         /* an ASan-built module cannot load into the stock shell */
#endif
	if (access(ext, R_OK))
		return;
	if (!access("/usr/bin/sqlite3", X_OK)) {
		snprintf(in, sizeof(in), ".load %.*s\nSELECT bpfrec_attach('%s');\n"
			 "SELECT count(*) FROM sessions;\nSELECT count(*) FROM streams;\n"
			 "SELECT '@@db', name FROM pragma_database_list;\n",
			 (int)(strlen(ext) - 3), ext, dir);
		st = run_tool(in, (const char *const[]){ "/usr/bin/sqlite3", ":memory:", NULL },
			      &out);
		if (st >= 128 || strstr(out, "@@db|pwn") || !strstr(out, "@@db|main")) {
			fprintf(stderr, "%s: sqlite3 shell: status %d, output:\n%.3000s\n", what, st, out);
			exit(1);
		}
		free(out);
		check_no_canary(what);
	}
	if (!access("/usr/bin/python3", X_OK)) {
		static const char py[] =
			"import sqlite3, sys\n"
			"con = sqlite3.connect(':memory:')\n"
			"con.enable_load_extension(True)\n"
			"con.load_extension(sys.argv[1])\n"
			"try:\n"
			"    con.execute('SELECT bpfrec_attach(?)', (sys.argv[2],)).fetchall()\n"
			"    con.execute('SELECT * FROM sessions').fetchall()\n"
			"except sqlite3.Error as e:\n"
			"    print('refused')\n"
			"print(','.join(r[1] for r in con.execute('PRAGMA database_list')))\n";
		char load[PATH_MAX];
		snprintf(load, sizeof(load), "%.*s", (int)(strlen(ext) - 3), ext);
		st = run_tool("", (const char *const[]){ "/usr/bin/python3", "-c", py, load, dir, NULL },
			      &out);
		if (st != 0 || (strcmp(out, "main,temp\n") && strcmp(out, "refused\nmain,temp\n") &&
				strcmp(out, "main\n") && strcmp(out, "refused\nmain\n"))) {
			fprintf(stderr, "%s: python3: status %d, output:\n%.3000s\n", what, st, out);
			exit(1);
		}
		free(out);
		check_no_canary(what);
	}
}

/* Every reader on dir.  refused: the text info's message must hold, or
 * NULL when the capture may open.  Returns info's exit status. */
static int run_all(const char *what, const char *dir, const char *refused)
{
	char bundle[PATH_MAX + 16], copy[PATH_MAX + 16], q[256];
	int st = RUN_CMD(what, refused, "info", dir);

	if (refused && st != 3) {
		fprintf(stderr, "%s: info opened a capture that must be refused\n", what);
		exit(1);
	}
	RUN_CMD(what, refused, "show", dir);
	RUN_CMD(what, refused, "show", "-o", "csv", dir);
	RUN_CMD(what, refused, "show", "-o", "table", dir);
	RUN_CMD(what, refused, "show", "-o", "jsonl", dir);
	RUN_CMD(what, refused, "verify", dir);
	static const char *const tables[] = {
		"sessions", "streams", "losses", "blocks", "block_streams", "objects", "alpha",
	};
	for (size_t i = 0; i < (refused ? 1 : sizeof(tables) / sizeof(tables[0])); i++) {
		snprintf(q, sizeof(q), "SELECT * FROM %s", tables[i]);
		RUN_CMD(what, refused, "sql", "-o", "csv", dir, q);
	}
	if (!st) {
		struct clirun r = CLIRUN("sql", "-o", "csv", dir,
					 "SELECT name FROM pragma_database_list ORDER BY seq");
		if (strcmp(r.out, "name\nmain\ntemp\n") && strcmp(r.out, "name\nmain\n")) {
			fprintf(stderr, "%s: databases attached after open:\n%s\n", what, r.out);
			exit(1);
		}
		clirun_free(&r);
	}
	snprintf(bundle, sizeof(bundle), "%s.bundle", dir);
	if (!RUN_CMD(what, refused, "bundle", dir, "-o", bundle)) {
		RUN_CMD(what, NULL, "info", bundle);
		RUN_CMD(what, NULL, "show", "-o", "csv", bundle);
		RUN_CMD(what, NULL, "sql", bundle, "SELECT * FROM sessions");
	}
	run_extension(what, dir);
	/* recover writes: on a copy of its own. */
	snprintf(copy, sizeof(copy), "%s.rec", dir);
	CHECK(!mkdir(copy, 0755));
	DIR *d = opendir(dir);
	struct dirent *e;
	CHECK(d);
	while ((e = readdir(d))) {
		char a[2 * PATH_MAX], b[2 * PATH_MAX + 32];
		if (e->d_name[0] == '.')
			continue;
		snprintf(a, sizeof(a), "%s/%s", dir, e->d_name);
		snprintf(b, sizeof(b), "%s/%s", copy, e->d_name);
		copy_file(a, b);
	}
	closedir(d);
	RUN_CMD(what, NULL, "recover", copy);
	RUN_CMD(what, NULL, "info", copy);
	return st;
}

/* Payload text: SQL that, were it ever run, would write canaries and
 * attach a database. */
#define PAYLOAD "VACUUM INTO '@C@/vacuum.db'; ATTACH '@C@/attach.db' AS pwn; " \
		"CREATE TABLE pwn.t(x); --"
/* Changes a table's DDL text in place in dir/file (the declared types and
 * names are text only: the rows stay readable). */
static void retype(const char *dir, const char *file, const char *table, const char *from,
		   const char *to)
{
	char path[PATH_MAX + 64];
	char *t = with_canary(to);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA writable_schema = ON", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "UPDATE sqlite_schema SET sql = replace(sql, ?1, ?2)"
				 " WHERE name = ?3 AND instr(sql, ?1)", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, table, -1, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	CHECK_EQ_INT(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	CHECK(sqlite3_exec(db, "PRAGMA writable_schema = OFF", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_close(db) == SQLITE_OK);
	free(t);
}

/* Finding 1: a declared type that is SQL, in each metadata table, and a
 * column name that is. */
static void test_declared_types(void)
{
	static const struct { const char *name, *table, *from, *to; } cases[] = {
		{ "type_sessions", "sessions", "host            TEXT", "host \"TEXT); " PAYLOAD "\"" },
		{ "type_streams", "streams", "kind       TEXT", "kind \"TEXT); " PAYLOAD "\"" },
		{ "type_losses", "losses", "count      INTEGER", "count \"INTEGER); " PAYLOAD "\"" },
		{ "type_blocks", "blocks", "nrecords    INTEGER", "nrecords \"INTEGER); " PAYLOAD "\"" },
		{ "type_block_streams", "block_streams", "nrecords   INTEGER",
		  "nrecords \"INTEGER); " PAYLOAD "\"" },
		{ "type_objects", "objects", "name  TEXT", "name \"TEXT); " PAYLOAD "\"" },
		{ "name_sessions", "sessions", "boot_id         TEXT",
		  "\"boot_id\"\" TEXT); " PAYLOAD "\" TEXT" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *dir = fresh(cases[i].name);
		retype(dir, "index.db", cases[i].table, cases[i].from, cases[i].to);
		run_all(cases[i].name, dir, NULL);
	}
}

/* Stream names are printed, and name tables when they follow the grammar:
 * one with quotes, SQL, terminal escapes or a NUL stays data (shown
 * escaped) and its table is stream_2. */
static void test_stream_names(void)
{
	static const struct { const char *name, *sql; } cases[] = {
		{ "stream_sql", "UPDATE streams SET name = 'beta\"(x); VACUUM INTO ''@C@/vacuum.db''; "
				"ATTACH ''@C@/attach.db'' AS pwn; --' WHERE id = 2" },
		{ "stream_quote", "UPDATE streams SET name = 'be''ta' WHERE id = 2" },
		{ "stream_osc", "UPDATE streams SET name = 'beta' || char(27) || ']0;pwned' || char(7)"
				" WHERE id = 2" },
		{ "stream_clear", "UPDATE streams SET name = char(27) || '[2J' WHERE id = 2" },
		{ "stream_nul", "UPDATE streams SET name = CAST(x'6265007461' AS TEXT) WHERE id = 2" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *dir = fresh(cases[i].name);
		craft(dir, "index.db", cases[i].sql);
		run_all(cases[i].name, dir, NULL);
		struct clirun r = CLIRUN("sql", "-o", "csv", dir, "SELECT count(*) FROM stream_2");
		CHECK_EQ_INT(r.status, 0);
		CHECK_STR(r.out, "count(*)\n30\n");
		clirun_free(&r);
	}
}

/* Findings 2-4: schema objects that SQLite would run (a virtual table
 * however CREATE VIRTUAL is spelled, a generated column evaluated on every
 * read, a view with an endless recursion, a trigger, an index on an
 * expression): each refused by name before anything reads the file. */
#define SLOW "hex(zeroblob(200000000))"
#define ENDLESS "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
#define VIEW_STREAMS "SELECT x AS id, 'n' || x AS name, 'ringbuf' AS kind, 1 AS object_id," \
		     " 'm' AS map_name, NULL AS type_name, 0 AS type_id, -1 AS ts_offset FROM (" \
		     ENDLESS ")"
static void test_schema_objects(void)
{
	static const struct { const char *name, *sql, *refused; } cases[] = {
		{ "vt_spaces", "DROP TABLE meta; CREATE  VIRTUAL TABLE meta USING fts4(key, value);"
		  " INSERT INTO meta VALUES ('format_version', '1')", "virtual table 'meta'" },
		{ "vt_newline", "DROP TABLE meta; CREATE\nVIRTUAL TABLE meta USING fts4(key, value);"
		  " INSERT INTO meta VALUES ('format_version', '1')", "virtual table 'meta'" },
		{ "vt_comment", "DROP TABLE meta; CREATE/**/VIRTUAL TABLE meta USING fts4(key, value);"
		  " INSERT INTO meta VALUES ('format_version', '1')", "virtual table 'meta'" },
		{ "generated", "ALTER TABLE sessions ADD COLUMN pad TEXT GENERATED ALWAYS AS (" SLOW
		  ") VIRTUAL", "table 'sessions' is not the table bpfrec writes" },
		{ "generated_blocks", "ALTER TABLE blocks ADD COLUMN pad TEXT GENERATED ALWAYS AS ("
		  SLOW ") VIRTUAL", "table 'blocks' is not the table bpfrec writes" },
		{ "view_endless", "DROP TABLE streams; CREATE VIEW streams AS " VIEW_STREAMS, "view 'streams'" },
		{ "trigger", "CREATE TRIGGER t AFTER INSERT ON blocks BEGIN SELECT " SLOW "; END",
		  "trigger 't'" },
		{ "expr_index", "CREATE INDEX evil ON blocks (length(" SLOW " || offset))",
		  "index 'evil'" },
		{ "extra_table", "CREATE TABLE extra (x)", "table 'extra'" },
		{ "without_rowid", "CREATE TABLE l2 (id INTEGER PRIMARY KEY, stream_id INTEGER NOT NULL"
		  " REFERENCES streams(id), cpu INTEGER, ts INTEGER NOT NULL, count INTEGER NOT NULL)"
		  " WITHOUT ROWID; INSERT INTO l2 SELECT * FROM losses; DROP TABLE losses;"
		  " ALTER TABLE l2 RENAME TO losses", "table 'losses' is not the table bpfrec writes" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *dir = fresh(cases[i].name);
		craft(dir, "index.db", cases[i].sql);
		run_all(cases[i].name, dir, cases[i].refused);
	}
	/* the same in catalog.db, which recover rebuilds a lost index from */
	static const struct { const char *name, *sql; } cat[] = {
		{ "cat_generated", "ALTER TABLE sessions ADD COLUMN pad TEXT GENERATED ALWAYS AS ("
		  SLOW ") VIRTUAL" },
		{ "cat_view", "DROP TABLE streams; CREATE VIEW streams AS " VIEW_STREAMS },
		{ "cat_vt", "DROP TABLE meta; CREATE VIRTUAL TABLE meta USING fts4(key, value)" },
		/* the stack tables catalog.db now copies too (when they have rows) */
		{ "cat_stack_vt", "CREATE VIRTUAL TABLE lines USING fts4(src)" },
		{ "cat_stack_generated", "CREATE TABLE symbols (file_id INT, addr INT, size INT, "
		  "name TEXT, pad TEXT GENERATED ALWAYS AS (" SLOW ") VIRTUAL)" },
	};
	for (size_t i = 0; i < sizeof(cat) / sizeof(cat[0]); i++) {
		const char *dir = fresh(cat[i].name);
		char path[PATH_MAX + 16];
		craft(dir, "catalog.db", cat[i].sql);
		snprintf(path, sizeof(path), "%s/index.db", dir);
		CHECK(!unlink(path));
		RUN_CMD(cat[i].name, "refused", "recover", dir);
		CHECK(access(path, F_OK));      /* nothing rebuilt from it */
	}
}

/* Finding 6: work bounded by the capture's size.  100 index rows naming
 * one block (each decoded again), and blocks of constant records that
 * decode to over a million records from a few hundred bytes each. */
static void test_bounded_work(void)
{
	const char *dir = fresh("shared_block");
	craft(dir, "index.db", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	      " WHERE i < 100) INSERT INTO blocks (segment_id, offset, enc_bytes, raw_bytes, nrecords,"
	      " min_ts, max_ts) SELECT segment_id, offset, enc_bytes, raw_bytes, nrecords, min_ts,"
	      " max_ts FROM blocks, n WHERE id = 1;"
	      " INSERT INTO block_streams SELECT b.id, s.stream_id, s.nrecords, s.min_ts, s.max_ts"
	      " FROM blocks b, block_streams s WHERE s.block_id = 1 AND b.id > 1 AND b.offset ="
	      " (SELECT offset FROM blocks WHERE id = 1) AND b.segment_id ="
	      " (SELECT segment_id FROM blocks WHERE id = 1)");
	run_all("shared_block", dir, "share bytes of segment");

	/* constant records: each block is ~1.4 M records in a few hundred bytes */
	char bomb[PATH_MAX];
	snprintf(bomb, sizeof(bomb), "%s/bomb", tmp);
	struct cap_session sess = { .host = "h", .kernel_release = "k", .boot_id = "b",
				    .cmdline = "c", .tool_version = "t", .clock_boot_ns = 1,
				    .clock_real_ns = 1, .start_ns = 1 };
	struct capw *w = capw__create(bomb, NULL);
	struct blockbuf *bb = blockbuf__new(CAP_BLOCKBUF_MAX_BYTES);
	uint32_t obj = 0, sid = 0;
	CHECK(w && bb && !capw__set_session(w, &sess));
	CHECK(!capw__add_object(w, "o", NULL, NULL, 0, &obj));
	struct cap_stream_desc d = { "flood", "ringbuf", obj, "rb", NULL, 0, -1 };
	CHECK(!capw__add_stream(w, &d, &sid));
	for (int blk = 0; blk < 3; blk++) {
		const uint8_t one = 0;
		blockbuf__reset(bb);
		while (!blockbuf__add(bb, sid, 0, 1000, &one, 1))
			;
		CHECK(!capw__write_block(w, bb));
	}
	CHECK(!capw__close(w, 2000));
	blockbuf__free(bb);
	run_all("bomb", bomb, "more than a reader decodes per byte");
}

/* Finding 7: a loss total past 2^63 does not wrap; rows that do not fit
 * a bundle's tables are the capture's fault (exit 3). */
static void test_minor(void)
{
	const char *dir = fresh("loss_wrap");
	char out[PATH_MAX + 16];

	craft(dir, "index.db", "UPDATE losses SET count = 9223372036854775807");
	struct clirun r = CLIRUN("info", dir);
	CHECK_EQ_INT(r.status, 0);
	CHECK(!strstr(r.out, "-9223372036854775808"));
	CHECK(strstr(r.out, "18446744073709551614 events in 2 reports"));
	clirun_free(&r);

	dir = fresh("bundle_check");
	craft(dir, "index.db", "PRAGMA ignore_check_constraints = ON;"
	      " UPDATE streams SET kind = 'evil' WHERE id = 2");
	snprintf(out, sizeof(out), "%s.bundle", dir);
	EXPECT(CLIRUN("bundle", dir, "-o", out), 3, NULL, "does not fit bpfrec's tables");
	/* a stream name with escapes in bundle --stream's error */
	dir = fresh("bundle_stream");
	craft(dir, "index.db", "UPDATE streams SET name = 'b' || char(27) || ']0;x' || char(7)"
	      " WHERE id = 2");
	snprintf(out, sizeof(out), "%s.bundle", dir);
	r = CLIRUN("bundle", dir, "-o", out, "--stream", "nosuch");
	CHECK_EQ_INT(r.status, 2);      /* a usage error, naming the streams escaped */
	CHECK(strstr(r.err, "alpha, b\\x1b]0;x\\x07"));
	check_no_ctrl("bundle_stream", "stderr", r.err);
	clirun_free(&r);
}

/* The catalog a lost index is rebuilt from, with the same payloads. */
static void test_catalog(void)
{
	const char *dir = fresh("catalog_type");
	char path[PATH_MAX + 16];

	retype(dir, "catalog.db", "sessions", "host TEXT",
	       "host \"TEXT); " PAYLOAD "\"");
	snprintf(path, sizeof(path), "%s/index.db", dir);
	CHECK(!unlink(path));
	run_all("catalog_type", dir, NULL);
}

/* A capture directory is files an attacker chose: a FIFO named as a
 * segment must not stop a reader or recover waiting for a writer that
 * never comes (open(2) of a FIFO for reading blocks until one does).
 * With an index (its segments row) and without index and catalog (recover
 * then lists the segment files itself). */
static void test_fifo_segment(void)
{
	const char *dir = fresh("fifo_seg");
	char seg[PATH_MAX + 32], f[PATH_MAX + 32];

	snprintf(seg, sizeof(seg), "%s/seg-000001.bpfrec", dir);
	CHECK(!unlink(seg));
	CHECK(!mkfifo(seg, 0644));
	RUN_CMD("fifo_seg", NULL, "info", dir);
	RUN_CMD("fifo_seg", NULL, "show", dir);
	RUN_CMD("fifo_seg", NULL, "verify", dir);
	RUN_CMD("fifo_seg", NULL, "recover", dir);
	snprintf(f, sizeof(f), "%s/index.db", dir);
	CHECK(!unlink(f));
	snprintf(f, sizeof(f), "%s/catalog.db", dir);
	CHECK(!unlink(f));
	RUN_CMD("fifo_seg", NULL, "recover", dir);
}

int main(void)
{
	const char *b = getenv("BPFREC_BUILD");
	struct capfix_opts o = { .short_a = -1, .n_a = 40, .n_b = 30 };
	char btf[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s", test_tmpdir("hostile"));
	clirun_init(tmp);
	if (b && *b) {
		snprintf(ext, sizeof(ext), "%s/replay/libbpfrec_sqlite.so", b);
	} else {
		char self[PATH_MAX / 2];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		CHECK(n > 0);
		self[n] = 0;
		*strrchr(self, '/') = 0;
		snprintf(ext, sizeof(ext), "%s/../replay/libbpfrec_sqlite.so", self);
	}
	clirun_limit_s = TIME_LIMIT_S;
	snprintf(base, sizeof(base), "%s/base", tmp);
	snprintf(canary, sizeof(canary), "%s/canary", tmp);
	snprintf(btf, sizeof(btf), "%s/btf", tmp);
	CHECK(!mkdir(canary, 0755));
	capfix_build(base, btf, o);
	run_all("untouched", base, NULL);
	/* bpfreplay's own connection: no extension loading, from SQL either */
	EXPECT(CLIRUN("sql", base, "SELECT load_extension('/nonexistent/x')"), 1, NULL,
	       "not authorized");

	test_declared_types();
	test_stream_names();
	test_schema_objects();
	test_bounded_work();
	test_minor();
	test_catalog();
	test_fifo_segment();
	printf("test_hostile: ok\n");
	return 0;
}
